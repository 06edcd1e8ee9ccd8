"""``--format text``: the terminal report, laid out by rich in colour, and plain when not on a terminal.

Every line fits the width it is given: a field (a step's text, ``why: …``,
``hint: …``) is wrapped at word boundaries with a hanging indent, so its
continuation lines start under the field's text, and only a word longer than
the room left is folded; the terminal never has to break a line.  Everything a
user wrote, and every catalogue text, reaches rich as a ``rich.text.Text``,
never as markup, so ``[bold]`` or ``E_{x ~ p}[f(x)]`` print as written.

Without colour, a field of printable text is wrapped here, at the places
rich's own line breaking chooses, and written as its characters: the same
bytes rich would print, without loading rich's console and text (some 20 ms
of a cold check).  Anything else (colour, a tab or line break in user text, a
counterexample table wider than the width) goes through rich.
``tests/test_start_up_work.py`` holds the two paths to the same output.

Each thing is said once: a step's ``by …`` with the status of the citation,
a mistake with its hint; the closing ``Faults:`` list (one
``path:line:col:`` line per fault, for editors and CI logs) names a mistake by
its name, which ``pgverify explain NAME`` expands.
"""

from __future__ import annotations

import io
import itertools
import re
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len, set_cell_size

try:
    # rich's own line breaking, so that the plain path breaks lines where rich does (a module of rich's
    # own, not its API: a rich without it lays every line out itself, the same bytes at rich's cost)
    from rich._wrap import divide_line
except ImportError:   # pragma: no cover - rich 13.7 to 15 have it
    divide_line = None

from ..report import UNREADABLE, Report, coverage_line
from ..results import (
    CHECKED,
    PROVED,
    REFUTED,
    UNKNOWN,
    DerivationResult,
    FileResult,
    StepResult,
)
from .common import (
    blocked_by_syntax_error,
    blocked_derivation,
    plural,
    printable,
    show_number,
)

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

MARKS = {PROVED: ("✓", "proved", "green"), CHECKED: ("✓", "checked", "cyan"),
         REFUTED: ("✗", "refuted", "bold red"), UNKNOWN: ("?", "unknown", "yellow")}
JUSTIFICATION_STYLE = {"ok": "green", "mismatch": "yellow", "unknown-rule": "red", "unverified": "yellow",
                       "unused": "yellow"}
DETAIL = " " * 8          # the indent of a step's detail lines
MIN_ROOM = 16             # narrower than this after a field's label, the text goes under the label instead
_TRAILING_SPACE = re.compile(r"[ \t]+((?:\x1b\[[0-9;]*m)*)$")   # spaces before the colour codes that end a line


def render(report: Report, *, color: bool = False, width: int = 100, verbose: bool = False) -> str:
    """The report for a terminal, ``width`` columns wide; ``verbose`` adds each step's models and sides."""
    return _render(report, color=color, width=width, verbose=verbose, by_rich=False)


def _render(report: Report, *, color: bool, width: int, verbose: bool, by_rich: bool) -> str:
    """:func:`render`; ``by_rich``: every line laid out by rich, even without colour (what the plain path must
    print the same as)."""
    report = printable(report)   # control characters of user text are shown escaped, never sent to the terminal
    out = _Writer(max(width, 1), verbose, color=color, by_rich=by_rich or color)
    for message in report.usage_errors:
        out.field(Styled("error: ", style="bold red"), message)
    for f in report.files:
        out.file(f)
    out.faults(report)
    out.summary(report)
    return "".join(_TRAILING_SPACE.sub(r"\1", line) + "\n" for line in out.buffer.getvalue().splitlines())


