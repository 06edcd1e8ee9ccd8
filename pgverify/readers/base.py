"""What every reader shares: texts that know their place in the file, the events
a reader finds in them, and the assembly of events into one :class:`SourceFile`.

A reader (Markdown, LaTeX, notebook, reST) only *finds* things, in file order:
headings (for titles), markers (``<!-- pgverify -->``), preambles in the
derivation language, fenced ``pgverify`` blocks and LaTeX math blocks.
:func:`assemble` gives them their meaning, the same for every format:

* a preamble's declarations (and a fenced block's file-level ones) hold from
  there to the end of the file, and later ones add to earlier ones;
* a fenced block is the derivation language itself, always checked;
* a math block is checked when a marker precedes it (the marker is used up
  by the first math block after it), or with ``all_math`` when it is a
  multi-row chain; then a block that cannot be read is *skipped*, with the
  reason, and is not an error.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..syntax import latex
from .. import model as m
from ..syntax import parse_source

Position = Callable[[int], tuple[int, int]]


from .options import ReadOptions  # noqa: E402,F401 - re-exported for the readers


# --------------------------------------------------------------------------- texts


class Text:
    """A text (a whole file, a notebook cell) whose offsets map to (line, column) in the file."""

    def __init__(self, text: str, position: Position | None = None):
        self.text = text
        self._starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        self._position = position

    def local(self, offset: int) -> tuple[int, int]:
        """(line, column) in this text, 1-based."""
        k = bisect.bisect_right(self._starts, offset) - 1
        return k + 1, offset - self._starts[k] + 1

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
    if isinstance(obj, tuple):
        return tuple(remap(x, fn) for x in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {f.name: remap(getattr(obj, f.name), fn) for f in dataclasses.fields(obj)}
        return dataclasses.replace(obj, **changes)
    return obj


# --------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Event:
    text: Text
    start: int

    def where(self) -> tuple[int, int]:
        return self.text.position(self.start)


@dataclass(frozen=True)
class Heading(Event):
    title: str = ""


@dataclass(frozen=True)
class Marker(Event):
    pass


@dataclass(frozen=True)
class Preamble(Event):
    """Statements of the derivation language, separated by ``;`` or line breaks, in ``[start, end)``."""

    end: int = 0


@dataclass(frozen=True)
class Fence(Event):
    """A block of the derivation language; ``start`` is the start of its first line."""

    end: int = 0


@dataclass(frozen=True)
class MathBlock(Event):
    """LaTeX display math in ``[start, end)``, delimiters included."""

    end: int = 0
    marked_inside: bool = False   # a `% pgverify` on the block's own first line
    group: int = -1               # the equations of one reST `.. math::` share its marker


_ORDER = {Heading: 0, Preamble: 1, Marker: 2, Fence: 3, MathBlock: 4}


def in_file_order(events: list[Event]) -> list[Event]:
    return sorted(events, key=lambda e: (e.where()[0], _ORDER[type(e)], e.where()[1]))


# --------------------------------------------------------------------------- preambles


def split_statements(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut ``text[start:end]`` at ``;`` and line breaks outside brackets."""
    pieces: list[tuple[int, int]] = []
    depth = 0
    begin = start
    for i in range(start, end):
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch in ";\n" and depth == 0:
            pieces.append((begin, i))
            begin = i + 1
    pieces.append((begin, end))
    return [(a, b) for a, b in pieces if text[a:b].strip()]


def _parse_here(text: Text, start: int, end: int, path: str) -> m.SourceFile:
    """Parse ``text[start:end]`` with the .pgv parser so that its lines and columns come out right."""
    line, column = text.local(start)
    padded = "\n" * (line - 1) + " " * (column - 1) + text.text[start:end]
    parsed = parse_source(padded, path)
    return parsed if text.is_file else remap(parsed, text.to_file)


# --------------------------------------------------------------------------- assembly


