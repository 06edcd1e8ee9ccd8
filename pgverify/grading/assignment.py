"""The assignment file (TOML): what to show, the rubric, the requirements, an optional ordering exercise.

::

    title = "Decompose the trajectory log-probability gradient"
    preamble = '''
    use rl
    def Pr_θ(τ) = ρ0(s_0) prod_{t=0}^{T-1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)
    '''
    goal = "∇_θ log Pr_θ(τ) = sum_{t=0}^{T-1} ∇_θ log π_θ(a_t | s_t)"

    [rubric]                      # every key optional; the defaults are shown
    valid_step = 1                # per valid step (proved or checked), for at most max_steps steps
    faulty_step = -2              # per refuted step
    unknown_step = 0              # per step that could not be decided
    goal_reached = 4
    justification = "optional"    # "required": a valid step without `by` is charged justification_mismatch
    justification_mismatch = -0.5 # per valid step whose `by` is wrong (mismatch or no such rule)
    max_steps = 12                # the steps that earn points (e.g. your own solution's); default: no cap
    max_score = 16                # default: valid_step · max_steps + goal_reached (see score.py)
    missing_citation = -1         # per rule of must_cite cited nowhere
    forbidden_citation = -1       # per rule of must_not_cite cited somewhere
    missing_step = -1             # per expression of required_steps that appears nowhere

    [requirements]                # optional
    must_cite = ["log-product", "theta-independence"]
    must_not_cite = ["eglp"]
    required_steps = ["∇_θ sum_{t=0}^{T-1} log π_θ(a_t | s_t)"]

    [order]                       # optional: an ordering exercise instead of a derivation
    goal = "…"                    # default: the top-level goal
    items = { A = "…", B = "…" }

How the rubric turns into a score is :mod:`pgverify.grading.score`.  The
maximum score is fixed once here, for every student: ``max_score`` when given,
else what ``max_steps`` valid steps and the goal earn; a derivation assignment
whose valid steps earn points must set one of the two (without a cap the
maximum would depend on how long each student's chain is).  Every
mistake in the file is reported as an :class:`AssignmentError` naming the key.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from .. import inputs
from .. import model as m
from ..rules import lookup, suggest
from ..semantics import build_context
from ..syntax import LogicalLine, ParseFailure, parse_line, parse_source
from .implementation import ImplementationSpec
from .implementation import parse_table as parse_implementation
from .score import fixed_maximum

MAX_ORDER_ITEMS = 8


class AssignmentError(Exception):
    """The assignment file cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Rubric:
    """Points per rubric line (exact fractions: 0.1 stays one tenth)."""

    valid_step: Fraction = Fraction(1)
    faulty_step: Fraction = Fraction(-2)
    unknown_step: Fraction = Fraction(0)
    goal_reached: Fraction = Fraction(4)
    justification: str = "optional"
    justification_mismatch: Fraction = Fraction(-1, 2)
    max_steps: int | None = None
    missing_citation: Fraction = Fraction(-1)
    forbidden_citation: Fraction = Fraction(-1)
    missing_step: Fraction = Fraction(-1)
    max_score: Fraction | None = None   # set by ``parse`` for every assignment (explicit or derived)


POINT_KEYS = ("valid_step", "faulty_step", "unknown_step", "goal_reached", "justification_mismatch",
              "missing_citation", "forbidden_citation", "missing_step")
RUBRIC_KEYS = POINT_KEYS + ("justification", "max_steps", "max_score")


@dataclass(frozen=True)
class RequiredStep:
    text: str
    expr: m.Expr


@dataclass(frozen=True)
class Requirements:
    must_cite: tuple[str, ...] = ()          # canonical rule names
    must_not_cite: tuple[str, ...] = ()
    required_steps: tuple[RequiredStep, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.must_cite or self.must_not_cite or self.required_steps)


@dataclass(frozen=True)
class OrderItems:
    """The ``[order]`` table: labelled expressions (in the file's order) and the goal that fixes the ends."""

    labels: tuple[str, ...]
    texts: tuple[str, ...]
    exprs: tuple[m.Expr, ...]
    goal: m.Goal | None
    goal_text: str | None


@dataclass(frozen=True)
class Assignment:
    title: str
    preamble: str
    goal_text: str | None
    goal: m.Goal | None
    rubric: Rubric
    requirements: Requirements
    declarations: tuple[m.Declaration, ...]
    order: OrderItems | None = None
    path: str = "<assignment>"
    raw: bytes = field(default=b"", repr=False)   # the file's bytes: part of the cache key
    implementation: ImplementationSpec | None = None   # an [implementation] table: .py submissions


