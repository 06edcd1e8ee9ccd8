"""``--format text``: the terminal report (rich), plain when not on a terminal."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..report import Report
from ..results import CHECKED, PROVED, REFUTED, UNKNOWN, DerivationResult, FileResult, StepResult

MARKS = {PROVED: ("✓", "proved", "green"), CHECKED: ("✓", "checked", "cyan"),
         REFUTED: ("✗", "refuted", "bold red"), UNKNOWN: ("?", "unknown", "yellow")}
JUSTIFICATION_STYLE = {"ok": "green", "mismatch": "yellow", "unknown-rule": "red"}


def render(report: Report, *, color: bool = False, width: int = 100) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, color_system="standard" if color else None,
                      width=width, highlight=False, emoji=False, soft_wrap=True, legacy_windows=False)
    for message in report.usage_errors:
        console.print(Text("error: ", style="bold red") + Text(message))
    for f in report.files:
        _file(console, f)
    _faults(console, report)
    _summary(console, report)
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


def _file(console: Console, f: FileResult) -> None:
    console.print(Text(f.path, style="bold underline"))
    for e in f.errors:
        console.print(Text(f"{f.path}:{e.span.line}:{e.span.column}: ", style="bold") +
                      Text("error: ", style="bold red") + Text(e.message))
        for line in _caret_lines(f, e.span.line, e.span.column):
            console.print(Text("    " + line, style="dim" if not line.strip().startswith("^") else "red"))
    for note in f.notes:
        console.print(Text(f"{f.path}:{note.span.line}: ", style="dim") + Text("note: ", style="yellow") +
                      Text(note.message))
    if not f.derivations and not f.errors:
        console.print(Text("  no derivations found", style="dim"))
    for d in f.derivations:
        _derivation(console, f, d)
    console.print()


def _caret_lines(f: FileResult, line: int, column: int) -> list[str]:
    if not 1 <= line <= len(f.lines):
        return []
    source = f.lines[line - 1].rstrip().replace("\t", " ")
    return [source, " " * max(column - 1, 0) + "^"]


def _derivation(console: Console, f: FileResult, d: DerivationResult) -> None:
    head = Text("  ") + Text(d.title, style="bold") + Text(f"  (line {d.line})", style="dim")
    if d.goal == "reached":
        head += Text("  goal reached", style="green")
    elif d.goal == "not-reached":
        head += Text("  goal not reached", style="red") + Text(f": {d.goal_message}" if d.goal_message else "")
    console.print(head)
    for s in d.steps:
        _step(console, f, s)


def _step(console: Console, f: FileResult, s: StepResult) -> None:
    mark, word, style = MARKS[s.verdict]
    source = s.text or f"{s.relation} {s.rhs}"
    line = Text(f"    {mark} ", style=style) + Text(f"{word:<8}", style=style) + Text(f" L{s.line:<4} ", style="dim")
    line += Text(_shorten(source, 200))
    console.print(line)
    detail = _citation(s)
    if s.verdict == CHECKED:
        detail.append(f"holds on {s.models} random model{'' if s.models == 1 else 's'}, no symbolic proof",
                      style="dim")
    if len(detail):
        console.print(Text("        ") + detail)
    for c in s.conditions:
        if c["status"] != "holds":
            style = "red" if c["status"] == "violated" else "yellow"
            note = f": {c['note']}" if c["note"] else ""
            console.print(Text(f"        {c['status']}: ", style=style) + Text(f"{c['text']} ({c['rule']}){note}"))
    if s.verdict == REFUTED:
        _refutation(console, s)
    elif s.verdict == UNKNOWN and s.message:
        console.print(Text("        why: ", style="yellow") + Text(s.message))


def _citation(s: StepResult) -> Text:
    out = Text()
    if s.cited:
        out.append("by " + ", ".join(s.rules or s.cited), style="dim")
        if s.justification:
            out.append(f" [{s.justification}]", style=JUSTIFICATION_STYLE.get(s.justification, ""))
        if s.suggestions:
            out.append(f" (did you mean {', '.join(s.suggestions[:3])}?)", style="dim")
        out.append("  ")
    return out


def _refutation(console: Console, s: StepResult) -> None:
    pad = "        "
    if s.diagnosis:
        console.print(Text(pad + "mistake: ", style="bold red") + Text(s.diagnosis.get("title", s.diagnosis["name"])) +
                      Text(f" [{s.diagnosis['name']}]", style="dim"))
        if s.diagnosis.get("hint"):
            console.print(Text(pad + "hint: ", style="bold") + Text(s.diagnosis["hint"]))
    console.print(Text(pad + "left:  ", style="bold") + Text(_shorten(s.lhs, 160)))
    console.print(Text(pad + "right: ", style="bold") + Text(_shorten(s.rhs, 160)))
    if s.difference and (s.difference[0], s.difference[1]) != (s.lhs, s.rhs):
        console.print(Text(pad + "they differ at: ", style="bold") + Text(_shorten(s.difference[0], 70)) +
                      Text("  vs  ", style="dim") + Text(_shorten(s.difference[1], 70)))
    if s.counterexample:
        console.print(Text(pad) + Text("counterexample:", style="bold"))
        console.print(_counterexample_table(s.counterexample), style="")
    console.print(Text(pad + "why: ", style="bold red") + Text(_reason(s)))


def _counterexample_table(cex: dict[str, Any]) -> Table:
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2), pad_edge=False)
    sizes = {k: v for k, v in cex.items() if k not in ("lhs", "rhs", "assignments")}
    for key in sizes:
        table.add_column(key, justify="right")
    table.add_column("left side", justify="right")
    table.add_column("right side", justify="right")
    table.add_row(*[str(v) for v in sizes.values()], f"{cex['lhs']:.6g}", f"{cex['rhs']:.6g}")
    wrapper = Table.grid(padding=(0, 0))
    wrapper.add_column(width=10)
    wrapper.add_column()
    wrapper.add_row("", table)
    assignments = cex.get("assignments") or {}
    if assignments:
        shown = ", ".join(f"{k} = {v}" for k, v in list(assignments.items())[:8])
        wrapper.add_row("", Text("with " + shown, style="dim"))
    return wrapper


def _reason(s: StepResult) -> str:
    cex = s.counterexample or {}
    if "lhs" in cex:
        return (f"in this model the left side is {cex['lhs']:.6g} and the right side {cex['rhs']:.6g},"
                " so the step does not hold in general")
    return s.message


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _faults(console: Console, report: Report) -> None:
    """One line per faulty step, ``path:line:col: verdict: what``, for editors and CI logs."""
    lines = []
    for f in report.files:
        for d in f.derivations:
            for s in d.steps:
                if report.is_fault(s):
                    what = s.diagnosis["title"] if s.diagnosis else s.message
                    lines.append(Text(f"{f.path}:{s.line}:{s.column}: ", style="bold") +
                                 Text(f"{s.verdict}: ", style=MARKS[s.verdict][2]) + Text(what))
            if d.goal == "not-reached":
                lines.append(Text(f"{f.path}:{d.line}:1: ", style="bold") + Text("goal not reached: ", style="red") +
                             Text(d.goal_message))
    if lines:
        console.print(Text("Faults:", style="bold"))
        for line in lines:
            console.print(line)


def _summary(console: Console, report: Report) -> None:
    s = report.summary()
    text = Text("Summary: ", style="bold")
    text += Text(f"{s['steps']} steps in {s['derivations']} derivations: ")
    text += Text(f"{s['proved']} proved", style="green") + Text(", ")
    text += Text(f"{s['checked']} checked", style="cyan") + Text(", ")
    text += Text(f"{s['refuted']} refuted", style="red" if s["refuted"] else "") + Text(", ")
    text += Text(f"{s['unknown']} unknown", style="yellow" if s["unknown"] else "")
    goals = s["goals_reached"] + s["goals_not_reached"]
    if goals:
        text += Text(f"; goals {s['goals_reached']}/{goals} reached")
    if s["errors"]:
        text += Text(f"; {s['errors']} error" + ("s" if s["errors"] != 1 else ""), style="bold red")
    console.print(text)
