"""The catalogue for a terminal: ``pgverify rules`` (the list) and ``pgverify explain NAME`` (one entry).

Catalogue text holds brackets (``E_{x ~ p}[f(x)]``), so it reaches rich only
as ``rich.text.Text``, never as markup; table cells are padded by rich, so
every line's trailing spaces are removed before it is printed.
"""

from __future__ import annotations

import difflib
import io
import re

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..impl.catalogue import IMPL_MISTAKES, ImplMistake
from ..impl.catalogue import lookup as impl_lookup
from ..rules import MISCONCEPTIONS, RULES, Misconception, Rule, lookup, misconceptions_for, normalize_rule_text

_TRAILING_SPACE = re.compile(r"[ \t]+((?:\x1b\[[0-9;]*m)*)$")


def _console(width: int, color: bool) -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    console = Console(file=buffer, width=max(width, 20), force_terminal=color, no_color=not color,
                      color_system="standard" if color else None, highlight=False, emoji=False,
                      legacy_windows=False)
    return console, buffer


def _lines(buffer: io.StringIO) -> str:
    return "".join(_TRAILING_SPACE.sub(r"\1", line) + "\n" for line in buffer.getvalue().splitlines())


def rules_listing(*, width: int = 100, color: bool = False) -> str:
    """Every rule (name, statement, a few aliases), then every named mistake (name, title)."""
    console, buffer = _console(width, color)
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
    table.add_column(Text("rule"), no_wrap=True)
    table.add_column(Text("statement"))
    table.add_column(Text("also cited as"), style="dim")
    for rule in RULES:
        aliases = ", ".join(rule.aliases[:3]) + (" …" if len(rule.aliases) > 3 else "")
        table.add_row(Text(rule.name), Text(rule.statement), Text(aliases))
    console.print(table)
    console.print()
    mistakes = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
    mistakes.add_column(Text("named mistake"), no_wrap=True)
    mistakes.add_column(Text("what an instructor would say"))
    for mistake in MISCONCEPTIONS:
        mistakes.add_row(Text(mistake.name), Text(mistake.title))
    console.print(mistakes)
    console.print()
    console.print(Text("`pgverify explain NAME` shows a rule or a mistake in full."))
    return _lines(buffer)


def find(name: str) -> Rule | Misconception | ImplMistake | None:
    """The rule (by name or alias) or the named mistake (of a derivation or an implementation) ``name`` designates."""
    from ..rules.generic import GENERIC_MISTAKES   # the generic names a refuted step may get (mismatch.py)

    exact = [m for m in MISCONCEPTIONS + GENERIC_MISTAKES if m.name == name.strip()]
    if exact:
        return exact[0]
    rule = lookup(name)
    if rule is not None:
        return rule
    key = normalize_rule_text(name)
    found = next((m for m in MISCONCEPTIONS if normalize_rule_text(m.name) == key), None)
    return found or impl_lookup(name)


def nearest(name: str, n: int = 3) -> list[str]:
    """Up to ``n`` rule names and mistake names close to ``name``, best first (a rule by its closest spelling)."""
    key = normalize_rule_text(name)
    if not key:
        return []

    def ratio(spelling: str) -> float:
        return difflib.SequenceMatcher(None, key, normalize_rule_text(spelling)).ratio()

    scores = {r.name: max(ratio(s) for s in (r.name, *r.aliases)) for r in RULES}
    scores.update({m.name: ratio(m.name) for m in MISCONCEPTIONS})
    scores.update({m.name: ratio(m.name) for m in IMPL_MISTAKES if m.name not in scores})
    ranked = sorted((item for item in scores.items() if item[1] >= 0.6), key=lambda item: -item[1])  # stable on ties
    return [entry for entry, _ in ranked[:n]]


def explain(entry: Rule | Misconception | ImplMistake, *, width: int = 100, color: bool = False) -> str:
    """One rule or one named mistake, in full."""
    console, buffer = _console(width, color)
    if isinstance(entry, Rule):
        _rule(console, entry)
    elif isinstance(entry, ImplMistake):
        _impl_mistake(console, entry)
    else:
        _mistake(console, entry)
        in_code = impl_lookup(entry.name)
        if in_code is not None:   # the same misconception, met in a policy-gradient implementation
            _heading(console, "in an implementation (pgverify impl):")
            _impl_fields(console, in_code)
    return _lines(buffer)


def _field(console: Console, label: str, body: Text | str) -> None:
    """``label body``, the body wrapped with a hanging indent under its first word."""
    head = Text(label, style="bold")
    body = body if isinstance(body, Text) else Text(body)
    indent = head.cell_len if console.width - head.cell_len >= 20 else 2
    room = console.width - indent
    lines = body.wrap(console, room, overflow="fold")
    for k, line in enumerate(lines):
        line.rstrip()
        console.print(Text.assemble(head if k == 0 else " " * indent, line), soft_wrap=True)   # each keeps its style


def _heading(console: Console, text: str) -> None:
    console.print()
    console.print(Text(text, style="bold"))


def _code(console: Console, source: str) -> None:
    # code is not re-wrapped (a folded line of a .pgv file would read as two lines); the terminal wraps it
    for line in source.rstrip().splitlines():
        console.print(Text("  " + line), soft_wrap=True)


def _rule(console: Console, rule: Rule) -> None:
    console.print(Text.assemble((rule.name, "bold"), (f"  (a rule of the {rule.family} family)", "dim")))
    if rule.aliases:
        console.print(Text("also cited as: " + ", ".join(rule.aliases), style="dim"))
    console.print()
    _field(console, "statement: ", rule.statement)
    if rule.conditions:
        _heading(console, "side conditions:")
        for c in rule.conditions:
            _field(console, "  - ", c)
    _heading(console, "purpose:")
    console.print(Text(rule.purpose))
    _heading(console, "valid example:")
    _code(console, rule.valid_example)
    _heading(console, "flawed example:")
    _code(console, rule.flawed_example)
    mistakes = misconceptions_for(rule.name)
    if mistakes:
        _heading(console, "common mistakes:")
        for mistake in mistakes:
            _field(console, f"  {mistake.name}: ", mistake.title)


def _mistake(console: Console, mistake: Misconception) -> None:
    console.print(Text.assemble((mistake.name, "bold"), ("  (a named mistake)", "dim")))
    console.print()
    _field(console, "mistake: ", mistake.title)
    _field(console, "hint: ", mistake.hint)
    _field(console, "a misuse of: ", Text(", ".join(mistake.rules)) +
           Text(f"  (pgverify explain {mistake.rules[0]})", style="dim"))
    if mistake.example:
        _heading(console, "example:")
        _code(console, mistake.example)


def _impl_fields(console: Console, mistake: ImplMistake) -> None:
    _field(console, "mistake: " if mistake.fault else "note: ", mistake.title)
    _field(console, "hint: ", mistake.hint)
    _heading(console, "example:")
    _code(console, mistake.example)


def _impl_mistake(console: Console, mistake: ImplMistake) -> None:
    where = "  (a named mistake of an implementation: pgverify impl)"
    console.print(Text.assemble((mistake.name, "bold"), (where, "dim")))
    console.print()
    _impl_fields(console, mistake)
