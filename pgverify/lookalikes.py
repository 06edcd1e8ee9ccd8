"""Names that look like other names: a note for each, with the code points, so no look-alike deceives.

One normalization applies to every name of every front end: Unicode NFKC
(the normalization Python applies to its identifiers).  So ``ϑ`` is ``θ``,
fullwidth ``ｘ`` is ``x`` and ``ℓ`` is ``l``, in ``.pgv`` and in notes alike.
What NFKC does not fold stays distinct: Cyrillic ``а`` (U+0430) is not Latin
``a`` (U+0061).  Three things get a note (code ``lookalike-name``), at the
name's first place in the file:

- a name that NFKC changed (``ϑ`` is read as ``θ``), with both code points;
- two different names of one file that look the same: their *skeletons*
  (each character replaced by its look-alike prototype from Unicode's
  confusables table, as Unicode's UTS #39 does) are equal, such as
  Cyrillic ``а`` and Latin ``a``.  Latin and Greek letters are their own
  prototypes: ``α`` and ``a`` are two letters to a mathematician;
- a name whose letters come from several scripts and that looks like a name
  of one script (``pаram`` with a Cyrillic ``а``).

Names from outside the file (``grade`` passes the assignment's: its preamble
and goal) are compared too, so a student's Cyrillic ``х`` beside the
assignment's ``x`` gets the same note; the note stands at the file's name.

The confusables table is the one the ``confusable_homoglyphs`` package ships
(Unicode's ``confusables.txt``); it is loaded only for a file with a
non-ASCII name.  Where the package is missing, only the NFKC notes are given.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Collection, Iterator
from functools import cache
from typing import Any

from . import model as m
from .report import Note

CODE = "lookalike-name"
# the mathematician's alphabets: a Greek letter that looks like a Latin one (α and a, ρ and p) is a different
# letter to every reader of the notes, so only look-alikes from other scripts (Cyrillic а …) are reported
MATH_SCRIPTS = ("LATIN", "GREEK")


def notes(source: m.SourceFile, outside: Collection[str] = (), where: str = "a name declared elsewhere"
          ) -> list[Note]:
    """The look-alike notes of a parsed file (sorted by place; one per name or pair of names).

    ``outside`` are names the file is read with but does not write (an assignment's, see :func:`names`);
    ``where`` says where they come from in a note."""
    first: dict[str, m.Span] = {}
    for name in _names(source):
        if name.base not in first or (name.span.line, name.span.column) < _place(first[name.base]):
            first[name.base] = name.span
    out: list[Note] = []
    for base, span in first.items():
        written = _written(source, span)
        if written and written != base and not written.isascii() and unicodedata.normalize("NFKC", written) == base:
            out.append(Note(span.line, span.column, f"'{written}' ({_points(written)}) is read as '{base}'"
                                                    f" ({_points(base)}): names are compared after Unicode NFKC",
                            CODE))
    if any(not base.isascii() for base in first):
        others = {unicodedata.normalize("NFKC", n) for n in outside} - first.keys()
        # names of Latin and Greek letters only are their own skeletons (see _skeleton): distinct names, distinct
        # skeletons, one script each, so no note; the table (a fifth of a cold start to load) is not needed
        if not all(_own_skeleton(base) for base in first.keys() | others):
            out += _confusions(first, others, where)
    return sorted(out, key=lambda n: (n.line, n.column, n.message))


def names(*objects: Any) -> set[str]:
    """The bases of every name in model objects (declarations, goals, expressions): ``outside`` of :func:`notes`."""
    return {name.base for name in _walk(objects, placed=False)}


def name_nodes(*objects: Any) -> Iterator[m.Name]:
    """Every Name node inside model objects (declarations, goals, expressions), placed or not."""
    return _walk(objects, placed=False)


def _confusions(first: dict[str, m.Span], outside: set[str], where: str) -> list[Note]:
    table = _table()
    if table is None:
        return []
    by_skeleton: dict[str, list[str]] = {}
    for base in sorted(first.keys() | outside):
        by_skeleton.setdefault(_skeleton(base, table), []).append(base)
    out = []
    for skeleton, bases in by_skeleton.items():
        bases = [b for b in bases if b in first] + [b for b in bases if b not in first]
        if len(bases) > 1 and bases[0] in first:
            later = max((b for b in bases if b in first), key=lambda b: _place(first[b]))
            span = first[later]
            mine = ", ".join(f"'{b}' ({_points(b)})" for b in bases if b != later and b in first)
            theirs = ", ".join(f"'{b}' ({_points(b)})" for b in bases if b not in first)
            alike = " and ".join(([f"{mine}, another name of this file"] if mine else [])
                                 + ([f"{theirs}, {where}"] if theirs else []))
            out.append(Note(span.line, span.column, f"'{later}' ({_points(later)}) looks like {alike}:"
                                                    " they are different names", CODE))
        for base in (b for b in bases if b in first):
            if not base.isascii() and skeleton != base and len(_scripts(base)) > 1:
                span = first[base]
                out.append(Note(span.line, span.column, f"'{base}' ({_points(base)}) mixes scripts"
                                                        f" ({', '.join(sorted(_scripts(base)))}) and looks like"
                                                        f" '{skeleton}'", CODE))
    return out


def _names(source: m.SourceFile) -> Iterator[m.Name]:
    """Every Name node of the file's declarations and derivations (iterative: deep trees are fine)."""
    return _walk([source.declarations, source.derivations])


def _walk(objects: Any, placed: bool = True, seen: set[int] | None = None) -> Iterator[m.Name]:
    """Every Name node inside ``objects``, only those with a place when ``placed`` (iterative: deep trees are
    fine); an object met again (by identity: ``seen``) is not walked again."""
    stack: list[Any] = list(objects)
    seen = set() if seen is None else seen
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, m.Derivations):
            for d in item:   # a file's, packed (model/packed.py): each unpacked in turn
                yield from _derivation(d, placed, seen)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif dataclasses.is_dataclass(item) and not isinstance(item, type) and id(item) not in seen:
            seen.add(id(item))
            if isinstance(item, m.Name) and (item.span != m.NOWHERE or not placed):
                yield item
            stack.extend(getattr(item, f.name) for f in dataclasses.fields(item) if f.name != "span")


