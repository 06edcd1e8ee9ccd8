"""Name the mistake behind a refuted step (mal-rules).

Each detector knows one classic mistake of the misconception catalogue; both
live with the rule the mistake misuses, in ``pgverify/rules/<family>.py``,
and this module discovers them there (``detectors()``, by rank).  A detector either *produces* the wrong step
— applies the faulty rewrite to the previous line and asks whether the
result equals what the student wrote — or *repairs* it — applies the fix to
the student's line and asks whether the step then holds.  "Equals" is decided
by the same random finite models as the verdict, so a detector matches
whatever valid rewriting the student did alongside the mistake.  Detectors
only ever label a step that is already refuted: they never change a verdict.
"""

from __future__ import annotations

import time

from . import falsify
from . import model as m
from .rules import MISCONCEPTIONS, is_rule, misconception, misconceptions_for, rule
from .rules.mistakes import Detector, unfold
from .mismatch import generic_mistake
from .semantics import Context


def diagnose(lhs: m.Expr, rhs: m.Expr, relation: str, ctx: Context, seed: int,
             deadline: float = float("inf"), cited: tuple[str, ...] = ()) -> dict[str, str] | None:
    """The first catalogued mistake that explains ``lhs rel rhs``, as {"name", "title", "hint"}; else a generic one.

    Detectors of mistakes with the rules the step cites go first, as an instructor reads a step through
    its justification; when none of them matches but a cited rule has exactly one catalogued mistake,
    that one (the mistake the rule is primarily misused by) is named.  Stops looking at ``deadline`` (a ``time.monotonic()`` value): a diagnosis is a
    courtesy, the verdict must not wait for it.
    """
    unfolded = unfold(lhs, ctx)
    ordered = detectors()
    related = [(n, d) for n, d in ordered if set(misconception(n).rules) & set(cited)]
    others = [(n, d) for n, d in ordered if (n, d) not in related]
    found = _first_match(related, lhs, unfolded, rhs, relation, ctx, seed, deadline)
    if found is None:
        for rule_name in cited:
            primary = [x for x in misconceptions_for(rule_name) if x.rules[0] == rule_name]
            if is_rule(rule_name) and rule(rule_name).names_its_one_mistake and len(primary) == 1:
                found = primary[0].name
                break
    if found is None:
        found = _first_match(others, lhs, unfolded, rhs, relation, ctx, seed, deadline)
    if found is None:
        # no catalogued mistake: a generic slip found by comparing the sides (never nameless)
        return generic_mistake(lhs, rhs, relation, ctx, seed, deadline)
    entry = misconception(found)
    return {"name": entry.name, "title": entry.title, "hint": entry.hint}


def _first_match(candidates: list[tuple[str, Detector]], lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr,
                 relation: str, ctx: Context, seed: int, deadline: float) -> str | None:
    for name, detector in candidates:
        for left, right, context in detector(lhs, unfolded, rhs, relation, ctx):
            if time.monotonic() > deadline:
                return None
            try:
                matched = _agree(left, right, "≈" if relation == "≈" else "=", context, seed)
            except (falsify.Unsupported, falsify.NameProblem, RecursionError, ArithmeticError):
                continue
            if matched:
                return name
    return None


def _agree(a: m.Expr, b: m.Expr, relation: str, ctx: Context, seed: int) -> bool:
    return falsify.compare(a, b, relation, ctx, seed, n_models=2, draws=1).status == "agree"


def detectors() -> list[tuple[str, Detector]]:
    """Every detector of the catalogue with the misconception it names, most specific (lowest rank) first."""
    return [(entry.name, d) for entry in sorted(MISCONCEPTIONS, key=lambda x: x.rank) for d in entry.detectors]
