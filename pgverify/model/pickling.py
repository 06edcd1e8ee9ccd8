"""Quick pickling for the frozen, slotted dataclasses of the model.

The model's nodes have ``__slots__`` (no instance dict: a tree of them takes half the memory).  For a frozen
slotted dataclass, :mod:`dataclasses` pickles through ``__getstate__``/``__setstate__`` functions that call
``dataclasses.fields`` on every object, which made pickling a file's model (the worker that reads a file
sends its SourceFile back to the parent) about twice as slow as with instance dicts.  :func:`quick_pickling`
gives each class a pair that reads its fields with one ``operator.attrgetter`` and restores them in order:
the same state (a tuple of the field values in field order), at about the old cost.  :func:`.records.finish`
gives the pair to every slotted record.
"""

from __future__ import annotations

import dataclasses
from operator import attrgetter
from typing import Any


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
