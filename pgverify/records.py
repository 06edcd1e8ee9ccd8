"""Records: frozen dataclasses whose methods are made once per module rather than once per method and class.

``@dataclass(frozen=True, slots=True)`` compiles a little program for each method it writes (``__init__``,
``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``, four more with ``order=True``): some
0.5 ms per class, 20 ms of every start of pgverify for the model's classes.  A record is a dataclass for its
fields only (``@dataclass(init=False, repr=False, eq=False, slots=True)``: the fields, ``__slots__`` and
``__match_args__`` as a dataclass has them, so ``dataclasses.fields``, ``replace``, ``is_dataclass`` and pattern
matching work unchanged), and :func:`finish`, called at the end of the module, gives all of its records the
methods ``@dataclass(frozen=True, ...)`` would have given them:

* ``__init__`` from one compiled source for all of them (the same signature, defaults, default factories,
  keyword-only and ``init=False`` fields, ``__post_init__``; a slot is set through its descriptor, which is
  quicker than the ``object.__setattr__`` a frozen dataclass calls);
* ``__repr__``, ``__eq__``, ``__hash__``, the order and the frozen ``__setattr__``/``__delattr__`` as closures
  over the field names, computing what the generated methods compute (the same tuples compared and
  hashed, so equal records hash alike and a record's hash is the one a dataclass gives it);
* the quick pickling pair of :func:`quick_pickling` for a slotted frozen record.

``@record(frozen=False)`` is the same for a mutable dataclass (no frozen attributes, ``__hash__`` None).

One difference, on purpose: assigning a name that is not a field to a slotted frozen record raises
:class:`dataclasses.FrozenInstanceError`, where CPython 3.11's slotted frozen dataclass raises a TypeError
from ``super()`` (its ``__setattr__`` refers to the class from before the slots were added).

This module is a leaf (it imports nothing of pgverify), so that modules below the model in the layers
(``config``, ``checkoptions``, ``limits``) can declare records too; :mod:`pgverify.model.records` re-exports it.

Nothing of the dataclasses module's private API is used: only ``dataclass``, ``field``, ``fields``,
``MISSING`` and ``FrozenInstanceError``.
"""

from __future__ import annotations

import dataclasses
import inspect
from _thread import get_ident
from collections.abc import Callable
from dataclasses import MISSING, FrozenInstanceError
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T", bound=type)


class _Declared:
    """A record waiting for :func:`finish`: its class and what ``@record`` was asked for."""

    __slots__ = ("cls", "order", "eq", "frozen", "documented")

    def __init__(self, cls: type, order: bool, eq: bool, frozen: bool, documented: bool) -> None:
        self.cls, self.order, self.eq, self.frozen, self.documented = cls, order, eq, frozen, documented


# records declared and not yet finished, by module, in the order they were declared
_PENDING: dict[str, list[_Declared]] = {}
# whether each record is frozen (a dataclass refuses a frozen class of a mutable base, and the other way round)
_FROZEN: dict[type, bool] = {}

# the doc text of a record declared without a docstring until finish writes the one a dataclass would have
# (a class without one would otherwise have dataclasses compute a signature of a class with no __init__ yet)
_NO_DOC = "(a record without a docstring; finish gives it its signature)"