class Styled:
    """Text whose parts carry rich styles, built the way a ``rich.text.Text`` is built (``Styled(text, style)``,
    :meth:`assemble`, :meth:`append`) but without rich: a plain report needs only its characters
    (:attr:`plain`), and :meth:`rich` makes the very ``Text`` those calls would have made."""

    __slots__ = ("parts", "style", "text")

    def __init__(self, text: str = "", style: str = "") -> None:
        self.text = text
        self.style = style
        self.parts: list[tuple[str | Styled, str]] = []

    @classmethod
    def assemble(cls, *parts: str | Styled | tuple[str, str]) -> Styled:
        """As ``Text.assemble``: the parts one after another, a (text, style) pair in its style."""
        out = cls()
        for part in parts:
            out.parts.append(part if isinstance(part, tuple) else (part, ""))
        return out

    def append(self, text: str | Styled, style: str = "") -> Styled:
        """``text`` added at the end (in ``style``, for a string)."""
        self.parts.append((text, style))
        return self

    @property
    def plain(self) -> str:
        """The characters, without their styles."""
        return self.text + "".join(part if isinstance(part, str) else part.plain for part, _ in self.parts)

    def rich(self) -> Text:
        """The ``rich.text.Text`` of the same parts and styles."""
        # imported here: only a report rich lays out needs it
        from rich.text import Text

        out = Text(self.text, style=self.style)
        for part, style in self.parts:
            if isinstance(part, str):
                out.append(part, style=style)
            else:
                out.append(part.rich())
        return out


def _wrap(text: str, width: int) -> list[str]:
    """The lines ``Text(text).wrap(console, width, overflow="fold")`` gives for printable ``text`` (no tab, no
    line break, nothing rich strips), but for trailing spaces, which every line written loses anyway: broken
    where rich's ``divide_line`` breaks, each line cut to the width as rich's ``truncate`` cuts it."""
    bounds = [0, *divide_line(text, width, fold=True), len(text)]
    lines = [text[start:end] for start, end in itertools.pairwise(bounds)]
    return [set_cell_size(line, width) if cell_len(line) > width else line for line in lines]


def _styled(value: Styled | str, style: str = "") -> Styled:
    """User or catalogue text as styled text (never parsed as markup)."""
    return value if isinstance(value, Styled) else Styled(value, style=style)


