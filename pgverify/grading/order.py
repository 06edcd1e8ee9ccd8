"""Ordering exercises: put the expressions of a derivation in order; find the right orders; grade an answer.

A file (``pgverify order FILE``)::

    use rl                                   # declarations, as in a .pgv file
    exercise "The policy gradient, in order" # optional: a file may hold several exercises
    goal: ∂J(θ)/∂θ = E_{τ ~ Pr_θ}[ ∂ log Pr_θ(τ) / ∂θ R(τ) ]
    item A: sum_τ ∂Pr_θ(τ)/∂θ R(τ)
    item B: ∂J(θ)/∂θ
    …
    answer: B D A C E                        # optional: a student's answer

Declarations before the first ``exercise`` hold for every exercise; those
after it, for that exercise only.  An item is one line.

**What counts as right.**  Every item of a correct equality chain equals
every other, so every link between two correct items holds, and "each
consecutive pair is a valid step" alone would accept every order of the middle
items.  The exercise asks for the logical order, so the order itself is graded:

* a *link* X → Y **holds** when ``X = Y`` is proved or checked (exactly as a
  step of ``check``: symbolic proof, random finite models);
* its **size** is the number of rules its smallest proof needs: subsets of
  the rules the full proof used, up to ``MAX_SEARCH`` rules, are tried (with
  only those rules switched on); when none is enough, the size is the number
  the full proof used.  A link that holds on every model but has no symbolic
  proof has size ``UNPROVED_SIZE``;
* an order is a **chain** when every link holds and, with a goal, it starts at
  the item written like the goal's left side and ends at the item written
  like its right side ("written alike": the same expression, or equal by the
  rule ``algebra`` alone); without a goal, every Hamiltonian path of links
  that hold is a chain (in both directions);
* the **right orders** are the chains of least total size: the derivation
  that goes one rule at a time, never two at once or backwards.

**An answer is right exactly when it is one of the right orders.**  Otherwise
it is wrong at the *first* position that breaks it, the earlier of

* the first position at which no right order begins as the answer does (the
  reason: "X → Y holds, but no right order goes this way: a step is skipped
  or taken backwards"), and
* the first position at which the answer is not even a chain: a wrong first
  item, a link that does not hold (with the mistake it makes, when the
  catalogue names one), the goal's right side before the end, a wrong last
  item.  This is the reason given when it comes first (or at the same
  position), and it is how an answer is placed when no order is a chain (an
  item is wrong).

Links are symmetric (an equality read backwards is the same equality),
so each unordered pair is proved once; a link that fails is checked in both
directions, for the counterexample and the named mistake of each.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .. import model as m
from ..checker import Options, check_step, load_kernel, prove_step
from ..limits import TimedOut, run_jobs
from ..results import CHECKED, PROVED, UNKNOWN
from ..semantics import Context, build_context
from ..syntax import LogicalLine, ParseFailure, parse_line, parse_source
from ..syntax.pgv.lines import physical_lines

MAX_ITEMS = 8
MAX_SEARCH = 3          # the largest rule set tried when looking for a link's smallest proof
UNPROVED_SIZE = 6       # the size of a link that holds on every model but has no symbolic proof

_ITEM = re.compile(r"^\s*item\s+(\w+)\s*:(.*)$")
_ANSWER = re.compile(r"^\s*answer\s*:(.*)$")
_GOAL = re.compile(r"^\s*goal\b\s*:?(.*)$")
_EXERCISE = re.compile(r'^\s*exercise\b\s*(?:"([^"]*)")?\s*$')


@dataclass(frozen=True)
class Exercise:
    title: str
    line: int
    labels: tuple[str, ...]
    texts: tuple[str, ...]
    exprs: tuple[m.Expr, ...]
    goal: m.Goal | None
    declarations: tuple[m.Declaration, ...]
    answer: tuple[str, ...] | None = None
    answer_line: int = 0

    def text_of(self, label: str) -> str:
        return self.texts[self.labels.index(label)]


@dataclass(frozen=True)
class Link:
    """X → Y: does ``X = Y`` hold, and with how many rules at least."""

    verdict: str
    rules: tuple[str, ...] = ()
    size: int | None = None
    message: str = ""
    diagnosis: dict[str, str] | None = None
    counterexample: dict[str, Any] | None = None

    @property
    def holds(self) -> bool:
        return self.verdict in (PROVED, CHECKED)


@dataclass(frozen=True)
class Solution:
    links: dict[tuple[str, str], Link]
    start: str | None                       # the item written like the goal's left side
    end: str | None
    chains: int                             # orders whose every link holds (and that meet the goal)
    right: tuple[tuple[str, ...], ...]      # the chains of least total size: the only right answers
    size: int | None
    problem: str = ""                       # why there is no right order, when there is none


@dataclass(frozen=True)
class LinkGrade:
    source: str
    target: str
    link: Link | None                       # None when a label is no item
    on_right_path: bool                     # X → Y is a link of some right order

    @property
    def holds(self) -> bool:
        return self.link is not None and self.link.holds


@dataclass(frozen=True)
class AnswerGrade:
    right: bool                             # the answer is one of the right orders
    position: int | None                    # 1-based position of the first item that breaks the chain
    reason: str
    links: tuple[LinkGrade, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- reading


def parse_exercises(text: str, path: str = "<input>") -> tuple[list[Exercise], list[m.SyntaxIssue]]:
    """Read an ordering file: its exercises and the problems found (never raises)."""
    lines = physical_lines(text.removeprefix("\ufeff"))   # every break str.splitlines knows ends a line
    errors: list[m.SyntaxIssue] = []
    sections: list[dict[str, Any]] = [_section("ordering exercise", 1, implicit=True)]
    declaration_text = list(lines)
    for number, raw in enumerate(lines, 1):
        content = raw.split("#", 1)[0]
        special = True
        if (match := _EXERCISE.match(content)) is not None:
            if sections[-1]["implicit"] and not sections[-1]["items"] and sections[-1]["answer"] is None:
                sections.pop()
            sections.append(_section(match.group(1) or f"exercise at line {number}", number))
        elif (match := _ITEM.match(content)) is not None:
            label, expr = match.group(1), _expression(match.group(2), number, errors)
            if label in sections[-1]["items"]:
                errors.append(_issue(number, f"item {label} is given twice"))
            elif expr is not None:
                sections[-1]["items"][label] = (" ".join(match.group(2).split()), expr)
        elif (match := _ANSWER.match(content)) is not None:
            sections[-1]["answer"] = (tuple(re.findall(r"\w+", match.group(1))), number)
        elif (match := _GOAL.match(content)) is not None:
            sections[-1]["goal"] = _goal(match.group(1), number, errors)
        else:
            special = False
        if special:
            declaration_text[number - 1] = ""
    source = parse_source("\n".join(declaration_text), path)
    errors += list(source.errors)
    for d in source.derivations:
        errors.append(_issue(d.span.line, "only declarations (use, param, dist, fun, depends, def) may stand"
                                          " outside items, goals and answers"))
    explicit = [s for s in sections if not s["implicit"]]
    first_header = explicit[0]["line"] if explicit else len(lines) + 1
    shared = tuple(d for d in source.declarations if d.span.line < first_header)
    exercises = []
    for index, s in enumerate(sections):
        following = sections[index + 1]["line"] if index + 1 < len(sections) else len(lines) + 1
        own = tuple(d for d in source.declarations if s["line"] <= d.span.line < following
                    and d.span.line >= first_header)
        problems: list[m.SyntaxIssue] = []
        build_context(shared + own, (), None, problems)
        errors += problems
        if not 2 <= len(s["items"]) <= MAX_ITEMS:
            errors.append(_issue(s["line"], f"an exercise needs between 2 and {MAX_ITEMS} items"
                                            f" (`item A: …`), found {len(s['items'])}"))
            continue
        labels = tuple(s["items"])
        answer, answer_line = s["answer"] if s["answer"] is not None else (None, 0)
        exercises.append(Exercise(s["title"], s["line"], labels, tuple(t for t, _ in s["items"].values()),
                                  tuple(e for _, e in s["items"].values()), s["goal"], shared + own,
                                  answer, answer_line))
    return exercises, sorted(errors, key=lambda e: (e.span.line, e.span.column))


def parse_answer(text: str) -> tuple[tuple[str, ...], int] | None:
    """The first ``answer: …`` line of a student's file: its labels and its line (None when there is none)."""
    for number, raw in enumerate(physical_lines(text), 1):
        match = _ANSWER.match(raw.split("#", 1)[0])
        if match is not None:
            return tuple(re.findall(r"\w+", match.group(1))), number
    return None


