"""Output of ``grade`` (json, csv, text) and ``order`` (text, json): each ``render(...) -> str``, plain data in.

Nothing here depends on how many workers ran or on the cache: the same
records give the same bytes.

``first_error`` is one step in every format, counted two ways: the machine
formats (CSV, JSON) keep the 0-based index of the first refuted or unknown step
(-1 when there is none), the convention of step-level benchmarks such as
ProcessBench; the text table, like the feedback, says ``step N (line L)`` with N
counted from 1, and says so under the table.  Mistakes are named by their
catalogue name, the one ``pgverify explain NAME`` accepts.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import model as m
from .feedback import note_lines, one_line, step_name
from .grade import ClassGrades
from .order import AnswerGrade, Exercise, Solution
from .score import number

SCHEMA_VERSION = 1
CSV_COLUMNS = ("student", "score", "max_score", "first_error", "goal", "faulty_steps", "unknown_steps", "status")
STATUSES = ("graded", "parse-error", "time-limit", "crashed")


# --------------------------------------------------------------------------- grade


def grade_document(grades: ClassGrades) -> dict[str, Any]:
    """The JSON document of a class (schema 1)."""
    a = grades.assignment
    records = grades.records
    status = Counter(r["status"] for r in records)
    return {
        "schema": SCHEMA_VERSION,
        "assignment": {"title": a.title, "goal": a.order.goal_text if a.order else a.goal_text,
                       "kind": "order" if a.order else "derivation",
                       "max_score": number(a.rubric.max_score) if a.rubric.max_score is not None else None},
        "seed": grades.seed,
        "submissions": records,
        "summary": {"submissions": len(records), **{s: status[s] for s in STATUSES},
                    "goals_reached": sum(1 for r in records if r["goal"] == "reached")},
    }


def render_json(grades: ClassGrades) -> str:
    return json.dumps(grade_document(grades), ensure_ascii=False, indent=2) + "\n"


def render_csv(grades: ClassGrades) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in grades.records:
        writer.writerow([_cell(r["student"]), r["score"], r["max_score"], r["first_error"], r["goal"],
                         r["faulty_steps"], r["unknown_steps"], r["status"]])
    return out.getvalue()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """A text cell a spreadsheet shows as text: one that starts like a formula (``=``, ``+``, ``-``, ``@``, tab,
    carriage return: OWASP's rule for CSV injection) gets a leading ``'``; control characters are escaped."""
    quoted = "'" if text.startswith(_FORMULA_START) else ""
    return quoted + one_line(text)


def render_text(grades: ClassGrades) -> str:
    """A class table sorted by student, the score distribution, the most frequent mistakes."""
    records = grades.records
    lines = [f"{grades.assignment.title}: {len(records)} submission{'s' if len(records) != 1 else ''}", ""]
    header = ("student", "score", "max", "status", "goal", "first error")
    rows = [(_short(one_line(r["student"])), str(r["score"]), str(r["max_score"]), r["status"], r["goal"], _first_error(r))
            for r in records]
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        cells = [row[0].ljust(widths[0]), row[1].rjust(widths[1]), row[2].rjust(widths[2]),
                 row[3].ljust(widths[3]), row[4].ljust(widths[4]), row[5]]
        lines.append("  ".join(cells).rstrip())
    if any(r["first_error"] >= 0 for r in records):
        lines += ["", ("first error: step N counts a submission's steps from 1"
                       " (the first_error of CSV and JSON counts from 0)")]
    lines += ["", "Score distribution"]
    scores = Counter(r["score"] for r in records)
    top = max(scores.values(), default=1)
    score_width = max((len(str(s)) for s in scores), default=1)
    for value in sorted(scores, reverse=True):
        bar = "█" * max(1, round(30 * scores[value] / top))
        lines.append(f"  {str(value).rjust(score_width)}  {bar} {scores[value]}")
    lines += ["", "Most frequent mistakes"]
    mistakes: Counter[str] = Counter()
    titles: dict[str, str] = {}
    for r in records:
        for d in {d["name"]: d for d in r["diagnoses"]}.values():
            mistakes[d["name"]] += 1
            titles[d["name"]] = d["title"]
    if not mistakes:
        lines.append("  none named")
    for name, count in sorted(mistakes.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"  {count:>3} student{'s' if count != 1 else ' '}  {name}: {titles[name]}")
    if mistakes:
        lines.append("  (`pgverify explain NAME` describes a mistake and how to fix it)")
    noted = [(r["student"], line) for r in records for line in note_lines(r)]
    if noted:   # the notes each student's feedback shows, so the instructor sees them too
        lines += ["", "Notes"] + [f"  {one_line(student)}: {one_line(line)}" for student, line in noted]
    statuses = Counter(r["status"] for r in records)
    lines += ["", "Summary: " + ", ".join(f"{statuses[s]} {s}" for s in STATUSES)
              + f"; goals reached {sum(1 for r in records if r['goal'] == 'reached')}/{len(records)}"]
    return "\n".join(lines) + "\n"


TABLE_ID = 60   # the widest student id the text table shows whole (CSV and JSON always give the whole id)


def _short(student: str) -> str:
    """A student id as the text table shows it: a long one cut, with a short hash of the whole so that two long
    ids that differ only at their end still differ in the table."""
    if len(student) <= TABLE_ID:
        return student
    digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{student[:TABLE_ID - 10]}…{digest}"


def _first_error(record: dict[str, Any]) -> str:
    index = record["first_error"]
    if index < 0:
        return "-"
    return step_name(index, record["steps"][index]["line"]) if index < len(record["steps"]) else str(index)


GRADE_RENDERERS: dict[str, Callable[[ClassGrades], str]] = {
    "text": render_text,
    "csv": render_csv,
    "json": render_json,
}


# --------------------------------------------------------------------------- order


@dataclass(frozen=True)
class OrderOutcome:
    exercise: Exercise
    solution: Solution
    grade: AnswerGrade | None          # None: the exercise has no answer


def order_document(path: str, outcomes: list[OrderOutcome], errors: list[m.SyntaxIssue]) -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "path": path,
        "errors": [{"line": e.span.line, "column": e.span.column, "message": e.message} for e in errors],
        "exercises": [_exercise_record(o) for o in outcomes],
    }


def _exercise_record(o: OrderOutcome) -> dict[str, Any]:
    e, s = o.exercise, o.solution
    record: dict[str, Any] = {
        "title": e.title,
        "line": e.line,
        "items": dict(zip(e.labels, e.texts)),
        "goal": f"{m.show(e.goal.lhs)} {e.goal.relation} {m.show(e.goal.rhs)}" if e.goal else None,
        "chains": s.chains,
        "right": [" ".join(order) for order in s.right],
        "size": s.size,
        "problem": s.problem or None,
        "answer": None,
    }
    if o.grade is not None and e.answer is not None:
        record["answer"] = {"order": " ".join(e.answer), "line": e.answer_line, "right": o.grade.right,
                            "position": o.grade.position, "reason": o.grade.reason or None}
    return record


def render_order_json(path: str, outcomes: list[OrderOutcome], errors: list[m.SyntaxIssue]) -> str:
    return json.dumps(order_document(path, outcomes, errors), ensure_ascii=False, indent=2) + "\n"


def render_order_text(path: str, outcomes: list[OrderOutcome], errors: list[m.SyntaxIssue]) -> str:
    lines = [path]
    for issue in errors:
        lines.append(f"  line {issue.span.line}, column {issue.span.column}: {issue.message}")
    for o in outcomes:
        e, s = o.exercise, o.solution
        lines.append(f"  {e.title}  (line {e.line})")
        for label, text in zip(e.labels, e.texts):
            lines.append(f"    {label}  {text}")
        if s.problem:
            lines.append(f"    no right order: {s.problem}")
        else:
            plural = "s" if s.chains != 1 else ""
            shortest = "the shortest chains" if len(s.right) != 1 else "the shortest chain"
            lines.append(f"    {s.chains} order{plural} with every link valid; right: {shortest}"
                         f" ({s.size} rule{'s' if s.size != 1 else ''} in all):")
            for order in s.right:
                steps = " → ".join(order)
                rules = [", ".join(s.links[a, b].rules) or "as written" for a, b in itertools.pairwise(order)]
                lines.append(f"      {steps}    ({'; '.join(rules)})")
        if o.grade is not None and e.answer is not None:
            answer = " ".join(e.answer)
            if o.grade.right:
                lines.append(f"    answer (line {e.answer_line}): {answer}  ✓ right")
            else:
                where = f"position {o.grade.position}: " if o.grade.position else ""
                lines.append(f"    answer (line {e.answer_line}): {answer}  ✗ {where}{o.grade.reason}")
    return "\n".join(lines) + "\n"


ORDER_RENDERERS = {"text": render_order_text, "json": render_order_json}
