"""Blocks: a display block read row by row into steps, justifications and errors."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


from ... import model as m
from . import opaque
from .builder import Row, relative_spans, parse_row
from .justifications import take_note
from .located import LatexError, Locate, Located
from .macros import MacroError, Macros
from .notation import normalize
from .rows import Comment, RawRow, relation_at_top, split_rows, strip_comments, strip_definitions, strip_wrappers, unwrap

# --------------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class BlockResult:
    """What a math block holds: its steps and chains, its errors, and how many rows it has."""

    steps: tuple[m.Step, ...]
    chains: tuple[tuple[m.Expr, m.Expr], ...]
    errors: tuple[m.SyntaxIssue, ...]
    rows: int
    # one entry per step: whether the step is the first link of a row with its own left side (a row that
    # may introduce a name), and the relation as written (`:=`, `\\triangleq`, `\\stackrel{def}{=}` …)
    starts: tuple[bool, ...] = ()
    spellings: tuple[str, ...] = ()
    continued: bool = False       # the first row began with a relation and went on from ``before``
    last: m.Expr | None = None    # the block's last expression (a next block may continue from it)


Position = Callable[[int], tuple[int, int]]


@dataclass
class _Chain:
    steps: list[m.Step] = field(default_factory=list)
    chains: list[list[m.Expr]] = field(default_factory=list)
    last: m.Expr | None = None
    seen_row: bool = False
    starts: list[bool] = field(default_factory=list)
    spellings: list[str] = field(default_factory=list)


def read_block(text: str, start: int, end: int, position: Position, macros: Macros,
               lines: Sequence[str] = (), before: m.Expr | None = None) -> BlockResult:
    """Read the math block ``text[start:end]`` (delimiters included) into steps.

    ``position`` maps an offset in ``text`` to the (line, column) of the original
    file; ``lines`` are the original file's lines, for the caret of an error.
    ``before`` is the last expression of the block before (notes mode): a block whose
    first row begins with a relation continues from it.
    """
    reader = _BlockReader(position, lines)
    loc = Located.of(text[start:end], start)
    loc, comments = strip_comments(loc)
    loc = strip_definitions(loc)
    loc = strip_wrappers(loc)
    rows = _join_continuations(split_rows(loc))
    chain = _Chain()
    first = next((raw.text for raw, _ in rows if raw.text.strip()), "")
    continued = before is not None and starts_with_relation(first)
    if continued:
        chain.last, chain.seen_row, chain.chains = before, True, [[before]]
    count = 0
    for raw, row_end in rows:
        if not raw.text.strip():
            continue
        note_from_comment = _comment_note(comments, raw, row_end)
        count += reader.row(raw, note_from_comment, macros, chain)
    chains = tuple((c[0], c[-1]) for c in chain.chains if len(c) > 1)
    return BlockResult(tuple(chain.steps), chains, tuple(reader.errors), count, tuple(chain.starts),
                       tuple(chain.spellings), continued, chain.last)


def starts_with_relation(text: str) -> bool:
    """Whether a row's first token is a relation (``= …``, ``&\\approx …``): it goes on from a line before."""
    visible = _visible(text)
    at = relation_at_top(visible)
    return at >= 0 and not visible[:at].strip(" \t\n&{}")


def _join_continuations(rows: list[RawRow]) -> list[tuple[Located, int]]:
    """A row with no relation after another row continues it (a long right side broken over rows)."""
    out: list[tuple[Located, int]] = []
    for row in rows:
        text = row.loc.text
        if not text.strip() and out:
            continue
        # … and so does a row that starts with + or - after a row with no relation yet: the start expression
        # goes on (``u + v``, then ``+ w &= …`` on the next row); it is not a new one
        goes_on = out and relation_at_top(_visible(out[-1][0].text)) < 0 and \
            re.match(r"[\s&]*(\+|-(?!\s*&)|\\cdot(?![A-Za-z])|\\times(?![A-Za-z]))", text) is not None
        if out and out[-1][0].text.strip() and (relation_at_top(_visible(text)) < 0 or goes_on) and \
                not _is_note_only(text):
            previous, _ = out[-1]
            out[-1] = (previous + Located.made(" ", previous.origin[-1]) + row.loc, row.end)
        else:
            out.append((row.loc, row.end))
    return out


def _visible(text: str) -> str:
    """The row without its note, for finding the relation."""
    note = take_note(text)
    return text[:note.start] if note else text


def _is_note_only(text: str) -> bool:
    note = take_note(text)
    return note is not None and not text[:note.start].strip(" \t\n&")


def _comment_note(comments: list[Comment], row: Located, row_end: int) -> tuple[str, int] | None:
    """A ``% by rule`` comment after the row's last code (on the row's lines)."""
    if not row.text.strip():
        return None
    first = min(row.origin[:-1]) if row.text else row_end
    for comment in comments:
        found = re.match(r"\s*by\s+(.+)$", comment.text)
        if found and comment.anchor is not None and first <= comment.anchor < row_end:
            return found.group(1).strip(), comment.offset
    return None


