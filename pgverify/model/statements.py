"""Statements and the structure of a file: declarations, claims, steps, derivations, the source file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import field

from .expressions import NOWHERE, Call, Expr, Name, Span
from .records import finish, record


# --------------------------------------------------------------------------- statements


@record
class Justification:
    """``by rule, other-rule`` or ``by "free text"``: the cited items as written."""

    items: tuple[str, ...]
    text: str
    span: Span


@record
class Statement:
    """Base class of the statements of a file; ``span`` says where it stands."""

    span: Span = field(compare=False, repr=False, kw_only=True, default=NOWHERE)


@record
class Use(Statement):
    """``use rl``: a vocabulary of names the file relies on."""

    vocabulary: str


@record
class Param(Statement):
    """``param θ``: the parameters the file differentiates in."""

    names: tuple[Name, ...]


@record
class DistDecl(Statement):
    """``dist π_θ(a | s)``: a probability distribution and its arguments."""

    call: Call


@record
class FunDecl(Statement):
    """``fun f(x)``, or ``fun f(x) positive`` (then ``positive``)."""

    call: Call
    positive: bool = False


@record
class Depends(Statement):
    """``depends … on θ``: names that depend on a parameter."""

    names: tuple[Name, ...]
    param: Name


@record
class Definition(Statement):
    """``def lhs := rhs`` (or ``def lhs = rhs``)."""

    lhs: Expr
    rhs: Expr


@record
class Header(Statement):
    """``derivation "title"``."""

    title: str


@record
class Goal(Statement):
    """``goal lhs relation rhs``: what a derivation sets out to show."""

    lhs: Expr
    relation: str
    rhs: Expr


@record
class Lemma(Statement):
    """``lemma name: lhs relation rhs``: a named result a later step may cite."""

    name: str
    lhs: Expr
    relation: str
    rhs: Expr


@record
class Claim(Statement):
    """``claim lhs relation rhs by …``: one line that states a whole step."""

    lhs: Expr
    relation: str
    rhs: Expr
    justification: Justification | None


@record
class ChainStart(Statement):
    """The first expression of a chain."""

    expr: Expr


@record
class StepLine(Statement):
    """A line ``relation expr by …`` continuing a chain."""

    relation: str
    expr: Expr
    justification: Justification | None


Declaration = Use | Param | DistDecl | FunDecl | Depends | Definition


# --------------------------------------------------------------------------- file structure


@record
class Step:
    """One link of a chain: ``previous relation expr``.

    ``previous`` is None when the line before could not be read; the step is
    then reported ``unknown``.
    """

    previous: Expr | None
    relation: str
    expr: Expr | None
    justification: Justification | None
    span: Span
    text: str = ""


@record
class Derivation:
    """A chain (or several), with its own declarations, goal and steps."""

    title: str
    span: Span
    declarations: tuple[Declaration, ...]
    goal: Goal | None
    steps: tuple[Step, ...]
    lemma: str | None = None
    # the chain's first and last expressions, for the goal
    chains: tuple[tuple[Expr, Expr], ...] = ()


@record
class SyntaxIssue:
    """A parse or declaration error, already worded."""

    span: Span
    message: str
    context: str = ""


@record
class Suppression:
    """A ``pgverify: ignore`` comment: it silences the faults reported at ``target``.

    ``line``/``column`` locate the comment itself (for the "unused suppression"
    note); ``target`` is the line (in the same coordinates as every ``Span`` of
    the file) whose faults it silences; ``names`` are the rule, mistake or fault
    names given in brackets, empty for "every fault on that line".
    """

    line: int
    column: int
    target: int
    names: tuple[str, ...] = ()


@record
class Fact:
    """What a notes file states rather than derives: a ``definition`` (``A^π(s,a) := Q^π(s,a) - V^π(s)``, an
    update rule ``θ ← θ + α g``) or an ``assumption`` (the Markov property).  Never checked as a claim."""

    kind: str                    # "definition" | "assumption"
    span: Span
    text: str                    # as written
    name: str = ""               # what a definition defines ("A^π(s, a)"); "" when not known
    unfolded: bool = False       # used to unfold later steps of the file


@record
class Coverage:
    """How much of a notes file's display math was read (for the coverage line; never a silent pass)."""

    blocks: int = 0              # display blocks found
    read: int = 0                # read: steps, definitions, or an expression without a relation
    skipped: int = 0             # could not be read (each is a note with its line, column and construct)
    off: int = 0                 # inside a `pgverify: off` region


@record
class Cell:
    """A notebook cell in the file's line coordinate.

    A notebook's lines are the lines of all its cells, one after another, so a
    line number is unique in the file; ``number`` is the cell's place among all
    cells (code cells included), counted from 1; its lines are ``first`` to
    ``first + count - 1``; ``file_lines`` holds the line of the ``.ipynb`` (JSON)
    file where each of them stands (0 when unknown).
    """

    number: int
    first: int
    count: int
    file_lines: tuple[int, ...] = ()


@record
class Location:
    """Where to tell a user to look: ``path:line:column``, or ``path cell N line L:column`` in a notebook.

    ``line`` and ``column`` are within the cell for a notebook; ``file_line`` is
    the line of the file itself (the JSON line of a notebook), for tools that
    open the raw file.
    """

    path: str
    line: int
    column: int = 0
    cell: int | None = None
    file_line: int = 0

    def __str__(self) -> str:
        column = f":{self.column}" if self.column > 0 else ""
        if self.cell is not None:
            return f"{self.path} cell {self.cell} line {self.line}{column}"
        return f"{self.path}:{self.line}{column}"

    def in_file(self) -> str:
        """``line L``, or ``cell N line L`` in a notebook (the place without the path)."""
        return f"line {self.line}" if self.cell is None else f"cell {self.cell} line {self.line}"


def locate(path: str, cells: tuple[Cell, ...], line: int, column: int = 0) -> Location:
    """A line of the file's coordinate (a ``Span.line``) as the user sees it."""
    for cell in cells:
        if cell.first <= line < cell.first + cell.count:
            k = line - cell.first
            file_line = cell.file_lines[k] if k < len(cell.file_lines) else 0
            return Location(path, k + 1, column, cell.number, file_line)
    return Location(path, line, column, None, line)


@record(slots=False)
class SourceFile:
    """A file as read: its declarations, derivations, errors and lines (and a notes file's facts)."""

    path: str
    declarations: tuple[Declaration, ...]
    derivations: Sequence[Derivation]   # a tuple, or (as read) a Derivations: each packed until used
    errors: tuple[SyntaxIssue, ...]
    lines: Sequence[str] = ()   # a tuple of the lines, or (notes) the file's text as a Lines
    suppressions: tuple[Suppression, ...] = ()
    cells: tuple[Cell, ...] = ()   # a notebook's cells; empty for every other kind of file
    facts: tuple[Fact, ...] = ()   # definitions and assumptions a notes file states
    coverage: Coverage | None = None   # notes files only
    warnings: tuple[SyntaxIssue, ...] = ()   # worth a look, not a fault (a free index in notes)

    def locate(self, line: int, column: int = 0) -> Location:
        """Where a span's line stands for the user (a cell and a line in it, for a notebook)."""
        return locate(self.path, self.cells, line, column)


finish(__name__)   # the methods of every record of this module, made at once (see model/records.py)
