"""The predicates that decide a rule's side conditions for one step (each ``StepFacts -> (status, note)``).

A rule lists its conditions as :class:`~pgverify.rules.base.Condition` entries: the words a
report shows and one of these predicates.  A predicate answers ``holds`` when pgverify can see
the condition is true of this step, ``violated`` when the declarations or the named mistake
make it false, and ``assumed`` when it is taken on trust.  Nothing here changes a verdict.
"""

from __future__ import annotations

from collections.abc import Iterable

from pgverify import model as m
from pgverify.model import nodes
from pgverify.rules.base import ASSUMED, HOLDS, VIOLATED, ConditionCheck, StepFacts

__all__ = [
    "by_verdict", "divisors_nonzero", "finite_spaces", "integrals_assumed", "logs_of_positive_values",
    "unless_declared_theta_dependent", "unless_diagnosed",
]


def _positive(e: m.Expr, facts: StepFacts) -> bool:
    """pgverify's one positivity test (the kernel's, handed in by the ledger)."""
    return facts.positive(e)


def _all_nodes(facts: StepFacts) -> Iterable[m.Expr]:
    for e in facts.exprs:
        yield from nodes(e)


def by_verdict(facts: StepFacts) -> tuple[str, str]:
    """Holds when the step is valid (the condition is part of what was shown), else assumed."""
    return (HOLDS, "") if facts.verdict in ("proved", "checked") else (ASSUMED, "")


def divisors_nonzero(facts: StepFacts) -> tuple[str, str]:
    """Every divisor is a nonzero number or positive by declaration."""
    divisors = [n.right for n in _all_nodes(facts) if isinstance(n, m.Div)]
    if all(_positive(d, facts) or isinstance(d, m.Num) and d.value != 0 for d in divisors):
        return HOLDS, "every divisor here is a nonzero number, a probability or a positive function"
    return ASSUMED, "a divisor here is not declared nonzero"


def integrals_assumed(facts: StepFacts) -> tuple[str, str]:
    """Exchanging ∇ with an integral is taken on trust (the models are finite); finite sums hold."""
    if any(isinstance(n, m.BigOp) and n.integral for n in _all_nodes(facts)):
        return ASSUMED, "an integral is exchanged with ∇: checked on finite spaces only"
    return HOLDS, "every sum here is finite"


def finite_spaces(facts: StepFacts) -> tuple[str, str]:
    """Holds in pgverify's semantics: every space is finite and every distribution positive everywhere."""
    return HOLDS, "finite spaces; every distribution is positive everywhere, whatever θ"


def logs_of_positive_values(facts: StepFacts) -> tuple[str, str]:
    """Every log in the step is of a quantity positive by declaration."""
    logs = [n.arg for n in _all_nodes(facts) if isinstance(n, m.Func) and n.name == "log"]
    if all(_positive(a, facts) for a in logs):
        return HOLDS, "every log here is of a probability or a positive function"
    return ASSUMED, "some log here is of a quantity not declared positive"


def unless_diagnosed(mistakes: Iterable[str], otherwise: ConditionCheck) -> ConditionCheck:
    """Violated when the diagnosis named one of ``mistakes`` (each breaks this condition), else ``otherwise``."""
    names = frozenset(mistakes)

    def check(facts: StepFacts) -> tuple[str, str]:
        if facts.diagnosis and facts.diagnosis["name"] in names:
            return VIOLATED, facts.diagnosis["title"]
        return otherwise(facts)

    check.mistakes = names  # type: ignore[attr-defined]  # read by the catalogue meta-tests
    check.__doc__ = f"violated by {', '.join(sorted(names))}; otherwise: {otherwise.__doc__}"
    return check


def unless_declared_theta_dependent(otherwise: ConditionCheck) -> ConditionCheck:
    """Violated when a refuted step's file declares something θ-dependent (``depends P on θ``), else ``otherwise``."""

    def check(facts: StepFacts) -> tuple[str, str]:
        if facts.verdict == "refuted" and facts.ctx.depends:
            declared = ", ".join(f"`depends {k} on {', '.join(sorted(v))}`"
                                 for k, v in sorted(facts.ctx.depends.items()))
            return VIOLATED, f"the declarations say otherwise: {declared}"
        return otherwise(facts)

    check.__doc__ = f"violated by a `depends … on θ` declaration; otherwise: {otherwise.__doc__}"
    return check