def load(path: str | Path) -> Assignment:
    """Read and validate an assignment file (raises AssignmentError)."""
    p = Path(path)
    try:
        raw = inputs.read_bytes(p)   # a regular file of bounded size (never a FIFO or a device)
    except inputs.InputError as err:
        raise AssignmentError(f"cannot read the assignment: {err}") from None
    return parse(raw, str(p))


def parse(raw: bytes, path: str = "<assignment>") -> Assignment:
    """Validate the TOML text of an assignment (raises AssignmentError)."""
    try:
        table = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise AssignmentError(f"{path}: not UTF-8 text") from None
    except (tomllib.TOMLDecodeError, ValueError) as err:  # ValueError: an integer of > 4300 digits
        raise AssignmentError(f"{path}: not valid TOML ({err})") from None
    where = _Where(path)
    where.unknown_keys(table, ("title", "preamble", "goal", "rubric", "requirements", "order", "implementation"), "")
    title = where.string(table, "title", "", required=True)
    preamble = where.string(table, "preamble", "")
    declarations = _preamble(preamble, where)
    goal_text = where.string(table, "goal", "") or None
    goal = _goal(goal_text, where, "goal") if goal_text else None
    rubric = _rubric(where.table(table, "rubric"), where)
    requirements = _requirements(where.table(table, "requirements"), where)
    order = _order(where.table(table, "order"), goal_text, where) if "order" in table else None
    implementation = _implementation(table, path)
    if order is None and goal is None and implementation is None:
        raise AssignmentError(f"{path}: `goal` is missing (a derivation assignment needs one)")
    if order is not None and requirements:
        raise AssignmentError(f"{path}: [requirements] apply to derivations, not to an [order] exercise")
    if implementation is not None and rubric.max_steps is None:
        rubric = replace(rubric, max_steps=1)   # the function is the one step
    rubric = _with_maximum(rubric, order, where)
    return Assignment(title, preamble, goal_text, goal, rubric, requirements, declarations, order, path, raw,
                      implementation)


def _implementation(table: dict[str, Any], path: str) -> ImplementationSpec | None:
    if "implementation" not in table:
        return None
    if not isinstance(table["implementation"], dict):
        raise AssignmentError(f"{path}: `implementation` must be a table ([implementation])")
    try:
        return parse_implementation(table["implementation"], path)
    except ValueError as err:
        raise AssignmentError(str(err)) from None


# --------------------------------------------------------------------------- parts


class _Where:
    """Wording of errors: the file and the key."""

    def __init__(self, path: str):
        self.path = path

    def fail(self, key: str, message: str) -> AssignmentError:
        return AssignmentError(f"{self.path}: {key}: {message}")

    def unknown_keys(self, table: dict[str, Any], known: tuple[str, ...], section: str) -> None:
        for key in table:
            if key not in known:
                near = difflib.get_close_matches(key, known, n=1)
                hint = f" (did you mean `{near[0]}`?)" if near else f" (known: {', '.join(known)})"
                raise self.fail(f"{section}{key}", f"unknown key{hint}")

    def string(self, table: dict[str, Any], key: str, section: str, required: bool = False) -> str:
        if key not in table:
            if required:
                raise self.fail(section + key, "missing")
            return ""
        value = table[key]
        if not isinstance(value, str):
            raise self.fail(section + key, f"expected a string, got {value!r}")
        return value

    def table(self, table: dict[str, Any], key: str) -> dict[str, Any]:
        value = table.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, "expected a table ([" + key + "])")
        return value

    def strings(self, table: dict[str, Any], key: str, section: str) -> list[str]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(section + key, f"expected a list of strings, got {value!r}")
        return value


def _preamble(text: str, where: _Where) -> tuple[m.Declaration, ...]:
    source = parse_source(text, "preamble")
    problems = list(source.errors)
    build_context(source.declarations, (), None, problems)
    if problems:
        first = problems[0]
        raise where.fail("preamble", f"line {first.span.line}: {first.message}")
    if source.derivations:
        raise where.fail("preamble", f"line {source.derivations[0].span.line}: the preamble holds declarations"
                                     " only (use, param, dist, fun, depends, def)")
    return source.declarations


def _goal(text: str, where: _Where, key: str) -> m.Goal:
    try:
        statement = parse_line(LogicalLine("goal " + text, 1, 1))
    except ParseFailure as failure:
        raise where.fail(key, f"cannot read the goal: {failure.issue.message}") from None
    if not isinstance(statement, m.Goal):
        raise where.fail(key, "expected `LHS = RHS`")
    return statement