class _Writer:
    """Writes the report's parts to one buffer, each line at most ``width`` columns: plain lines by itself,
    the others through a rich console (:attr:`console`)."""

    def __init__(self, width: int, verbose: bool, *, color: bool, by_rich: bool) -> None:
        self.buffer = io.StringIO()
        self.width = width
        self.verbose = verbose
        self.color = color
        self.plain = not by_rich and divide_line is not None
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        """The rich console writing to :attr:`buffer`, made when first needed."""
        if self._console is None:
            # imported here: its imports cost more than a plain report of a small file
            from rich.console import Console

            self._console = Console(file=self.buffer, force_terminal=self.color, no_color=not self.color,
                                    color_system="standard" if self.color else None, width=self.width,
                                    highlight=False, emoji=False, soft_wrap=True, legacy_windows=False)
        return self._console

    # ------------------------------------------------------------------ layout

    def field(self, label: Styled | str, body: Styled | str = "", style: str = "") -> None:
        """``label`` then ``body``, wrapped to the width; continuation lines indented under the body."""
        label, body = _styled(label), _styled(body, style)
        if self.plain:
            head, text = label.plain, body.plain
            if head.isprintable() and text.isprintable():
                self._plain_field(head, text)
                return
        self._rich_field(label.rich(), body.rich())

    def _plain_field(self, label: str, body: str) -> None:
        """:meth:`field` for printable text without colour: the lines :meth:`_rich_field` prints, made here."""
        indent = cell_len(label)
        if self.width - indent < MIN_ROOM:
            lead = len(label) - len(label.lstrip())
            for line in _wrap(label, self.width):
                self._write(line)
            indent = min(lead + 2, max(self.width - MIN_ROOM, 0))
            label = " " * indent
            if not body.strip():
                return
        for k, line in enumerate(_wrap(body, max(self.width - indent, 1))):
            self._write((label if k == 0 else " " * indent) + line)

    def _rich_field(self, label: Text, body: Text) -> None:
        """:meth:`field` laid out by rich (colour, or text that is not printable)."""
        from rich.text import Text

        indent = label.cell_len
        if self.width - indent < MIN_ROOM:
            # no room for a hanging indent: the label on its own line(s), the text under it, two columns in
            lead = len(label.plain) - len(label.plain.lstrip())
            for line in label.wrap(self.console, self.width, overflow="fold"):
                self._emit(line)
            indent = min(lead + 2, max(self.width - MIN_ROOM, 0))
            label = Text(" " * indent)
            if not body.plain.strip():
                return
        room = max(self.width - indent, 1)
        for k, line in enumerate(body.wrap(self.console, room, overflow="fold")):
            self._emit(Text.assemble(label if k == 0 else " " * indent, line))   # assemble: each part keeps its style

    def _emit(self, line: Text) -> None:
        line = line.copy()
        line.rstrip()
        self.console.print(line)

    def _write(self, line: str) -> None:
        self.buffer.write(line.rstrip() + "\n")

    def line(self, text: Styled) -> None:
        """One line as it is (never wrapped)."""
        plain = text.plain
        if self.plain and plain.isprintable():
            self.buffer.write(plain + "\n")
        else:
            self.console.print(text.rich())

    def blank(self) -> None:
        self.buffer.write("\n")

    # ------------------------------------------------------------------ files

    def file(self, f: FileResult) -> None:
        self.field("", Styled(f.path, style="bold underline"))
        for e in f.errors:
            self.field(Styled.assemble((f"{f.locate(e.span.line, e.span.column)}: ", "bold"), ("error: ", "bold red")),
                       e.message)
            for line in _caret_lines(f, e.span.line, e.span.column, self.width - 4):
                self.line(Styled("    " + line, style="red" if line.strip().startswith("^") else "dim"))
        for note in f.notes:
            self.field(Styled.assemble((f"{f.locate(note.span.line)}: ", "dim"), ("note: ", "yellow")),
                       note.message)
        for w in f.warnings:
            self.field(Styled.assemble((f"{f.locate(w.span.line, w.span.column)}: ", "bold"), ("warning: ", "yellow")),
                       w.message)
        if f.unreadable():
            self.field(Styled.assemble((f"{f.path}: ", "bold"), ("warning: ", "bold yellow")), UNREADABLE)
        if not f.derivations and not f.errors and not f.facts:
            self.field("  ", Styled("no derivations found", style="dim"))
        for fact in f.facts:
            label = Styled.assemble((f"    = {fact.kind:<10}", "blue"), (f" {_short_line(f, fact.span.line)} ", "dim"))
            self.field(label, _shorten(fact.text, 200))
        for d in f.derivations:
            self.derivation(f, d)
        coverage = coverage_line(f)
        if coverage:
            self.field(Styled("  coverage: ", style="dim"), coverage)
        self.blank()

    def derivation(self, f: FileResult, d: DerivationResult) -> None:
        head = Styled.assemble((d.title, "bold"), (f"  ({f.locate(d.line).in_file()})", "dim"))
        if d.goal == "reached":
            head.append("  goal reached", style="green")
        elif d.goal == "not-reached":
            head.append("  goal not reached", style="red")
            head.append(f": {d.goal_message}" if d.goal_message else "")
        self.field("  ", head)
        for s in d.steps:
            self.step(f, s)

    # ------------------------------------------------------------------ steps

    def step(self, f: FileResult, s: StepResult) -> None:
        mark, word, style = MARKS[s.verdict]
        label = Styled.assemble((f"    {mark} {word:<8}", style), (f" {_short_line(f, s.line)} ", "dim"))
        self.field(label, _shorten(_without_citation(s), 200))
        if s.cited:
            self.field(DETAIL + "by ", _citation(s))
        if self.verbose:
            self.field(Styled(DETAIL + "models: ", style="bold"), _models(s))
            if s.verdict != REFUTED:   # a refuted step shows its sides with the counterexample
                self._sides(s)
        elif s.verdict == CHECKED:
            self.field(DETAIL, Styled(f"holds on {plural(s.models, 'random model')}, no symbolic proof", style="dim"))
        for c in s.conditions:
            if c["status"] != "holds":
                style = "red" if c["status"] == "violated" else "yellow"
                # a violated condition explained by the mistake named below is not explained twice
                same = s.diagnosis is not None and c["note"] == s.diagnosis.get("title")
                note = f": {c['note']}" if c["note"] and not same else ""
                self.field(Styled(f"{DETAIL}{c['status']}: ", style=style), f"{c['text']} ({c['rule']}){note}")
        if s.verdict == REFUTED:
            self.refutation(s)
        elif s.verdict == UNKNOWN and s.message:
            self.field(Styled(DETAIL + "why: ", style="yellow"), s.message)

    def _sides(self, s: StepResult) -> None:
        if s.lhs or s.rhs:
            self.field(Styled(DETAIL + "left:  ", style="bold"), _shorten(s.lhs, 160))
            self.field(Styled(DETAIL + "right: ", style="bold"), _shorten(s.rhs, 160))

    def refutation(self, s: StepResult) -> None:
        if s.diagnosis:
            self.field(Styled(DETAIL + "mistake: ", style="bold red"),
                       Styled.assemble(s.diagnosis.get("title", s.diagnosis["name"]), (f" [{s.diagnosis['name']}]", "dim")))
            if s.diagnosis.get("hint"):
                self.field(Styled(DETAIL + "hint: ", style="bold"), s.diagnosis["hint"])
        self._sides(s)
        if s.difference and (s.difference[0], s.difference[1]) != (s.lhs, s.rhs):
            self.field(Styled(DETAIL + "they differ at: ", style="bold"),
                       Styled.assemble(_shorten(s.difference[0], 70), ("  vs  ", "dim"), _shorten(s.difference[1], 70)))
        if s.counterexample:
            self.field(Styled(DETAIL + "counterexample:", style="bold"))
            lines = _plain_counterexample(s.counterexample, self.width) if self.plain else None
            if lines is not None:
                self.buffer.write("".join(line + "\n" for line in lines))
            else:
                self.console.print(_counterexample_table(s.counterexample), soft_wrap=False)
        self.field(Styled(DETAIL + "why: ", style="bold red"), _reason(s))

    # ------------------------------------------------------------------ closing lines

    def faults(self, report: Report) -> None:
        """One line per faulty step, ``path:line:col: verdict: what``, for editors and CI logs."""
        lines: list[tuple[Styled, Styled]] = []
        for f in report.files:
            for d in f.derivations:
                for s in d.steps:
                    if report.is_fault(s) and not blocked_by_syntax_error(f, s):   # the error above says it
                        what = s.diagnosis["name"] if s.diagnosis else s.message
                        lines.append((Styled.assemble((f"{f.locate(s.line, s.column)}: ", "bold"),
                                                    (f"{s.verdict}: ", MARKS[s.verdict][2])), Styled(what)))
                if d.goal == "not-reached" and not blocked_derivation(f, d):
                    lines.append((Styled.assemble((f"{f.locate(d.line, 1)}: ", "bold"), ("goal not reached: ", "red")),
                                  Styled(d.goal_message)))
        if lines:
            self.field(Styled("Faults:", style="bold"))
            for label, what in lines:
                self.field(label, what)

    def summary(self, report: Report) -> None:
        s = report.summary()
        text = Styled(f"{plural(s['steps'], 'step')} in {plural(s['derivations'], 'derivation')}: ")
        text.append(f"{s['proved']} proved", style="green")
        text.append(", ")
        text.append(f"{s['checked']} checked", style="cyan")
        text.append(", ")
        text.append(f"{s['refuted']} refuted", style="red" if s["refuted"] else "")
        text.append(", ")
        text.append(f"{s['unknown']} unknown", style="yellow" if s["unknown"] else "")
        goals = s["goals_reached"] + s["goals_not_reached"]
        if goals:
            text.append(Styled(f"; {s['goals_reached']} of {plural(goals, 'goal')} reached"))
        if s["errors"]:
            text.append(Styled("; " + plural(s["errors"], "error"), style="bold red"))
        self.field(Styled("Summary: ", style="bold"), text)


