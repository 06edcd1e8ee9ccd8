"""Texts that know their place in the file, the events a reader finds in them, and the
``pgverify: ignore`` comments and rows of a file: what every reader shares before the assembly.

Apart from :mod:`pgverify.readers.base` (the assembly, which needs the LaTeX front end and the notes
modules) so that reading a ``.pgv`` file, which needs only this, loads neither.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from array import array
from collections.abc import Callable, Iterator, Sequence

from .. import model as m
from ..model.records import finish, record
from ..syntax import logical_lines

Position = Callable[[int], tuple[int, int]]

# every line break str.splitlines knows (CR LF, LF, CR, VT, FF, FS, GS, RS, NEL, LINE and PARAGRAPH SEPARATOR),
# the same set the derivation language cuts its lines at (syntax/pgv/lines.py): a reader that cut at "\n"
# only would let a LaTeX "%" comment or a Markdown line swallow a false claim written after U+2028 or NEL
LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_OTHER_BREAK = re.compile("[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")   # a break that is not "\n"


def unify_line_breaks(text: str) -> str:
    """``text`` with every line break ``str.splitlines`` knows written as ``\\n`` (one break, one ``\\n``:
    line numbers count the same; columns do not move, a break only ever ends a line)."""
    if _OTHER_BREAK.search(text) is None:
        return text                      # the usual case: no copy of the whole file
    return LINE_BREAK.sub("\n", text)


def _newline_ends(text: str) -> Iterator[int]:
    """0 and the offset just past each ``\\n`` of ``text`` (found by ``str.find``, not char by char)."""
    yield 0
    i = text.find("\n")
    while i >= 0:
        yield i + 1
        i = text.find("\n", i + 1)


def line_starts(text: str) -> list[int]:
    """The offset where each line of ``text`` starts, cut at every break of :data:`LINE_BREAK`."""
    return [0] + [found.end() for found in LINE_BREAK.finditer(text)]



# --------------------------------------------------------------------------- texts


class Text:
    """A text (a whole file, a notebook cell) whose offsets map to (line, column) in the file."""

    def __init__(self, text: str, position: Position | None = None):
        self.text = text
        # one machine word per line, not a list of int objects (an int past 256 is a 32-byte object each)
        self._starts = array("I" if len(text) < 1 << 32 else "q", _newline_ends(text))
        self._position = position
        # the int objects of recent line numbers, so that the many spans on one line share them instead of
        # each holding its own copies (bounded: cleared when it grows)
        self._numbers: dict[int, int] = {}

    @classmethod
    def from_line(cls, text: str, first: int) -> Text:
        """A text whose first line is line ``first`` of the file's coordinate (a notebook cell)."""
        here = cls(text)

        def position(offset: int) -> tuple[int, int]:
            line, column = here.local(offset)
            return line + first - 1, column
        return cls(text, position)

    def local(self, offset: int) -> tuple[int, int]:
        """(line, column) in this text, 1-based."""
        k = bisect.bisect_right(self._starts, offset) - 1
        line = self._numbers.get(k)
        if line is None:
            if len(self._numbers) > 64:
                self._numbers.clear()
            line = self._numbers[k] = k + 1
        return line, offset - self._starts[k] + 1

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column) in the original file."""
        offset = max(0, min(offset, len(self.text)))
        return self._position(offset) if self._position else self.local(offset)

    def offset(self, line: int, column: int) -> int:
        """The offset of a local (line, column)."""
        if line < 1:
            return 0
        if line > len(self._starts):
            return len(self.text)
        return min(self._starts[line - 1] + max(column, 1) - 1, len(self.text))

    def line_count(self) -> int:
        """How many lines the text has (a text ending in a line break has an empty last line)."""
        return len(self._starts)

    def line_start(self, line: int) -> int:
        """Offset of the start of local line ``line`` (1-based); the end of the text past the last."""
        return self._starts[line - 1] if line <= len(self._starts) else len(self.text)

    @property
    def is_file(self) -> bool:
        return self._position is None

    def to_file(self, span: m.Span) -> m.Span:
        """A span in this text's own lines → the same span in the file."""
        if self.is_file or span == m.NOWHERE:
            return span
        line, col = self.position(self.offset(span.line, span.column))
        end_line, end_col = self.position(self.offset(span.end_line, span.end_column))
        return m.Span(line, col, end_line, end_col)


