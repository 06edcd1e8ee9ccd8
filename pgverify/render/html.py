"""``--format html``: a self-contained page to look at, the math typeset as MathML.

One file, no script and no network: the style sheet is inline, the math is
MathML built from the checked expressions (:mod:`.mathml`), and a content
security policy forbids the page from loading anything.  A summary comes
first; then each file, each derivation and each step with its verdict mark.
A refuted step shows its two sides with the sub-expression where they differ
highlighted, the counterexample as a table, the named mistake and its hint.

Everything a user wrote (titles, paths, messages, names) is escaped; nothing
in a note can add markup to the page.  :func:`fragment` is the same report
as a ``<div>`` with its own scoped style, for pages that embed it (the
Jupyter magic, the Sphinx marks).
"""

from __future__ import annotations

from html import escape
from typing import Any

from ..report import Report
from ..results import CHECKED, PROVED, REFUTED, UNKNOWN, DerivationResult, FileResult, StepResult
from . import mathml
from .common import blocked_by_syntax_error, plural

MARKS = {PROVED: "✓", CHECKED: "✓", REFUTED: "✗", UNKNOWN: "?"}

STYLE = """
.pgv-report{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;line-height:1.45;max-width:70em}
.pgv-report h1{font-size:1.4em;margin:.2em 0 .4em}
.pgv-report h2{font-size:1.1em;margin:1.2em 0 .3em;font-family:ui-monospace,monospace}
.pgv-report h3{font-size:1em;margin:.9em 0 .3em}
.pgv-summary{padding:.6em .9em;border-radius:6px;margin-bottom:1em;border:1px solid #d0d7de;background:#f6f8fa}
.pgv-summary.pgv-fail{border-color:#cf222e;background:#ffebe9}
.pgv-summary.pgv-pass{border-color:#1a7f37;background:#dafbe1}
.pgv-summary table{border-collapse:collapse;margin-top:.4em}
.pgv-summary td,.pgv-summary th{padding:.1em .8em;text-align:right}
.pgv-step{border-left:4px solid #d0d7de;padding:.35em .8em;margin:.3em 0;border-radius:0 4px 4px 0}
.pgv-step.pgv-proved{border-left-color:#1a7f37}
.pgv-step.pgv-checked{border-left-color:#0969da}
.pgv-step.pgv-unknown{border-left-color:#bf8700;background:#fff8c5}
.pgv-step.pgv-refuted{border-left:6px solid #cf222e;background:#ffebe9}
.pgv-badge{display:inline-block;min-width:6.5em;font-weight:600}
.pgv-proved .pgv-badge{color:#1a7f37}.pgv-checked .pgv-badge{color:#0969da}
.pgv-unknown .pgv-badge{color:#9a6700}.pgv-refuted .pgv-badge{color:#cf222e}
.pgv-where{color:#656d76;font-family:ui-monospace,monospace;font-size:.85em;margin-right:.8em}
.pgv-math{font-size:1.12em}
.pgv-detail{margin:.25em 0 .1em 7.3em;font-size:.92em}
.pgv-detail .pgv-label{font-weight:600;margin-right:.4em}
.pgv-diff{background:#ffd33d;border-radius:3px;outline:2px solid #bf8700}
.pgv-cex{border-collapse:collapse;margin:.2em 0;font-family:ui-monospace,monospace;font-size:.9em}
.pgv-cex th,.pgv-cex td{border:1px solid #d0d7de;padding:.15em .6em;text-align:right}
.pgv-cex th{background:#f6f8fa}
.pgv-error{color:#cf222e;font-family:ui-monospace,monospace}
.pgv-goal-no{color:#cf222e}.pgv-goal-yes{color:#1a7f37}
.pgv-dim{color:#656d76}
"""

# the page may load nothing at all: no script, no image, no font, no request of any kind
_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def render(report: Report, *, color: bool = False, width: int = 100, verbose: bool = False) -> str:
    """The whole report as one HTML document (``verbose`` shows every step's two sides)."""
    del color, width
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_POLICY}\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>pgverify report</title>\n<style>" + STYLE + "body{margin:1.5em}</style>\n</head>\n<body>\n"
            + _body(report, verbose) + "\n</body>\n</html>\n")


