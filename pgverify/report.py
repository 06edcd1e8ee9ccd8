"""The outcome of a run as data: the report, its summary, its exit code, its records.

No rendering here (that is ``render``), no rich, no typer: a :class:`Report`
is plain data that every output format reads the same way.

A *fault* is one reason a step or a goal can fail the run, named by its kind
(:data:`FAULT_KINDS`).  A fault can be *silenced*: ``ignored`` (``--ignore``,
``--select`` or their settings) or ``suppressed`` (a ``pgverify: ignore``
comment).  A silenced fault keeps its verdict (a refuted step stays refuted
in every record) but no longer counts for the exit code.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from .model.records import finish, record
from .results import CHECKED, MISMATCH, PROVED, REFUTED, UNKNOWN, UNKNOWN_RULE, DerivationResult, FileResult, StepResult

SCHEMA_VERSION = 1
EXIT_OK, EXIT_FAULT, EXIT_ERROR = 0, 1, 2

# refuted and unknown steps; with --strict a justification that cites the wrong rule (mismatch), names no rule
# (unknown-rule) or is missing (uncited); a goal the chain does not reach
FAULT_KINDS = ("refuted", "unknown", "mismatch", "unknown-rule", "uncited", "goal")
IGNORED, SUPPRESSED = "ignored", "suppressed"

# a fault of one run: the id of its StepResult or DerivationResult (alive as long as the report) and its kind
FaultKey = tuple[int, str]


@record(slots=False)
class Note:
    """Something worth saying about a place in a file that is neither an error nor a fault."""

    line: int
    column: int
    message: str
    code: str = "unused-suppression"


def step_fault_kinds(step: StepResult, strict: bool) -> list[str]:
    """The faults a step shows in this run (whether ``unknown`` fails the run depends on ``fail_on``)."""
    kinds = []
    if step.verdict == REFUTED:
        kinds.append("refuted")
    elif step.verdict == UNKNOWN:
        kinds.append("unknown")
    if strict:
        if not step.cited:
            kinds.append("uncited")
        elif step.justification == MISMATCH:
            kinds.append("mismatch")
        elif step.justification == UNKNOWN_RULE:
            kinds.append("unknown-rule")
    return kinds


@record(frozen=False, slots=False)
class Report:
    files: list[FileResult]
    strict: bool = False
    seed: int = 0
    usage_errors: list[str] = field(default_factory=list)
    fail_on: str = "unknown"   # "unknown": refuted and unknown steps fail the run; "refuted": only refuted
    silenced: dict[FaultKey, str] = field(default_factory=dict)   # fault -> IGNORED or SUPPRESSED
    notes: dict[str, list[Note]] = field(default_factory=dict)    # path -> notes (unused suppressions)
    # a view (pgverify.filters: --quiet, the CI formats) shows part of a run; its summary and exit code
    # stay those of the whole run
    whole: Report | None = None

    # ------------------------------------------------------------------ faults

    def fault_kinds(self, step: StepResult) -> list[str]:
        """The faults this step shows (silenced or not)."""
        return step_fault_kinds(step, self.strict)

    def counts(self, kind: str) -> bool:
        """Whether a fault of this kind fails the run (``unknown`` does not under ``fail_on = "refuted"``)."""
        return kind != "unknown" or self.fail_on == "unknown"

    def silenced_as(self, item: StepResult | DerivationResult) -> str | None:
        """``ignored``/``suppressed`` when every fault the step (or the goal of a derivation) shows is silenced."""
        kinds = ["goal"] if isinstance(item, DerivationResult) else self.fault_kinds(item)
        if isinstance(item, DerivationResult) and item.goal != "not-reached" or not kinds:
            return None
        reasons = [self.silenced.get((id(item), k)) for k in kinds]
        if None in reasons:
            return None
        return SUPPRESSED if SUPPRESSED in reasons else IGNORED

    def is_fault(self, step: StepResult) -> bool:
        """A step that makes the run fail: refuted or unknown; in strict mode also a missing or wrong
        citation; unless that fault is silenced."""
        return any(self.counts(k) and (id(step), k) not in self.silenced for k in self.fault_kinds(step))

    def goal_fails(self, derivation: DerivationResult) -> bool:
        """A goal that is not reached and not silenced."""
        return derivation.goal == "not-reached" and (id(derivation), "goal") not in self.silenced

    # ------------------------------------------------------------------ counts

    def steps(self) -> list[StepResult]:
        return [s for f in self.files for d in f.derivations for s in d.steps]

    def summary(self) -> dict[str, int]:
        if self.whole is not None:
            return self.whole.summary()
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
            "ignored": sum(1 for reason in self.silenced.values() if reason == IGNORED),
            "suppressed": sum(1 for reason in self.silenced.values() if reason == SUPPRESSED),
        }

    def exit_code(self) -> int:
        """0 all valid and every goal reached; 1 a faulty step or goal; 2 unreadable input or parse errors."""
        if self.whole is not None:
            return self.whole.exit_code()
        if self.usage_errors or any(f.errors for f in self.files):
            return EXIT_ERROR
        derivations = [d for f in self.files for d in f.derivations]
        if any(self.is_fault(s) for s in self.steps()) or any(self.goal_fails(d) for d in derivations):
            return EXIT_FAULT
        if self.strict and any(f.unreadable() for f in self.files):
            return EXIT_FAULT      # notes whose math could not be read never pass silently under --strict
        return EXIT_OK

    # ------------------------------------------------------------------ records

    def to_records(self) -> dict[str, Any]:
        """The stable JSON document (schema 1, documented in the README)."""
        return {
            "schema": SCHEMA_VERSION,
            "seed": self.seed,
            "files": [self._file_record(f) for f in self.files],
            "summary": self.summary(),
            "exit_code": self.exit_code(),
        }

    def _file_record(self, f: FileResult) -> dict[str, Any]:
        return _in_cells(f, {
            "path": f.path,
            "errors": [{"line": e.span.line, "column": e.span.column, "message": e.message} for e in f.errors],
            "skipped": [{"line": e.span.line, "column": e.span.column, "message": e.message} for e in f.notes],
            "notes": [{"line": n.line, "column": n.column, "code": n.code, "message": n.message}
                      for n in self.notes.get(f.path, [])],
            "definitions": [fact_record(f, x) for x in f.facts],
            "warnings": [{"line": e.span.line, "column": e.span.column, "message": e.message} for e in f.warnings],
            "coverage": coverage_record(f),
            "derivations": [
                {
                    "title": d.title,
                    "line": d.line,
                    "lemma": d.lemma,
                    "goal": d.goal,
                    "goal_message": d.goal_message or None,
                    "goal_silenced": self.silenced_as(d),
                    "steps": [{**step_record(s), "silenced": self.silenced_as(s)} for s in d.steps],
                }
                for d in f.derivations
            ],
        })


def fact_record(f: FileResult, fact) -> dict[str, Any]:
    """A definition or an assumption of a notes file (never refuted), as JSON."""
    return {"kind": fact.kind, "line": fact.span.line, "column": fact.span.column, "text": fact.text,
            "name": fact.name or None, "unfolded": fact.unfolded}


def coverage_record(f: FileResult) -> dict[str, Any] | None:
    """How much of a notes file was read: display blocks, steps by verdict, facts learned (None for .pgv)."""
    c = f.coverage
    if c is None:
        return None
    steps = [s for d in f.derivations for s in d.steps]
    return {
        "blocks": c.blocks, "read": c.read, "skipped": c.skipped, "off": c.off,
        "steps": {v: sum(1 for s in steps if s.verdict == v) for v in (PROVED, CHECKED, REFUTED, UNKNOWN)},
        "definitions": sum(1 for x in f.facts if x.kind == "definition"),
        "assumptions": sum(1 for x in f.facts if x.kind == "assumption"),
        "unreadable": f.unreadable(),
    }


UNREADABLE = ("none of this file's display math could be read (see the skipped blocks):"
              " nothing in it was checked")


def coverage_line(f: FileResult) -> str | None:
    """``12 of 14 display blocks read (2 skipped); 9 steps: …; 3 definitions, 1 assumption`` (notes files)."""
    record = coverage_record(f)
    if record is None:
        return None
    steps = record["steps"]
    total = sum(steps.values())
    parts = [f"{record['read']} of {_plural(record['blocks'], 'display block')} read"
             + (f" ({record['skipped']} skipped)" if record["skipped"] else "")
             + (f", {record['off']} in pgverify: off" if record["off"] else "")]
    parts.append(f"{_plural(total, 'step')}" + (": " + ", ".join(f"{n} {v}" for v, n in steps.items() if n)
                                                 if total else ""))
    parts.append(f"{_plural(record['definitions'], 'definition')}, {_plural(record['assumptions'], 'assumption')}")
    return "; ".join(parts)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _in_cells(f: FileResult, record: dict[str, Any]) -> dict[str, Any]:
    """In a notebook, every ``line`` becomes the line within its cell and a ``cell`` (1-based) is added."""
    if not f.cells:
        return record
    items = [*record["errors"], *record["skipped"], *record.get("notes", []), *record.get("definitions", []),
             *record.get("warnings", [])]
    for d in record["derivations"]:
        items += [d, *d["steps"]]
    for item in items:
        where = f.locate(item["line"])
        item["line"] = where.line
        item["cell"] = where.cell
    return record


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


finish(__name__)   # the methods of this module's records, made at once (see model/records.py)