def remap(obj, fn: Callable[[m.Span], m.Span]):
    """Every Span inside a model object, mapped through ``fn``."""
    if isinstance(obj, m.Span):
        return fn(obj)
    if isinstance(obj, (tuple, m.Derivations)):   # (a file's derivations, unpacked one at a time: a tuple)
        return tuple(remap(x, fn) for x in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {f.name: remap(getattr(obj, f.name), fn) for f in dataclasses.fields(obj) if f.init}
        return dataclasses.replace(obj, **changes)
    return obj


# --------------------------------------------------------------------------- events


@record
class Event:
    text: Text
    start: int

    def where(self) -> tuple[int, int]:
        return self.text.position(self.start)


@record
class Heading(Event):
    title: str = ""


@record
class Marker(Event):
    pass


@record
class Preamble(Event):
    """Statements of the derivation language, separated by ``;`` or line breaks, in ``[start, end)``."""

    end: int = 0


@record
class Fence(Event):
    """A block of the derivation language; ``start`` is the start of its first line."""

    end: int = 0


@record
class MathBlock(Event):
    """LaTeX display math in ``[start, end)``, delimiters included."""

    end: int = 0
    marked_inside: bool = False   # a `% pgverify` on the block's own first line
    group: int = -1               # the equations of one reST `.. math::` share its marker
    inline: bool = False          # `$…$` in prose: read for definitions and for chains of two or more relations


@record
class Ignore(Event):
    """A ``pgverify: ignore[names]`` comment opening at ``start``; it silences line ``target`` of the text."""

    target: int = 1               # a line of ``text`` (local, 1-based)
    names: tuple[str, ...] = ()
    problem: str = ""             # a malformed comment: the error to report instead


_ORDER = {Heading: 0, Preamble: 1, Marker: 2, Fence: 3, MathBlock: 4, Ignore: 5}


def in_file_order(events: list[Event]) -> list[Event]:
    return sorted(events, key=lambda e: (e.where()[0], _ORDER[type(e)], e.where()[1]))


# --------------------------------------------------------------------------- ignore comments

_IGNORE = re.compile(r"\s*pgverify\s*:\s*ignore\b\s*(?:\[(?P<names>[^\]\[]*)\])?\s*")
_IGNORE_START = re.compile(r"\s*pgverify\s*:\s*ignore")
_NAME = re.compile(r"[^\s,\[\]]+")
IgnoreText = tuple[tuple[str, ...], str]   # the names, and the problem of a malformed comment ("" when none)

PGV_COMMENT = re.compile(r"\s*#.*")
TEX_COMMENT = re.compile(r"\s*%.*")


def read_ignore(content: str) -> IgnoreText | None:
    """A comment's text read as ``pgverify: ignore`` or ``pgverify: ignore[a, b]``: the names (none for
    every fault) and, for a malformed one (``pgverify: ignored``, an unclosed bracket), the error to report.
    None for any other comment."""
    if not _IGNORE_START.match(content):
        return None
    found = _IGNORE.fullmatch(content)
    names = tuple(n.strip() for n in (found.group("names") or "").split(",")) if found else ()
    if found is None or found.group("names") is not None and not all(_NAME.fullmatch(n) for n in names):
        return (), ("cannot read this suppression: write `pgverify: ignore` or"
                    " `pgverify: ignore[name, other-name]` (rule, mistake or fault names)")
    return names if found.group("names") is not None else (), ""


def ignore_event(text: Text, opening: int, closing: int, comment: IgnoreText,
                 comment_line: re.Pattern[str] | None = None) -> Ignore:
    """An ignore comment in ``text[opening:closing]``.

    On a line of its own it silences the next non-blank line (the first line
    after the comment's end that holds anything but a comment of the format,
    ``comment_line``: a marker or another ignore comment may stand between);
    after code, or before code on the same line, it silences its own line.
    """
    source = text.text
    line, _ = text.local(opening)
    end_line, _ = text.local(max(closing - 1, opening))
    before = source[text.line_start(line):opening]
    after_end = source.find("\n", closing)
    after = source[closing:] if after_end < 0 else source[closing:after_end]
    target = line
    if not before.strip() and not after.strip():
        for k in range(end_line, text.line_count()):   # local lines end_line + 1, … (0-based k)
            start = text.line_start(k + 1)            # one line at a time: no copy of the text per comment
            stop = source.find("\n", start)
            here = source[start:] if stop < 0 else source[start:stop]
            if here.strip() and not (comment_line and comment_line.fullmatch(here)):
                target = k + 1
                break
    return Ignore(text, opening, target=target, names=comment[0], problem=comment[1])


def pgv_ignores(text: Text, start: int, end: int) -> list[Ignore]:
    """``# pgverify: ignore[…]`` comments of the derivation language in ``text[start:end]``."""
    out: list[Ignore] = []
    for begin, stop in _lines_of(text.text, start, end):
        in_string = False
        for i in range(begin, stop):
            ch = text.text[i]
            if in_string:
                in_string = ch != '"'
            elif ch == '"':
                in_string = True
            elif ch == "#":
                comment = read_ignore(text.text[i + 1:stop])
                if comment is not None:
                    out.append(ignore_event(text, i, stop, comment, PGV_COMMENT))
                break
    return out


def tex_ignores(text: Text, start: int, end: int) -> list[Ignore]:
    """``% pgverify: ignore[…]`` LaTeX comments in ``text[start:end]`` (``\\%`` is a percent sign)."""
    out: list[Ignore] = []
    for begin, stop in _lines_of(text.text, start, end):
        i = begin
        while i < stop:
            if text.text[i] == "\\":
                i += 2
                continue
            if text.text[i] == "%":
                comment = read_ignore(text.text[i + 1:stop])
                if comment is not None:
                    out.append(ignore_event(text, i, stop, comment, TEX_COMMENT))
                break
            i += 1
    return out


def _lines_of(source: str, start: int, end: int) -> list[tuple[int, int]]:
    """``[begin, stop)`` of each line of ``source[start:end]``."""
    out = []
    begin = start
    while begin < end:
        stop = source.find("\n", begin, end)
        stop = end if stop < 0 else stop
        out.append((begin, stop))
        begin = stop + 1
    return out


Rows = list[tuple[int, int, int]]   # (first line, last line, the line its step is reported at), in file lines


def pgv_rows(text: Text, start: int, end: int) -> Rows:
    """The logical lines of derivation-language text in ``text[start:end]`` (a step continued over lines)."""
    first_line, _ = text.local(start)
    out: Rows = []
    for logical in logical_lines(text.text[text.line_start(first_line):end]):
        line = text.position(text.line_start(first_line + logical.line - 1))[0]
        last = text.position(text.line_start(first_line + logical.last_line - 1))[0]
        out.append((line, last, line))
    return out


def math_rows(steps: Sequence[m.Step], last_line: int) -> Rows:
    """A math block's rows: from each step's line to the line before the next step (the last to the block's end)."""
    lines = sorted({s.span.line for s in steps})
    return [(a, (lines[k + 1] - 1 if k + 1 < len(lines) else last_line), a) for k, a in enumerate(lines)]


def suppressions(ignores: Sequence[Ignore], rows: Rows) -> tuple[m.Suppression, ...]:
    """The file's ``Suppression`` records: each comment's own place, and the line it silences in the file's lines.

    A comment on a later line of a step written over several lines (a ``\\`` continuation, an open
    bracket, a LaTeX row broken over lines) silences that step: its target is the step's line.
    """
    found = []
    for event in ignores:
        if event.problem:
            continue
        line, column = event.where()
        target, _ = event.text.position(event.text.line_start(event.target))
        target = next((step for first, last, step in rows if first <= target <= last), target)
        found.append(m.Suppression(line, column, target, event.names))
    return tuple(sorted(set(found), key=lambda s: (s.line, s.column)))


def ignore_problems(ignores: Sequence[Ignore], lines: Sequence[str]) -> list[m.SyntaxIssue]:
    """An error at each malformed ignore comment (so that a typo does not silently silence nothing)."""
    out = []
    for event in ignores:
        if event.problem:
            line, column = event.where()
            context = lines[line - 1] + "\n" + " " * (column - 1) + "^" if 0 < line <= len(lines) else ""
            out.append(m.SyntaxIssue(m.Span(line, column, line, column + 1), event.problem, context))
    return out


finish(__name__)   # the methods of this module's records, made at once (see model/records.py)
