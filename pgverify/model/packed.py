"""A file's derivations kept packed in bytes until they are used: a note's model at a few times its size.

A derivation's tree costs about sixteen times its text as objects (a block of lecture notes of 147 bytes
is some thirteen nodes and fifteen spans, 2.4 kB).  A note of a thousand blocks needs one derivation at a
time: the checker builds each one's jobs, a worker checks its steps, the report is made of strings.  So
:class:`Derivations` keeps each derivation as bytes (about a tenth of its objects) and unpacks it when it
is asked for, every time, keeping only the one asked for last (the steps of one derivation are asked for
one after the other).  What a file's derivations share by identity stays shared: a preamble's
declarations are the very tuple of every derivation under it (``checker._prepare`` shares one context
between them on that test), and inside a derivation a node met twice (a step's left side is the right
side of the step before) is one node again once unpacked.

The bytes are a program for a stack machine, in post-order (a node's fields, then the node), so that
packing and unpacking walk a tree of any depth without recursion:

* a record is its ``init`` fields in field order, then one byte naming its class (``_RECORD + k``);
* a tuple is its items, then ``_TUPLE`` and its length; ``()`` is ``_EMPTY``;
* a span is ``_SPAN`` and four numbers, its lines as differences from the span before (a few bytes);
* a string is its length and its UTF-8 bytes (short ones interned again when unpacked), an integer its
  zigzag varint, a fraction two of them; ``None``, ``False`` and ``True`` one byte each;
* ``_REF k`` is the k-th record or tuple made so far; ``_SHARED k`` the k-th object of the file's shared
  table.

A derivation holding anything else (no reader makes one) is kept as it is: packing is a saving, never a
condition.  ``unpack(pack(d))`` equals ``d`` field by field, spans included (tests/test_packed.py, over
every derivation of the repository's files).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import fields
from fractions import Fraction
from functools import cache
from typing import Any

from . import expressions, statements
from .expressions import NOWHERE, Span
from .statements import Derivation

_NONE, _FALSE, _TRUE, _INT, _STR, _FRAC, _TUPLE, _EMPTY, _REF, _SHARED, _NAME, _NUM = range(12)
_RECORD = 16
_INTERN = 32   # strings of at most this many characters are interned again when unpacked (names, relations)


class PackError(Exception):
    """A value the packer has no code for."""


def _record_classes() -> list[type]:
    """Every record of the model a derivation can hold, in a fixed order (their codes)."""
    out = []
    for module in (expressions, statements):
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == module.__name__ and value is not Span \
                    and hasattr(value, "__dataclass_fields__"):
                out.append(value)
    return out


@cache
def _codes() -> tuple[dict[type, int], dict[type, tuple[str, ...]], dict[type, Any], tuple[dict[int, Any], ...]]:
    """Each record class's code; its positional init fields in order but its span, which is written inline
    after the class's code; where the span goes among them ("kw": the keyword-only span of a node, None: the
    class has none); and the same by code, for unpacking.  A record's one keyword-only field is its span (a
    class with another could not be made from its positional fields: it is refused here).  Made on first use:
    a file of at most ``UNPACKED`` derivations never packs one."""
    classes = _record_classes()
    assert _RECORD + len(classes) <= 256
    for cls in classes:
        assert all(f.name == "span" for f in fields(cls) if f.init and f.kw_only), cls
    code = {cls: _RECORD + k for k, cls in enumerate(classes)}
    names = {cls: tuple(f.name for f in fields(cls) if f.init and not f.kw_only and f.name != "span")
             for cls in classes}
    span_at = {cls: next((k for k, f in enumerate(x for x in fields(cls) if x.init and not x.kw_only)
                          if f.name == "span"), "kw" if any(f.name == "span" and f.kw_only for f in fields(cls))
                         else None) for cls in classes}
    by_code = ({code[c]: c for c in classes}, {code[c]: len(names[c]) for c in classes},
               {code[c]: span_at[c] for c in classes})
    return code, names, span_at, by_code


_PLAIN_NAME = ((), 0, None, None)   # a name's sub, primes, sample and decoration when it has none of them
# how a span is written: none (NOWHERE); four bytes (the line's difference from the span before + 128, the
# column, the lines it spans, the end column: each fitting a byte, as nearly every span does); four varints
_NOWHERE, _SHORT, _LONG = 0, 1, 2


def _uint(out: bytearray, n: int) -> None:
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _sint(out: bytearray, n: int) -> None:
    _uint(out, n << 1 if n >= 0 else ((-n) << 1) - 1)


def pack(obj: Any, shared: dict[int, int] | None = None) -> bytes:
    """The bytes of ``obj`` (see the module's docstring); ``shared`` maps the ``id`` of an object of the
    file's shared table to its place there.  Raises PackError for a value it has no code for."""
    code, names, span_at, _ = _codes()
    out = bytearray()
    made: dict[int, int] = {}      # id of a record or tuple already written -> its place in the order made
    keep: list[Any] = []           # what ``made`` names stays alive (an id is not reused meanwhile)
    line = [0]

    def span(x: Any) -> None:
        if type(x) is not Span:
            raise PackError(f"a span that is a {type(x).__name__}")
        if x == NOWHERE:
            out.append(_NOWHERE)
            return
        step, lines = x.line - line[0], x.end_line - x.line
        if -128 <= step < 128 and 0 <= x.column < 256 and 0 <= lines < 256 and 0 <= x.end_column < 256:
            out.extend((_SHORT, step + 128, x.column, lines, x.end_column))
        else:
            out.append(_LONG)
            _sint(out, step)
            _sint(out, x.column)
            _sint(out, lines)
            _sint(out, x.end_column)
        line[0] = x.line

    stack: list[tuple[Any, bool]] = [(obj, False)]
    while stack:
        x, ready = stack.pop()
        t = type(x)
        if ready:
            if t is tuple:
                out.append(_TUPLE)
                _uint(out, len(x))
            else:
                out.append(code[t])
                if span_at[t] is not None:
                    span(x.span)
            made[id(x)] = len(keep)
            keep.append(x)
        elif x is None:
            out.append(_NONE)
        elif t is bool:
            out.append(_TRUE if x else _FALSE)
        elif t is int:
            out.append(_INT)
            _sint(out, x)
        elif t is str:
            data = x.encode("utf-8", "surrogatepass")
            out.append(_STR)
            _uint(out, len(data))
            out += data
        elif t is Fraction:
            out.append(_FRAC)
            _sint(out, x.numerator)
            _uint(out, x.denominator)
        elif t is tuple and not x:
            out.append(_EMPTY)
        elif id(x) in made:
            out.append(_REF)
            _uint(out, made[id(x)])
        elif shared is not None and id(x) in shared:
            out.append(_SHARED)
            _uint(out, shared[id(x)])
        elif t is tuple:
            stack.append((x, True))
            stack.extend((item, False) for item in reversed(x))
        elif t is expressions.Name and type(x.base) is str and (x.sub, x.primes, x.sample, x.decoration) == _PLAIN_NAME:
            data = x.base.encode("utf-8", "surrogatepass")
            out.append(_NAME)
            _uint(out, len(data))
            out += data
            span(x.span)
            made[id(x)] = len(keep)
            keep.append(x)
        elif t is expressions.Num and type(x.value) is Fraction:
            out.append(_NUM)
            _sint(out, x.value.numerator)
            _uint(out, x.value.denominator)
            span(x.span)
            made[id(x)] = len(keep)
            keep.append(x)
        elif t in code:
            stack.append((x, True))
            stack.extend((getattr(x, name), False) for name in reversed(names[t]))
        else:
            raise PackError(f"no code for a {t.__name__}")
    return bytes(out)


def _varint(data: bytes, pos: int, b: int) -> tuple[int, int]:
    """The rest of a varint whose first byte ``b`` (at ``pos - 1``) has its high bit set, and where it ends."""
    n, shift = b & 0x7F, 7
    while True:
        b = data[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        if b < 0x80:
            return n, pos
        shift += 7


def _span(data: bytes, pos: int, line: int) -> tuple[Span, int]:
    """The span written at ``pos`` (its line relative to ``line``), and where it ends."""
    form = data[pos]
    if form == _NOWHERE:
        return NOWHERE, pos + 1
    if form == _SHORT:
        start = line + data[pos + 1] - 128
        return Span(start, data[pos + 2], start + data[pos + 3], data[pos + 4]), pos + 5
    pos += 1
    four = []
    for _ in range(4):
        b = data[pos]
        pos += 1
        if b >= 0x80:
            b, pos = _varint(data, pos, b)
        four.append(b >> 1 if not b & 1 else -((b + 1) >> 1))
    start = line + four[0]
    return Span(start, four[1], start + four[2], four[3]), pos


# the small whole numbers, one Fraction each (a 2 or a 1 is on most rows of a note), as the parser shares
# its short numerals: at most one for each of -16 … 1023, so that this table never grows past that
_WHOLE: dict[int, Fraction] = {}


def _fraction(n: int, d: int) -> Fraction:
    if d != 1 or not -16 <= n < 1024:
        return Fraction(n, d)
    value = _WHOLE.get(n)
    if value is None:
        value = _WHOLE[n] = Fraction(n)
    return value


def unpack(data: bytes, shared: Sequence[Any] = ()) -> Any:
    """The object ``pack`` wrote into ``data``, made again (``shared``: the file's shared table).

    The hot loop of a check over packed notes (each derivation is unpacked a few times): one code per node
    (a plain name or a number is one code, a span is written inline), the common one-byte varints read
    inline, the codes tested most frequent first."""
    stack: list[Any] = []
    push = stack.append
    made: list[Any] = []
    line = 0
    pos = 0
    end = len(data)
    classes, arity, span_at = _codes()[3]
    Name, Num = expressions.Name, expressions.Num
    while pos < end:
        op = data[pos]
        pos += 1
        if op >= _RECORD or op == _NAME or op == _NUM:   # a node: its value or fields, then its span
            if op == _NAME or op == _NUM:
                n = data[pos]
                pos += 1
                if n >= 0x80:
                    n, pos = _varint(data, pos, n)
                if op == _NAME:
                    value: Any = sys.intern(data[pos:pos + n].decode("utf-8", "surrogatepass"))
                    pos += n
                else:
                    d = data[pos]
                    pos += 1
                    if d >= 0x80:
                        d, pos = _varint(data, pos, d)
                    value = _fraction(n >> 1 if not n & 1 else -((n + 1) >> 1), d)
                at: Any = "kw"
            else:
                at = span_at[op]
            if at is None:
                s = None
            elif data[pos] == _SHORT:
                line += data[pos + 1] - 128
                s = Span(line, data[pos + 2], line + data[pos + 3], data[pos + 4])
                pos += 5
            else:
                s, pos = _span(data, pos, line)
                if s is not NOWHERE:
                    line = s.line
            if op == _NAME:
                obj = Name(value, span=s)
            elif op == _NUM:
                obj = Num(value, span=s)
            else:
                k = arity[op]
                values = stack[len(stack) - k:] if k else []
                if k:
                    del stack[len(stack) - k:]
                if at == "kw":
                    obj = classes[op](*values, span=s)
                else:   # a span among the positional fields (a step, a derivation), or none
                    if at is not None:
                        values.insert(at, s)
                    obj = classes[op](*values)
            push(obj)
            made.append(obj)
        elif op == _STR:
            n = data[pos]
            pos += 1
            if n >= 0x80:
                n, pos = _varint(data, pos, n)
            text = data[pos:pos + n].decode("utf-8", "surrogatepass")
            pos += n
            push(sys.intern(text) if n <= _INTERN else text)
        elif op == _EMPTY:
            push(())
        elif op == _NONE:
            push(None)
        elif op == _INT or op == _REF or op == _SHARED or op == _TUPLE:
            n = data[pos]
            pos += 1
            if n >= 0x80:
                n, pos = _varint(data, pos, n)
            if op == _INT:
                push(n >> 1 if not n & 1 else -((n + 1) >> 1))
            elif op == _REF:
                push(made[n])
            elif op == _SHARED:
                push(shared[n])
            else:
                items = tuple(stack[len(stack) - n:]) if n else ()
                if n:
                    del stack[len(stack) - n:]
                push(items)
                made.append(items)
        elif op == _FRAC:
            n = data[pos]
            pos += 1
            if n >= 0x80:
                n, pos = _varint(data, pos, n)
            d = data[pos]
            pos += 1
            if d >= 0x80:
                d, pos = _varint(data, pos, d)
            push(_fraction(n >> 1 if not n & 1 else -((n + 1) >> 1), d))
        elif op == _TRUE:
            push(True)
        elif op == _FALSE:
            push(False)
        else:
            raise ValueError(f"packed data with an unknown code {op}")
    (obj,) = stack
    return obj


# the derivations of a file kept as they are, before any is packed: packing and unpacking cost a check some
# 4 % of its CPU (a derivation is unpacked once or twice), and save memory only where a file has a lot of it
UNPACKED = 64


class Derivations(Sequence[Derivation]):
    """A file's derivations, each packed until asked for (see the module's docstring).

    A sequence like the tuple it stands for: ``len``, indexing, slicing (a tuple), iteration in order,
    equality with any sequence of the same derivations, a hash that is the tuple's.  Made by a
    :class:`DerivationsBuilder`, or at once from any iterable of derivations (the first ``unpacked`` of
    them kept as they are)."""

    __slots__ = ("_items", "_last", "_shared")

    def __init__(self, derivations: Iterable[Derivation] = (), unpacked: int | None = None) -> None:
        builder = DerivationsBuilder(unpacked)
        for d in derivations:
            builder.append(d)
        self._items, self._shared = builder._finished()
        self._last: tuple[bytes, Derivation] | None = None

    @classmethod
    def _of(cls, items: tuple[bytes | Derivation, ...], shared: tuple[Any, ...]) -> Derivations:
        self = cls.__new__(cls)
        self._items, self._shared, self._last = items, shared, None
        return self

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self[k] for k in range(*index.indices(len(self._items))))
        item = self._items[index]   # an IndexError as a tuple's
        if type(item) is not bytes:
            return item
        last = self._last
        if last is not None and last[0] is item:
            return last[1]
        d = unpack(item, self._shared)
        self._last = item, d
        return d

    def __iter__(self) -> Iterator[Derivation]:
        for k in range(len(self._items)):
            yield self[k]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Derivations({list(self)!r})"

    def __reduce__(self) -> Any:
        return Derivations._of, (self._items, self._shared)

    def __bool__(self) -> bool:
        return bool(self._items)


class DerivationsBuilder:
    """The derivations of a file being read: the first ``UNPACKED`` and the last stay as they are (a reader
    may still replace the last, as a block that continues the chain of the one before does), every other one
    is packed."""

    __slots__ = ("_ids", "_items", "_shared", "_tail", "_unpacked")

    def __init__(self, unpacked: int | None = None) -> None:
        self._unpacked = UNPACKED if unpacked is None else unpacked
        self._items: list[bytes | Derivation] = []
        self._shared: list[Any] = []
        self._ids: dict[int, int] = {}
        self._tail: Derivation | None = None

    def append(self, d: Derivation) -> None:
        if self._tail is not None:
            self._items.append(self._pack(self._tail))
        self._tail = d

    def __len__(self) -> int:
        return len(self._items) + (self._tail is not None)

    def __bool__(self) -> bool:
        return self._tail is not None

    def __getitem__(self, index: int) -> Derivation:
        index = index + len(self) if index < 0 else index
        if index == len(self) - 1 and self._tail is not None:
            return self._tail
        if not 0 <= index < len(self._items):
            raise IndexError("derivation index out of range")
        item = self._items[index]
        return item if type(item) is not bytes else unpack(item, self._shared)

    def __setitem__(self, index: int, d: Derivation) -> None:
        index = index + len(self) if index < 0 else index
        if index != len(self) - 1 or self._tail is None:
            raise IndexError("only the last derivation read can be replaced")
        self._tail = d

    def __iter__(self) -> Iterator[Derivation]:
        for k in range(len(self)):
            yield self[k]

    def build(self) -> Derivations:
        return Derivations._of(*self._finished())

    def _finished(self) -> tuple[tuple[bytes | Derivation, ...], tuple[Any, ...]]:
        items = self._items + ([self._pack(self._tail)] if self._tail is not None else [])
        return tuple(items), tuple(self._shared)

    def _pack(self, d: Derivation) -> bytes | Derivation:
        if len(self._items) < self._unpacked:
            return d
        if d.declarations and id(d.declarations) not in self._ids:
            self._ids[id(d.declarations)] = len(self._shared)
            self._shared.append(d.declarations)   # kept: the id stays this tuple's
        try:
            return pack(d, self._ids)
        except PackError:
            return d
