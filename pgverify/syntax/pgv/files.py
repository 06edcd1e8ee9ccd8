"""A whole .pgv file: logical lines → statements → derivations, declarations and errors.

A typo costs one line, not the file: the step after a broken line is
reported ``unknown`` and every other derivation is checked as usual.
"""

from __future__ import annotations

import re
from pathlib import Path

from ... import model as m
from ...model.records import finish, record
from .errors import ParseFailure, caret
from .lines import LogicalLine, logical_lines, physical_lines
from .parse import parse_line


def parse_source(source: str, path: str = "<input>") -> m.SourceFile:
    """Parse a whole file into declarations, derivations and errors (never raises)."""
    return _Assembler(path, source).run()


def parse_file(path: str | Path) -> m.SourceFile:
    """Read and parse a file; an unreadable or non-UTF-8 file becomes an error entry."""
    p = Path(path)
    try:
        source = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        issue = m.SyntaxIssue(m.Span(1, 1, 1, 1), f"not UTF-8 text (byte {err.start})")
        return m.SourceFile(str(path), (), (), (issue,))
    except OSError as err:
        issue = m.SyntaxIssue(m.Span(0, 0, 0, 0), f"cannot read the file: {err.strerror or err}")
        return m.SourceFile(str(path), (), (), (issue,))
    return parse_source(source, str(path))


@record(frozen=False, slots=False)
class _Open:
    """A derivation being assembled."""

    title: str
    span: m.Span
    declarations: list
    goal: m.Goal | None = None
    lemma: str | None = None
    implicit: bool = False

    def __post_init__(self):
        self.steps: list[m.Step] = []
        self.chains: list[list[m.Expr]] = []
        self.last: m.Expr | None = None      # the expression a next step relates to
        self.in_chain = False


class _Assembler:
    def __init__(self, path: str, source: str):
        self.path = path
        self.source = source.replace("\r\n", "\n")
        self.lines = tuple(physical_lines(self.source))
        self.declarations: list = []
        self.derivations = m.DerivationsBuilder()   # packed as they are read (see model/packed.py)
        self.errors: list[m.SyntaxIssue] = []
        self.current: _Open | None = None
        self.seen_header = False

    def run(self) -> m.SourceFile:
        if self.source.startswith("\ufeff"):
            self.source = self.source[1:]
        for logical in logical_lines(self.source):
            try:
                stmt = parse_line(logical)
            except ParseFailure as failure:
                self.errors.append(failure.issue)
                self._broken_line(logical)
                continue
            self._take(stmt, logical)
        self._close()
        return m.SourceFile(self.path, tuple(self.declarations), self.derivations.build(), tuple(self.errors),
                            self.lines)

    def _text(self, logical: LogicalLine) -> str:
        """The step as written, comments left out, on one line."""
        return " ".join(logical.text.split())

    def _broken_line(self, logical: LogicalLine) -> None:
        """A line that did not parse: keep its place in the chain as an unreadable step."""
        first = logical.text.lstrip()
        if self.current is not None and self.current.in_chain and re.match(r"(~=|<=|>=|=|≈|≤|≥|∝|<|>)", first):
            column = len(logical.text) - len(first) + 1
            span = m.Span(logical.line, column, logical.line, column + 1)
            self.current.steps.append(m.Step(self.current.last, "?", None, None, span, self._text(logical)))
        if self.current is not None:
            self.current.last = None

    def _open(self, title: str, span: m.Span, implicit: bool = False, lemma: str | None = None) -> _Open:
        self._close()
        self.current = _Open(title, span, [], lemma=lemma, implicit=implicit)
        return self.current

    def _close(self) -> None:
        d = self.current
        if d is None:
            return
        self.current = None
        if not d.steps and d.goal is None and not d.chains and d.implicit:
            return
        chains = tuple((c[0], c[-1]) for c in d.chains if c)
        self.derivations.append(m.Derivation(d.title, d.span, tuple(d.declarations), d.goal, tuple(d.steps),
                                             d.lemma, chains))

    def _take(self, stmt: m.Statement, logical: LogicalLine) -> None:  # noqa: C901 - one case per statement
        match stmt:
            case m.Header(title=title):
                self.seen_header = True
                self._open(title or f"derivation at line {logical.line}", stmt.span)
            case m.Lemma(name=name):
                self.seen_header = True
                d = self._open(f"lemma {name}", stmt.span, lemma=name)
                d.goal = m.Goal(stmt.lhs, stmt.relation, stmt.rhs, span=stmt.span)
            case m.Use() | m.Param() | m.DistDecl() | m.FunDecl() | m.Depends() | m.Definition():
                if self.current is not None and self.seen_header:
                    self.current.declarations.append(stmt)
                    self.current.in_chain = False
                else:
                    if self.current is not None and self.current.implicit:
                        self._close()
                    self.declarations.append(stmt)
            case m.Goal():
                d = self.current
                if d is None or (d.implicit and (d.goal is not None or d.chains)) or d.goal is not None:
                    d = self._open(f"derivation at line {logical.line}", stmt.span, implicit=True)
                d.goal = stmt
                d.in_chain = False
            case m.Claim():
                d = self.current
                if d is None or (d.implicit and (d.steps or d.goal is not None)):
                    d = self._open(f"claim at line {logical.line}", stmt.span, implicit=True)
                d.steps.append(m.Step(stmt.lhs, stmt.relation, stmt.rhs, stmt.justification, stmt.span,
                                      self._text(logical)))
                d.chains.append([stmt.lhs, stmt.rhs])
                d.in_chain = False
                d.last = None
            case m.ChainStart(expr=expr):
                d = self.current
                if d is None or (d.implicit and d.chains):
                    d = self._open(f"derivation at line {logical.line}", stmt.span, implicit=True)
                d.chains.append([expr])
                d.last = expr
                d.in_chain = True
            case m.StepLine(relation=rel, expr=expr, justification=just):
                d = self.current
                if d is None or not d.in_chain:
                    self.errors.append(m.SyntaxIssue(stmt.span, "a step needs a line before it to relate to:"
                                                     " start the chain with an expression on its own line",
                                                     caret(logical.text, stmt.span.column - 1)))
                    return
                d.steps.append(m.Step(d.last, rel, expr, just, stmt.span, self._text(logical)))
                d.chains[-1].append(expr)
                d.last = expr


finish(__name__)   # the methods of this module's records, made at once (see model/records.py)
