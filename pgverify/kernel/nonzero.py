"""Which divisions a proof may cancel through: the denominators of a step, each known nonzero or no proof.

sympy cancels ``x / x`` to 1 as soon as it builds the quotient, whatever x is; a
step such as ``∇_θ R(τ) / ∇_θ R(τ) = 1`` (zero over zero in every model) would then
be proved.  Before normalizing, the kernel asks here about every denominator of
both sides (the right side of a ``/`` and the base of a negative power): one that
normalizes to zero, or that is not known nonzero, means no proof.  Known nonzero
is: a nonzero number, or positive by the declarations (``terms.is_positive``: a
distribution's value, ``exp``, a sample count, sums and products of such), or
nonzero by sympy's assumptions, or a named real scalar (``β`` in ``r/β``: a step
that divides by a named constant assumes it nonzero, as a lecture note does; a
function's value or a gradient is never assumed so).  This is the kernel's one
test for division.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp  # type: ignore[import-untyped]

from .. import model as m
from .terms import Unsupported, is_positive

__all__ = ["unsafe_denominator"]


def denominators(e: m.Expr) -> list[m.Expr]:
    """Every expression ``e`` divides by: right sides of ``/`` and bases of negative powers."""
    out: list[m.Expr] = []
    for node in m.nodes(e):
        if isinstance(node, m.Div):
            out.append(node.right)
        elif isinstance(node, m.Pow) and (isinstance(node.exponent, m.Neg) or
                                          isinstance(node.exponent, m.Num) and node.exponent.value < 0):
            out.append(node.base)
    return out


def unsafe_denominator(sides: list[m.Expr], translate: Callable[[m.Expr], sp.Expr],
                       normalize: Callable[[sp.Expr], sp.Expr]) -> str | None:
    """The first denominator of ``sides`` not known nonzero, as words (None: every division is safe)."""
    for d in (d for side in sides for d in denominators(side)):
        if isinstance(d, m.Num) and d.value != 0:
            continue
        try:
            raw = translate(d)
            value = normalize(raw)
        except (Unsupported, TypeError, ValueError, RecursionError):
            return f"cannot tell whether {m.show(d)} is nonzero"
        if value == 0:
            return f"it divides by {m.show(d)}, which is zero"
        if _nonzero(raw) or _nonzero(value):
            continue
        return f"it divides by {m.show(d)}, which is not known to be nonzero"
    return None


def _nonzero(e: sp.Expr) -> bool:
    if e.is_Number:
        return e != 0
    if is_positive(e) or e.is_nonzero is True or isinstance(e, sp.Symbol):
        return True
    if isinstance(e, sp.Mul):
        return all(_nonzero(a) for a in e.args)
    if isinstance(e, sp.Pow):
        return _nonzero(e.base) or e.exp.is_positive is False and e.base.is_nonzero is True
    return False
