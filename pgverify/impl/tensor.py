"""A small n-dimensional array over jets: what NumPy and PyTorch arrays become in the interpreter.

A ``Tensor`` is a shape and a flat row-major list of elements; an element is a
float or a jet (a number carrying its derivatives in θ), an int or a bool.
Operations follow NumPy's broadcasting and indexing rules for the cases the
subset documents; anything else raises ``ShapeError`` (a message, never a guess).
Stopping a gradient keeps each element's value and drops its derivatives.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

from ..falsify import jets

Elem = Any  # float | jets.Jet | int | bool
# the largest array the interpreter builds: the shapes are small, so a bigger one is a runaway loop
MAX_ELEMENTS = 100_000
# the largest integer exponent computed exactly (a bigger one is a runaway, not a loss)
MAX_EXPONENT = 1024
# elements created since ``reset_work``: the interpreter stops a function that builds too many
_work = [0]


def reset_work() -> None:
    _work[0] = 0


def work() -> int:
    """How many array elements have been created since ``reset_work``."""
    return _work[0]


class ShapeError(Exception):
    """An operation the shapes or the subset do not allow (reported at the caller's line)."""


def _size(shape: Sequence[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _strides(shape: Sequence[int]) -> list[int]:
    out = [1] * len(shape)
    for k in range(len(shape) - 2, -1, -1):
        out[k] = out[k + 1] * shape[k + 1]
    return out


def value(x: Elem) -> float:
    """The plain number of an element (a jet's value, a bool as 0/1)."""
    return jets.value(x) if isinstance(x, jets.Jet) else float(x)


def stop(x: Elem) -> Elem:
    """An element without its derivatives."""
    return jets.value(x) if isinstance(x, jets.Jet) else x


class Tensor:
    """An array: ``shape`` and the flat row-major ``data``; ``derived`` marks a copy made by indexing."""

    __slots__ = ("data", "derived", "shape")

    def __init__(self, shape: Sequence[int], data: list[Elem], derived: bool = False):
        self.shape = tuple(int(d) for d in shape)
        if len(data) != _size(self.shape):
            raise ShapeError(f"{len(data)} elements do not fill the shape {self.shape}")
        if len(data) > MAX_ELEMENTS:
            raise ShapeError(f"an array of {len(data)} elements is larger than the subset allows")
        _work[0] += len(data)
        self.data = data
        self.derived = derived

    def __repr__(self) -> str:
        return f"Tensor({self.shape}, {[value(x) for x in self.data]})"

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def map(self, f: Callable[[Elem], Elem]) -> Tensor:
        return Tensor(self.shape, [f(x) for x in self.data])

    def rows(self) -> list[Tensor | Elem]:
        """The sub-arrays along the first axis (what a ``for`` loop over the array yields)."""
        if not self.shape:
            raise ShapeError("iteration over a 0-d array")
        step = _size(self.shape[1:])
        if len(self.shape) == 1:
            return list(self.data)
        return [Tensor(self.shape[1:], self.data[i * step:(i + 1) * step], derived=True)
                for i in range(self.shape[0])]


Operand = Any  # Tensor | float | int | bool | nested list


def is_integral(x: Elem) -> bool:
    return isinstance(x, (int, bool)) and not isinstance(x, jets.Jet)


def to_tensor(x: Operand) -> Tensor:
    """A number, an array or a (nested) list of them as an array."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (list, tuple)):
        if not x:
            return Tensor((0,), [])
        parts = [to_tensor(p) for p in x]
        return stack(parts, 0)
    if isinstance(x, (int, float, bool, jets.Jet)):
        return Tensor((), [x])
    raise ShapeError(f"a {type(x).__name__} is not a number or an array")


def scalar_of(t: Tensor) -> Elem:
    if t.shape and _size(t.shape) != 1:
        raise ShapeError(f"an array of shape {t.shape} used as one number")
    return t.data[0]


# --------------------------------------------------------------------------- broadcasting


def broadcast_shape(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    n = max(len(s) for s in shapes)
    out = []
    for k in range(n):
        dims = {s[len(s) - n + k] for s in shapes if len(s) - n + k >= 0}
        dims.discard(1)
        if len(dims) > 1:
            raise ShapeError("shapes " + ", ".join(str(s) for s in shapes) + " do not broadcast together")
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def broadcast_to(t: Tensor, shape: tuple[int, ...]) -> list[Elem]:
    if t.shape == shape:
        return t.data
    pad = (1,) * (len(shape) - len(t.shape)) + t.shape
    strides = _strides(pad)
    eff = [0 if pad[k] == 1 else strides[k] for k in range(len(shape))]
    out = []
    for idx in itertools.product(*[range(d) for d in shape]):
        out.append(t.data[sum(i * s for i, s in zip(idx, eff))])
    return out


def elementwise(f: Callable[..., Elem], *args: Operand) -> Operand:
    """``f`` applied element by element after broadcasting; plain numbers stay plain numbers."""
    if not any(isinstance(a, (Tensor, list, tuple)) for a in args):
        return f(*args)
    ts = [to_tensor(a) for a in args]
    shape = broadcast_shape(*[t.shape for t in ts])
    cols = [broadcast_to(t, shape) for t in ts]
    return Tensor(shape, [f(*xs) for xs in zip(*cols)])


def _compare(op: Callable[[float, float], bool]) -> Callable[[Elem, Elem], bool]:
    return lambda a, b: op(value(a), value(b))


def _floordiv(a: Elem, b: Elem) -> Elem:
    if is_integral(a) and is_integral(b):
        if b == 0:
            raise jets.Undefined("division by zero")
        return a // b
    return float(math.floor(value(a) / value(b)))


def _mod(a: Elem, b: Elem) -> Elem:
    if is_integral(a) and is_integral(b):
        if b == 0:
            raise jets.Undefined("division by zero")
        return a % b
    raise ShapeError("% of non-integers is outside the subset")


def _add(a: Elem, b: Elem) -> Elem:
    return a + b if is_integral(a) and is_integral(b) else jets.add(a, b)


def _sub(a: Elem, b: Elem) -> Elem:
    return a - b if is_integral(a) and is_integral(b) else jets.sub(a, b)


def _mul(a: Elem, b: Elem) -> Elem:
    return a * b if is_integral(a) and is_integral(b) else jets.mul(a, b)


def _pow(a: Elem, b: Elem) -> Elem:
    if is_integral(a) and is_integral(b) and b >= 0:
        if b > MAX_EXPONENT and abs(a) > 1:
            raise ShapeError(f"an integer power with exponent {b} is larger than the subset allows")
        return a ** b
    return jets.power(a, b)


BINARY: dict[str, Callable[[Elem, Elem], Elem]] = {
    "+": _add, "-": _sub, "*": _mul, "/": jets.div, "**": _pow, "//": _floordiv, "%": _mod,
    "<": _compare(lambda a, b: a < b), "<=": _compare(lambda a, b: a <= b),
    ">": _compare(lambda a, b: a > b), ">=": _compare(lambda a, b: a >= b),
    "==": _compare(lambda a, b: a == b), "!=": _compare(lambda a, b: a != b),
    "&": lambda a, b: bool(value(a)) and bool(value(b)), "|": lambda a, b: bool(value(a)) or bool(value(b)),
}


def _sqrt(x: Elem) -> Elem:
    if value(x) < 0:
        raise jets.Undefined("the square root of a negative number")
    if value(x) == 0:
        return 0.0 if not isinstance(x, jets.Jet) else jets.power(x, 0.5)
    return jets.power(x, 0.5)


def _abs(x: Elem) -> Elem:
    return jets.neg(x) if value(x) < 0 else x


def _sigmoid(x: Elem) -> Elem:
    return jets.div(1.0, jets.add(1.0, jets.exp(jets.neg(x))))


def _tanh(x: Elem) -> Elem:
    e = jets.exp(jets.scale(x, 2.0))
    return jets.div(jets.sub(e, 1.0), jets.add(e, 1.0))


UNARY: dict[str, Callable[[Elem], Elem]] = {
    "log": jets.log, "exp": jets.exp, "neg": lambda x: -x if is_integral(x) else jets.neg(x),
    "sqrt": _sqrt, "abs": _abs, "sigmoid": _sigmoid, "tanh": _tanh,
    "log1p": lambda x: jets.log(jets.add(1.0, x)), "square": lambda x: jets.mul(x, x),
    "stop": stop, "float": lambda x: float(x) if is_integral(x) else x,
}


def clamp(x: Operand, low: Operand = None, high: Operand = None) -> Operand:
    """Each element held within [low, high]; a held element has no derivative."""
    def f(a: Elem, lo: Elem, hi: Elem) -> Elem:
        if lo is not None and value(a) < value(lo):
            return lo
        if hi is not None and value(a) > value(hi):
            return hi
        return a
    return elementwise(lambda a: f(a, low, high), x) if not isinstance(low, Tensor) and \
        not isinstance(high, Tensor) else elementwise(f, x, low, high)


def where(cond: Operand, a: Operand, b: Operand) -> Operand:
    return elementwise(lambda c, x, y: x if value(c) else y, cond, a, b)


# --------------------------------------------------------------------------- axes


def norm_axis(axis: int, ndim: int) -> int:
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise ShapeError("an axis must be a whole number")
    if not -ndim <= axis < max(ndim, 1):
        raise ShapeError(f"axis {axis} is out of range for an array of {ndim} dimensions")
    return axis % max(ndim, 1)


def _axes(axis: Any, ndim: int) -> list[int]:
    if axis is None:
        return list(range(ndim))
    if isinstance(axis, (tuple, list)):
        return sorted({norm_axis(a, ndim) for a in axis})
    return [norm_axis(axis, ndim)]


def _groups(t: Tensor, axes: list[int]) -> tuple[tuple[int, ...], list[list[Elem]]]:
    """The shape without ``axes`` and, for each of its positions, the elements reduced into it."""
    keep = [k for k in range(t.ndim) if k not in axes]
    out_shape = tuple(t.shape[k] for k in keep)
    strides = _strides(t.shape)
    groups = []
    for kept in itertools.product(*[range(t.shape[k]) for k in keep]):
        base = sum(i * strides[k] for i, k in zip(kept, keep))
        group = []
        for red in itertools.product(*[range(t.shape[k]) for k in axes]):
            group.append(t.data[base + sum(i * strides[k] for i, k in zip(red, axes))])
        groups.append(group)
    return out_shape, groups


def _keep(t: Tensor, axes: list[int], out: Tensor) -> Tensor:
    return Tensor(tuple(1 if k in axes else d for k, d in enumerate(t.shape)), out.data)


def _sum_list(xs: list[Elem]) -> Elem:
    acc: Elem = 0 if xs and all(is_integral(x) for x in xs) else 0.0
    for x in xs:
        acc = _add(acc, x)
    return acc


def reduce(t: Operand, kind: str, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """``sum``, ``mean``, ``prod``, ``max``, ``min``, ``var`` or ``std`` over ``axis`` (all axes when None)."""
    t = to_tensor(t)
    axes = _axes(axis, t.ndim)
    shape, groups = _groups(t, axes)
    out = [_reduce_one(g, kind, ddof) for g in groups]
    result = Tensor(shape, out)
    return _keep(t, axes, result) if keepdims else result


def _reduce_one(g: list[Elem], kind: str, ddof: int) -> Elem:
    if kind == "sum":
        return _sum_list(g)
    if kind == "prod":
        acc: Elem = 1.0
        for x in g:
            acc = jets.mul(acc, x)
        return acc
    if kind in ("max", "min"):
        if not g:
            raise ShapeError(f"{kind} of an empty array")
        return (max if kind == "max" else min)(g, key=value)
    if not g:
        raise jets.Undefined("the mean of an empty array")
    mean = jets.div(_sum_list(g), float(len(g)))
    if kind == "mean":
        return mean
    if len(g) - ddof <= 0:
        raise jets.Undefined("the variance of too few elements")
    sq = _sum_list([jets.mul(jets.sub(x, mean), jets.sub(x, mean)) for x in g])
    var = jets.div(sq, float(len(g) - ddof))
    return var if kind == "var" else _sqrt(var)


def _along(t: Tensor, axis: int, f: Callable[[list[Elem]], list[Elem]]) -> Tensor:
    """``f`` applied to every line of elements along ``axis``."""
    axis = norm_axis(axis, t.ndim)
    strides = _strides(t.shape)
    out = list(t.data)
    others = [k for k in range(t.ndim) if k != axis]
    for idx in itertools.product(*[range(t.shape[k]) for k in others]):
        base = sum(i * strides[k] for i, k in zip(idx, others))
        positions = [base + j * strides[axis] for j in range(t.shape[axis])]
        for p, v in zip(positions, f([t.data[p] for p in positions])):
            out[p] = v
    return Tensor(t.shape, out)


def cumsum(t: Operand, axis: Any = None) -> Tensor:
    t = to_tensor(t)
    if axis is None:
        t = Tensor((_size(t.shape),), t.data)
        axis = 0

    def run(xs: list[Elem]) -> list[Elem]:
        acc: Elem = 0.0
        out = []
        for x in xs:
            acc = _add(acc, x)
            out.append(acc)
        return out
    return _along(t, axis, run)


def flip(t: Operand, axes: Any = None) -> Tensor:
    t = to_tensor(t)
    for a in _axes(axes, t.ndim):
        t = _along(t, a, lambda xs: xs[::-1])
    return t


def softmax(t: Operand, axis: int = -1, log: bool = False) -> Tensor:
    t = to_tensor(t)

    def run(xs: list[Elem]) -> list[Elem]:
        top = max(value(x) for x in xs)
        shifted = [jets.sub(x, top) for x in xs]
        total = _sum_list([jets.exp(x) for x in shifted])
        if log:
            lz = jets.log(total)
            return [jets.sub(x, lz) for x in shifted]
        return [jets.div(jets.exp(x), total) for x in shifted]
    return _along(t, axis, run)


def stack(parts: Sequence[Operand], axis: int = 0) -> Tensor:
    ts = [to_tensor(p) for p in parts]
    if not ts:
        raise ShapeError("stacking an empty list")
    if any(t.shape != ts[0].shape for t in ts):
        raise ShapeError("stacked arrays differ in shape: " + ", ".join(str(t.shape) for t in ts))
    axis = norm_axis(axis, ts[0].ndim + 1)
    expanded = [Tensor(t.shape[:axis] + (1,) + t.shape[axis:], t.data) for t in ts]
    return concatenate(expanded, axis)


def concatenate(parts: Sequence[Operand], axis: int = 0) -> Tensor:
    ts = [to_tensor(p) for p in parts]
    if not ts:
        raise ShapeError("concatenating an empty list")
    axis = norm_axis(axis, ts[0].ndim)
    for t in ts:
        if t.ndim != ts[0].ndim or t.shape[:axis] + t.shape[axis + 1:] != ts[0].shape[:axis] + ts[0].shape[axis + 1:]:
            raise ShapeError("concatenated arrays differ in shape: " + ", ".join(str(t.shape) for t in ts))
    outer = _size(ts[0].shape[:axis])
    data: list[Elem] = []
    for i in range(outer):
        for t in ts:
            inner = _size(t.shape[axis:])
            data.extend(t.data[i * inner:(i + 1) * inner])
    shape = ts[0].shape[:axis] + (sum(t.shape[axis] for t in ts),) + ts[0].shape[axis + 1:]
    return Tensor(shape, data)


def reshape(t: Operand, shape: Sequence[int]) -> Tensor:
    t = to_tensor(t)
    shape = list(shape)
    if shape.count(-1) > 1:
        raise ShapeError("a shape with more than one -1")
    if -1 in shape:
        known = _size([d for d in shape if d != -1])
        if known == 0 or _size(t.shape) % known:
            raise ShapeError(f"cannot reshape {t.shape} to {tuple(shape)}")
        shape[shape.index(-1)] = _size(t.shape) // known
    if _size(shape) != _size(t.shape):
        raise ShapeError(f"cannot reshape {t.shape} to {tuple(shape)}")
    return Tensor(shape, t.data)


def unsqueeze(t: Operand, axis: int) -> Tensor:
    t = to_tensor(t)
    axis = norm_axis(axis, t.ndim + 1)
    return Tensor(t.shape[:axis] + (1,) + t.shape[axis:], t.data)


def squeeze(t: Operand, axis: Any = None) -> Tensor:
    t = to_tensor(t)
    if axis is None:
        return Tensor(tuple(d for d in t.shape if d != 1), t.data)
    a = norm_axis(axis, t.ndim)
    if t.shape[a] != 1:
        return t  # PyTorch leaves a dimension that is not 1 alone
    return Tensor(t.shape[:a] + t.shape[a + 1:], t.data)


def transpose(t: Operand, axes: Sequence[int] | None = None) -> Tensor:
    t = to_tensor(t)
    order = list(range(t.ndim))[::-1] if axes is None else [norm_axis(a, t.ndim) for a in axes]
    if sorted(order) != list(range(t.ndim)):
        raise ShapeError("a transpose must name every axis once")
    strides = _strides(t.shape)
    shape = tuple(t.shape[k] for k in order)
    data = [t.data[sum(i * strides[k] for i, k in zip(idx, order))]
            for idx in itertools.product(*[range(d) for d in shape])]
    return Tensor(shape, data)


def arange(start: Any, stop: Any = None, step: Any = 1) -> Tensor:
    if stop is None:
        start, stop = 0, start
    for v in (start, stop, step):
        if isinstance(v, jets.Jet):
            raise ShapeError("arange bounds must not depend on θ")
    if value(step) == 0:
        raise ShapeError("arange with a zero step")
    n = max(0, math.ceil((value(stop) - value(start)) / value(step)))
    if n > MAX_ELEMENTS:
        raise ShapeError("arange is longer than the subset allows")
    integral = all(is_integral(v) for v in (start, stop, step))
    return Tensor((n,), [start + k * step if integral else float(start) + k * float(step) for k in range(n)])


def full(shape: Sequence[int], fill: Elem) -> Tensor:
    if any(d < 0 for d in shape) or _size(shape) > MAX_ELEMENTS:
        raise ShapeError(f"an array of shape {tuple(shape)} is outside the subset's sizes")
    return Tensor(tuple(shape), [fill] * _size(shape))
