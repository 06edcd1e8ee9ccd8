"""The side-condition ledger: each cited rule's conditions, and whether they hold here.

A condition is ``holds`` when pgverify can see it is true of this step (a log
of distributions is a log of positive numbers; a finite sum can be exchanged
with ∇), ``violated`` when the declarations make it false (``depends P on θ``
before dropping ``∇_θ log P``; an action-dependent baseline), and
``assumed`` when it is taken on trust (an integral exchanged with ∇: the
models are finite, the notes' space may not be).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import model as m
from .model import nodes
from .rules import lookup
from .semantics import Context

HOLDS, ASSUMED, VIOLATED = "holds", "assumed", "violated"

# the misconceptions that break a rule's condition, by rule: (mistakes, a word of the condition they break)
_VIOLATED_BY = {
    "theta-independence": ({"theta-dependent-term-treated-as-independent", "policy-term-dropped-instead-of-dynamics",
                            "eglp-applied-pointwise"}, "θ"),
    "baseline": ({"action-dependent-baseline"}, "action"),
    "exchange": ({"gradient-inside-theta-dependent-expectation", "gradient-outside-with-log-prob"}, "distribution"),
    "eglp": ({"eglp-applied-pointwise"}, "distribution"),
}


@dataclass(frozen=True)
class Condition:
    rule: str
    text: str
    status: str
    note: str = ""


def ledger(rule_names: list[str], step: m.Step, ctx: Context, verdict: str,
           diagnosis: dict[str, str] | None) -> list[Condition]:
    """The conditions of every cited rule, each with its status for this step."""
    out: list[Condition] = []
    exprs = [e for e in (step.previous, step.expr) if e is not None]
    for name in rule_names:
        rule = lookup(name)
        if rule is None or rule.name != name:
            continue  # a lemma: its conditions are its own proof's
        for text in rule.conditions:
            status, note = _status(name, text, exprs, ctx, verdict, diagnosis)
            out.append(Condition(name, text, status, note))
    return out


def _status(rule: str, text: str, exprs: list[m.Expr], ctx: Context, verdict: str,
            diagnosis: dict[str, str] | None) -> tuple[str, str]:
    lowered = text.lower()
    if rule == "theta-independence" and verdict == "refuted" and ctx.depends:
        declared = ", ".join(f"`depends {k} on {', '.join(sorted(v))}`" for k, v in sorted(ctx.depends.items()))
        return VIOLATED, f"the declarations say otherwise: {declared}"
    mistakes, word = _VIOLATED_BY.get(rule, (set(), ""))
    if diagnosis and diagnosis["name"] in mistakes and word in text:
        return VIOLATED, diagnosis["title"]
    if "nonzero" in lowered:
        divisors = [n.right for e in exprs for n in nodes(e) if isinstance(n, m.Div)]
        if all(_positive(d, ctx) or isinstance(d, m.Num) and d.value != 0 for d in divisors):
            return HOLDS, "every divisor here is a nonzero number, a probability or a positive function"
        return ASSUMED, "a divisor here is not declared nonzero"
    if "infinite" in lowered or "integral" in lowered:
        if any(isinstance(n, m.BigOp) and n.integral for e in exprs for n in nodes(e)):
            return ASSUMED, "an integral is exchanged with ∇: checked on finite spaces only"
        return HOLDS, "every sum here is finite"
    if "finite" in lowered or "support" in lowered:
        return HOLDS, "finite spaces; every distribution is positive everywhere, whatever θ"
    if "positive" in lowered or "> 0" in lowered:
        logs = [n.arg for e in exprs for n in nodes(e) if isinstance(n, m.Func) and n.name == "log"]
        if all(_positive(a, ctx) for a in logs):
            return HOLDS, "every log here is of a probability or a positive function"
        return ASSUMED, "some log here is of a quantity not declared positive"
    if verdict in ("proved", "checked"):
        return HOLDS, ""
    return ASSUMED, ""


def _positive(e: m.Expr, ctx: Context) -> bool:
    """Whether ``e`` is positive by declaration: the kernel's one test (loaded with sympy, already in the worker)."""
    from .kernel import positive_by_declaration

    return positive_by_declaration(e, ctx)