def _section(title: str, line: int, implicit: bool = False) -> dict[str, Any]:
    return {"title": title, "line": line, "implicit": implicit, "items": {}, "answer": None, "goal": None}


def _issue(line: int, message: str) -> m.SyntaxIssue:
    return m.SyntaxIssue(m.Span(line, 1, line, 2), message)


def _expression(text: str, line: int, errors: list[m.SyntaxIssue]) -> m.Expr | None:
    try:
        statement = parse_line(LogicalLine(text, line, line))
    except ParseFailure as failure:
        errors.append(failure.issue)
        return None
    if not isinstance(statement, m.ChainStart):
        errors.append(_issue(line, "an item is one expression"))
        return None
    return statement.expr


def _goal(text: str, line: int, errors: list[m.SyntaxIssue]) -> m.Goal | None:
    try:
        statement = parse_line(LogicalLine("goal " + text, line, line))
    except ParseFailure as failure:
        errors.append(failure.issue)
        return None
    return statement if isinstance(statement, m.Goal) else None


# --------------------------------------------------------------------------- solving


def solve(exercise: Exercise, options: Options, workers: int | None = None, total: float | None = None) -> Solution:
    """Every link, every chain, the right orders (each link in a time-limited worker; ``total``, when given,
    bounds all of them together: a link not decided by then is unknown)."""
    ctx = build_context(exercise.declarations, (), {})
    labels, exprs = exercise.labels, exercise.exprs
    pairs = list(itertools.combinations(range(len(labels)), 2))
    jobs: list[Callable[[], Any]] = [functools.partial(_pair, exprs[i], exprs[j], ctx, options) for i, j in pairs]
    if exercise.goal is not None:
        jobs.append(functools.partial(_goal_ends, exprs, exercise.goal, ctx))
    load_kernel()  # once, before the workers fork
    outputs = run_jobs(jobs, options.time_limit, workers, total=total)
    links: dict[tuple[str, str], Link] = {}
    for (i, j), output in zip(pairs, outputs):
        forward, backward = output if isinstance(output, tuple) else (_failed(output, options),) * 2
        links[labels[i], labels[j]] = forward
        links[labels[j], labels[i]] = backward
    start = end = None
    if exercise.goal is not None:
        ends = outputs[-1]
        if not isinstance(ends, list):
            return Solution(links, None, None, 0, (), None, "the goal could not be compared with the items in time")
        start = next((label for label, (lhs, _) in zip(labels, ends) if lhs), None)
        end = next((label for label, (_, rhs) in zip(labels, ends) if rhs), None)
        if start is None or end is None:
            side = "left" if start is None else "right"
            return Solution(links, start, end, 0, (), None, f"the goal's {side} side is none of the items"
                                                            " (write it as an item)")
    chains, right, size = _chains(labels, links, start, end)
    problem = "" if right else "no order of the items makes a chain of links that hold"
    return Solution(links, start, end, chains, right, size, problem)


