"""A name for a refuted step that no catalogued mistake explains, found by comparing its two sides.

``diagnose`` asks here last.  Each candidate edits the student's line (or the
line before) in one small way and asks the random finite models whether the
step then holds; the first edit that repairs the step names the slip:

* ``sign-slip``: the whole right side, or one of its terms, with the other sign;
* ``extra-term`` / ``dropped-term``: a term of the right side that should not be
  there, or a term of the left side that went missing;
* ``extra-factor`` / ``missing-factor``: likewise for the factors of a product;
* ``wrong-exponent``: a power of the same base with another exponent on the left;
* ``wrong-bound``: an inequality that fails outright (no edit needed to say so);
* ``undefined``: a side with no value in any model (the search's ``undefined``);
* ``wrong-value``: none of these; the two sides simply differ.

Like every detector this only labels a step that is already refuted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from fractions import Fraction

from . import falsify
from . import model as m
from .rules.generic import GENERIC_MISTAKES
from .semantics import Context



def generic_mistake(lhs: m.Expr, rhs: m.Expr, relation: str, ctx: Context, seed: int,
                    deadline: float = float("inf")) -> dict[str, str]:
    """The generic slip that explains a refuted ``lhs relation rhs`` (``wrong-value`` when none does)."""
    if relation in ("≤", "≥", "<", ">"):
        return named("wrong-bound")
    wanted = "≈" if relation == "≈" else "="
    for name, left, right in _edits(lhs, rhs):
        if time.monotonic() > deadline:
            break
        try:
            if falsify.compare(left, right, wanted, ctx, seed, n_models=2, draws=1).status == "agree":
                return named(name)
        except (falsify.Unsupported, falsify.NameProblem, RecursionError, ArithmeticError):
            continue
    return named("wrong-value")


def named(name: str) -> dict[str, str]:
    """The generic mistake ``name`` as a diagnosis record."""
    entry = next(x for x in GENERIC_MISTAKES if x.name == name)
    return {"name": entry.name, "title": entry.title, "hint": entry.hint}


def _edits(lhs: m.Expr, rhs: m.Expr) -> Iterator[tuple[str, m.Expr, m.Expr]]:
    """One-edit repairs of the step, the most specific first (each a (name, left, right) to compare)."""
    yield "sign-slip", lhs, m.Neg(rhs)
    right_terms, left_terms = _terms(rhs), _terms(lhs)
    if len(right_terms) > 1:
        for k in range(len(right_terms)):
            flipped = [(not s, t) if j == k else (s, t) for j, (s, t) in enumerate(right_terms)]
            yield "sign-slip", lhs, _sum(flipped)
        for k in range(len(right_terms)):
            yield "extra-term", lhs, _sum(right_terms[:k] + right_terms[k + 1:])
    if len(left_terms) > 1:
        for k in range(len(left_terms)):
            yield "dropped-term", _sum(left_terms[:k] + left_terms[k + 1:]), rhs
    right_factors, left_factors = m.factors(rhs), m.factors(lhs)
    if len(right_factors) > 1:
        for k in range(len(right_factors)):
            yield "extra-factor", lhs, m.product(right_factors[:k] + right_factors[k + 1:])
    if len(left_factors) > 1:
        for k in range(len(left_factors)):
            yield "missing-factor", m.product(left_factors[:k] + left_factors[k + 1:]), rhs
    left_powers = [p for p in m.nodes(lhs) if isinstance(p, m.Pow)]
    for p in (p for p in m.nodes(rhs) if isinstance(p, m.Pow)):
        for q in left_powers:
            if q.base == p.base and q.exponent != p.exponent:
                yield "wrong-exponent", lhs, m.transform(rhs, lambda n, p=p, q=q: q if n == p else None)


def _terms(e: m.Expr, positive: bool = True) -> list[tuple[bool, m.Expr]]:
    """The terms of a sum with their signs (True: added)."""
    if isinstance(e, m.Add):
        return _terms(e.left, positive) + _terms(e.right, positive)
    if isinstance(e, m.Sub):
        return _terms(e.left, positive) + _terms(e.right, not positive)
    if isinstance(e, m.Neg):
        return _terms(e.operand, not positive)
    return [(positive, e)]


def _sum(terms: list[tuple[bool, m.Expr]]) -> m.Expr:
    if not terms:
        return m.Num(Fraction(0))
    positive, first = terms[0]
    out: m.Expr = first if positive else m.Neg(first)
    for positive, t in terms[1:]:
        out = m.Add(out, t) if positive else m.Sub(out, t)
    return out
