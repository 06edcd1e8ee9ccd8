"""The model's records behave as the frozen dataclasses they replace.

Every dataclass of ``pgverify.model`` is compared with a reference class built here by plain
``@dataclass(frozen=True, slots=True)`` (``order=True`` for Span, ``eq=False``/no slots where ours has them)
from the same fields (read with ``dataclasses.fields``) and the same methods of the class body: construction,
defaults, errors, equality and hashing, repr, the frozen attributes, order, slots and size, match arguments,
signature, pickling and copying, ``dataclasses.replace``.  A few small records of this file try what the
model does not use (default factories, a class without a docstring, what a record refuses).
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
import sys
from collections.abc import Sequence
from dataclasses import FrozenInstanceError, field
from fractions import Fraction
from types import FunctionType
from typing import Any

import pytest

import pgverify.model as m
from pgverify.model import conventions, expressions, lines, statements
from pgverify.model.records import finish, record

MODULES = (expressions, statements, conventions, lines)
ORDERED = {m.Span}            # @dataclass(order=True)
UNCOMPARED = {m.Lines}        # @dataclass(eq=False): its own __eq__ and __hash__


def _model_classes() -> list[type]:
    found = []
    for module in MODULES:
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == module.__name__ and dataclasses.is_dataclass(value):
                found.append(value)
    return found


CLASSES = _model_classes()


def _own_methods(cls: type) -> dict[str, Any]:
    """What the class body itself defines (its functions and properties), not what was generated for it."""
    where = sys.modules[cls.__module__].__file__
    out = {}
    for name, value in vars(cls).items():
        code = value.fget.__code__ if isinstance(value, property) else getattr(value, "__code__", None)
        if isinstance(value, (FunctionType, property)) and code is not None and code.co_filename == where:
            out[name] = value
    return out


def _build_references() -> dict[type, type]:
    refs: dict[type, type] = {}
    for cls in sorted(CLASSES, key=lambda c: len(c.__mro__)):   # a base before its subclasses
        bases = tuple(refs.get(b, b) for b in cls.__bases__)
        inherited = {f.name for b in bases if dataclasses.is_dataclass(b) for f in dataclasses.fields(b)}
        namespace: dict[str, Any] = {"__module__": cls.__module__, "__qualname__": cls.__qualname__,
                                     "__doc__": cls.__doc__, "__annotations__": {}, **_own_methods(cls)}
        for f in dataclasses.fields(cls):
            if f.name in inherited:
                continue
            namespace["__annotations__"][f.name] = f.type
            namespace[f.name] = field(default=f.default, default_factory=f.default_factory, init=f.init,
                                      repr=f.repr, compare=f.compare, kw_only=f.kw_only)
        made = type(cls)(cls.__name__, bases, namespace)
        refs[cls] = dataclasses.dataclass(frozen=True, slots="__slots__" in vars(cls), order=cls in ORDERED,
                                          eq=cls not in UNCOMPARED)(made)
    return refs


REFERENCES = _build_references()
NAN = float("nan")


def _value(cls: type, name: str, variant: int) -> Any:
    """A value for field ``name`` (``variant`` 0 and 1 differ); the model's own methods must work on it."""
    if cls is m.Lines:
        return ["a\nbc", "x"][variant]
    if cls is m.Name and name == "sub":
        return [(), (m.Num(Fraction(1)),)][variant]
    if cls is m.Name and name == "primes":
        return [0, 2][variant]
    if cls is m.Location and name == "cell":
        return [None, 3][variant]
    if cls is m.Cell and name == "file_lines":
        return [(), (4, 5)][variant]
    if name == "span":
        return [m.Span(1, 2, 1, 9), m.Span(3, 1, 4, 2)][variant]
    return [f"{name}-0", (f"{name}", 1)][variant]