def written_alike(a: m.Expr, b: m.Expr, ctx: Context) -> bool:
    """The same expression, or equal by the rule ``algebra`` alone (reordering, expanding, counting).

    Proved equality with every rule would be empty here: every expression of a
    valid chain equals every other.
    """
    if a == b:
        return True
    try:
        return prove_step(a, b, "=", ctx, frozenset({"algebra"})).proved
    except (RecursionError, MemoryError):
        raise
    except Exception:  # noqa: BLE001 - a failed proof is no proof
        return False


def _goal_ends(exprs: tuple[m.Expr, ...], goal: m.Goal, ctx: Context) -> list[tuple[bool, bool]]:
    """For each item: is it written like the goal's left side, like its right side?"""
    return [(written_alike(e, goal.lhs, ctx), written_alike(e, goal.rhs, ctx)) for e in exprs]


def _pair(x: m.Expr, y: m.Expr, ctx: Context, options: Options) -> tuple[Link, Link]:
    """Both directions of one pair of items (runs in a worker)."""
    forward = _link(check_step(m.Step(x, "=", y, None, m.NOWHERE), ctx, options))
    if not forward.holds:
        return forward, _link(check_step(m.Step(y, "=", x, None, m.NOWHERE), ctx, options))
    rules = smallest_rules(x, y, ctx) if forward.verdict == PROVED else None
    size = len(rules) if rules is not None else UNPROVED_SIZE
    link = Link(forward.verdict, rules or (), size, forward.message)
    return link, link


def _link(result: Any) -> Link:
    return Link(result.verdict, message=result.message, diagnosis=result.diagnosis,
                counterexample=result.counterexample)


def smallest_rules(x: m.Expr, y: m.Expr, ctx: Context) -> tuple[str, ...] | None:
    """The fewest rules (up to MAX_SEARCH, among those the full proof used) that prove ``x = y``."""
    full = prove_step(x, y, "=", ctx, None)
    if not full.proved:
        return None
    used = full.rules_used
    for size in range(min(len(used), MAX_SEARCH + 1)):
        for rules in itertools.combinations(used, size):
            if prove_step(x, y, "=", ctx, frozenset(rules)).proved:
                return rules
    return used


def _failed(output: Any, options: Options) -> Link:
    if isinstance(output, TimedOut):
        return Link(UNKNOWN, message=f"time limit of {options.time_limit:g} s exceeded")
    return Link(UNKNOWN, message=f"the check stopped: {getattr(output, 'message', output)}")