def _derivation(d: m.Derivation, placed: bool, seen: set[int]) -> Iterator[m.Name]:
    """The names of a derivation unpacked for this walk: its declarations (the file's, kept: each object is
    met once in the whole walk), then the rest with a ``seen`` of its own, since its nodes are freed once it is
    walked and a later derivation's may get their ids."""
    yield from _walk([d.declarations], placed, seen)
    yield from _walk([getattr(d, f.name) for f in dataclasses.fields(d) if f.name not in ("span", "declarations")],
                     placed)


def _written(source: m.SourceFile, span: m.Span) -> str:
    """The name as the file writes it at ``span`` ('' when the place is not known)."""
    if span.line != span.end_line or not 1 <= span.line <= len(source.lines):
        return ""
    text = source.lines[span.line - 1][span.column - 1:span.end_column - 1]
    word = ""
    for ch in text:   # the base only: letters and digits, up to a subscript, prime or bracket
        if not (ch.isalnum() or unicodedata.category(ch).startswith("M")):
            break
        word += ch
    return word


def _place(span: m.Span) -> tuple[int, int]:
    return span.line, span.column


def _points(text: str) -> str:
    return " ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, '?')}" for ch in text if not ch.isascii()) or \
        " ".join(f"U+{ord(ch):04X}" for ch in text)


@cache
def _table() -> dict[str, list[dict[str, str]]] | None:
    try:
        from confusable_homoglyphs import confusables
    except ImportError:
        return None
    data = getattr(confusables, "confusables_data", None)
    return data if isinstance(data, dict) else None


def _skeleton(word: str, table: dict[str, list[dict[str, str]]]) -> str:
    """Each character replaced by its prototype: an ASCII look-alike if there is one, else the smallest code
    point among its single-character look-alikes (so both members of a confusable pair map alike)."""
    out = []
    for ch in word:
        singles = [h["c"] for h in table.get(ch, []) if len(h.get("c", "")) == 1]
        ascii_like = sorted(c for c in singles if c.isascii() and c.isalnum())
        if ch.isascii() or _script(ch) in MATH_SCRIPTS:
            out.append(ch)
        elif ascii_like:
            out.append(ascii_like[0])
        else:
            out.append(min([ch, *(c for c in singles if c.isalpha())]))
    return "".join(out)


def _own_skeleton(word: str) -> bool:
    """True when :func:`_skeleton` leaves every character of ``word`` as it is (ASCII, Latin or Greek), whatever
    the table says."""
    return all(ch.isascii() or _script(ch) in MATH_SCRIPTS for ch in word)


def _scripts(word: str) -> set[str]:
    """The scripts of a word's letters (LATIN, GREEK, CYRILLIC …)."""
    return {_script(ch) for ch in word if ch.isalpha()}


def _script(ch: str) -> str:
    """A letter's script, by the first word of its Unicode name."""
    return unicodedata.name(ch, "?").split()[0]
