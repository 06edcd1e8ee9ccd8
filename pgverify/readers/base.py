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

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..syntax import latex
from .. import model as m
from ..syntax import parse_source
from .options import ReadOptions  # noqa: F401 - re-exported for the readers
from .notes import connects
from .notes_mode import NotesMixin
from .notes_state import NotesState, parameter_names
# the texts, events, ignore comments and rows, defined apart so that a .pgv file is read without this module
from .texts import (  # noqa: F401 - re-exported for the readers
    Event,
    Fence,
    Heading,
    Ignore,
    Marker,
    MathBlock,
    Preamble,
    Rows,
    TEX_COMMENT,
    Text,
    ignore_event,
    ignore_problems,
    in_file_order,
    line_starts,
    math_rows,
    pgv_ignores,
    pgv_rows,
    read_ignore,
    remap,
    suppressions,
    tex_ignores,
    unify_line_breaks,
)


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
class _Assembly(NotesMixin):
    path: str
    lines: Sequence[str]                             # a tuple, or the file's text as m.Lines
    options: ReadOptions
    macros: latex.Macros
    place: Callable[[int], str]                      # a line as a message names it: "line 12", "cell 3 line 4"
    early: list = field(default_factory=list)        # declarations before the first derivation
    late: list = field(default_factory=list)         # declarations after it
    derivations: m.DerivationsBuilder = field(default_factory=m.DerivationsBuilder)   # packed as read
    errors: list[m.SyntaxIssue] = field(default_factory=list)
    skips: list[m.SyntaxIssue] = field(default_factory=list)
    title: str = ""
    marker: bool = False
    marked_group: int = -1
    ignores: list[Ignore] = field(default_factory=list)
    rows: Rows = field(default_factory=list)
    late_shared: tuple = ()                          # ``late`` as a tuple, shared (see add)
    keep_math_rows: bool = True                      # a math block's rows matter to an ignore comment only
    notes: NotesState = field(default_factory=NotesState)

    def declare(self, declarations) -> None:
        (self.late if self.derivations else self.early).extend(declarations)

    def add(self, derivation: m.Derivation) -> None:
        if self.late:
            if len(self.late_shared) != len(self.late):   # ``late`` only grows: its length tells a new one
                self.late_shared = tuple(self.late)
            # one tuple for every derivation under the same declarations (`t + ()` is `t`), not a copy each
            derivation = dataclasses.replace(derivation, declarations=self.late_shared + derivation.declarations)
        self.derivations.append(derivation)

    def issue(self, span: m.Span, message: str) -> m.SyntaxIssue:
        context = ""
        if 0 < span.line <= len(self.lines):
            context = self.lines[span.line - 1] + "\n" + " " * max(span.column - 1, 0) + "^"
        return m.SyntaxIssue(span, message, context)

    # ---- events
    def preamble(self, event: Preamble) -> None:
        switch = event.text.text[event.start:event.end].strip().lower()
        if switch in ("off", "on"):
            self.notes.off = switch == "off"     # `pgverify: off` … `pgverify: on`: a region left out
            return
        if switch in ("use none", "no rl", "use no rl"):
            self.notes.rl = False                # the notes' own vocabulary only
            return
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
        if self.notes.off:
            return
        self.ignores.extend(pgv_ignores(event.text, event.start, event.end))
        self.rows.extend(pgv_rows(event.text, event.start, event.end))
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
        if self.notes.off:
            self.notes.count_off(event)
            return
        if not marked and not self.options.all_math:
            return
        prose = self.notes.prose_before(event)
        before = self.notes.last if self.notes.last_text is event.text and connects(prose) else None
        start, end = event.start, event.end
        if event.inline and event.text.text.startswith("$", start):
            start, end = start + 1, end - 1          # the `$` of inline math (`\(…\)` is taken off as `\[…\]` is)
        result = latex.read_block(event.text.text, start, end, event.text.position, self.macros,
                                  self.lines, before=None if event.inline else before)
        line, col = event.where()
        span = m.Span(line, col, line, col + 1)
        if event.inline:
            self._inline(event, result, prose)
            return
        self.notes.last_text, self.notes.last_end = event.text, event.end
        self.notes.blocks += 1
        if not marked:
            if result.errors and self._update_rule(event):
                self.notes.read += 1
                self.notes.last = None
                return
            if result.errors:
                self._skip(event, result)
                return
            self.notes.read += 1
            self.notes.last = result.last
            if not result.steps:
                return
        self.errors.extend(result.errors)
        if marked:
            self.notes.read += 1 if not result.errors else 0
            self.notes.last = None if result.errors else result.last
        steps = self._learn(result, prose, strict_only=marked)
        self._free_indices(result.steps)      # in definitions too: a free index is wrong wherever it stands
        if self.keep_math_rows:
            self.rows.extend(math_rows(steps, event.text.position(max(event.end - 1, event.start))[0]))
        if not steps:
            if not result.steps and not result.errors:
                self.errors.append(self.issue(span, "a math block marked for pgverify holds no step"
                                                    " (no relation such as = or \\approx)"))
            return
        if result.continued and self.derivations and self.notes.continues is self.derivations[-1]:
            # the block goes on with the chain of the one before: one derivation, as the author meant
            previous = self.derivations[-1]
            self.derivations[-1] = dataclasses.replace(previous, steps=previous.steps + tuple(steps),
                                                       chains=previous.chains + result.chains)
        else:
            title = self.title or f"math at {self.place(line)}"
            self.add(m.Derivation(title, span, (), None, tuple(steps), None, result.chains))
        self.notes.continues = self.derivations[-1]

def assemble(path: str, lines: Sequence[str], events: list[Event], options: ReadOptions,
             macro_texts: Sequence[str], place: Callable[[int], str] | None = None
             ) -> tuple[m.SourceFile, list[m.SyntaxIssue]]:
    """Give the events their meaning (see the module's docstring); ``place`` names a line in the titles
    and notes pgverify words (a notebook's ``cell 3 line 4``)."""
    macros = latex.Macros.parse(options.macros, *macro_texts)
    lines = lines if isinstance(lines, (m.Lines, tuple)) else tuple(lines)   # a Lines stays one text
    state = _Assembly(path, lines, options, macros, place or (lambda line: f"line {line}"))
    state.notes.rl = options.rl
    # the ignore comments outside fenced blocks are all among the events (a fence's own are found as it is read,
    # and its rows are always kept): without one, no math block's rows are ever looked up
    state.keep_math_rows = any(isinstance(event, Ignore) for event in events)
    state.notes.params_seen = parameter_names(events, macros)
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
            case Ignore():
                state.ignores.append(event)
    errors = sorted(state.errors + ignore_problems(state.ignores, lines), key=lambda e: (e.span.line, e.span.column))
    early = state.notes.vocabulary(state.early, state.derivations)
    source = m.SourceFile(path, tuple(early), state.derivations.build(), tuple(errors), lines,
                          suppressions(state.ignores, state.rows), facts=tuple(state.notes.facts),
                          coverage=state.notes.coverage(), warnings=tuple(state.notes.warnings))
    return source, state.skips


def marker_or_preamble(content: str, content_start: int, text: Text) -> Event | None:
    """The comment text ``pgverify`` is a marker; ``pgverify: statements`` a preamble (``pgverify: ignore``
    is neither: see :func:`ignore_event`)."""
    if read_ignore(content) is not None:
        return None
    if re.fullmatch(r"\s*pgverify\s*", content):
        return Marker(text, content_start)
    found = re.match(r"\s*pgverify\s*:", content)
    if found:
        return Preamble(text, content_start + found.end(), end=content_start + len(content))
    return None
