"""The outcome of a run as data: the report, its summary, its exit code, its records.

No rendering here (that is ``render``), no rich, no typer: a :class:`Report`
is plain data that every output format reads the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .results import CHECKED, MISMATCH, PROVED, REFUTED, UNKNOWN, UNKNOWN_RULE, FileResult, StepResult

SCHEMA_VERSION = 1
EXIT_OK, EXIT_FAULT, EXIT_ERROR = 0, 1, 2


@dataclass
class Report:
    files: list[FileResult]
    strict: bool = False
    seed: int = 0
    usage_errors: list[str] = field(default_factory=list)
    fail_on: str = "unknown"   # "unknown": refuted and unknown steps fail the run; "refuted": only refuted

    # ------------------------------------------------------------------ counts

    def steps(self) -> list[StepResult]:
        return [s for f in self.files for d in f.derivations for s in d.steps]

    def summary(self) -> dict[str, int]:
        steps = self.steps()
        count = {v: sum(1 for s in steps if s.verdict == v) for v in (PROVED, CHECKED, REFUTED, UNKNOWN)}
        derivations = [d for f in self.files for d in f.derivations]
        return {
            "files": len(self.files),
            "derivations": len(derivations),
            "steps": len(steps),
            **count,
            "goals_reached": sum(1 for d in derivations if d.goal == "reached"),
            "goals_not_reached": sum(1 for d in derivations if d.goal == "not-reached"),
            "errors": sum(len(f.errors) for f in self.files) + len(self.usage_errors),
        }

    def is_fault(self, step: StepResult) -> bool:
        """A step that makes the run fail: refuted or unknown; in strict mode also a missing or wrong citation."""
        if step.verdict == REFUTED or step.verdict == UNKNOWN and self.fail_on == "unknown":
            return True
        if self.strict:
            return not step.cited or step.justification in (MISMATCH, UNKNOWN_RULE)
        return False

    def exit_code(self) -> int:
        """0 all valid and every goal reached; 1 a faulty step or goal; 2 unreadable input or parse errors."""
        if self.usage_errors or any(f.errors for f in self.files):
            return EXIT_ERROR
        derivations = [d for f in self.files for d in f.derivations]
        if any(self.is_fault(s) for s in self.steps()) or any(d.goal == "not-reached" for d in derivations):
            return EXIT_FAULT
        return EXIT_OK

    # ------------------------------------------------------------------ records

    def to_records(self) -> dict[str, Any]:
        """The stable JSON document (schema 1, documented in the README)."""
        return {
            "schema": SCHEMA_VERSION,
            "seed": self.seed,
            "files": [_file_record(f) for f in self.files],
            "summary": self.summary(),
            "exit_code": self.exit_code(),
        }


def _file_record(f: FileResult) -> dict[str, Any]:
    return {
        "path": f.path,
        "errors": [{"line": e.span.line, "column": e.span.column, "message": e.message} for e in f.errors],
        "skipped": [{"line": e.span.line, "column": e.span.column, "message": e.message} for e in f.notes],
        "derivations": [
            {
                "title": d.title,
                "line": d.line,
                "lemma": d.lemma,
                "goal": d.goal,
                "goal_message": d.goal_message or None,
                "steps": [step_record(s) for s in d.steps],
            }
            for d in f.derivations
        ],
    }


def step_record(s: StepResult) -> dict[str, Any]:
    return {
        "line": s.line,
        "column": s.column,
        "relation": s.relation,
        "verdict": s.verdict,
        "justification": s.justification,
        "rules": s.rules,
        "cited": s.cited,
        "message": s.message,
        "lhs": s.lhs,
        "rhs": s.rhs,
        "models": s.models,
        "difference": {"lhs": s.difference[0], "rhs": s.difference[1]} if s.difference else None,
        "counterexample": s.counterexample,
        "suggestions": s.suggestions,
        "diagnosis": s.diagnosis,
        "conditions": s.conditions,
    }