class _Factory:
    """The default of a field with a default factory, in ``__init__``'s signature (as in a dataclass)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


@overload
def record(cls: T, /) -> T: ...


@overload
def record(*, order: bool = False, eq: bool = True, frozen: bool = True, slots: bool = True) -> Callable[[T], T]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))   # for type checkers
def record(cls: Any = None, /, *, order: bool = False, eq: bool = True, frozen: bool = True, slots: bool = True) -> Any:
    """Declare a record: ``@record`` reads as ``@dataclass(frozen=True, slots=True)``; ``order``, ``eq``, ``frozen``
    and ``slots`` mean what they mean to a dataclass.  The class has its fields at once and its methods when
    :func:`finish` is called for its module."""
    if order and not eq:
        raise ValueError("eq must be true if order is true")

    def declare(cls: T) -> T:
        for base in cls.__mro__[1:]:
            if base in _FROZEN and _FROZEN[base] != frozen:
                raise TypeError(f"cannot inherit {'' if frozen else 'non-'}frozen dataclass from a "
                                f"{'non-' if frozen else ''}frozen one")
        documented = bool(cls.__doc__)
        if not documented:
            cls.__doc__ = _NO_DOC
        made = dataclasses.dataclass(init=False, repr=False, eq=False, slots=slots)(cls)
        _PENDING.setdefault(made.__module__, []).append(_Declared(made, order, eq, frozen, documented))
        _FROZEN[made] = frozen
        return made

    return declare if cls is None else declare(cls)


def finish(module: str) -> None:
    """Give every record declared so far in ``module`` (its ``__name__``) its methods: one compile for all."""
    declared = _PENDING.pop(module, [])
    lines: list[str] = []
    names: dict[str, Any] = {"__name__": module, "_FACTORY": _FACTORY, "_object": object}
    for k, entry in enumerate(declared):
        lines += _init_source(k, entry, names)
    # our own source, from the field names of our own classes (never a user's text)
    exec(compile("\n".join(lines), f"<records of {module}>", "exec"), names)   # noqa: S102
    for k, entry in enumerate(declared):
        cls = entry.cls
        _install(entry, names[f"__init_{k}"])
        if not entry.documented:
            # what a dataclass writes for a class without a docstring, from the __init__ it now has
            cls.__doc__ = cls.__name__ + str(inspect.signature(cls)).replace(" -> None", "")
        if entry.frozen and "__slots__" in vars(cls):
            quick_pickling(cls)


def _init_source(k: int, entry: _Declared, names: dict[str, Any]) -> list[str]:
    """The source of record ``k``'s ``__init__`` (as ``__init_{k}``); the values it needs go into ``names``."""
    cls = entry.cls
    fields = dataclasses.fields(cls)
    if len(fields) != len(cls.__dataclass_fields__):   # type: ignore[attr-defined]
        raise TypeError(f"{cls.__name__}: a record has no ClassVar or InitVar pseudo-fields")
    slotted = "__slots__" in vars(cls)
    positional: list[str] = []
    keyword: list[str] = []
    body: list[str] = []
    seen_default = False
    for f in fields:
        if f.name == "self":
            raise TypeError(f"{cls.__name__}: a record has no field named 'self'")
        if not entry.frozen:
            assign = f"    self.{f.name} = {{}}"   # what a mutable dataclass does
        elif slotted:
            setter = f"__set_{k}_{f.name}"
            names[setter] = getattr(cls, f.name).__set__   # the slot's descriptor (a base's for an inherited slot)
            assign = f"    {setter}(self, {{}})"
        else:
            assign = f"    _object.__setattr__(self, {f.name!r}, {{}})"
        default = f"__default_{k}_{f.name}"
        factory = f"__factory_{k}_{f.name}"
        if f.default is not MISSING:
            names[default] = f.default
        if f.default_factory is not MISSING:
            names[factory] = f.default_factory
        if not f.init:
            if f.default is not MISSING:
                body.append(assign.format(default))
            elif f.default_factory is not MISSING:
                body.append(assign.format(f"{factory}()"))
            continue
        if f.default is not MISSING:
            param = f"{f.name}={default}"
        elif f.default_factory is not MISSING:
            param = f"{f.name}=_FACTORY"
        else:
            param = f.name
            if seen_default and not f.kw_only:
                raise TypeError(f"non-default argument {f.name!r} follows default argument")
        seen_default = seen_default or (param != f.name and not f.kw_only)
        (keyword if f.kw_only else positional).append(param)
        if f.default_factory is not MISSING:
            body.append(assign.format(f"{factory}() if {f.name} is _FACTORY else {f.name}"))
        else:
            body.append(assign.format(f.name))
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    params = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    return [f"def __init_{k}({params}):", *(body or ["    pass"])]