def fragment(report: Report, *, verbose: bool = False) -> str:
    """The report as a ``<div>`` with its scoped style, to embed in another page (a notebook, a site)."""
    return f"<style>{STYLE}</style>\n" + _body(report, verbose)


def status(report: Report) -> tuple[bool, str]:
    """Whether the run passed, and a sentence saying so (never calling a refuted step valid)."""
    s = report.summary()
    if report.exit_code() != 0:
        return False, "faults found"
    if s["refuted"] or s["unknown"] or s["goals_not_reached"]:
        return True, "passed (the faults left are allowed, ignored or suppressed)"
    return True, "all steps valid"


def _body(report: Report, verbose: bool) -> str:
    out = ['<div class="pgv-report">', _summary(report)]
    out += [f'<p class="pgv-error">error: {escape(message)}</p>' for message in report.usage_errors]
    for f in report.files:
        out.append(_file(report, f, verbose))
    out.append("</div>")
    return "\n".join(out)


def _summary(report: Report) -> str:
    s = report.summary()
    passed, said = status(report)
    goals = s["goals_reached"] + s["goals_not_reached"]
    heads = ["files", "derivations", "steps", "proved", "checked", "refuted", "unknown", "goals reached", "errors"]
    cells = [s["files"], s["derivations"], s["steps"], s["proved"], s["checked"], s["refuted"], s["unknown"],
             f"{s['goals_reached']}/{goals}", s["errors"]]
    if s["suppressed"] or s["ignored"]:
        heads += ["suppressed", "ignored"]
        cells += [s["suppressed"], s["ignored"]]
    return (f'<section class="pgv-summary {"pgv-pass" if passed else "pgv-fail"}" id="pgv-summary">'
            f'<h1>pgverify: {escape(said)}</h1>'
            f'<div>{escape(plural(s["steps"], "step"))} in {escape(plural(s["derivations"], "derivation"))}: '
            f'{s["proved"]} proved, {s["checked"]} checked, <strong>{s["refuted"]} refuted</strong>, '
            f'{s["unknown"]} unknown</div>'
            "<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in heads) + "</tr><tr>"
            + "".join(f"<td>{escape(str(c))}</td>" for c in cells) + "</tr></table></section>")


def _file(report: Report, f: FileResult, verbose: bool) -> str:
    out = [f'<section class="pgv-file"><h2>{escape(f.path)}</h2>']
    for e in f.errors:
        out.append(f'<p class="pgv-error">{escape(str(f.locate(e.span.line, e.span.column)))}: error: '
                   f"{escape(e.message)}</p>")
    for note in f.notes:
        out.append(f'<p class="pgv-dim">{escape(str(f.locate(note.span.line)))}: note: {escape(note.message)}</p>')
    for note in report.notes.get(f.path, []):
        out.append(f'<p class="pgv-dim">{escape(str(f.locate(note.line, note.column)))}: note: '
                   f"{escape(note.message)}</p>")
    if not f.derivations and not f.errors:
        out.append('<p class="pgv-dim">no derivations found</p>')
    for d in f.derivations:
        out.append(_derivation(report, f, d, verbose))
    out.append("</section>")
    return "\n".join(out)


def _derivation(report: Report, f: FileResult, d: DerivationResult, verbose: bool) -> str:
    goal = ""
    if d.goal == "reached":
        goal = ' <span class="pgv-goal-yes">goal reached</span>'
    elif d.goal == "not-reached":
        goal = f' <span class="pgv-goal-no">goal not reached{": " + escape(d.goal_message) if d.goal_message else ""}</span>'
    out = [f'<section class="pgv-derivation"><h3>{escape(d.title)} '
           f'<span class="pgv-where">{escape(f.locate(d.line).in_file())}</span>{goal}</h3>']
    if d.steps and d.steps[0].lhs:
        out.append(f'<div class="pgv-step pgv-start"><span class="pgv-badge"></span>'
                   f'<span class="pgv-math">{mathml.math(mathml.side(d.steps[0].lhs))}</span></div>')
    for s in d.steps:
        out.append(_step(report, f, s, verbose))
    out.append("</section>")
    return "\n".join(out)


