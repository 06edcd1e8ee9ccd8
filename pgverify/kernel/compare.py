"""Comparison of two normal forms: structural, then (with ``algebra``) sympy's algebra, then range alignment.

Every sum, product and gradient is frozen into an opaque symbol before sympy's
algebra sees it, so sympy never evaluates a sum with its own reversed-range
convention; ``exp(-x)`` is read as ``1/exp(x)``; sums whose ranges differ by a
few terms are aligned by peeling those terms off.
"""

from __future__ import annotations

import sympy as sp  # type: ignore[import-untyped]

from ..rules.base import ALGEBRAIC_COMPARISON
from .terms import MAX_UNROLL, Grad, Sum, Weight, canon, distribute, is_positive, outer, range_length, split_factors

__all__ = ["freeze", "same"]

def freeze(e: sp.Expr, table: dict[sp.Expr, sp.Symbol]) -> sp.Expr:
    """Replace sums, products, gradients and markers by opaque symbols (equal ones by the same)."""
    if isinstance(e, (sp.Sum, sp.Product, Grad, Weight, sp.Subs)):
        if e not in table:
            table[e] = sp.Symbol(f"⟦{len(table)}⟧", positive=True) if is_positive(e) else \
                sp.Symbol(f"⟦{len(table)}⟧", real=True)
        return table[e]
    if not e.args or isinstance(e, sp.Derivative):
        return e
    return e.func(*[freeze(a, table) for a in e.args])


def same(a: sp.Expr, b: sp.Expr, options: frozenset[str]) -> bool:
    """Are the two normal forms equal (structurally, or with ``algebra`` up to sympy's algebra)?"""
    if a == b:
        return True
    difference = a - b
    if difference == 0:
        return True
    if ALGEBRAIC_COMPARISON not in options:
        return False
    frozen = freeze(difference, {})
    expanded = sp.expand(frozen, power_base=False, log=False)
    if expanded == 0:
        return True
    try:
        rational = sp.expand(_positive_exponents(expanded), power_base=False, log=False)
        if rational == 0 or sp.cancel(sp.together(rational)) == 0:
            return True
    except (sp.PolynomialError, TypeError, ValueError, NotImplementedError):
        return False
    return _aligned_ranges(difference)


def _positive_exponents(e: sp.Expr) -> sp.Expr:
    """``exp(-x) -> 1/exp(x)``   so that ``exp(x)`` and ``exp(-x)`` are one generator for ``cancel``."""
    def flip(arg: sp.Expr) -> sp.Expr:
        return 1 / sp.exp(-arg) if arg.could_extract_minus_sign() else sp.exp(arg)
    return e.replace(lambda x: isinstance(x, sp.exp), lambda x: flip(x.args[0]))


def _aligned_ranges(difference: sp.Expr) -> bool:
    """``sum_{i=0}^{U} f = f(0) + sum_{i=0}^{U-1} f(i+1)``   [U ≥ 0]: peel first terms to match ranges."""
    sums = [s for s in difference.atoms(sp.Sum) if len(s.limits) == 1 and s.limits[0][0].is_integer
            and s.limits[0][1] == 0]
    if len(sums) < 2:
        return False
    uppers = {s.limits[0][2] for s in sums}
    lowest = None
    for u in uppers:
        if all((v - u).is_Integer and v - u >= 0 for v in uppers):
            lowest = u
    if lowest is None or (lowest + 1).is_nonnegative is not True:
        return False
    mapping = {}
    for s in sums:
        i, _, hi = s.limits[0]
        k = int(hi - lowest)
        if k == 0 or k > MAX_UNROLL:
            continue
        head = sp.Add(*[s.function.xreplace({i: sp.Integer(j)}) for j in range(k)])
        mapping[s] = head + Sum(s.function.xreplace({i: i + k}), (i, 0, lowest))
    if not mapping:
        return False
    peeled = difference.xreplace(mapping)
    table: dict[sp.Expr, sp.Symbol] = {}
    expanded = sp.expand(freeze(canon(_linear_sums(peeled)), table), power_base=False, log=False)
    return expanded == 0


def _linear_sums(e: sp.Expr) -> sp.Expr:
    """Split every sum over ``+`` and pull out factors free of its index (for range alignment)."""
    if not e.args or isinstance(e, (sp.Derivative, sp.Subs)):
        return e
    e = e.func(*[_linear_sums(a) for a in e.args])
    if isinstance(e, sp.Sum):
        body, i, lo, hi = outer(e)
        body = distribute(body, powers=True)
        out = []
        for term in sp.Add.make_args(body):
            const, dependent = split_factors(term, i)
            length = None if dependent else range_length(lo, hi)
            out.append(const * (length if length is not None else Sum(sp.Mul(*dependent), (i, lo, hi))))
        return sp.Add(*out)
    return e