# --------------------------------------------------------------------------- pieces


def _without_citation(s: StepResult) -> str:
    """The step as written, less a trailing ``by …`` (said once, on the line below, with its status)."""
    source = s.text or f"{s.relation} {s.rhs}"
    if not s.cited:
        return source
    at = source.rfind(" by ")
    if at < 0:
        return source
    tail = source[at + 4:].strip().strip("\"'“”‘’`").strip()
    if tail.startswith(s.cited[0].strip()) and all(item.strip() in tail for item in s.cited):
        return source[:at].rstrip()
    return source


def _citation(s: StepResult) -> Styled:
    """The rules a step cites and whether they justify it: ``definition, log-product [ok]``.

    Resolved to their canonical names (``Leibniz rule`` is ``exchange``), except when one names no rule:
    then as written, since this line is the only place the report shows it.
    """
    named = s.cited if s.justification == "unknown-rule" or not s.rules else s.rules
    out = Styled(", ".join(named))
    if s.justification:
        out.append(f" [{s.justification}]", style=JUSTIFICATION_STYLE.get(s.justification, ""))
    if s.suggestions:
        out.append(f" (did you mean {', '.join(s.suggestions[:3])}?)", style="dim")
    return out


def _models(s: StepResult) -> str:
    if s.models:
        return f"held on {plural(s.models, 'random finite model')}"
    if s.verdict == REFUTED:
        return "the two sides differ in the model below" if s.counterexample else "the two sides differ"
    return "no model decided it"


