"""The NumPy, PyTorch and JAX functions and array methods of the subset, on ``Tensor``.

A call is named by its full dotted path as the file's imports spell it
(``np.log`` in a file that says ``import numpy as np`` is ``numpy.log``);
``canonical`` strips the library prefix.  ``torch.tensor``, ``.item()`` and
``.numpy()`` on a torch array stop gradients, as PyTorch does; NumPy has no
gradients of its own, so a NumPy-style loss is read as the mathematical
function it computes and ``stop_gradient`` is the only way to stop one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import indexing as ix
from . import tensor as tz
from .tensor import ShapeError, Tensor

# library prefixes, longest first: what remains is the operation's name
PREFIXES = ("torch.distributions.categorical.", "torch.distributions.", "torch.nn.functional.", "torch.special.",
            "torch.linalg.", "torch.", "jax.numpy.", "jax.lax.", "jax.nn.", "jax.", "scipy.special.", "numpy.")
# module paths a file may import (anything else is outside the subset)
KNOWN_MODULES = ("numpy", "torch", "torch.nn", "torch.nn.functional", "torch.distributions",
                 "torch.distributions.categorical", "torch.special", "jax", "jax.numpy", "jax.lax", "jax.nn",
                 "scipy", "scipy.special", "math")
DTYPES = {"float32", "float64", "float", "double", "float16", "int64", "int32", "long", "int", "bool"}


class Unknown(ShapeError):
    """A function or method outside the subset."""


@dataclass(frozen=True)
class Module:
    """A module or a name inside one, as the file's imports spell it (``numpy.log``)."""

    path: str


@dataclass
class Categorical:
    """A categorical distribution over the last axis, kept as its normalised log-probabilities."""

    log_p: Tensor


def canonical(path: str) -> str:
    for prefix in PREFIXES:
        if path.startswith(prefix):
            return path[len(prefix):]
    return path


def is_torch(path: str) -> bool:
    return path.startswith("torch")


def stop_all(v: Any) -> Any:
    """``v`` without derivatives (arrays, numbers, lists and tuples of them)."""
    if isinstance(v, Tensor):
        return v.map(tz.stop)
    if isinstance(v, list):
        return [stop_all(x) for x in v]
    if isinstance(v, tuple):
        return tuple(stop_all(x) for x in v)
    if isinstance(v, Categorical):
        return Categorical(stop_all(v.log_p))
    return tz.stop(v)


def _pick(args: list[Any], kwargs: dict[str, Any], position: int, *names: str, default: Any = None) -> Any:
    for n in names:
        if n in kwargs:
            return kwargs[n]
    return args[position] if len(args) > position else default


def _shape(args: list[Any]) -> tuple[int, ...]:
    shape = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
    out = []
    for d in shape:
        if not tz.is_integral(d):
            raise ShapeError("a shape must be whole numbers")
        out.append(int(d))
    return tuple(out)


def _axis(args: list[Any], kwargs: dict[str, Any], position: int) -> Any:
    return _pick(args, kwargs, position, "axis", "dim", "dims")


def _reduce(kind: str, x: Any, args: list[Any], kwargs: dict[str, Any], torch: bool, position: int) -> Any:
    axis = _axis(args, kwargs, position)
    keep = bool(_pick([], kwargs, 0, "keepdims", "keepdim", default=False))
    ddof = 0
    if kind in ("std", "var"):
        if torch:
            unbiased = _pick([], kwargs, 0, "unbiased", default=True)
            ddof = int(_pick([], kwargs, 0, "correction", default=1 if unbiased else 0))
        else:
            ddof = int(_pick([], kwargs, 0, "ddof", default=0))
    if kind in ("max", "min") and axis is not None and torch:
        raise Unknown(f"{kind} along a dimension (which returns values and indices) is outside the subset")
    out = tz.reduce(x, kind, axis, keep, ddof)
    return out


def _numeric(x: Any) -> Any:
    return x if isinstance(x, Tensor) or not isinstance(x, (list, tuple)) else tz.to_tensor(x)


def _to_int(x: Any) -> Any:
    def f(e: Any) -> int:
        v = tz.value(e)
        if not float(v).is_integer():
            raise ShapeError("converting a non-integer to an integer array is outside the subset")
        return int(v)
    return tz.to_tensor(x).map(f) if isinstance(x, (Tensor, list, tuple)) else f(x)


def _dtype_cast(x: Any, dtype: Any) -> Any:
    name = canonical(dtype.path) if isinstance(dtype, Module) else dtype
    if name in ("int64", "int32", "long", "int"):
        return _to_int(x)
    return x


