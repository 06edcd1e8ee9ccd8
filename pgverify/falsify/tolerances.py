"""Comparing two computed values under a step's relation, with named tolerances.

Both sides of a step are computed exactly in a finite model, so the only
difference between two equal sides is floating-point rounding, below
``EQUAL_TOLERANCE``.  Between the two tolerances the values are too close to
call in floating point: the search evaluates that model again in high
precision (``holds_precisely``), so rounding never refutes a step and a real
difference as small as ``X = 1.000000001 X`` is not taken for equality.
"""

from __future__ import annotations

# relative to 1 + |a| + |b|: at most this far apart, two values are equal.  Exact enumeration over the
# small models accumulates rounding error of order 1e-14; a larger gap is decided in high precision.
EQUAL_TOLERANCE = 1e-11
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
    if relation == "<":
        return True if a < b and clearly_differ(a, b) else False if a >= b and clearly_differ(a, b) else None
    if relation == ">":
        return True if a > b and clearly_differ(a, b) else False if a <= b and clearly_differ(a, b) else None
    return None


# in high precision (a near tie evaluated again with mpmath), two values are equal when at most this far
# apart relative to 1 + |a| + |b|: what is left is the rounding of the few inputs that stay floats
PRECISE_TOLERANCE = 1e-13


def holds_precisely(relation: str, a: object, b: object) -> bool | None:
    """``a relation b`` for two high-precision values: decided unless the relation is not compared."""
    import mpmath  # a sympy dependency; loaded only for the rare near tie

    a, b = mpmath.mpf(a), mpmath.mpf(b)
    equal = abs(a - b) <= PRECISE_TOLERANCE * (1 + abs(a) + abs(b))
    if relation in ("=", "≈"):
        return bool(equal)
    if relation in ("≤", "<"):
        return bool(a < b) if relation == "<" else bool(a <= b or equal)
    if relation in ("≥", ">"):
        return bool(a > b) if relation == ">" else bool(a >= b or equal)
    return None
