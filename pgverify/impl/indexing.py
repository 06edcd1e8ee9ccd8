"""Indexing arrays as NumPy does: integers, slices, ``None``, ``...`` and integer arrays; ``gather``.

An index is planned once as the flat positions it reads (and its result's
shape), so reading ``x[key]`` and writing ``x[key] = v`` share one plan.
"""

from __future__ import annotations

import itertools
from typing import Any

from .tensor import (
    Elem,
    ShapeError,
    Tensor,
    _strides,
    broadcast_shape,
    broadcast_to,
    is_integral,
    norm_axis,
    to_tensor,
    value,
)


def _int(x: Any) -> int:
    if isinstance(x, Tensor):
        if x.shape:
            raise ShapeError("an array used where one index is needed")
        x = x.data[0]
    if not is_integral(x):
        if isinstance(x, float) and x.is_integer():
            raise ShapeError("an index must be an integer, not a float")
        raise ShapeError("an index must be an integer")
    return int(x)


def _entries(shape: tuple[int, ...], key: Any) -> list[Any]:
    entries = list(key) if isinstance(key, tuple) else [key]
    entries = [to_tensor(e) if isinstance(e, list) else e for e in entries]
    for e in entries:
        if isinstance(e, Tensor) and e.shape and not all(is_integral(x) for x in e.data):
            raise ShapeError("only integer arrays may index an array (a mask or float index is outside the subset)")
    consumed = sum(1 for e in entries if e is not None and e is not Ellipsis)
    if entries.count(Ellipsis) > 1:
        raise ShapeError("an index with more than one '...'")
    if consumed > len(shape):
        raise ShapeError(f"too many indices for an array of shape {shape}")
    fill = [slice(None)] * (len(shape) - consumed)
    if Ellipsis in entries:
        k = entries.index(Ellipsis)
        return entries[:k] + fill + entries[k + 1:]
    return entries + fill


def plan(shape: tuple[int, ...], key: Any) -> tuple[tuple[int, ...], list[int]]:
    """The result's shape and, for each of its elements, the flat position it reads in an array of ``shape``."""
    entries = _entries(shape, key)
    strides = _strides(shape)
    advanced = any(isinstance(e, Tensor) and e.shape for e in entries)
    offset = 0
    spec: list[tuple[Any, ...]] = []   # ("keep", stride, positions) | ("new",) | ("adv", k)
    adv: list[tuple[int, int, Tensor]] = []  # (stride, axis length, integer array)
    adv_at: list[int] = []
    d = 0
    for e in entries:
        if e is None:
            spec.append(("new",))
            continue
        if isinstance(e, slice):
            for part in (e.start, e.stop, e.step):
                if part is not None and not is_integral(part):
                    raise ShapeError("slice bounds must be integers")
            spec.append(("keep", strides[d], list(range(*e.indices(shape[d])))))
        elif advanced and (isinstance(e, Tensor) or is_integral(e)):
            t = to_tensor(e)
            for x in t.data:
                if not -shape[d] <= int(x) < shape[d]:
                    raise ShapeError(f"index {int(x)} is out of range for an axis of length {shape[d]}")
            adv_at.append(len(spec))
            adv.append((strides[d], shape[d], t))
            spec.append(("adv",))
        else:
            i = _int(e)
            if not -shape[d] <= i < shape[d]:
                raise ShapeError(f"index {i} is out of range for an axis of length {shape[d]}")
            offset += (i % shape[d]) * strides[d]
        d += 1
    if not adv:
        out_shape = tuple(1 if s[0] == "new" else len(s[2]) for s in spec)
        positions = []
        for idx in itertools.product(*[range(n) for n in out_shape]):
            p = offset
            for i, s in zip(idx, spec):
                if s[0] == "keep":
                    p += s[2][i] * s[1]
            positions.append(p)
        return out_shape, positions
    b_shape = broadcast_shape(*[t.shape for _, _, t in adv])
    columns = [broadcast_to(t, b_shape) for _, _, t in adv]
    contiguous = adv_at == list(range(adv_at[0], adv_at[0] + len(adv_at)))
    others = [s for s in spec if s[0] != "adv"]
    first = adv_at[0] if contiguous else 0
    before = [s for s in spec[:first] if s[0] != "adv"] if contiguous else []
    after = others[len(before):]
    shape_of = [1 if s[0] == "new" else len(s[2]) for s in before + after]
    out_shape = tuple(shape_of[:len(before)]) + b_shape + tuple(shape_of[len(before):])
    positions = []
    for idx in itertools.product(*[range(n) for n in out_shape]):
        head, rest = idx[:len(before)], idx[len(before):]
        bidx, tail = rest[:len(b_shape)], rest[len(b_shape):]
        flat_b = 0
        for i, n in zip(bidx, b_shape):
            flat_b = flat_b * n + i
        p = offset
        for i, s in zip(head + tail, before + after):
            if s[0] == "keep":
                p += s[2][i] * s[1]
        for (stride, length, _), col in zip(adv, columns):
            p += (int(col[flat_b]) % length) * stride
        positions.append(p)
    return out_shape, positions


def getitem(t: Tensor, key: Any) -> Tensor | Elem:
    """``t[key]``: a new array (a 0-d result is its element)."""
    shape, positions = plan(t.shape, key)
    if not shape:
        return t.data[positions[0]]
    return Tensor(shape, [t.data[p] for p in positions], derived=True)


def setitem(t: Tensor, key: Any, v: Any) -> None:
    """``t[key] = v`` in place (``v`` broadcast to the indexed shape)."""
    shape, positions = plan(t.shape, key)
    values = broadcast_to(to_tensor(v), shape)
    for p, x in zip(positions, values):
        t.data[p] = x


def gather(t: Any, axis: int, index: Any) -> Tensor:
    """``torch.gather`` / ``np.take_along_axis``: out[i][j][k] = t[i][index[i][j][k]][k] along ``axis``."""
    t, index = to_tensor(t), to_tensor(index)
    if index.ndim != t.ndim:
        raise ShapeError(f"gather needs an index with as many dimensions as the array ({index.shape} vs {t.shape})")
    axis = norm_axis(axis, t.ndim)
    strides = _strides(t.shape)
    data = []
    for idx, i in zip(itertools.product(*[range(n) for n in index.shape]), index.data):
        if not is_integral(i):
            raise ShapeError("gather needs an integer index")
        if not -t.shape[axis] <= int(i) < t.shape[axis]:
            raise ShapeError(f"gather index {int(i)} is out of range for an axis of length {t.shape[axis]}")
        for k, n in enumerate(idx):
            if k != axis and n >= t.shape[k]:
                raise ShapeError(f"gather index shape {index.shape} exceeds the array's {t.shape}")
        pos = sum((int(i) % t.shape[axis] if k == axis else n) * strides[k] for k, n in enumerate(idx))
        data.append(t.data[pos])
    return Tensor(index.shape, data)


def truth(x: Any) -> bool:
    """The truth of a condition (an array must have one element)."""
    if isinstance(x, Tensor):
        if len(x.data) != 1:
            raise ShapeError("the truth of an array with more than one element is ambiguous")
        x = x.data[0]
    return bool(value(x)) if not isinstance(x, (list, tuple, str)) else bool(x)
