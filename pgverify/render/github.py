"""``--format github``: workflow commands, so each fault shows on its line of the pull request.

https://docs.github.com/actions/reference/workflow-commands-for-github-actions
Data is escaped (``%`` ``\\r`` ``\\n``); property values also escape ``:`` and ``,``.
"""

from __future__ import annotations

from ..report import Report
from ..results import REFUTED, UNKNOWN


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, path: str, line: int, column: int, title: str, message: str) -> str:
    where = f"file={_prop(path)},line={max(line, 1)}"
    if column > 0:
        where += f",col={column}"
    return f"::{kind} {where},title={_prop(title)}::{_data(message)}"


def render(report: Report, *, color: bool = False, width: int = 100) -> str:
    del color, width
    lines: list[str] = []
    for message in report.usage_errors:
        lines.append(f"::error title=pgverify::{_data(message)}")
    for f in report.files:
        for e in f.errors:
            lines.append(command("error", f.path, e.span.line, e.span.column, "pgverify: syntax error", e.message))
        for d in f.derivations:
            for s in d.steps:
                if s.verdict == REFUTED:
                    title = f"pgverify: step refuted ({s.diagnosis['name']})" if s.diagnosis else "pgverify: step refuted"
                    text = s.message
                    if s.diagnosis:
                        text = f"{s.diagnosis['title']}. {s.diagnosis['hint']} ({s.message})"
                    lines.append(command("error", f.path, s.line, s.column, title, text))
                elif s.verdict == UNKNOWN:
                    kind = "error" if report.fail_on == "unknown" else "warning"
                    lines.append(command(kind, f.path, s.line, s.column, "pgverify: step unknown", s.message))
            if d.goal == "not-reached":
                lines.append(command("error", f.path, d.line, 0, "pgverify: goal not reached",
                                     f"{d.title}: {d.goal_message}"))
    s = report.summary()
    lines.append(f"pgverify: {s['steps']} steps: {s['proved']} proved, {s['checked']} checked, "
                 f"{s['refuted']} refuted, {s['unknown']} unknown")
    return "\n".join(lines) + "\n"
