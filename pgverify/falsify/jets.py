"""Truncated Taylor series ("jets") for exact derivatives in the numeric models.

A parameter θ is evaluated as the jet ``θ0 + ε`` (coefficients ``[θ0, 1]``,
longer when gradients nest), so every value carries its Taylor coefficients
in θ and ``∇_θ`` reads them off: no finite differences, no step size.
Several parameters nest: each jet is tagged with its parameter's rank and
the coefficients of an outer jet may be inner jets (nested forward mode).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Union

Value = Union[float, "Jet"]


class Undefined(ArithmeticError):
    """A value outside the domain: log of a non-positive number, division by zero."""


class Jet:
    __slots__ = ("var", "c")

    def __init__(self, var: int, coefficients: list[Value]):
        self.var = var
        self.c = coefficients

    def __repr__(self) -> str:
        return f"Jet({self.var}, {self.c!r})"


def make(var: int, value: float, order: int) -> Value:
    """The jet of a parameter: value + ε, truncated after ``order`` derivatives."""
    if order <= 0:
        return value
    return Jet(var, [value, 1.0] + [0.0] * (order - 1))


def _jet(var: int, c: list[Value]) -> Value:
    return c[0] if len(c) == 1 else Jet(var, c)


def _split(a: Value, b: Value) -> tuple[int, list[Value], list[Value]] | None:
    """Align two values: the outer variable and both coefficient lists (None when both are plain)."""
    ja, jb = isinstance(a, Jet), isinstance(b, Jet)
    if not ja and not jb:
        return None
    if ja and jb and a.var == b.var:
        return a.var, a.c, b.c
    if ja and (not jb or a.var < b.var):
        return a.var, a.c, [b]
    return b.var, [a], b.c


def _floats(c: list[Value]) -> bool:
    for x in c:
        if type(x) is not float:
            return False
    return True


def add(a: Value, b: Value) -> Value:
    if type(a) is Jet and type(b) is Jet and a.var == b.var:
        ca, cb = a.c, b.c
        if len(ca) > 1 and len(cb) > 1 and _floats(ca) and _floats(cb):
            # two jets of one parameter with plain coefficients: the general case below, term by term
            return _jet(a.var, [x + y for x, y in zip(ca, cb)])
    s = _split(a, b)
    if s is None:
        return a + b  # type: ignore[operator]
    var, ca, cb = s
    if len(ca) == 1:
        return _jet(var, [add(ca[0], cb[0])] + cb[1:])
    if len(cb) == 1:
        return _jet(var, [add(ca[0], cb[0])] + ca[1:])
    n = min(len(ca), len(cb))
    return _jet(var, [add(ca[i], cb[i]) for i in range(n)])


def neg(a: Value) -> Value:
    if isinstance(a, Jet):
        return Jet(a.var, [neg(x) for x in a.c])
    return -a


def sub(a: Value, b: Value) -> Value:
    return add(a, neg(b))


def mul(a: Value, b: Value) -> Value:
    # a jet times a plain number (the common case), coefficient by coefficient: what the general case
    # below does for it, without aligning the two first
    if type(b) is not Jet and type(a) is Jet:
        c = a.c
        if len(c) == 1:
            return mul(c[0], b)
        return Jet(a.var, [x * b if type(x) is not Jet else mul(x, b) for x in c])
    if type(a) is not Jet and type(b) is Jet:
        c = b.c
        if len(c) == 1:
            return mul(a, c[0])
        return Jet(b.var, [a * x if type(x) is not Jet else mul(a, x) for x in c])
    if type(a) is Jet and type(b) is Jet and a.var == b.var:
        ca, cb = a.c, b.c
        if len(ca) > 1 and len(cb) > 1 and _floats(ca) and _floats(cb):
            # two jets of one parameter with plain coefficients: the Cauchy product below, with the same
            # operations in the same order (each coefficient summed from 0.0, lowest j first)
            out0: list[Value] = []
            for k in range(min(len(ca), len(cb))):
                total = 0.0
                for j in range(k + 1):
                    total = total + ca[j] * cb[k - j]
                out0.append(total)
            return _jet(a.var, out0)
    s = _split(a, b)
    if s is None:
        return a * b  # type: ignore[operator]
    var, ca, cb = s
    if len(ca) == 1:
        return _jet(var, [mul(ca[0], x) for x in cb])
    if len(cb) == 1:
        return _jet(var, [mul(x, cb[0]) for x in ca])
    n = min(len(ca), len(cb))
    out: list[Value] = []
    for k in range(n):
        acc: Value = 0.0
        for j in range(k + 1):
            acc = add(acc, mul(ca[j], cb[k - j]))
        out.append(acc)
    return _jet(var, out)


def scale(a: Value, k: float) -> Value:
    return mul(a, k)


def div(a: Value, b: Value) -> Value:
    if not isinstance(b, Jet):
        if value(b) == 0.0:
            raise Undefined("division by zero")
        if not isinstance(a, Jet):
            return a / b  # type: ignore[operator]
    s = _split(a, b)
    assert s is not None
    var, ca, cb = s
    if len(cb) == 1:
        return _jet(var, [div(x, cb[0]) for x in ca])
    if value(cb[0]) == 0.0:
        raise Undefined("division by zero")
    n = len(cb) if len(ca) == 1 else min(len(ca), len(cb))
    ca = ca + [0.0] * (n - len(ca))
    q: list[Value] = []
    for k in range(n):
        acc = ca[k]
        for j in range(1, k + 1):
            acc = sub(acc, mul(cb[j], q[k - j]))
        q.append(div(acc, cb[0]))
    return _jet(var, q)


def exp(a: Value) -> Value:
    if not isinstance(a, Jet):
        try:
            return math.exp(a)
        except OverflowError:
            raise Undefined("exp overflows") from None
    c = a.c
    e: list[Value] = [exp(c[0])]
    for k in range(1, len(c)):
        acc: Value = 0.0
        for j in range(1, k + 1):
            acc = add(acc, mul(scale(c[j], j), e[k - j]))
        e.append(scale(acc, 1.0 / k))
    return Jet(a.var, e)


def log(a: Value) -> Value:
    if not isinstance(a, Jet):
        if a <= 0.0:
            raise Undefined("log of a non-positive number")
        return math.log(a)
    c = a.c
    out: list[Value] = [log(c[0])]
    for k in range(1, len(c)):
        acc: Value = c[k]
        for j in range(1, k):
            acc = sub(acc, scale(mul(out[j], c[k - j]), j / k))
        out.append(div(acc, c[0]))
    return Jet(a.var, out)


def power(a: Value, b: Value) -> Value:
    """a^b; integer exponents by repeated products (so negative bases work)."""
    if not isinstance(b, Jet):
        if float(b).is_integer() and abs(b) <= 64:
            n = int(b)
            result: Value = 1.0
            base = a
            for _ in range(abs(n)):
                result = mul(result, base)
            return div(1.0, result) if n < 0 else result
        if not isinstance(a, Jet):
            if a < 0.0 or (a == 0.0 and b < 0):
                raise Undefined("a power of a negative number")
            try:
                return a ** b
            except OverflowError:
                raise Undefined("a power overflows") from None
        if value(a) <= 0.0:
            raise Undefined("a power of a non-positive number")
    return exp(mul(b, log(a)))


def derivative(a: Value, var: int) -> Value:
    """d/dθ of a jet, θ being the parameter of rank ``var``."""
    if not isinstance(a, Jet):
        return 0.0
    if a.var == var:
        return _jet(var, [scale(a.c[k], k) for k in range(1, len(a.c))]) if len(a.c) > 1 else 0.0
    if a.var < var:
        return _jet(a.var, [derivative(x, var) for x in a.c])
    return 0.0


# --------------------------------------------------------------------------- high precision


@contextmanager
def precise(digits: int = 40) -> Iterator[None]:
    """Within the block, exp, log, powers and divisions of plain numbers are computed with mpmath.

    Values then become mpmath numbers and carry ``digits`` significant digits through every later
    operation, so a near tie can be decided.  The module's functions are swapped, so the ordinary
    (float) path pays nothing; swapping is serialised, and a thread that computes more precisely for a
    moment computes the same values.
    """
    import mpmath

    global exp, log, div, power
    with _PRECISE_LOCK:
        saved = exp, log, div, power
        with mpmath.workdps(digits):
            exp, log, div, power = _mp_exp, _mp_log, _mp_div, _mp_power
            try:
                yield
            finally:
                exp, log, div, power = saved


_PRECISE_LOCK = threading.RLock()
_float_exp, _float_log, _float_div, _float_power = exp, log, div, power


def _mp_exp(a: Value) -> Value:
    import mpmath

    if not isinstance(a, Jet):
        return mpmath.exp(a)
    return _float_exp(a)     # the series recursion calls exp (now _mp_exp) on the coefficients


def _mp_log(a: Value) -> Value:
    import mpmath

    if not isinstance(a, Jet):
        if a <= 0:
            raise Undefined("log of a non-positive number")
        return mpmath.log(a)
    return _float_log(a)


def _mp_div(a: Value, b: Value) -> Value:
    import mpmath

    if not isinstance(a, Jet) and not isinstance(b, Jet):
        if b == 0:
            raise Undefined("division by zero")
        return mpmath.mpf(a) / b
    return _float_div(a, b)


def _mp_power(a: Value, b: Value) -> Value:
    import mpmath

    if not isinstance(a, Jet) and not isinstance(b, Jet) and not (float(b).is_integer() and abs(b) <= 64):
        if a < 0 or (a == 0 and b < 0):
            raise Undefined("a power of a negative number")
        return mpmath.power(mpmath.mpf(a), b)
    return _float_power(a, b)


def is_precise_number(v: object) -> bool:
    """Whether ``v`` is a high-precision (mpmath) real, as computed inside ``precise``."""
    return type(v).__name__ == "mpf"


def precise_value(a: Value) -> object:
    """The value of ``a`` without rounding it to a float (an mpmath number stays one)."""
    while isinstance(a, Jet):
        a = a.c[0]
    return a


def value(a: Value) -> float:
    while isinstance(a, Jet):
        a = a.c[0]
    try:
        return float(a)
    except OverflowError:  # an exact integer beyond floats (10^5000): infinite, which no comparison trusts
        return math.copysign(math.inf, a)


def coefficients(a: Value) -> list[float]:
    """All Taylor coefficients of a value, flattened in a fixed order (for comparison)."""
    if not isinstance(a, Jet):
        return [float(a)]
    out: list[float] = []
    for x in a.c:
        out.extend(coefficients(x))
    return out