def _install(entry: _Declared, init: Callable[..., None]) -> None:
    """Set on a record the methods a dataclass would have (``init`` is its compiled ``__init__``)."""
    cls = entry.cls
    fields = dataclasses.fields(cls)
    own = vars(cls)
    init.__annotations__ = {**{f.name: f.type for f in fields if f.init and not f.kw_only},
                            **{f.name: f.type for f in fields if f.init and f.kw_only}, "return": None}
    methods: dict[str, Callable[..., Any] | None] = {
        "__init__": init, "__repr__": _repr(tuple(f.name for f in fields if f.repr))}
    # a __hash__ of the class's own (not the None that writing an __eq__ leaves)
    own_hash = own.get("__hash__") is not None or ("__hash__" in own and "__eq__" not in own)
    if entry.eq:
        methods.update(_comparisons(tuple(f.name for f in fields if f.compare), entry.order))
        if not entry.frozen:
            del methods["__hash__"]
            if not own_hash:
                methods["__hash__"] = None   # a mutable dataclass with __eq__ is unhashable
    if entry.frozen:
        methods.update(_frozen(cls, tuple(f.name for f in fields)))
    for name in methods:
        if name in own and name not in ("__init__", "__repr__", "__eq__") and (name != "__hash__" or own_hash):
            raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
    for name, method in methods.items():
        if name in ("__init__", "__repr__", "__eq__") and name in own:
            continue   # written in the class itself: a dataclass keeps it too
        if method is not None:
            method.__name__ = name
            method.__qualname__ = f"{cls.__qualname__}.{name}"
            method.__module__ = cls.__module__
        setattr(cls, name, method)


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The tuple of the fields ``names`` of a record (what a dataclass's methods compare and hash)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda self: (one(self),)
    return lambda self: ()


def _repr(names: tuple[str, ...]) -> Callable[[Any], str]:
    """``Class(a=…, b=…)`` of the fields ``names``, ``...`` for a record met again inside its own repr."""
    template = "%s(" + ", ".join(f"{name}=%r" for name in names) + ")"
    values = _getter(names)
    running: set[tuple[int, int]] = set()

    def __repr__(self: Any) -> str:
        key = id(self), get_ident()
        if key in running:
            return "..."
        running.add(key)
        try:
            return template % ((self.__class__.__qualname__,) + values(self))
        finally:
            running.discard(key)

    return __repr__


def _comparisons(names: tuple[str, ...], order: bool) -> dict[str, Callable[..., Any]]:
    """``__eq__``, ``__hash__`` (and the order) over the tuple of the fields ``names``, as a dataclass has them."""
    values = _getter(names)
    # one field: the one-item tuple a dataclass compares, built without a Python-level getter call
    one = attrgetter(names[0]) if len(names) == 1 else None

    if one is not None:
        def __eq__(self: Any, other: Any) -> Any:
            if other.__class__ is self.__class__:
                return (one(self),) == (one(other),)
            return NotImplemented

        def __hash__(self: Any) -> int:
            return hash((one(self),))
    else:
        def __eq__(self: Any, other: Any) -> Any:
            if other.__class__ is self.__class__:
                return values(self) == values(other)
            return NotImplemented

        def __hash__(self: Any) -> int:
            return hash(values(self))

    methods: dict[str, Callable[..., Any]] = {"__eq__": __eq__, "__hash__": __hash__}
    if order:
        def __lt__(self: Any, other: Any) -> Any:
            if other.__class__ is self.__class__:
                return values(self) < values(other)
            return NotImplemented

        def __le__(self: Any, other: Any) -> Any:
            if other.__class__ is self.__class__:
                return values(self) <= values(other)
            return NotImplemented

        def __gt__(self: Any, other: Any) -> Any:
            if other.__class__ is self.__class__:
                return values(self) > values(other)
            return NotImplemented

        def __ge__(self: Any, other: Any) -> Any:
            if other.__class__ is self.__class__:
                return values(self) >= values(other)
            return NotImplemented

        methods.update(__lt__=__lt__, __le__=__le__, __gt__=__gt__, __ge__=__ge__)
    return methods


def _frozen(cls: type, names: tuple[str, ...]) -> dict[str, Callable[..., Any]]:
    """The ``__setattr__``/``__delattr__`` of a frozen dataclass: no field of ``cls`` (nor, on ``cls`` itself, any
    other name) can be assigned or deleted."""

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return {"__setattr__": __setattr__, "__delattr__": __delattr__}


# --------------------------------------------------------------------------- quick pickling

# A slotted frozen dataclass pickles through __getstate__/__setstate__ functions that call dataclasses.fields on
# every object, which made pickling a file's model (the worker that reads a file sends its SourceFile back to
# the parent) about twice as slow as with instance dicts.  The pair below reads the fields with one
# operator.attrgetter and restores them in order: the same state (the field values in field order).


def quick_pickling(*classes: type) -> None:
    """Give each frozen slotted dataclass of ``classes`` the quick ``__getstate__``/``__setstate__`` pair."""
    for cls in classes:
        names = tuple(f.name for f in dataclasses.fields(cls))
        if not names:
            continue
        get = attrgetter(*names)
        if len(names) == 1:
            def getstate(self: Any, _get: Any = get) -> tuple[Any, ...]:
                return (_get(self),)
        else:
            def getstate(self: Any, _get: Any = get) -> tuple[Any, ...]:
                return _get(self)

        def setstate(self: Any, state: tuple[Any, ...], _names: tuple[str, ...] = names) -> None:
            for name, value in zip(_names, state):
                object.__setattr__(self, name, value)   # frozen: the generated __setattr__ refuses

        cls.__getstate__ = getstate   # type: ignore[attr-defined]
        cls.__setstate__ = setstate   # type: ignore[attr-defined]
