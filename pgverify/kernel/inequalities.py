"""Inequalities the kernel proves: ``a ≤ b`` (``<``, ``≥``, ``>``) when ``b - a`` is shown nonnegative (positive).

Both sides are normalized as for an equality; the difference is then read
term by term, with only these facts (each true in every finite model of the
declarations):

* a number's sign is its sign;
* a value positive by the declarations (``terms.is_positive``: a distribution's
  value, ``exp``, a sample count, …) is positive, and a square (an even power) is
  nonnegative;
* a sum, product or quotient of nonnegative terms is nonnegative; a sum (or
  expectation) over a range of nonnegative terms is nonnegative, an empty range
  giving 0 (the language's convention), so sums and expectations of termwise
  inequalities follow once the two sums are merged over the same range;
* ``log`` and ``exp`` are increasing: ``log A ≤ log B`` when ``0 < A ≤ B``.

Nothing else is assumed: Jensen, Cauchy–Schwarz and the entropy bounds are
left to the numeric models (``checked``), never guessed.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp  # type: ignore[import-untyped]

from .terms import Proof, Weight, is_positive

__all__ = ["prove_inequality"]

_FLIP = {"≥": "≤", ">": "<"}


def prove_inequality(a: sp.Expr, b: sp.Expr, relation: str, normalize: Callable[[sp.Expr], sp.Expr]) -> Proof:
    """``a relation b`` for normalized sides; ``normalize`` re-normalizes a merged difference."""
    if relation in _FLIP:
        a, b, relation = b, a, _FLIP[relation]
    strict = relation == "<"
    if _monotone(a, b, strict, normalize):
        return Proof(True, rules_used=("algebra",))
    difference = _merge_sums(sp.expand(b - a, power_base=False, log=False, mul=True, multinomial=False))
    if (_positive(difference) if strict else _nonnegative(difference)):
        return Proof(True, rules_used=("algebra",))
    return Proof(False, "the difference of the two sides is not shown " + ("positive" if strict else "nonnegative"))


def _monotone(a: sp.Expr, b: sp.Expr, strict: bool, normalize: Callable[[sp.Expr], sp.Expr]) -> bool:
    """``log A ≤ log B`` from ``0 < A ≤ B`` and ``exp A ≤ exp B`` from ``A ≤ B``."""
    if isinstance(a, sp.log) and isinstance(b, sp.log) and is_positive(a.args[0]):
        return prove_inequality(a.args[0], b.args[0], "<" if strict else "≤", normalize).proved
    if isinstance(a, sp.exp) and isinstance(b, sp.exp):
        return prove_inequality(a.args[0], b.args[0], "<" if strict else "≤", normalize).proved
    return False


def _merge_sums(e: sp.Expr) -> sp.Expr:
    """``Σ_i f - Σ_i g`` as ``Σ_i (f - g)`` for sums over the same range (so termwise facts apply)."""
    groups: dict[tuple, list[sp.Expr]] = {}
    rest: list[sp.Expr] = []
    for term in sp.Add.make_args(e):
        coefficient, body = term.as_independent(sp.Sum, as_Add=False)
        if isinstance(body, sp.Sum) and coefficient.is_Number:
            groups.setdefault(body.limits, []).append(coefficient * body.function)
        else:
            rest.append(term)
    merged = [sp.Sum(_merge_sums(sp.expand(sp.Add(*bodies), power_base=False, log=False)), *limits)
              for limits, bodies in groups.items()]
    return sp.Add(*(rest + merged))


def _nonnegative(e: sp.Expr) -> bool:
    if e.is_Number:
        return bool(e >= 0)
    if is_positive(e) or e.is_nonnegative is True:
        return True
    if isinstance(e, sp.Add):
        return all(_nonnegative(x) for x in e.args)
    if isinstance(e, sp.Mul):
        return all(_nonnegative(x) for x in e.args)
    if isinstance(e, sp.Pow):
        if e.exp.is_Integer and e.exp % 2 == 0:
            return True
        return _nonnegative(e.base) and (e.exp.is_Integer and e.exp > 0 or _positive(e.base))
    if isinstance(e, sp.Sum):
        return _nonnegative(e.function)          # an empty range gives 0
    if isinstance(e, Weight):
        return True
    return False


def _positive(e: sp.Expr) -> bool:
    if e.is_Number:
        return bool(e > 0)
    if is_positive(e) or e.is_positive is True:
        return True
    if isinstance(e, sp.Add):
        return all(_nonnegative(x) for x in e.args) and any(_positive(x) for x in e.args)
    if isinstance(e, sp.Mul):
        return all(_positive(x) for x in e.args)
    if isinstance(e, sp.Pow):
        return _positive(e.base)
    return False
