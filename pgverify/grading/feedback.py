"""Feedback a student can read: one Markdown file per submission, from its grade record.

It shows the student's own derivation with each step marked and numbered,
names the first mistake as "step N (line L)" (N counts the steps of the
submission from 1; the record's ``first_error`` is the same step, counted from
0), the mistake's catalogue name as ``pgverify explain NAME`` accepts it, the
catalogue's hint and the counterexample that refutes it, and breaks the score
down by rubric line.  It never shows a correct step: the hint points the way,
the student takes it.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from ..render.common import escape_controls, printable_record, show_number
from .assignment import Assignment

MARKS = {"proved": "✓", "checked": "✓", "refuted": "✗", "unknown": "?"}


SLUG_CHARS = 80   # the readable part of a feedback file name; with the hash the name stays far below 255 bytes


_PLAIN = re.compile(r"[a-z0-9_][a-z0-9_.-]{0,79}")   # an id that is its own file name on every file system
_HASHED = re.compile(r".*-[0-9a-f]{10}")
# names Windows keeps for its devices, whatever the extension (nul.md opens the null device there)
_RESERVED = re.compile(r"(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?")


def one_line(text: str) -> str:
    """A student id or file name as a table cell or a heading shows it: control characters escaped, and a line
    feed or a tab too (a name with a line break would start a forged row of its own)."""
    return escape_controls(text).replace("\n", "\\n").replace("\t", "\\t")


def file_name(student: str) -> str:
    """A safe, unique file name for a student's feedback, never longer than a file system allows.

    An id of lower-case letters, digits, ``_``, ``.`` and ``-`` (not starting with ``.``) is its own name
    (``alice.md``); any other id gets a readable slug and a short hash of the whole id (``with space`` and
    ``with;space`` get different files, ``Alice`` and ``alice`` too on a case-insensitive disk).  An id that
    already ends like a hash is hashed as well, so no student can pick a name that lands on another's file.
    The id is written at the top of the file, so a name always leads back to its student."""
    if _PLAIN.fullmatch(student) and not _HASHED.fullmatch(student) and not _RESERVED.fullmatch(student):
        return f"{student}.md"
    slug = re.sub(r"[^\w.-]", "_", student, flags=re.ASCII).lstrip(".")[:SLUG_CHARS] or "student"
    digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:10]
    return f"{slug}-{digest}.md"


def write_all(directory: Path, assignment: Assignment, records: list[dict[str, Any]]) -> list[str]:
    """Write every student's feedback into ``directory``; returns the problems (a student whose file could not
    be written), so that one failure never stops the feedback of the students after it."""
    directory.mkdir(parents=True, exist_ok=True)
    problems = []
    for record in records:
        target = directory / file_name(record["student"])
        try:
            target.write_text(render(assignment, record), encoding="utf-8")
        except OSError as err:
            problems.append(f"{one_line(record['student'])}: cannot write {target}: {err.strerror or err}")
    return problems


_INTERNAL = "internal error"


def _for_student(record: dict[str, Any]) -> dict[str, Any]:
    """The record without pgverify's internal exception texts (the grades' JSON keeps them for the instructor)."""
    def hide(text: str) -> str:
        at = text.find(_INTERNAL)
        return text if at < 0 else text[:at] + "an internal error of pgverify (your instructor can see the details)"

    steps = [{**s, "message": hide(s["message"])} if isinstance(s.get("message"), str) else s
             for s in record.get("steps", [])]
    return {**record, "messages": [hide(x) for x in record.get("messages", [])], "steps": steps}


def render(assignment: Assignment, record: dict[str, Any]) -> str:
    """The Markdown feedback of one student (control characters of the student's text shown escaped)."""
    record = _for_student(printable_record(record))
    goal = "reached" if record["goal"] == "reached" else "not reached"
    out = [f"# {assignment.title}", "",
           f"Feedback for **{one_line(record['student'])}** (`{one_line(record['file'])}`)", "",
           f"**Score: {record['score']} / {record['max_score']}** · goal {goal}", ""]
    status = record["status"]
    if status != "graded":
        out += [_NOT_GRADED[status], ""]
        out += [_block(message) for message in record["messages"]]
        out += ["", *(f"- {note}" for note in note_lines(record))] if record.get("notes") else []
        return "\n".join(out).rstrip() + "\n"
    steps = record["steps"]
    ordering = bool(steps) and "from" in steps[0]
    out += ["## Your answer" if ordering else "## Your derivation", ""]
    if not steps:
        out += ["(no step found)", ""]
    else:
        legend = ("✓ a step of a right order · ✗ a step that does not hold, skips a step or goes backwards"
                  if ordering else "✓ valid · ✗ not valid · ? could not be decided")
        shown = _answer_lines(steps) if ordering else _derivation_lines(steps, record["first_error"])
        out += [fence(shown), *shown, fence(shown), "", legend, ""]
    out += _first_mistake(record, ordering)
    out += _justifications(steps, assignment)
    # an ordering answer's one message is the reason it breaks, shown above
    notes = ([] if ordering else list(record["messages"])) + note_lines(record)
    if notes:
        out += ["## Notes", "", *(f"- {note}" for note in notes), ""]
    out += _score_table(record)
    return "\n".join(out).rstrip() + "\n"


_NOT_GRADED = {
    "parse-error": "Your submission could not be read, so it was graded 0. Fix the problem below and submit again:",
    "time-limit": "Grading your submission took too long, so it was graded 0; your instructor will look at it.",
    "crashed": "Grading your submission stopped unexpectedly, so it was graded 0; your instructor will look at it.",
}


def note_lines(record: dict[str, Any]) -> list[str]:
    """A record's notes (look-alike names), each as ``line L: message``."""
    return [f"line {n['line']}: {n['message']}" for n in record.get("notes") or []]


def fence(lines: list[str]) -> str:
    """A Markdown code fence longer than any run of backticks in ``lines``: a student's text (a step, the line
    of a syntax error) can never close the block it is shown in and write Markdown of its own."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def _block(text: str) -> str:
    first, *rest = text.split("\n")
    if not rest:
        return f"- {first}"
    return f"- {first}\n\n  {fence(rest)}\n" + "\n".join(f"  {line}" for line in rest) + f"\n  {fence(rest)}"


def step_name(index: int, line: int) -> str:
    """How people read a step: ``step N (line L)``, N counted from 1 (``index`` is 0-based, as in the records)."""
    return f"step {index + 1} (line {line})"


def _derivation_lines(steps: list[dict[str, Any]], first_error: int) -> list[str]:
    lines: list[str] = []
    title = None
    step_width = len(str(len(steps)))
    line_width = max(len(str(s["line"])) for s in steps)
    for i, s in enumerate(steps):
        prefix = f"{MARKS.get(s['verdict'], '?')} step {str(i + 1).rjust(step_width)}," \
                 f" line {str(s['line']).rjust(line_width)}  "
        if s["derivation"] != title:
            title = s["derivation"]
            if lines:
                lines.append("")
            lines += [f"# {title}", f"{' ' * len(prefix)}{s['lhs']}"]
        flag = "   ← first mistake" if i == first_error else ""
        lines.append(f"{prefix}{s['text']}{flag}")
    return lines


def _answer_lines(steps: list[dict[str, Any]]) -> list[str]:
    lines = [f"answer (line {steps[0]['line']}): {' '.join([steps[0]['from']] + [s['to'] for s in steps])}"]
    for i, s in enumerate(steps, 1):
        lines.append(f"{'✓' if s['on_right_order'] else '✗'} step {i}: {s['from']} → {s['to']}")
    return lines


def _first_mistake(record: dict[str, Any], ordering: bool) -> list[str]:
    index = record["first_error"]
    if index < 0:
        if record["goal"] == "reached":
            return ["## Well done", "", "Every step is valid and the chain reaches the goal.", ""]
        if ordering and record["messages"]:
            reason = record["messages"][0]
            return ["## The first mistake", "", reason[0].upper() + reason[1:] + ".", ""]
        return []
    s = record["steps"][index]
    out = ["## The first mistake", ""]
    if ordering:
        reason = next((msg for msg in record["messages"] if "position" in msg), "")
        out += [f"{step_name(index, s['line']).capitalize()}, the link {s['from']} → {s['to']}:", ""]
        if reason:
            out += [reason[0].upper() + reason[1:] + ".", ""]
    else:
        out += [f"{step_name(index, s['line']).capitalize()}, the first step that is not valid:", "",
                fence([s["text"]]), s["text"], fence([s["text"]]), ""]
        if s["verdict"] == "refuted":
            out += ["This step does not hold: its two sides are not equal in general.", ""]
        else:
            out += [f"pgverify could not decide this step: {s['message']}.", ""]
    if s.get("difference"):
        out += [f"The two sides differ at `{s['difference']['lhs']}` versus `{s['difference']['rhs']}`.", ""]
    if s.get("counterexample"):
        out += [_counterexample(s["counterexample"]), ""]
    if s.get("diagnosis"):
        d = s["diagnosis"]
        out += [f"**Mistake: {d['title']}** (see `pgverify explain {d['name']}`)", "", f"*Hint:* {d['hint']}", ""]
    return out


def _counterexample(example: dict[str, Any]) -> str:
    model = ", ".join(f"{k} = {_value(v)}" for k, v in example.items() if k not in ("lhs", "rhs", "assignments"))
    where = ", ".join(f"{k} = {v}" for k, v in (example.get("assignments") or {}).items())
    text = f"A counterexample: in a small model ({model}"
    text += f"; {where})" if where else ")"
    return text + f" the left side is {_value(example.get('lhs'))} and the right side {_value(example.get('rhs'))}."


def _value(v: Any) -> str:
    return show_number(v)


def _justifications(steps: list[dict[str, Any]], assignment: Assignment) -> list[str]:
    notes = []
    for s in steps:
        if s["verdict"] not in ("proved", "checked") or "from" in s:
            continue
        if s.get("justification") == "mismatch":
            notes.append(f"- line {s['line']}: the step is valid, but not by {', '.join(s['cited'])}")
        elif s.get("justification") == "unknown-rule":
            near = f" (did you mean {', '.join(s['suggestions'][:3])}?)" if s.get("suggestions") else ""
            notes.append(f"- line {s['line']}: {', '.join(s['cited'])} names no rule{near}")
        elif s.get("justification") == "unused":   # not charged (grading.score): said, so the write-up improves
            notes.append(f"- line {s['line']}: the step holds by {', '.join(s['cited'])}, but part of it plays no role")
        elif assignment.rubric.justification == "required" and not s.get("cited"):
            notes.append(f"- line {s['line']}: a justification (`by …`) is required")
    return ["## Justifications", "", *notes, ""] if notes else []


def _score_table(record: dict[str, Any]) -> list[str]:
    out = ["## Score", "", "| rubric line | count | points each | points |", "|---|---:|---:|---:|"]
    for line in record["breakdown"]:
        if line["line"].startswith("clamped"):
            out.append(f"| {line['line']} (a score is never negative) | | | {line['points']} |")
        elif line["line"].startswith("capped"):
            out.append(f"| {line['line']} (a score never exceeds it) | | | {line['points']} |")
        else:
            out.append(f"| {line['line']} | {line['count']} | {line['points_each']} | {line['points']} |")
    out.append(f"| **total** | | | **{record['score']}** of {record['max_score']} |")
    return out + [""]
