"""Comparing two computed values under a step's relation, with named tolerances.

Both sides of a step are computed exactly in a finite model, so the only
difference between two equal sides is floating-point rounding, far below
``EQUAL_TOLERANCE``.  Between the two tolerances the values are too close to
call, and that model gives no verdict: rounding never refutes a step, and a
real difference that small is not claimed to be equality either.
"""

from __future__ import annotations

# relative to 1 + |a| + |b|: at most this far apart, two values are equal.  Exact enumeration over the
# small models accumulates rounding error of order 1e-12, so this leaves ample headroom.
EQUAL_TOLERANCE = 1e-8
# relative to 1 + |a| + |b|: more than this far apart, two values clearly differ (a refutation)
DIFFER_TOLERANCE = 1e-6


def _scale(a: float, b: float) -> float:
    return 1.0 + abs(a) + abs(b)


def close(a: float, b: float) -> bool:
    """Whether ``a`` and ``b`` are equal up to rounding."""
    return abs(a - b) <= EQUAL_TOLERANCE * _scale(a, b)


def clearly_differ(a: float, b: float) -> bool:
    """Whether ``a`` and ``b`` differ by more than any rounding could explain."""
    return abs(a - b) > DIFFER_TOLERANCE * _scale(a, b)


def holds(relation: str, a: float, b: float) -> bool | None:
    """Whether ``a relation b`` holds: True/False when clear; None when too close to call."""
    if relation in ("=", "≈"):
        return True if close(a, b) else False if clearly_differ(a, b) else None
    if relation == "≤":
        return True if a <= b or close(a, b) else False if clearly_differ(a, b) else None
    if relation == "≥":
        return True if a >= b or close(a, b) else False if clearly_differ(a, b) else None
    return None
