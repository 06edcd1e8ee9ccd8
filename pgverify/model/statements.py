"""Statements and the structure of a file: declarations, claims, steps, derivations, the source file."""

from __future__ import annotations

from dataclasses import dataclass, field

from .expressions import NOWHERE, Call, Expr, Name, Span


# --------------------------------------------------------------------------- statements


@dataclass(frozen=True)
class Justification:
    """``by rule, other-rule`` or ``by "free text"``: the cited items as written."""

    items: tuple[str, ...]
    text: str
    span: Span


@dataclass(frozen=True)
class Statement:
    span: Span = field(compare=False, repr=False, kw_only=True, default=NOWHERE)


@dataclass(frozen=True)
class Use(Statement):
    vocabulary: str


@dataclass(frozen=True)
class Param(Statement):
    names: tuple[Name, ...]


@dataclass(frozen=True)
class DistDecl(Statement):
    call: Call


@dataclass(frozen=True)
class FunDecl(Statement):
    call: Call
    positive: bool = False


@dataclass(frozen=True)
class Depends(Statement):
    names: tuple[Name, ...]
    param: Name


@dataclass(frozen=True)
class Definition(Statement):
    lhs: Expr
    rhs: Expr


@dataclass(frozen=True)
class Header(Statement):
    """``derivation "title"``."""

    title: str


@dataclass(frozen=True)
class Goal(Statement):
    lhs: Expr
    relation: str
    rhs: Expr


@dataclass(frozen=True)
class Lemma(Statement):
    name: str
    lhs: Expr
    relation: str
    rhs: Expr


@dataclass(frozen=True)
class Claim(Statement):
    lhs: Expr
    relation: str
    rhs: Expr
    justification: Justification | None


@dataclass(frozen=True)
class ChainStart(Statement):
    expr: Expr


@dataclass(frozen=True)
class StepLine(Statement):
    relation: str
    expr: Expr
    justification: Justification | None


Declaration = Use | Param | DistDecl | FunDecl | Depends | Definition


# --------------------------------------------------------------------------- file structure


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class SyntaxIssue:
    """A parse or declaration error, already worded."""

    span: Span
    message: str
    context: str = ""


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class SourceFile:
    path: str
    declarations: tuple[Declaration, ...]
    derivations: tuple[Derivation, ...]
    errors: tuple[SyntaxIssue, ...]
    lines: tuple[str, ...] = ()
    suppressions: tuple[Suppression, ...] = ()
