"""The records outside the model behave as the plain dataclasses they replace.

``pgverify/records.py`` is a leaf, so the modules below the model in the layers (the configuration, the check
options, the limits) and the kernel declare their small classes as records too (one compile per module at
import instead of one per method and class).  Each is compared here with a reference class built by plain
``@dataclass`` from the same fields and the same methods of the class body (frozen or not, as ours): the
signature, construction and defaults, equality, hashing, repr, the frozen attributes, pickling and copying,
``dataclasses.replace`` and pattern matching.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import pickle
import sys
from dataclasses import FrozenInstanceError, field
from types import FunctionType
from typing import Any

import pytest

from pgverify import checkoptions, config, limits, records
from pgverify.kernel import normalize, terms, translate

prove = importlib.import_module("pgverify.kernel.prove")   # the module (the package's `prove` is its function)

CLASSES: list[type] = [checkoptions.Options, config.Config, limits.TimedOut, limits.Crashed, normalize.Switches,
                       terms.Proof, translate.Scope, translate.DefTemplate, prove._Shown, prove._Step]
ids = [c.__name__ for c in CLASSES]


def _own_methods(cls: type) -> dict[str, Any]:
    where = sys.modules[cls.__module__].__file__
    return {name: value for name, value in vars(cls).items()
            if isinstance(value, FunctionType) and value.__code__.co_filename == where}


def _reference(cls: type) -> type:
    namespace: dict[str, Any] = {"__module__": cls.__module__, "__qualname__": cls.__qualname__,
                                 "__doc__": cls.__doc__, "__annotations__": {}, **_own_methods(cls)}
    for f in dataclasses.fields(cls):
        namespace["__annotations__"][f.name] = f.type
        namespace[f.name] = field(default=f.default, default_factory=f.default_factory, init=f.init, repr=f.repr,
                                  compare=f.compare, kw_only=f.kw_only)
    made = type(cls.__name__, cls.__bases__, namespace)
    return dataclasses.dataclass(frozen=records._FROZEN[cls])(made)


REFERENCES = {cls: _reference(cls) for cls in CLASSES}


def _values(cls: type, variant: int) -> dict[str, Any]:
    return {f.name: [f"{f.name}-0", (f.name, 1)][variant] for f in dataclasses.fields(cls) if f.init}


def _state(obj: Any) -> tuple[Any, ...]:
    return tuple(getattr(obj, f.name) for f in dataclasses.fields(obj))


def _outcome(action: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        made = action(*args, **kwargs)
    except Exception as error:   # noqa: BLE001 - the very thing compared
        return ("raises", type(error), str(error))
    return ("record", type(made).__qualname__, _state(made)) if dataclasses.is_dataclass(made) else ("value", made)


def test_each_is_a_record_and_none_is_left_unfinished() -> None:
    for cls in CLASSES:
        assert vars(cls)["__init__"].__code__.co_filename.startswith("<records of ")
    assert not records._PENDING


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_signature_construction_and_defaults(cls: type) -> None:
    ref = REFERENCES[cls]
    assert str(inspect.signature(cls)) == str(inspect.signature(ref))
    assert cls.__init__.__annotations__ == ref.__init__.__annotations__
    assert cls.__match_args__ == ref.__match_args__ and cls.__doc__ == ref.__doc__
    values = _values(cls, 0)
    assert _state(cls(**values)) == _state(ref(**values)) == _state(cls(*values.values()))
    required = {f.name: values[f.name] for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    assert _state(cls(**required)) == _state(ref(**required))   # every default (a factory's value is new each time)
    for wrong in ((), (*values.values(), "one too many")):
        assert _outcome(cls, *wrong) == _outcome(ref, *wrong)
    assert _outcome(cls, **values, nonsense=1) == _outcome(ref, **values, nonsense=1)


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_equality_hash_and_repr(cls: type) -> None:
    ref = REFERENCES[cls]
    values = _values(cls, 0)
    ours, theirs = cls(**values), ref(**values)
    assert repr(ours) == repr(theirs)
    assert ours == cls(**values) and ours != theirs and ours.__eq__(theirs) is NotImplemented
    if records._FROZEN[cls]:
        assert hash(ours) == hash(theirs) == hash(cls(**values))
    else:
        assert cls.__hash__ is None is ref.__hash__
    for name in values:
        changed = {**values, name: _values(cls, 1)[name]}
        assert (ours == cls(**changed)) == (theirs == ref(**changed)) is False
        assert repr(cls(**changed)) == repr(ref(**changed))


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_frozen_attributes(cls: type) -> None:
    ref = REFERENCES[cls]
    values = _values(cls, 0)
    ours, theirs = cls(**values), ref(**values)
    for name in (*values, "other"):
        assert _outcome(setattr, ours, name, 1) == _outcome(setattr, theirs, name, 1)
    if records._FROZEN[cls]:
        with pytest.raises(FrozenInstanceError):
            ours.other = 1
    assert hasattr(ours, "__dict__") and hasattr(theirs, "__dict__")   # no slots, as before


@pytest.mark.parametrize("cls", CLASSES, ids=ids)
def test_pickle_copy_replace_and_match(cls: type) -> None:
    values = _values(cls, 1)
    ours = cls(**values)
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        again = pickle.loads(pickle.dumps(ours, protocol))
        assert type(again) is cls and _state(again) == _state(ours)
    for clone in (copy.copy, copy.deepcopy):
        assert type(clone(ours)) is cls and _state(clone(ours)) == _state(ours)
    first = dataclasses.fields(cls)[0].name
    assert getattr(dataclasses.replace(ours, **{first: "new"}), first) == "new"
    match ours:
        case cls(got):   # the first of __match_args__, positionally
            assert got == values[cls.__match_args__[0]]
        case _:
            pytest.fail("a record matches its class pattern")
    assert cls.__match_args__ == tuple(f.name for f in dataclasses.fields(cls) if f.init and not f.kw_only)


def test_the_worker_outcomes_cross_a_pipe_as_before() -> None:
    """TimedOut and Crashed are what a worker sends back: pickled there, unpickled here, equal to what was sent."""
    outcomes = limits.run_jobs([lambda: 1 / 0, lambda: limits.TimedOut(2.0)], 30.0, 1)
    assert outcomes == [limits.Crashed("internal error (ZeroDivisionError: division by zero)"), limits.TimedOut(2.0)]


def test_records_is_a_leaf() -> None:
    """config, checkoptions and limits sit below the model in the layers: what they import must import nothing
    of pgverify (and the model's own records module is a re-export of it)."""
    import ast
    from pathlib import Path

    source = Path(records.__file__).read_text(encoding="utf-8")
    imported = [node.module or "" for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom)]
    imported += [alias.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Import)
                 for alias in node.names]
    assert imported and not [name for name in imported if name.startswith("pgverify") or not name
                             or name.startswith(".")], imported
    assert all(node.level == 0 for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom))
    from pgverify.model import records as model_records

    assert model_records.record is records.record and model_records.finish is records.finish