def _chains(labels: tuple[str, ...], links: dict[tuple[str, str], Link], start: str | None,
            end: str | None) -> tuple[int, tuple[tuple[str, ...], ...], int | None]:
    """Count the chains and keep those of least total size (a depth-first search over links that hold)."""
    found: list[tuple[int, tuple[str, ...]]] = []

    def extend(path: list[str], size: int) -> None:
        if len(path) == len(labels):
            if end is None or path[-1] == end:
                found.append((size, tuple(path)))
            return
        for label in labels:
            if label in path or label == end and len(path) < len(labels) - 1:
                continue
            link = links[path[-1], label]
            if link.holds:
                path.append(label)
                extend(path, size + (link.size or 0))
                path.pop()

    for first in ([start] if start is not None else labels):
        extend([first], 0)
    if not found:
        return 0, (), None
    best = min(size for size, _ in found)
    return len(found), tuple(path for size, path in found if size == best), best


# --------------------------------------------------------------------------- grading


def grade_answer(exercise: Exercise, solution: Solution, answer: tuple[str, ...]) -> AnswerGrade:
    """Right when the answer is one of the right orders, else the first position that breaks it and why
    (the module docstring); no right order is shown."""
    links = tuple(_link_grade(a, b, solution) for a, b in itertools.pairwise(answer))
    for position, label in enumerate(answer, 1):
        if label not in exercise.labels:
            return AnswerGrade(False, position, f"{label} is not an item (the items are"
                                                f" {', '.join(exercise.labels)})", links)
        if label in answer[:position - 1]:
            return AnswerGrade(False, position, f"{label} appears twice", links)
    missing = [label for label in exercise.labels if label not in answer]
    if missing:
        return AnswerGrade(False, len(answer) + 1, f"the answer leaves out {', '.join(missing)}", links)
    if exercise.goal is not None and (solution.start is None or solution.end is None):
        return AnswerGrade(False, None, solution.problem, links)  # the ends cannot be judged
    if answer in solution.right:
        return AnswerGrade(True, None, "", links)
    # the first position where no right order begins as the answer does (None when there is no right
    # order: an item is wrong), and the first where the answer is not even a chain (None when it is one);
    # the earlier breaks the answer, and at the same position the second says more
    prefix = None
    if solution.right:
        prefix = next(k for k in range(1, len(answer) + 1)
                      if not any(order[:k] == answer[:k] for order in solution.right))
    broken = _first_break(exercise, solution, answer)
    if broken is not None and (prefix is None or broken[0] <= prefix):
        return AnswerGrade(False, *broken, links)
    if prefix is None:          # a chain while no order is right: cannot happen (some chain has least size)
        return AnswerGrade(False, None, solution.problem, links)
    return AnswerGrade(False, prefix, _off_the_right_orders(solution, answer, prefix), links)


def _link_grade(a: str, b: str, solution: Solution) -> LinkGrade:
    on_path = any((a, b) in itertools.pairwise(order) for order in solution.right)
    return LinkGrade(a, b, solution.links.get((a, b)), on_path)


def _off_the_right_orders(solution: Solution, answer: tuple[str, ...], position: int) -> str:
    """Why a chain leaves every right order at ``position`` (every link before it holds)."""
    label = answer[position - 1]
    if position == 1:                       # with a goal the first item is the goal's left side: no goal here
        return f"no right order starts at {label}"
    before = answer[position - 2]
    link = solution.links[before, label]
    rules = ", ".join(link.rules) if link.rules else "as written"
    return (f"{before} → {label} holds ({rules}), but no right order goes this way:"
            " a step is skipped or taken backwards")


def _first_break(exercise: Exercise, solution: Solution, answer: tuple[str, ...]) -> tuple[int, str] | None:
    """The first position of a full answer that breaks the chain and why; None when it is a chain."""
    goal = exercise.goal
    if goal is not None and answer[0] != solution.start:
        return 1, f"{answer[0]} cannot come first: the chain starts at the goal's left side, {m.show(goal.lhs)}"
    for position in range(2, len(answer) + 1):
        before, label = answer[position - 2], answer[position - 1]
        link = solution.links[before, label]
        if not link.holds:
            why = f"{before} → {label} does not hold"
            if link.verdict == UNKNOWN:
                why = f"{before} → {label} could not be shown to hold ({link.message})"
            if link.diagnosis:
                why += f": {link.diagnosis['title']} (see `pgverify explain {link.diagnosis['name']}`)"
            return position, why
        if goal is not None and label == solution.end and position < len(answer):
            return position, (f"{label} is the goal's right side, {m.show(goal.rhs)}: the chain ends there,"
                              " so it comes last")
    if goal is not None and answer[-1] != solution.end:
        return len(answer), f"the chain ends at the goal's right side, {m.show(goal.rhs)}, not at {answer[-1]}"
    return None
