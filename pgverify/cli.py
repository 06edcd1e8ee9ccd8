"""The command line: ``pgverify check``, ``pgverify rules``, ``pgverify explain``.

Exit status of ``check``: 0 when every step is valid and every goal reached;
1 when a step is refuted or unknown, or a goal is not reached (with
``--strict`` also a step without a justification or with a wrong one); 2 for
usage errors, unreadable files and parse errors.
"""

from __future__ import annotations

import os
import shutil
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import __version__
from .checker import Options, check_source
from .render import RENDERERS
from .report import EXIT_ERROR, Report
from .syntax import parse_file

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Check policy-gradient derivations step by step.")


class Format(str, Enum):
    text = "text"
    json = "json"


def _use_color(no_color: bool) -> bool:
    return not no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _width() -> int:
    return shutil.get_terminal_size((100, 24)).columns if sys.stdout.isatty() else 100


def collect(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Expand directories to their ``.pgv`` files (sorted); report paths that do not exist."""
    files: list[Path] = []
    problems: list[str] = []
    for p in paths:
        if p.is_dir():
            found = sorted(q for q in p.rglob("*.pgv") if q.is_file())
            if not found:
                problems.append(f"{p}: no .pgv files in this directory")
            files.extend(found)
        elif p.exists():
            files.append(p)
        else:
            problems.append(f"{p}: no such file or directory")
    return files, problems


@app.command()
def check(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories of .pgv derivations.", show_default=False)],
    output_format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    seed: Annotated[int, typer.Option(help="Seed of the random finite models.")] = 0,
    time_limit: Annotated[float, typer.Option("--time-limit", min=0.1, help="Seconds allowed per step.")] = 5.0,
    strict: Annotated[bool, typer.Option(help="A step without a (correct) justification counts as a fault.")] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="Plain text even on a terminal.")] = False,
) -> None:
    """Check every step of every derivation and report the faulty ones."""
    options = Options(seed=seed, time_limit=time_limit, strict=strict)
    files, problems = collect(paths)
    for problem in problems:
        typer.echo(f"pgverify: {problem}", err=True)
    results = [check_source(parse_file(f), options) for f in files]
    report = Report(results, strict=strict, seed=seed, usage_errors=problems)
    sys.stdout.write(RENDERERS[output_format.value](report, color=_use_color(no_color), width=_width()))
    raise typer.Exit(report.exit_code())


@app.command("rules")
def list_rules() -> None:
    """List the rules a justification may cite."""
    from .rules import RULES

    console = Console(highlight=False, width=_width())
    table = Table(show_header=True, header_style="bold", box=None, padding=(0, 2))
    table.add_column("rule")
    table.add_column("statement")
    table.add_column("also cited as", style="dim")
    for rule in RULES:
        table.add_row(rule.name, rule.statement, ", ".join(rule.aliases[:3]) + (" …" if len(rule.aliases) > 3 else ""))
    console.print(table)


@app.command()
def explain(rule_name: Annotated[str, typer.Argument(metavar="RULE", help="A rule name or alias.")]) -> None:
    """Show a rule: statement, side conditions, purpose, a valid and a flawed example."""
    from .rules import lookup, misconceptions_for, suggest

    rule = lookup(rule_name)
    if rule is None:
        near = suggest(rule_name)
        hint = f" Did you mean {', '.join(near)}?" if near else " See `pgverify rules`."
        typer.echo(f"pgverify: no rule named '{rule_name}'.{hint}", err=True)
        raise typer.Exit(EXIT_ERROR)
    console = Console(highlight=False, width=_width())
    console.print(Text(rule.name, style="bold") + Text(f"  ({rule.family})", style="dim"))
    if rule.aliases:
        console.print(Text("also: " + ", ".join(rule.aliases), style="dim"))
    console.print()
    console.print(Text("statement: ", style="bold") + Text(rule.statement))
    if rule.conditions:
        console.print(Text("side conditions:", style="bold"))
        for c in rule.conditions:
            console.print("  - " + c, markup=False)
    console.print(Text("purpose: ", style="bold") + Text(rule.purpose))
    console.print(Text("\nvalid example:", style="bold"))
    console.print(rule.valid_example.rstrip(), markup=False)
    console.print(Text("\nflawed example:", style="bold"))
    console.print(rule.flawed_example.rstrip(), markup=False)
    mistakes = misconceptions_for(rule.name)
    if mistakes:
        console.print(Text("\ncommon mistakes:", style="bold"))
        for mistake in mistakes:
            console.print(Text(f"  {mistake.name}: ", style="bold") + Text(mistake.title))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pgverify {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """pgverify checks derivations written in the .pgv language (see README)."""


def main() -> None:
    """Entry point of the ``pgverify`` command."""
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("pgverify: interrupted\n")
        sys.exit(130)