class _BlockReader:
    def __init__(self, position: Position, lines: Sequence[str]):
        self.position = position
        self.lines = lines
        self.errors: list[m.SyntaxIssue] = []

    def span(self, a: int, b: int | None = None) -> m.Span:
        line, col = self.position(a)
        if b is None or b <= a:
            return m.Span(line, col, line, col + 1)
        line2, col2 = self.position(b)
        return m.Span(line, col, line2, col2)

    def locate_in(self, loc: Located) -> Locate:
        def locate(i: int, j: int) -> m.Span:
            i = min(max(i, 0), len(loc.text))
            j = min(max(j, i), len(loc.text))
            a = loc.origin[i]
            b = loc.origin[j - 1] + 1 if j > i else a + 1
            return self.span(a, max(b, a + 1))
        return locate

    def issue(self, span: m.Span, message: str) -> m.SyntaxIssue:
        context = ""
        if 0 < span.line <= len(self.lines):
            source = self.lines[span.line - 1].rstrip("\n")
            context = source + "\n" + " " * max(span.column - 1, 0) + "^"
        return m.SyntaxIssue(span, message, context)

    def row(self, raw: Located, comment_note: tuple[str, int] | None, macros: Macros, chain: _Chain) -> int:
        """Read one row into the chain; returns 1 when the row held anything."""
        source_text = " ".join(raw.text.split())
        try:
            loc = macros.expand(raw)
        except MacroError as err:
            return self._broken(raw, chain, self.span(err.offset), err.message, source_text)
        loc = normalize(unwrap(strip_wrappers(loc)))
        note = take_note(loc.text)
        note_text, note_span = None, None
        if note is not None:
            note_text = note.text or None
            note_span = self.locate_in(loc)(note.start, note.end)
            loc = loc[:note.start]
        elif comment_note is not None:
            note_text = comment_note[0]
            note_span = self.span(comment_note[1])
        loc = _trim_punctuation(loc)
        if not loc.text.strip(" \t\n&"):
            return 0
        try:
            parsed = parse_row(loc.text, self.locate_in(loc))
        except LatexError as err:
            span = self.locate_in(loc)(err.start, err.end)
            return self._broken(loc, chain, span, err.message, source_text)
        except RecursionError:
            span = self.locate_in(loc)(0, 1)
            return self._broken(loc, chain, span, "the row is nested too deeply to read", source_text)
        self._take(parsed, chain, note_text, note_span, source_text)
        return 1

    def _broken(self, loc: Located, chain: _Chain, span: m.Span, message: str, text: str) -> int:
        """An unreadable row: an error, and (when the row is a step) an unreadable step in its place."""
        self.errors.append(self.issue(span, message))
        at = relation_at_top(loc.text)
        if at >= 0 or chain.seen_row:
            where = self.span(loc.origin[at]) if at >= 0 else self.span(loc.origin[len(loc.text) - len(
                loc.text.lstrip())])
            chain.steps.append(m.Step(chain.last, "?", None, None, where, text))
            chain.starts.append(False)
            chain.spellings.append("?")
        chain.last = None
        chain.seen_row = True
        return 1

    def _take(self, row: Row, chain: _Chain, note: str | None, note_span: m.Span | None, text: str) -> None:
        if not row.links:
            if row.first is not None:
                chain.chains.append([row.first])
                chain.last = row.first
            chain.seen_row = True
            return
        if row.first is not None and (row.lead != "therefore" or not chain.seen_row):
            left: m.Expr | None = row.first       # a new chain, or (\implies) a new claim
            chain.chains.append([row.first])
        elif chain.seen_row:
            left = chain.last                     # continues; \therefore restates the start
            if left is None:
                chain.chains.append([])
        else:
            self.errors.append(self.issue(row.links[0].span, "a step needs a line before it to relate to:"
                                                             " start the chain with an expression"))
            chain.seen_row = True
            return
        for k, link in enumerate(row.links):
            words = link.note or (note if k == len(row.links) - 1 else None)
            just = None
            if words:
                span = note_span if (words == note and note_span is not None) else link.span
                just = m.Justification((words,), words, span)
            # optima, conditional expectations, evaluation bars, slices: decided here as far as is sound
            lhs, rhs = opaque.decide(left, link.expr)
            chain.steps.append(m.Step(lhs, link.relation, rhs, just, link.span, text))
            # a left side that is an optimum, a conditional expectation or an evaluation bar introduces no
            # name, even when it reads as one (max_π f is f)
            chain.starts.append(k == 0 and row.first is not None and left is row.first
                                and not opaque.has_construct(left))
            chain.spellings.append(link.written)
            chain.chains[-1].append(link.expr)
            left = link.expr
        chain.last = left
        chain.seen_row = True


def _trim_punctuation(loc: Located) -> Located:
    """A sentence's period or comma after the math, and spacing before a note, are not part of the math."""
    text = loc.text
    while True:
        trimmed = re.sub(r"(\\(quad|qquad|hfill|enspace|enskip)(?![A-Za-z])|\\[,;:! ]|&|~|\s)+$", "", text)
        if trimmed and trimmed[-1] in ".,;" and not re.search(r"\\[,;]$", trimmed):
            trimmed = trimmed[:-1]
        if trimmed == text:
            break
        text = trimmed
    return loc[:len(text)]


def read_math(text: str, macros: Macros | str = "") -> BlockResult:
    """Read a standalone math block (``$$ … $$``, ``\\begin{align*} … \\end{align*}``, or bare rows);
    lines and columns are counted in ``text``."""
    table = macros if isinstance(macros, Macros) else Macros.parse(macros)
    locate = relative_spans(text)

    def position(offset: int) -> tuple[int, int]:
        span = locate(offset, offset)
        return span.line, span.column
    return read_block(text, 0, len(text), position, table, text.split("\n"))
