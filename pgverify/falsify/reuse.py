"""Reusing a computed value where computing it again would give the same value at the same cost.

A value computed in an evaluator (a definition applied to its arguments, one term of a sum) depends on
the evaluator's state only through what it reads: free variables (``Evaluator.free``), definitions,
constants and data sets already in ``Evaluator.cache``, and it leaves behind what it computed there
and the sizes it gave the model's spaces.  While such a value is computed, a *trace* notes the first
access to each of those keys: the value seen, and whether the key was there before.  Value, trace and
the evaluation budget it cost make an :class:`Entry`.

An entry serves a later evaluation (in the same evaluator, or another of the same model, draw and
parameter orders) only when its trace still holds: every key that was there holds the same value,
and every key that was computed inside is not there yet, so computing it again would cost the same.
Serving it charges the same budget and leaves the same keys behind, so nothing downstream (the work
counts that decide how many models a step gets, the draws a counterexample shows) can tell the
difference.  Entries are indexed by the values of the free variables they read, so finding one is a
dictionary lookup, not a scan.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from .jets import Jet
from .models import Env, Unsupported

MISSING = object()
# how many differently-shaped traces one key keeps (each shape is indexed by the values it read)
MAX_SHAPES = 4


class Entry(NamedTuple):
    """A computed value, what computing it read and left behind (``trace``), and its budget."""

    value: Any
    cost: int
    trace: dict[Any, tuple[Any, bool]]


def note(ev: Any, key: Any, value: Any, present: bool) -> None:
    """Record an access while a trace is open (``ev.trace``): the first one of each key counts."""
    trace = ev.trace
    if key not in trace:
        trace[key] = (value, present)


def record(ev: Any, compute: Callable[[], Any]) -> Entry:
    """Compute a value under a trace of its own (merged into any enclosing trace, even on an error)."""
    outer = ev.trace
    trace: dict[Any, tuple[Any, bool]] = {}
    ev.trace = trace
    before = ev.budget
    try:
        value = compute()
    finally:
        ev.trace = outer
        cache = ev.cache
        for key, (v, present) in trace.items():
            if not present and type(key) is tuple and key[0] != "size":   # computed inside: its final value
                final = cache.get(key)
                trace[key] = (tuple(final) if key[0] == "dataset" and final is not None else final, False)
        if outer is not None:
            for key, item in trace.items():
                if key not in outer:
                    outer[key] = item
    return Entry(value, before - ev.budget, trace)


def _same(a: Any, b: Any) -> bool:
    return a is b or (type(a) is type(b) and type(a) is not Jet and a == b)


def holds(ev: Any, trace: dict[Any, tuple[Any, bool]]) -> bool:
    """Whether computing the traced value again in ``ev`` now would read and cost the same."""
    free, cache = ev.free, ev.cache
    for key, (v, present) in trace.items():
        if type(key) is str:
            current = free.get(key, MISSING)
            if current is MISSING:
                if present:
                    return False    # a value given from outside then, unknown now
            elif not _same(current, v):
                return False
        elif key[0] != "size":
            current = cache.get(key, MISSING)
            if not present:
                if current is not MISSING:
                    return False    # computed inside then, at a cost; found in the cache now, for free
            elif current is MISSING or not _same(tuple(current) if key[0] == "dataset" else current, v):
                return False
    return True


def replay(ev: Any, entry: Entry) -> Any:
    """Serve ``entry`` in ``ev``: charge its budget and leave behind what computing it would have."""
    ev.budget -= entry.cost
    if ev.budget < 0:
        raise Unsupported("the finite models grew too large to enumerate")
    free, cache = ev.free, ev.cache
    for key, (v, present) in entry.trace.items():
        if type(key) is str:
            if key not in free:
                free[key] = v
        elif key[0] == "size":
            ev.model.size(key[1])
        elif not present:
            cache[key] = list(v) if key[0] == "dataset" and v is not None else v
    outer = ev.trace
    if outer is not None:
        for key, item in entry.trace.items():
            if key not in outer:
                outer[key] = item
    return entry.value


class Store:
    """Entries for one key, indexed by the free variables their traces read and the values read."""

    __slots__ = ("shapes",)

    def __init__(self) -> None:
        self.shapes: dict[tuple[str, ...], dict[tuple, Entry]] = {}

    def find(self, ev: Any) -> Entry | None:
        free = ev.free
        for keys, entries in self.shapes.items():
            entry = entries.get(tuple(free.get(k, MISSING) for k in keys))
            if entry is not None and holds(ev, entry.trace):
                return entry
        return None

    def add(self, entry: Entry) -> None:
        reads = [(k, v if present else MISSING) for k, (v, present) in entry.trace.items() if type(k) is str]
        keys = tuple(k for k, _ in reads)
        entries = self.shapes.get(keys)
        if entries is None:
            if len(self.shapes) >= MAX_SHAPES:
                return
            entries = self.shapes[keys] = {}
        try:
            entries[tuple(v for _, v in reads)] = entry
        except TypeError:   # a value read that cannot be a key: not kept
            pass


def env_key(env: Env) -> tuple | None:
    """What of an environment a value may depend on, as a key (None: not usable as one)."""
    items = tuple(env.bindings.items())
    for _, v in items:
        if type(v) is Jet:
            return None
    key = (items, env.traj)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def reused(ev: Any, memo: dict[Any, Store], key: Any, compute: Callable[[], Any]) -> Any:
    """The value ``compute`` gives, from ``memo[key]`` when an entry there still holds.

    A value that is one of the evaluator's own parameter jets is not kept: other evaluators have their
    own, and a cache keyed by a jet's identity must see theirs.
    """
    store = memo.get(key)
    if store is None:
        store = memo[key] = Store()
    else:
        entry = store.find(ev)
        if entry is not None:
            return replay(ev, entry)
    entry = record(ev, compute)
    if type(entry.value) is not Jet or all(entry.value is not p for p in ev.param_values.values()):
        store.add(entry)
    return entry.value
