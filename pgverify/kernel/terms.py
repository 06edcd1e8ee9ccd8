"""The kernel's expression vocabulary: its sympy node types and the small pure helpers every layer uses.

Nothing here knows a rule.  :func:`is_positive` is the one positivity test of
pgverify (``conditions`` asks it too, through :func:`positive_by_declaration`).
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp  # type: ignore[import-untyped]
from sympy.core.function import AppliedUndef  # type: ignore[import-untyped]

from ..model.records import finish, record

__all__ = [
    "MAX_UNROLL", "Grad", "Product", "Proof", "Sum", "Unsupported", "Weight", "canon", "distribute", "free_of",
    "is_positive", "outer", "range_length", "rebuild_bigop", "split_factors",
]

MAX_UNROLL = 30         # terms of a sum with number bounds that are written out


@record(slots=False)
class Proof:
    """The outcome of :func:`prove`."""

    proved: bool
    reason: str = ""                    # when not proved: why
    rules_used: tuple[str, ...] = ()    # rule families the successful normalization used


class Unsupported(Exception):
    """A construct the symbolic engine does not translate."""


# ------------------------------------------------------------------ sympy node types


class Grad(sp.Function):
    """``∇_θ X``, unevaluated: ``Grad(X, θ)``.  Only the normalizer moves it inward."""

    nargs = 2

    @classmethod
    def eval(cls, *args):
        return None

    def _eval_is_real(self):
        return True

    def _sympystr(self, printer):
        return f"∇_{printer._print(self.args[1])}({printer._print(self.args[0])})"


class Weight(sp.Function):
    """``E(p)``: the identity, marking a probability that came from ``E_{x~p}[…]``."""

    nargs = 1

    @classmethod
    def eval(cls, *args):
        return None

    def _eval_is_real(self):
        return True

    def _eval_is_positive(self):
        return is_positive(self.args[0]) or None

    def _sympystr(self, printer):
        return f"𝔼w({printer._print(self.args[0])})"


class Sum(sp.Sum):
    """sympy's ``Sum`` without the ``piecewise_fold`` its constructor runs (the language has no
    Piecewise); nested sums are merged into one with several limits, as sympy does."""

    def __new__(cls, function, *limits):
        return _lean_bigop(cls, function, limits)


class Product(sp.Product):
    """sympy's ``Product``, built like :class:`Sum`."""

    def __new__(cls, function, *limits):
        return _lean_bigop(cls, function, limits)


def _lean_bigop(cls: type, function, limits: tuple) -> sp.Expr:
    function = sp.sympify(function)
    bounds = [sp.Tuple(*limit) for limit in limits]
    if any(len(b) != 3 for b in bounds):
        raise ValueError("a sum needs an index, a lower and an upper bound")
    while type(function) is cls:
        nested: sp.Sum = function
        bounds = list(nested.limits) + bounds
        function = nested.function
    obj = sp.Expr.__new__(cls)
    obj._args = (function, *bounds)
    obj.is_commutative = function.is_commutative
    return obj


# ------------------------------------------------------------------ small predicates


def is_positive(e: sp.Expr) -> bool:
    """Is ``e`` positive wherever it is defined (known from declarations, not from values)?"""
    if e.is_Number:
        return bool(e > 0)
    if isinstance(e, (sp.Symbol, AppliedUndef)):
        return e.is_positive is True
    if isinstance(e, Weight):
        return is_positive(e.args[0])
    if isinstance(e, sp.exp):
        return True   # every value of the language is real
    if isinstance(e, (sp.Mul, sp.Add)):
        return all(is_positive(a) for a in e.args)
    if isinstance(e, sp.Pow):
        return is_positive(e.base)
    if isinstance(e, sp.Sum):
        body, _, lo, hi = outer(e)
        return is_positive(body) and (hi - lo + 1).is_positive is True
    if isinstance(e, sp.Product):
        return is_positive(e.function)
    return False


def free_of(e: sp.Expr, sym: sp.Symbol) -> bool:
    """Does ``sym`` not occur free in ``e``?"""
    return sym not in e.free_symbols


def outer(e: sp.Expr) -> tuple[sp.Expr, sp.Symbol, sp.Expr, sp.Expr]:
    """A sum or product as ``(body, index, lo, hi)`` of its outermost limit.

    sympy merges nested sums into one with several limits (innermost first);
    every rule reads such a sum as nested sums through this view.
    """
    *inner, (i, lo, hi) = e.limits
    body = type(e)(e.function, *inner) if inner else e.function
    return body, i, lo, hi


def range_length(lo: sp.Expr, hi: sp.Expr) -> sp.Expr | None:
    """``hi - lo + 1`` when it is known to be ≥ 0 (the number of terms), else None."""
    n = hi - lo + 1
    return n if n.is_nonnegative is True else None


def rebuild_bigop(e: sp.Expr, body: sp.Expr, limits: tuple) -> sp.Expr:
    """A sum or product like ``e`` with another body and limits."""
    return type(e)(body, limits)


@lru_cache(maxsize=8192)
def canon(e: sp.Expr, prefix: str = "ι") -> sp.Expr:
    """Rename bound variables by nesting depth (``ι0``, ``ι1`` …) so equal sums compare equal."""
    if not e.has(sp.Sum, sp.Product):
        return e
    return _rename_depth(e, 0, prefix)


def _rename_depth(e: sp.Expr, depth: int, prefix: str) -> sp.Expr:
    if not e.args or isinstance(e, (sp.Derivative, sp.Subs)):
        return e
    if isinstance(e, (sp.Sum, sp.Product)):
        body, i, lo, hi = outer(e)
        new = sp.Symbol(f"{prefix}{depth}", integer=True) if i.is_integer else sp.Symbol(f"{prefix}{depth}")
        if new != i:
            if body.has(new):      # a stale name inside: step through a fresh one, so nothing is captured
                fresh = sp.Dummy(integer=True) if i.is_integer else sp.Dummy()
                body = _rename_depth(body.xreplace({i: fresh}), depth + 1, prefix).xreplace({fresh: new})
            else:
                body = _rename_depth(body.xreplace({i: new}), depth + 1, prefix)
        else:
            body = _rename_depth(body, depth + 1, prefix)
        return type(e)(body, (new, _rename_depth(lo, depth, prefix), _rename_depth(hi, depth, prefix)))
    return e.func(*[_rename_depth(a, depth, prefix) for a in e.args])


def distribute(body: sp.Expr, powers: bool) -> sp.Expr:
    """``a (b + c) -> a b + a c`` at the top of ``body``; with ``powers`` also ``x^(a+b) -> x^a x^b``."""
    if powers:
        body = sp.Mul(*[sp.expand_power_exp(f, deep=False) for f in sp.Mul.make_args(body)])
        return sp.expand(body, deep=False, mul=True, multinomial=True, power_exp=False, power_base=False,
                         log=False, basic=False)
    return sp.expand_mul(body, deep=False)


def split_factors(body: sp.Expr, index: sp.Symbol) -> tuple[sp.Expr, list[sp.Expr]]:
    """A product as (the factors free of ``index``, multiplied; the others)."""
    const: list[sp.Expr] = []
    dependent: list[sp.Expr] = []
    for f in sp.Mul.make_args(body):
        (dependent if index in f.free_symbols else const).append(f)
    return sp.Mul(*const), dependent


finish(__name__)   # the methods of this module's records, made at once (see model/records.py)
