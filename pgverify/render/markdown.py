"""``--format markdown``: a summary table for a CI job summary ($GITHUB_STEP_SUMMARY)."""

from __future__ import annotations

from ..report import Report
from ..results import REFUTED, UNKNOWN
from .common import blocked_by_syntax_error, blocked_derivation, printable


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render(report: Report, *, color: bool = False, width: int = 100) -> str:
    del color, width
    report = printable(report)   # control characters of user text are shown escaped
    s = report.summary()
    status = "✅ all steps valid" if report.exit_code() == 0 else "❌ faults found"
    if report.exit_code() == 0 and (s["refuted"] or s["unknown"] or s["goals_not_reached"]):
        status = "✅ passed (the faults left are allowed, ignored or suppressed)"  # never call a refuted step valid
    lines = [f"## pgverify: {status}", "",
             "| steps | proved | checked | refuted | unknown | goals reached | errors |",
             "|---:|---:|---:|---:|---:|---:|---:|",
             f"| {s['steps']} | {s['proved']} | {s['checked']} | {s['refuted']} | {s['unknown']} | "
             f"{s['goals_reached']}/{s['goals_reached'] + s['goals_not_reached']} | {s['errors']} |", ""]
    faults = []
    for f in report.files:
        for e in f.errors:
            faults.append(f"| `{f.locate(e.span.line)}` | error | {_cell(e.message)} |")
        for d in f.derivations:
            for st in d.steps:
                if st.verdict in (REFUTED, UNKNOWN) and not blocked_by_syntax_error(f, st):  # one row per syntax error
                    what = st.diagnosis["title"] if st.diagnosis else st.message
                    faults.append(f"| `{f.locate(st.line)}` | {st.verdict} | {_cell(what)} |")
            if d.goal == "not-reached" and not blocked_derivation(f, d):
                faults.append(f"| `{f.locate(d.line)}` | goal not reached | {_cell(d.title)} |")
    if faults:
        lines += ["| where | verdict | what |", "|---|---|---|", *faults, ""]
    return "\n".join(lines) + "\n"
