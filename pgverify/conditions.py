"""The side-condition ledger: each cited rule's conditions, and whether they hold here.

Each condition of the catalogue carries its own predicate (``pgverify/rules/predicates.py``);
the ledger only asks them.  A condition is ``holds`` when pgverify can see it is true of this
step (a log of distributions is a log of positive numbers; a finite sum can be exchanged with
∇), ``violated`` when the declarations or the named mistake make it false (``depends P on θ``
before dropping ``∇_θ log P``; an action-dependent baseline), and ``assumed`` when it is taken
on trust (an integral exchanged with ∇: the models are finite, the notes' space may not be).
The ledger never changes a verdict.
"""

from __future__ import annotations

from . import model as m
from .model.records import finish, record
from .rules import is_rule, rule
from .rules.base import ASSUMED, HOLDS, VIOLATED, StepFacts
from .semantics import Context

__all__ = ["ASSUMED", "HOLDS", "VIOLATED", "Condition", "ledger"]


@record(slots=False)
class Condition:
    """One line of the ledger: a cited rule's condition and its status for this step."""

    rule: str
    text: str
    status: str
    note: str = ""


def ledger(rule_names: list[str], step: m.Step, ctx: Context, verdict: str,
           diagnosis: dict[str, str] | None) -> list[Condition]:
    """The conditions of every cited rule, each with its status for this step."""
    from .kernel import positive_by_declaration  # the one positivity test; sympy is loaded in the worker already

    facts = StepFacts(tuple(e for e in (step.previous, step.expr) if e is not None), ctx, verdict, diagnosis,
                      positive=lambda e: positive_by_declaration(e, ctx))
    out: list[Condition] = []
    for name in rule_names:
        if not is_rule(name):
            continue  # a lemma: its conditions are its own proof's
        for condition in rule(name).conditions:
            status, note = condition.check(facts)
            out.append(Condition(name, condition.text, status, note))
    return out


finish(__name__)   # the methods of this module's records, made at once (see model/records.py)