def _categorical(args: list[Any], kwargs: dict[str, Any]) -> Categorical:
    if "logits" in kwargs:
        return Categorical(tz.softmax(kwargs["logits"], -1, log=True))
    probs = kwargs.get("probs", args[0] if args else None)
    if probs is None:
        raise Unknown("Categorical needs logits= or probs=")
    p = tz.to_tensor(probs)
    total = tz.reduce(p, "sum", -1, True)
    return Categorical(tz.elementwise(tz.UNARY["log"], tz.elementwise(tz.BINARY["/"], p, total)))


def call(path: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Call the library function at ``path`` (``numpy.log``) with evaluated arguments."""
    name = canonical(path)
    torch = is_torch(path)
    if path.startswith("math.") and name[5:] in ("log", "exp", "sqrt"):
        return tz.elementwise(tz.UNARY[name[5:]], args[0])
    if name in ("log", "exp", "sqrt", "abs", "absolute", "tanh", "sigmoid", "log1p", "square", "negative", "neg",
                "expit"):
        op = {"absolute": "abs", "negative": "neg", "expit": "sigmoid"}.get(name, name)
        return tz.elementwise(tz.UNARY[op], _numeric(args[0]))
    if name in ("sum", "mean", "prod", "std", "var", "max", "min", "amax", "amin"):
        return _reduce(name.lstrip("a") if name.startswith("am") else name, args[0], args, kwargs, torch, 1)
    if name == "cumsum":
        return tz.cumsum(args[0], _axis(args, kwargs, 1))
    if name == "flip":
        return tz.flip(args[0], _axis(args, kwargs, 1))
    if name in ("stack", "cat", "concatenate", "concat", "vstack", "hstack"):
        axis = _axis(args, kwargs, 1) or 0
        parts = list(args[0]) if not isinstance(args[0], Tensor) else args[0].rows()
        if name == "stack":
            return tz.stack(parts, axis)
        if name == "vstack":
            parts = [p if tz.to_tensor(p).ndim > 1 else tz.unsqueeze(p, 0) for p in parts]
        return tz.concatenate(parts, 1 if name == "hstack" and tz.to_tensor(parts[0]).ndim > 1 else axis)
    if name == "arange":
        return tz.arange(*args)
    if name in ("power", "pow", "float_power"):
        return tz.elementwise(tz.BINARY["**"], args[0], args[1])
    if name in ("maximum", "minimum"):
        pick = (lambda a, b: a if tz.value(a) >= tz.value(b) else b) if name == "maximum" else \
            (lambda a, b: a if tz.value(a) <= tz.value(b) else b)
        return tz.elementwise(pick, args[0], args[1])
    if name == "where":
        if len(args) != 3:
            raise Unknown("where with one argument is outside the subset")
        return tz.where(*args)
    if name in ("clamp", "clip"):
        return tz.clamp(args[0], _pick(args, kwargs, 1, "min", "a_min"), _pick(args, kwargs, 2, "max", "a_max"))
    if name in ("softmax", "log_softmax"):
        return tz.softmax(args[0], _pick(args, kwargs, 1, "axis", "dim", default=-1), log=name == "log_softmax")
    if name == "gather":
        return ix.gather(args[0], _pick(args, kwargs, 1, "dim"), _pick(args, kwargs, 2, "index"))
    if name == "take_along_axis":
        return ix.gather(args[0], _pick(args, kwargs, 2, "axis"), args[1])
    if name in ("stop_gradient",):
        return stop_all(args[0])
    if name in ("zeros_like", "ones_like", "full_like"):
        x = tz.to_tensor(args[0])
        fill = 0.0 if name == "zeros_like" else 1.0 if name == "ones_like" else _pick(args, kwargs, 1, "fill_value")
        return tz.full(x.shape, fill)
    if name in ("zeros", "ones", "full"):
        if name == "full":
            return tz.full(_shape([args[0]] if not isinstance(args[0], (tuple, list)) else [*args[0]]), args[1])
        return tz.full(_shape(args), 0.0 if name == "zeros" else 1.0)
    if name in ("tensor", "as_tensor", "array", "asarray", "from_numpy", "FloatTensor", "LongTensor"):
        out = _numeric(args[0]) if isinstance(args[0], (Tensor, list, tuple)) else tz.to_tensor(args[0])
        if name in ("tensor", "array", "FloatTensor", "LongTensor") and out is args[0]:
            out = Tensor(out.shape, list(out.data))  # these copy their data; as_tensor and asarray do not
        out = _dtype_cast(out, kwargs.get("dtype", "int64" if name == "LongTensor" else None))
        # torch.tensor copies its data into a new leaf: the result has no gradient history
        return stop_all(out) if torch and name in ("tensor", "FloatTensor", "LongTensor") else out
    if name in ("unsqueeze", "expand_dims"):
        return tz.unsqueeze(args[0], _axis(args, kwargs, 1))
    if name == "squeeze":
        return tz.squeeze(args[0], _axis(args, kwargs, 1))
    if name == "reshape":
        return tz.reshape(args[0], _shape(args[1:]))
    if name == "transpose":
        return tz.transpose(args[0], None if len(args) < 2 else list(args[1]) if torch is False else None)
    if name == "Categorical":
        return _categorical(args, kwargs)
    if name == "mse_loss":
        diff = tz.elementwise(tz.BINARY["-"], args[0], args[1])
        sq = tz.elementwise(tz.UNARY["square"], diff)
        reduction = kwargs.get("reduction", "mean")
        return sq if reduction == "none" else tz.reduce(sq, "sum" if reduction == "sum" else "mean")
    if name in DTYPES:
        return Module(path)
    raise Unknown(f"'{path}' is outside the supported subset")


def method(obj: Any, name: str, args: list[Any], kwargs: dict[str, Any], torch: bool) -> Any:
    """Call the array method ``obj.name(...)``."""
    if isinstance(obj, Categorical):
        if name == "log_prob":
            a = tz.to_tensor(args[0])
            return tz.squeeze(ix.gather(obj.log_p, -1, tz.unsqueeze(a, -1)), -1) if obj.log_p.ndim > 1 \
                else ix.getitem(obj.log_p, a)
        if name == "entropy":
            p = tz.elementwise(tz.UNARY["exp"], obj.log_p)
            return tz.elementwise(tz.UNARY["neg"], tz.reduce(tz.elementwise(tz.BINARY["*"], p, obj.log_p), "sum", -1))
        raise Unknown(f"the distribution method '{name}' is outside the subset")
    x = tz.to_tensor(obj)
    if name in ("sum", "mean", "prod", "std", "var", "max", "min"):
        return _reduce(name, x, args, kwargs, torch, 0)
    if name in ("log", "exp", "sqrt", "abs", "tanh", "sigmoid", "log1p", "square", "neg"):
        return x.map(tz.UNARY[name])
    if name in ("detach", "numpy", "cpu", "item", "tolist", "clone", "to", "float", "double", "long", "int",
                "contiguous", "copy", "astype", "type", "requires_grad_"):
        if name in ("long", "int"):
            x = _to_int(x)
        elif name in ("astype", "type", "to") and args:
            x = tz.to_tensor(_dtype_cast(x, args[0]))
        out: Any = x
        if name == "item":
            out = tz.scalar_of(x)
        if name == "tolist":
            out = x.rows() if x.shape else x.data[0]
        if name == "detach" or (torch and name in ("numpy", "item", "tolist")):
            out = stop_all(out)
        if name in ("clone", "copy", "astype", "float", "double", "long", "int", "to", "type") and \
                isinstance(out, Tensor):
            out = Tensor(out.shape, list(out.data))
        return out
    if name == "cumsum":
        return tz.cumsum(x, _axis(args, kwargs, 0))
    if name == "flip":
        dims = args if len(args) > 1 else _axis(args, kwargs, 0)
        return tz.flip(x, list(dims) if isinstance(dims, (tuple, list)) else dims)
    if name in ("pow", "__pow__"):
        return tz.elementwise(tz.BINARY["**"], x, args[0])
    if name in ("clamp", "clip"):
        return tz.clamp(x, _pick(args, kwargs, 0, "min", "a_min"), _pick(args, kwargs, 1, "max", "a_max"))
    if name in ("softmax", "log_softmax"):
        return tz.softmax(x, _pick(args, kwargs, 0, "axis", "dim", default=-1), log=name == "log_softmax")
    if name == "gather":
        return ix.gather(x, _pick(args, kwargs, 0, "dim"), _pick(args, kwargs, 1, "index"))
    if name == "unsqueeze":
        return tz.unsqueeze(x, _axis(args, kwargs, 0))
    if name == "squeeze":
        return tz.squeeze(x, _axis(args, kwargs, 0))
    if name in ("reshape", "view"):
        return tz.reshape(x, _shape(args))
    if name == "flatten":
        return tz.reshape(x, (-1,))
    if name == "size":
        return x.shape if not args else x.shape[tz.norm_axis(args[0], x.ndim)]
    if name == "transpose":
        return tz.transpose(x) if x.ndim <= 2 else (_ for _ in ()).throw(Unknown("transpose of 3-d arrays"))
    raise Unknown(f"the array method '.{name}()' is outside the supported subset")
