"""Verdicts and result records: what the checker fills in and every renderer reads.

Renderers, the report and grading import this module, not the checker, so a
new output format never depends on how a verdict is reached.  Results carry
plain data only (strings, numbers, lists), so they pickle across the worker
processes and serialize to JSON as they are.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from . import model as m
from .model.records import finish, record

# a step's verdict; only the symbolic kernel can give PROVED
PROVED, CHECKED, REFUTED, UNKNOWN = "proved", "checked", "refuted", "unknown"
VERDICTS = (PROVED, CHECKED, REFUTED, UNKNOWN)
# whether a step's cited rules account for it (StepResult.justification); UNVERIFIED: the step has no
# symbolic proof, so nothing shows that the cited rules produce it; UNUSED: the cited rules produce the step,
# but the proof by them never applied some of them (the message names those)
OK, MISMATCH, UNKNOWN_RULE, UNVERIFIED, UNUSED = "ok", "mismatch", "unknown-rule", "unverified", "unused"
JUSTIFICATIONS = (OK, MISMATCH, UNKNOWN_RULE, UNVERIFIED, UNUSED)


@record(frozen=False, slots=False)
class StepResult:
    """One step's verdict, with everything a reader needs to see why."""

    line: int
    column: int
    relation: str
    verdict: str                                    # one of VERDICTS
    text: str = ""                                  # the step as written
    lhs: str = ""
    rhs: str = ""
    justification: str | None = None                # one of JUSTIFICATIONS (None: no `by`, or not judged)
    rules: list[str] = field(default_factory=list)  # the rules (and lemmas) the citation names
    cited: list[str] = field(default_factory=list)  # the citation's items as written
    message: str = ""
    counterexample: dict[str, Any] | None = None    # the model and values that refute the step
    difference: tuple[str, str] | None = None       # the innermost sub-expressions that differ there
    models: int = 0                                 # models on which both sides agreed
    suggestions: list[str] = field(default_factory=list)
    diagnosis: dict[str, str] | None = None         # the named mistake of a refuted step
    conditions: list[dict[str, str]] = field(default_factory=list)  # side conditions of the cited rules
    # seconds the check took (JUnit's `time`): the one field that varies between runs, so no record or
    # comparison reads it (the JSON report stays byte-identical)
    elapsed: float = field(default=0.0, compare=False)


@record(frozen=False, slots=False)
class DerivationResult:
    """A derivation's steps and whether its goal is reached."""

    title: str
    line: int
    goal: str | None
    goal_message: str
    steps: list[StepResult]
    lemma: str | None = None


@record(frozen=False, slots=False)
class FileResult:
    """One file's derivations and syntax errors."""

    path: str
    errors: list[m.SyntaxIssue]
    derivations: list[DerivationResult]
    lines: tuple[str, ...] = ()
    notes: list[m.SyntaxIssue] = field(default_factory=list)   # math blocks skipped under --all-math
    cells: tuple[m.Cell, ...] = ()   # a notebook's cells, to locate a line (see m.locate)
    facts: list[m.Fact] = field(default_factory=list)          # definitions and assumptions of notes, never refuted
    coverage: m.Coverage | None = None                         # how much of a notes file's math was read
    warnings: list[m.SyntaxIssue] = field(default_factory=list)   # worth a look, not a fault (a free index)

    def unreadable(self) -> bool:
        """A notes file with display math of which nothing could be read (a warning; a failure under --strict)."""
        c = self.coverage
        return c is not None and c.blocks > 0 and c.read == 0 and not self.derivations

    def locate(self, line: int, column: int = 0) -> m.Location:
        """Where a result's line stands for the user (a cell and a line in it, for a notebook)."""
        return m.locate(self.path, self.cells, line, column)


finish(__name__)   # the methods of this module's records, made at once (see model/records.py)