def _arguments(cls: type, variant: int = 0, changed: str | None = None) -> tuple[tuple[Any, ...], dict[str, Any]]:
    args, kwargs = [], {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        value = _value(cls, f.name, 1 - variant if f.name == changed else variant)
        if f.kw_only:
            kwargs[f.name] = value
        else:
            args.append(value)
    return tuple(args), kwargs


def _state(obj: Any) -> tuple[Any, ...]:
    return tuple(getattr(obj, f.name) for f in dataclasses.fields(obj))


def _outcome(action, *args: Any, **kwargs: Any) -> Any:
    """What ``action(*args, **kwargs)`` gives (a record as its class name and field values), or the type and text
    of what it raises: what is compared between ours and the reference."""
    try:
        made = action(*args, **kwargs)
    except Exception as error:   # noqa: BLE001 - the very thing compared
        return ("raises", type(error), str(error))
    if dataclasses.is_dataclass(made):
        return ("record", type(made).__qualname__, _state(made))
    return ("value", made)


ids = [c.__name__ for c in CLASSES]


def test_every_model_dataclass_is_a_record() -> None:
    assert len(CLASSES) >= 45
    for cls in CLASSES:
        assert vars(cls)["__init__"].__code__.co_filename.startswith("<records of ")   # made by records.finish
    assert {c for c in CLASSES if "__lt__" in vars(c)} == ORDERED


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_construction_defaults_and_signature(cls: type) -> None:
    ref = REFERENCES[cls]
    assert str(inspect.signature(cls)) == str(inspect.signature(ref))
    assert cls.__init__.__annotations__ == ref.__init__.__annotations__
    assert cls.__init__.__qualname__ == ref.__init__.__qualname__ == f"{cls.__qualname__}.__init__"
    assert cls.__match_args__ == ref.__match_args__
    args, kwargs = _arguments(cls)
    assert _state(cls(*args, **kwargs)) == _state(ref(*args, **kwargs))
    by_keyword = {**dict(zip(cls.__match_args__, args)), **kwargs}
    assert _state(cls(**by_keyword)) == _state(ref(**by_keyword)) == _state(cls(*args, **kwargs))
    required = [f.name for f in dataclasses.fields(cls) if f.init and f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING]
    least = {name: by_keyword[name] for name in required}
    assert _state(cls(**least)) == _state(ref(**least))   # every default
    for wrong in ((), (*args, "one too many"), args + ("x",) * 9):
        assert _outcome(cls, *wrong, **kwargs) == _outcome(ref, *wrong, **kwargs)
    for extra in ({"nonsense": 1}, {"_key": "x"}, {"span": 1} if "span" not in kwargs else {}):
        assert _outcome(cls, *args, **kwargs, **extra) == _outcome(ref, *args, **kwargs, **extra)


@pytest.mark.parametrize("cls", [c for c in CLASSES if c not in UNCOMPARED], ids=[c.__name__ for c in CLASSES
                                                                                   if c not in UNCOMPARED])
def test_equality_hash_and_repr(cls: type) -> None:
    ref = REFERENCES[cls]
    args, kwargs = _arguments(cls)
    ours, theirs = cls(*args, **kwargs), ref(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert hash(ours) == hash(theirs) == hash(cls(*args, **kwargs))
    assert ours == cls(*args, **kwargs) and (ours != cls(*args, **kwargs)) is False
    assert ours.__eq__(theirs) is NotImplemented and ours != theirs   # another class, even of the same fields
    assert ours.__eq__(object()) is NotImplemented
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        a, k = _arguments(cls, changed=f.name)
        other, other_ref = cls(*a, **k), ref(*a, **k)
        assert (ours == other) == (theirs == other_ref) == (not f.compare)
        assert (hash(ours) == hash(other)) == (hash(theirs) == hash(other_ref))
        assert (hash(ours) == hash(other)) if not f.compare else True
        assert repr(other) == repr(other_ref)
    # the tuples compared are a dataclass's: a value met twice is the same by identity (a NaN too)
    compared = [k for k, name in enumerate(cls.__match_args__) if dataclasses.fields(cls)[
        [f.name for f in dataclasses.fields(cls)].index(name)].compare]
    if compared:
        k = compared[0]

        def with_nan(nan: float) -> tuple[Any, ...]:
            return args[:k] + (nan,) + args[k + 1:]

        for twin in (NAN, float("nan")):
            assert (cls(*with_nan(NAN), **kwargs) == cls(*with_nan(twin), **kwargs)) == (
                ref(*with_nan(NAN), **kwargs) == ref(*with_nan(twin), **kwargs)) == (twin is NAN)


def test_lines_keeps_its_own_equality_hash_and_repr() -> None:
    ours, theirs = m.Lines("a\nbc"), REFERENCES[m.Lines]("a\nbc")
    assert repr(ours) == repr(theirs) == repr(("a", "bc"))
    assert ours == ("a", "bc") and hash(ours) == hash(theirs) == hash(("a", "bc"))
    assert list(ours) == list(theirs) and ours[-1] == theirs[-1] == "bc" and isinstance(ours, Sequence)


def test_span_order() -> None:
    spans = [m.Span(*t) for t in [(1, 2, 3, 4), (1, 2, 3, 5), (0, 9, 9, 9), (1, 2, 3, 4), (2, 0, 0, 0)]]
    ref = REFERENCES[m.Span]
    mirrors = [ref(*dataclasses.astuple(s)) for s in spans]
    for a, ra in zip(spans, mirrors):
        for b, rb in zip(spans, mirrors):
            assert (a < b, a <= b, a > b, a >= b, a == b) == (ra < rb, ra <= rb, ra > rb, ra >= rb, ra == rb)
    assert sorted(spans) == [m.Span(*dataclasses.astuple(r)) for r in sorted(mirrors)]
    for op in ("__lt__", "__le__", "__gt__", "__ge__"):
        assert getattr(spans[0], op)(mirrors[0]) is NotImplemented is getattr(mirrors[0], op)(spans[0])
    assert _outcome(lambda: spans[0] < 1)[1] is _outcome(lambda: mirrors[0] < 1)[1] is TypeError


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_frozen_slots_and_size(cls: type) -> None:
    ref = REFERENCES[cls]
    args, kwargs = _arguments(cls)
    ours, theirs = cls(*args, **kwargs), ref(*args, **kwargs)
    for f in dataclasses.fields(cls):
        assert _outcome(setattr, ours, f.name, 1) == _outcome(setattr, theirs, f.name, 1)
        assert _outcome(delattr, ours, f.name) == _outcome(delattr, theirs, f.name)
    # a name that is no field: refused too (the 3.11 slotted dataclass refuses it with a TypeError from super())
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'other'"):
        ours.other = 1
    with pytest.raises(FrozenInstanceError, match="cannot delete field 'other'"):
        del ours.other
    with pytest.raises((FrozenInstanceError, TypeError)):
        theirs.other = 1
    assert _state(ours) == _state(theirs)
    assert vars(cls).get("__slots__") == vars(ref).get("__slots__")
    assert hasattr(ours, "__dict__") == hasattr(theirs, "__dict__") == ("__slots__" not in vars(cls))
    assert sys.getsizeof(ours) == sys.getsizeof(theirs)
    assert dataclasses.is_dataclass(ours) and [dataclasses.astuple(ours)] == [dataclasses.astuple(theirs)]


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_pickle_copy_and_replace(cls: type, monkeypatch: pytest.MonkeyPatch) -> None:
    ref = REFERENCES[cls]
    args, kwargs = _arguments(cls, variant=1)
    ours, theirs = cls(*args, **kwargs), ref(*args, **kwargs)
    if "__slots__" in vars(cls):
        assert cls.__getstate__.__qualname__ == "quick_pickling.<locals>.getstate"   # records.py's pair
    module = sys.modules[cls.__module__]
    def round_trip(obj: Any, protocol: int) -> Any:
        return pickle.loads(pickle.dumps(obj, protocol))

    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        got = _outcome(round_trip, ours, protocol)
        with monkeypatch.context() as patch:
            patch.setattr(module, cls.__name__, ref)   # pickle finds a class by its module and name
            assert got == _outcome(round_trip, theirs, protocol)   # the same values, or the same error
    again = pickle.loads(pickle.dumps(ours))
    assert type(again) is cls and _state(again) == _state(ours)
    for clone in (copy.copy, copy.deepcopy):
        assert type(clone(ours)) is cls and _state(clone(ours)) == _state(ours) == _state(clone(theirs))
    for f in dataclasses.fields(cls):
        change = {f.name: _value(cls, f.name, 0)}
        assert _outcome(dataclasses.replace, ours, **change) == _outcome(dataclasses.replace, theirs, **change)
    assert _outcome(dataclasses.replace, ours, nonsense=1) == _outcome(dataclasses.replace, theirs, nonsense=1)


def test_match_statements_read_records_as_dataclasses() -> None:
    e = m.Add(m.Num(Fraction(2)), m.Name("x"))
    match e:
        case m.Add(m.Num(value=v), m.Name("x")):
            assert v == 2
        case _:
            pytest.fail("positional and keyword patterns")


def test_name_caches_its_key_and_a_changed_name_computes_its_own() -> None:
    name = m.Name("s", (m.Num(Fraction(1)),))
    ref = REFERENCES[m.Name]("s", (m.Num(Fraction(1)),))
    assert name._key == ref._key == ""
    assert name.key() == ref.key() == "s_1" and name._key == ref._key == "s_1"
    assert name == m.Name("s", (m.Num(Fraction(1)),)) and hash(name) == hash(m.Name("s", (m.Num(Fraction(1)),)))
    assert repr(name) == repr(ref) and "_key" not in repr(name)
    assert pickle.loads(pickle.dumps(name))._key == "s_1" == copy.deepcopy(ref)._key
    changed = dataclasses.replace(name, base="y")
    assert changed._key == "" and changed.key() == "y_1"
    with pytest.raises(ValueError, match="init=False"):
        dataclasses.replace(name, _key="z")


# --------------------------------------------------------------------------- what the model itself does not use


@record
class _Bag:
    """A record with default factories."""

    items: list[int] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)
    label: str = field(default="bag", kw_only=True)


@record
class _Plain:
    size: int
    when: m.Span = field(default=m.NOWHERE, kw_only=True)


@record(frozen=False, slots=False)
class _Tally:
    """A mutable record with a __post_init__."""

    counts: dict[str, int] = field(default_factory=dict)
    total: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.total = sum(self.counts.values())


@record(frozen=False)
class _Hashed:
    """A mutable slotted record with a hash of its own."""

    key: str

    def __hash__(self) -> int:
        return len(self.key)


@record
class _Checked:
    """A frozen record with a __post_init__."""

    low: int
    high: int

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError("low above high")


finish(__name__)


def test_mutable_records_and_post_init() -> None:
    @dataclasses.dataclass
    class _Tally:   # the dataclass the record stands for (the same name, for the same repr)
        counts: dict[str, int] = field(default_factory=dict)
        total: int = field(default=0, init=False)

        def __post_init__(self) -> None:
            self.total = sum(self.counts.values())

    _Tally.__qualname__ = "_Tally"
    ours = globals()["_Tally"]
    a, ref = ours({"x": 2, "y": 3}), _Tally({"x": 2, "y": 3})
    assert a.total == ref.total == 5 and repr(a) == repr(ref) and a == ours({"x": 2, "y": 3}) != ours()
    assert ours.__hash__ is None is _Tally.__hash__ and str(inspect.signature(ours)) == str(inspect.signature(_Tally))
    a.total = 7   # mutable: assigned as in a dataclass
    assert a.total == 7 and ours().counts is not ours().counts and hasattr(a, "__dict__")
    hashed = globals()["_Hashed"]
    assert hash(hashed("abc")) == 3 and hashed("abc") == hashed("abc") and not hasattr(hashed("a"), "__dict__")
    checked = globals()["_Checked"]
    assert checked(1, 2).high == 2
    with pytest.raises(ValueError, match="low above high"):
        checked(3, 2)


def test_default_factories_and_a_class_without_a_docstring() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class _Bag:   # the same name as ours, for the same repr and messages
        items: list[int] = field(default_factory=list)
        seen: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)
        label: str = field(default="bag", kw_only=True)

    @dataclasses.dataclass(frozen=True, slots=True)
    class _Plain:
        size: int
        when: m.Span = field(default=m.NOWHERE, kw_only=True)

    ours = globals()["_Bag"]
    a, b = ours(), ours()
    assert a.items == [] and a.items is not b.items and a.seen == {} and a.seen is not b.seen
    assert ours([1]).items == [1] and repr(ours([1], label="x")) == "_Bag(items=[1], label='x')"
    assert str(inspect.signature(ours)) == str(inspect.signature(_Bag))
    plain = globals()["_Plain"]
    # without a docstring, the doc a dataclass writes: the class's signature
    assert plain.__doc__ == _Plain.__doc__ == (
        "_Plain(size: 'int', *, when: 'm.Span' = Span(line=0, column=0, end_line=0, end_column=0))")


def test_what_a_record_refuses() -> None:
    with pytest.raises(ValueError, match="eq must be true"):
        record(order=True, eq=False)

    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
        @record
        class Bad:
            """Out of order."""

            a: int = 0
            b: int = field(default=dataclasses.MISSING)

        finish(__name__)

    with pytest.raises(TypeError, match="cannot inherit non-frozen dataclass from a frozen one"):
        @record(frozen=False)
        class Thawed(_Plain):
            """A mutable record of a frozen one."""

    with pytest.raises(TypeError, match="Cannot overwrite attribute __setattr__"):
        @record
        class Mutable:
            """Writes its own __setattr__."""

            a: int

            def __setattr__(self, name: str, value: Any) -> None: ...

        finish(__name__)


def test_every_module_of_pgverify_finishes_its_records() -> None:
    """A module that declares records and never calls ``finish`` would leave them with object's ``__init__``."""
    import importlib
    import pkgutil

    import pgverify
    from pgverify import records   # the leaf (pgverify.model.records re-exports it)

    for info in pkgutil.walk_packages(pgverify.__path__, "pgverify."):
        if info.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except ImportError:   # an optional extra that is not installed (the language server, Sphinx, …)
            continue
    assert not records._PENDING, sorted(records._PENDING)