def _short_line(f: FileResult, line: int) -> str:
    """``L12``, or ``C3 L4`` for line 4 of a notebook's cell 3, padded so that the steps' texts line up."""
    where = f.locate(line)
    return f"L{where.line:<4}" if where.cell is None else f"{f'C{where.cell} L{where.line}':<8}"


def _caret_lines(f: FileResult, line: int, column: int, room: int) -> list[str]:
    """The source line and a caret under ``column``; a line too long for ``room`` is cut around the caret."""
    if not 1 <= line <= len(f.lines):
        return []
    source = f.lines[line - 1].rstrip().replace("\t", " ")
    at = max(column - 1, 0)
    room = max(room, 8)
    if len(source) > room:
        start = max(0, min(at - room // 2, len(source) - room))
        window = source[start:start + room]
        if start > 0:
            window = "…" + window[1:]
        if start + room < len(source):
            window = window[:-1] + "…"
        source, at = window, at - start
    return [source, " " * min(at, room - 1) + "^"]


def _side(cex: dict[str, Any], side: str) -> str:
    """One side's value in a counterexample, or why it has none (a side undefined in the model)."""
    if side in cex:
        return show_number(cex[side])
    return "undefined" if cex.get("left_undefined" if side == "lhs" else "right_undefined") else "?"


def _counterexample_table(cex: dict[str, Any]) -> Table:
    # imported here: only a table the plain lines cannot show needs rich's layout
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2), pad_edge=False)
    sizes = {k: v for k, v in cex.items() if k not in ("lhs", "rhs", "assignments", "left_undefined",
                                                        "right_undefined")}
    for key in sizes:
        table.add_column(Text(str(key)), justify="right")
    table.add_column(Text("left side"), justify="right")
    table.add_column(Text("right side"), justify="right")
    table.add_row(*[Text(str(v)) for v in sizes.values()], *(Text(_side(cex, side)) for side in ("lhs", "rhs")))
    wrapper = Table.grid(padding=(0, 0))
    wrapper.add_column(width=10)
    wrapper.add_column()
    wrapper.add_row(Text(""), table)
    assignments = cex.get("assignments") or {}
    if assignments:
        shown = ", ".join(f"{k} = {v}" for k, v in list(assignments.items())[:8])
        wrapper.add_row(Text(""), Text("with " + shown, style="dim"))
    return wrapper


def _plain_counterexample(cex: dict[str, Any], width: int) -> list[str] | None:
    """The lines rich prints for :func:`_counterexample_table` without colour, when the table fits the width
    (None otherwise: rich then lays it out).  Columns right-justified, four spaces apart, after ten blank
    columns; the same characters at a fraction of rich's cost (tests/test_check_cache.py compares both)."""
    sizes = [(str(k), str(v)) for k, v in cex.items() if k not in ("lhs", "rhs", "assignments", "left_undefined",
                                                                   "right_undefined")]
    columns = [*sizes, ("left side", _side(cex, "lhs")), ("right side", _side(cex, "rhs"))]
    cells = [c for pair in columns for c in pair]
    assignments = cex.get("assignments") or {}
    extra = ("with " + ", ".join(f"{k} = {v}" for k, v in list(assignments.items())[:8])) if assignments else ""
    if any(ch in c for c in (*cells, extra) for ch in "\t\n\r") or not all(c.isprintable() for c in cells) \
            or any(c != c.strip() for c in cells):   # rich strips a cell's outer spaces before it justifies it
        return None
    widths = [max(cell_len(head), cell_len(value)) for head, value in columns]
    if 10 + sum(widths) + 4 * (len(widths) - 1) > width or 10 + cell_len(extra) > width:
        return None
    lines = [" " * 10 + "    ".join(" " * (w - cell_len(c[k])) + c[k] for w, c in zip(widths, columns))
             for k in (0, 1)]
    if extra:
        lines.append(" " * 10 + extra)
    return [line.rstrip() for line in lines]


def _reason(s: StepResult) -> str:
    cex = s.counterexample or {}
    if "lhs" in cex:
        return (f"in this model the left side is {show_number(cex['lhs'])} and the right side {show_number(cex['rhs'])},"
                " so the step does not hold in general")
    return s.message


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