@dataclass
class _Assembly:
    path: str
    lines: tuple[str, ...]
    options: ReadOptions
    macros: latex.Macros
    early: list = field(default_factory=list)        # declarations before the first derivation
    late: list = field(default_factory=list)         # declarations after it
    derivations: list[m.Derivation] = field(default_factory=list)
    errors: list[m.SyntaxIssue] = field(default_factory=list)
    skips: list[m.SyntaxIssue] = field(default_factory=list)
    title: str = ""
    marker: bool = False
    marked_group: int = -1

    def declare(self, declarations) -> None:
        (self.late if self.derivations else self.early).extend(declarations)

    def add(self, derivation: m.Derivation) -> None:
        if self.late:
            derivation = dataclasses.replace(derivation, declarations=tuple(self.late) + derivation.declarations)
        self.derivations.append(derivation)

    def issue(self, span: m.Span, message: str) -> m.SyntaxIssue:
        context = ""
        if 0 < span.line <= len(self.lines):
            context = self.lines[span.line - 1] + "\n" + " " * max(span.column - 1, 0) + "^"
        return m.SyntaxIssue(span, message, context)

    # ---- events
    def preamble(self, event: Preamble) -> None:
        for a, b in split_statements(event.text.text, event.start, event.end):
            parsed = _parse_here(event.text, a, b, self.path)
            self.errors.extend(parsed.errors)
            if parsed.derivations:
                line, col = event.text.position(a + len(event.text.text[a:b]) - len(event.text.text[a:b].lstrip()))
                self.errors.append(self.issue(m.Span(line, col, line, col + 1),
                                              "a pgverify preamble holds declarations only"
                                              " (use, param, dist, fun, depends, def)"))
            self.declare(parsed.declarations)

    def fence(self, event: Fence) -> None:
        parsed = _parse_here(event.text, event.start, event.end, self.path)
        self.errors.extend(parsed.errors)
        self.declare(parsed.declarations)
        for derivation in parsed.derivations:
            self.add(derivation)

    def math(self, event: MathBlock) -> None:
        marked = self.marker or event.marked_inside or (event.group >= 0 and event.group == self.marked_group)
        if self.marker:
            self.marked_group = event.group
        self.marker = False
        if not marked and not self.options.all_math:
            return
        result = latex.read_block(event.text.text, event.start, event.end, event.text.position, self.macros,
                                  self.lines)
        line, col = event.where()
        span = m.Span(line, col, line, col + 1)
        if not marked:
            if result.rows < 2 or not result.steps:
                return
            if result.errors:
                first = result.errors[0]
                self.skips.append(m.SyntaxIssue(first.span, f"skipped a math block at line {line}: {first.message}",
                                                first.context))
                return
        self.errors.extend(result.errors)
        if not result.steps and not result.errors:
            self.errors.append(self.issue(span, "a math block marked for pgverify holds no step"
                                                " (no relation such as = or \\approx)"))
            return
        title = self.title or f"math at line {line}"
        self.add(m.Derivation(title, span, (), None, result.steps, None, result.chains))


def assemble(path: str, lines: Sequence[str], events: list[Event], options: ReadOptions,
             macro_texts: Sequence[str]) -> tuple[m.SourceFile, list[m.SyntaxIssue]]:
    """Give the events their meaning (see the module's docstring)."""
    macros = latex.Macros.parse(options.macros, *macro_texts)
    state = _Assembly(path, tuple(lines), options, macros)
    for event in in_file_order(events):
        match event:
            case Heading(title=title):
                state.title = title
            case Marker():
                state.marker = True
            case Preamble():
                state.preamble(event)
            case Fence():
                state.fence(event)
            case MathBlock():
                state.math(event)
    errors = sorted(state.errors, key=lambda e: (e.span.line, e.span.column))
    source = m.SourceFile(path, tuple(state.early), tuple(state.derivations), tuple(errors), tuple(lines))
    return source, state.skips


def marker_or_preamble(content: str, content_start: int, text: Text) -> Event | None:
    """The comment text ``pgverify`` is a marker; ``pgverify: statements`` a preamble."""
    if re.fullmatch(r"\s*pgverify\s*", content):
        return Marker(text, content_start)
    found = re.match(r"\s*pgverify\s*:", content)
    if found:
        return Preamble(text, content_start + found.end(), end=content_start + len(content))
    return None