def _step(report: Report, f: FileResult, s: StepResult, verbose: bool) -> str:
    where = f.locate(s.line, s.column)
    silenced = report.silenced_as(s)
    badge = f"{MARKS[s.verdict]} {s.verdict}" + (f" ({silenced})" if silenced else "")
    if s.rhs:
        shown = mathml.math(mathml.relation(s.relation), mathml.side(s.rhs))
    else:   # a line that did not parse: its text as written
        shown = f"<code>{escape(s.text)}</code>"
    out = [f'<div class="pgv-step pgv-{s.verdict}" data-verdict="{s.verdict}" data-line="{where.line}">'
           f'<span class="pgv-badge">{escape(badge)}</span>'
           f'<span class="pgv-where" title="{escape(str(where))}">{escape(where.in_file())}</span>'
           f'<span class="pgv-math">{shown}</span>']
    if s.cited:
        named = s.cited if s.justification == "unknown-rule" or not s.rules else s.rules
        state = f" [{s.justification}]" if s.justification else ""
        out.append(_detail("by", escape(", ".join(named) + state)))
    if s.verdict == REFUTED and not blocked_by_syntax_error(f, s):
        out += _refutation(s)
    elif s.verdict == CHECKED:
        out.append(_detail("", f'<span class="pgv-dim">holds on {escape(plural(s.models, "random model"))}, '
                               "no symbolic proof</span>"))
    elif s.verdict == UNKNOWN and s.message:
        out.append(_detail("why:", escape(s.message)))
    if verbose and s.verdict != REFUTED and s.lhs and s.rhs:
        out += _sides(s, None)
    for c in s.conditions:
        if c.get("status") != "holds":
            out.append(_detail(escape(str(c.get("status"))) + ":",
                               escape(f"{c.get('text', '')} ({c.get('rule', '')})"
                                      + (f": {c['note']}" if c.get("note") else ""))))
    out.append("</div>")
    return "\n".join(out)


def _detail(label: str, body: str) -> str:
    return f'<div class="pgv-detail"><span class="pgv-label">{label}</span>{body}</div>'


def _sides(s: StepResult, difference: tuple[str, str] | None) -> list[str]:
    left_mark, right_mark = difference or (None, None)
    return [_detail("left:", mathml.math(mathml.side(s.lhs, left_mark))),
            _detail("right:", mathml.math(mathml.side(s.rhs, right_mark)))]


def _refutation(s: StepResult) -> list[str]:
    out = []
    if s.diagnosis:
        title = s.diagnosis.get("title", s.diagnosis.get("name", ""))
        out.append(_detail("mistake:", f'{escape(title)} <span class="pgv-dim">[{escape(s.diagnosis["name"])}]</span>'))
        if s.diagnosis.get("hint"):
            out.append(_detail("hint:", escape(s.diagnosis["hint"])))
    # a difference that is the whole of both sides says nothing more than the sides do: no highlight then
    difference = s.difference if s.difference and tuple(s.difference) != (s.lhs, s.rhs) else None
    if s.lhs and s.rhs:
        out += _sides(s, difference)
    if difference:
        out.append(_detail("they differ at:", mathml.math(mathml.side(difference[0])) + " <span class=\"pgv-dim\">vs"
                           "</span> " + mathml.math(mathml.side(difference[1]))))
    if s.counterexample:
        out.append(_detail("counterexample:", _counterexample(s.counterexample)))
    out.append(_detail("why:", escape(_reason(s))))
    return out


def _number(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _counterexample(cex: dict[str, Any]) -> str:
    sizes = {k: v for k, v in cex.items() if k not in ("lhs", "rhs", "assignments")}
    heads = [*sizes, "left side", "right side"]
    cells = [*sizes.values(), cex.get("lhs", ""), cex.get("rhs", "")]
    table = ('<table class="pgv-cex"><tr>' + "".join(f"<th>{escape(str(h))}</th>" for h in heads) + "</tr><tr>"
             + "".join(f"<td>{escape(_number(c))}</td>" for c in cells) + "</tr></table>")
    assignments = cex.get("assignments") or {}
    if assignments:
        rows = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>" for k, v in assignments.items())
        table += f'<table class="pgv-cex pgv-assignments"><tr><th>with</th><th>value</th></tr>{rows}</table>'
    return table


def _reason(s: StepResult) -> str:
    cex = s.counterexample or {}
    if "lhs" in cex and "rhs" in cex:
        return (f"in this model the left side is {_number(cex['lhs'])} and the right side {_number(cex['rhs'])},"
                " so the step does not hold in general")
    return s.message