def parse_expression_text(text: str, where: _Where, key: str) -> m.Expr:
    """One expression of the assignment; a syntax error names the key."""
    try:
        statement = parse_line(LogicalLine(text, 1, 1))
    except ParseFailure as failure:
        raise where.fail(key, f"cannot read {text!r}: {failure.issue.message}") from None
    if not isinstance(statement, m.ChainStart):
        raise where.fail(key, f"expected an expression, got {text!r}")
    return statement.expr


MAX_POINTS = 1e6   # a rubric value beyond this (or inf, nan) is refused: no score needs it


def _rubric(table: dict[str, Any], where: _Where) -> Rubric:
    where.unknown_keys(table, RUBRIC_KEYS, "rubric.")
    values: dict[str, Any] = {}
    for key in POINT_KEYS:
        if key in table:
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not abs(value) <= MAX_POINTS:
                raise where.fail(f"rubric.{key}", f"expected a number of points (finite, at most {MAX_POINTS:g}"
                                                  f" either way), got {value!r}")
            values[key] = Fraction(str(value))
    if "justification" in table:
        value = table["justification"]
        if value not in ("required", "optional"):
            raise where.fail("rubric.justification", f'expected "required" or "optional", got {value!r}')
        values["justification"] = value
    if "max_steps" in table:
        value = table["max_steps"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_POINTS:
            raise where.fail("rubric.max_steps", f"expected a positive whole number (at most {MAX_POINTS:g}),"
                                                 f" got {value!r}")
        values["max_steps"] = value
    if "max_score" in table:
        value = table["max_score"]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= MAX_POINTS:
            raise where.fail("rubric.max_score", f"expected a positive number of points (finite, at most"
                                                 f" {MAX_POINTS:g}), got {value!r}")
        values["max_score"] = Fraction(str(value))
    return Rubric(**values)


def _with_maximum(rubric: Rubric, order: OrderItems | None, where: _Where) -> Rubric:
    """The rubric with its fixed ``max_score`` (the same for every student)."""
    if rubric.max_score is not None:
        return rubric
    links = len(order.labels) - 1 if order is not None else None
    maximum = fixed_maximum(rubric, links)
    if maximum is None:
        raise where.fail("rubric", "set `max_steps` (how many valid steps earn points, e.g. the length of your"
                                   " own solution) or `max_score`: the maximum score must be the same for every"
                                   " student, whatever the length of their derivation")
    return replace(rubric, max_score=maximum)


def _rule_names(names: list[str], where: _Where, key: str) -> tuple[str, ...]:
    canonical = []
    for name in names:
        rule = lookup(name)
        if rule is None:
            near = suggest(name)
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise where.fail(key, f"no rule named {name!r}{hint}")
        canonical.append(rule.name)
    return tuple(dict.fromkeys(canonical))


def _requirements(table: dict[str, Any], where: _Where) -> Requirements:
    where.unknown_keys(table, ("must_cite", "must_not_cite", "required_steps"), "requirements.")
    must = _rule_names(where.strings(table, "must_cite", "requirements."), where, "requirements.must_cite")
    must_not = _rule_names(where.strings(table, "must_not_cite", "requirements."), where,
                           "requirements.must_not_cite")
    both = set(must) & set(must_not)
    if both:
        raise where.fail("requirements", f"{', '.join(sorted(both))} is both required and forbidden")
    steps = tuple(RequiredStep(text, parse_expression_text(text, where, "requirements.required_steps"))
                  for text in where.strings(table, "required_steps", "requirements."))
    return Requirements(must, must_not, steps)


def _order(table: dict[str, Any], goal_text: str | None, where: _Where) -> OrderItems:
    where.unknown_keys(table, ("items", "goal"), "order.")
    items = table.get("items")
    if not isinstance(items, dict) or not items:
        raise where.fail("order.items", "expected a table of labelled expressions, e.g. { A = \"…\", B = \"…\" }")
    if not 2 <= len(items) <= MAX_ORDER_ITEMS:
        raise where.fail("order.items", f"between 2 and {MAX_ORDER_ITEMS} items, got {len(items)}")
    labels, texts, exprs = [], [], []
    for label, text in items.items():
        if not isinstance(text, str):
            raise where.fail(f"order.items.{label}", f"expected an expression as a string, got {text!r}")
        labels.append(label)
        texts.append(text)
        exprs.append(parse_expression_text(text, where, f"order.items.{label}"))
    own = where.string(table, "goal", "order.") or goal_text
    goal = _goal(own, where, "order.goal") if own else None
    return OrderItems(tuple(labels), tuple(texts), tuple(exprs), goal, own)
