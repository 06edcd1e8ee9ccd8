"""``--format github``: workflow commands, so each fault shows on its line of the pull request.

https://docs.github.com/actions/reference/workflow-commands-for-github-actions
Data is escaped (``%`` ``\\r`` ``\\n``); property values also escape ``:`` and ``,``.
"""

from __future__ import annotations

from ..report import UNREADABLE, Report
from ..results import REFUTED, UNKNOWN, FileResult
from .common import blocked_by_syntax_error, blocked_derivation, plural, printable


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, path: str, line: int, column: int, title: str, message: str) -> str:
    where = f"file={_prop(path)},line={max(line, 1)}"
    if column > 0:
        where += f",col={column}"
    return f"::{kind} {where},title={_prop(title)}::{_data(message)}"


def _command_at(f: FileResult, kind: str, line: int, column: int, title: str, message: str) -> str:
    """A command at a line of ``f``: in a notebook, at the line of the ``.ipynb`` (JSON) file, which is what a
    pull request shows, without a column (the JSON text escapes the cell's); the message says the cell."""
    where = f.locate(line, column)
    if where.cell is None:
        return command(kind, f.path, line, column, title, message)
    return command(kind, f.path, where.file_line, 0, title, f"{where.in_file()}: {message}")


def render(report: Report, *, color: bool = False, width: int = 100) -> str:
    del color, width
    report = printable(report)   # control characters of user text are shown escaped
    lines: list[str] = []
    for message in report.usage_errors:
        lines.append(f"::error title=pgverify::{_data(message)}")
    for f in report.files:
        for e in f.errors:
            lines.append(_command_at(f, "error", e.span.line, e.span.column, "pgverify: syntax error", e.message))
        for note in report.notes.get(f.path, []):  # unused `pgverify: ignore` comments
            lines.append(command("notice", f.path, note.line, note.column, f"pgverify: {note.code}", note.message))
        for w in f.warnings:  # a free index in notes
            lines.append(_command_at(f, "warning", w.span.line, w.span.column, "pgverify: free index", w.message))
        if f.unreadable():    # notes whose math could not be read never pass silently
            lines.append(command("error" if report.strict else "warning", f.path, 1, 0, "pgverify: nothing read",
                                 UNREADABLE))
        for d in f.derivations:
            for s in d.steps:
                if blocked_by_syntax_error(f, s):
                    continue  # a consequence of the syntax error annotated above, not a fault of its own
                if s.verdict == REFUTED:
                    title = f"pgverify: step refuted ({s.diagnosis['name']})" if s.diagnosis else "pgverify: step refuted"
                    text = s.message
                    if s.diagnosis:
                        text = f"{s.diagnosis['title']}. {s.diagnosis['hint']} ({s.message})"
                    lines.append(_command_at(f, "error", s.line, s.column, title, text))
                elif s.verdict == UNKNOWN:
                    kind = "error" if report.fail_on == "unknown" else "warning"
                    lines.append(_command_at(f, kind, s.line, s.column, "pgverify: step unknown", s.message))
            if d.goal == "not-reached" and not blocked_derivation(f, d):
                lines.append(_command_at(f, "error", d.line, 0, "pgverify: goal not reached",
                                     f"{d.title}: {d.goal_message}"))
    s = report.summary()
    lines.append(f"pgverify: {plural(s['steps'], 'step')}: {s['proved']} proved, {s['checked']} checked, "
                 f"{s['refuted']} refuted, {s['unknown']} unknown")
    return "\n".join(lines) + "\n"
