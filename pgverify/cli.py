"""The command line: ``pgverify check``, ``pgverify rules``, ``pgverify explain``.

Exit status of ``check``: 0 when every step is valid and every goal reached;
1 when a step is refuted or unknown, or a goal is not reached (with
``--strict`` also a step without a justification or with a wrong one); 2 for
usage errors, unreadable files and parse errors.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import config, readers
from ._version import __version__
from .checker import Options, check_source
from .render import RENDERERS
from .report import EXIT_ERROR, Report

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Check policy-gradient derivations step by step.")


class Format(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    junit = "junit"
    sarif = "sarif"
    markdown = "markdown"


class FailOn(str, Enum):
    refuted = "refuted"
    unknown = "unknown"


def _use_color(no_color: bool) -> bool:
    return not no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _width() -> int:
    return shutil.get_terminal_size((100, 24)).columns if sys.stdout.isatty() else 100


_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache", "build", "dist"}


def collect(paths: list[Path], exclude: tuple[str, ...] = (), root: Path = Path(".")) -> tuple[list[Path], list[str]]:
    """Expand directories to the files pgverify reads (sorted); report paths that do not exist."""
    files: list[Path] = []
    problems: list[str] = []

    def excluded(p: Path) -> bool:
        names = {p.as_posix()}
        try:
            names.add(p.resolve().relative_to(root.resolve()).as_posix())
        except ValueError:
            pass
        return any(fnmatch.fnmatch(n, pattern) for n in names for pattern in exclude)

    for p in paths:
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.is_file() and readers.supported(q) and q.suffix and
                           not _SKIP_DIRS & set(q.relative_to(p).parts[:-1]) and not excluded(q))
            if not found:
                problems.append(f"{p}: no files pgverify can read in this directory")
            files.extend(found)
        elif p.exists():
            if not excluded(p):
                files.append(p)
        else:
            problems.append(f"{p}: no such file or directory")
    return files, problems


def _read_macros(paths: list[Path]) -> tuple[str, list[str]]:
    texts, problems = [], []
    for p in paths:
        try:
            texts.append(p.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as err:
            problems.append(f"{p}: cannot read the macros file ({err})")
    return "\n".join(texts), problems


@app.command()
def check(
    paths: Annotated[Optional[list[Path]], typer.Argument(  # noqa: UP007 - typer reads Optional
        help="Files or directories (.pgv, .md, .tex, .ipynb, .rst); default: the config's paths.",
        show_default=False)] = None,
    output_format: Annotated[Optional[Format], typer.Option("--format", "-f", help="Output format [default: text].",
                                                            show_default=False)] = None,
    seed: Annotated[Optional[int], typer.Option(help="Seed of the random finite models [default: 0].")] = None,
    time_limit: Annotated[Optional[float], typer.Option("--time-limit", min=0.1,
                                                        help="Seconds allowed per step [default: 5].")] = None,
    strict: Annotated[Optional[bool], typer.Option("--strict/--no-strict",
                                                   help="A step without a (correct) justification is a fault.")] = None,
    fail_on: Annotated[Optional[FailOn], typer.Option("--fail-on", help="refuted: only refuted steps fail the run;"
                                                      " unknown: unknown steps too [default: unknown].")] = None,
    all_math: Annotated[Optional[bool], typer.Option("--all-math/--marked-math",
                                                     help="Check every multi-line chain in notes, marked or not.")] = None,
    macros: Annotated[Optional[list[Path]], typer.Option("--macros", help="LaTeX macro definitions (repeatable).")] = None,
    config_file: Annotated[Optional[Path], typer.Option("--config", help="A pgverify.toml or pyproject.toml.")] = None,
    no_color: Annotated[bool, typer.Option("--no-color", help="Plain text even on a terminal.")] = False,
) -> None:
    """Check every step of every derivation and report the faulty ones."""
    try:
        conf = config.load(config_file if config_file is not None else config.find(Path.cwd()))
    except config.ConfigError as err:
        typer.echo(f"pgverify: {err}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    chosen = output_format.value if output_format else (conf.format or "text")
    if chosen not in RENDERERS:
        typer.echo(f"pgverify: unknown format '{chosen}' in {conf.source} (one of {', '.join(RENDERERS)})", err=True)
        raise typer.Exit(EXIT_ERROR)
    options = Options(seed=_pick(seed, conf.seed, 0), time_limit=_pick(time_limit, conf.time_limit, 5.0),
                      strict=_pick(strict, conf.strict, False))
    failing = fail_on.value if fail_on else (conf.fail_on or "unknown")
    targets = list(paths) if paths else [_relative(conf.root / p) for p in conf.paths]
    if not targets:
        typer.echo("pgverify: no paths given (and no `paths` in [tool.pgverify])", err=True)
        raise typer.Exit(EXIT_ERROR)
    macro_files = list(macros) if macros else [_relative(conf.root / p) for p in conf.macros]
    macro_text, problems = _read_macros(macro_files)
    files, missing = collect(targets, conf.exclude, conf.root)
    problems += missing
    for problem in problems:
        typer.echo(f"pgverify: {problem}", err=True)
    read_options = readers.ReadOptions(all_math=_pick(all_math, conf.all_math, False), macros=macro_text)
    explicit = {p.resolve() for p in targets if p.is_file()}
    results = []
    for f in files:
        source, skipped = readers.read_with_skips(f, read_options)
        if f.resolve() not in explicit and not (source.derivations or source.errors or skipped):
            continue  # a file found in a directory that holds no derivation
        result = check_source(source, options)
        result.notes = list(skipped)
        results.append(result)
    report = Report(results, strict=options.strict, seed=options.seed, usage_errors=problems, fail_on=failing)
    sys.stdout.write(RENDERERS[chosen](report, color=_use_color(no_color) and chosen == "text", width=_width()))
    raise typer.Exit(report.exit_code())


def _relative(path: Path) -> Path:
    """A path from the configuration, as the user would write it from here (reports name files this way)."""
    try:
        return Path(os.path.relpath(path))
    except ValueError:  # another drive
        return path


def _pick(given, configured, default):
    """Command line over configuration over default."""
    if given is not None:
        return given
    return configured if configured is not None else default


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
        app()  # standalone: typer turns usage errors into messages and sys.exit(2)
        code = 0
    except KeyboardInterrupt:
        sys.stderr.write("pgverify: interrupted\n")
        code = 130
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    # Leave without tearing down sympy's thousands of objects one by one: it costs a quarter of a second
    # and there is nothing left to clean up (files are closed, workers reaped).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _register_more_commands() -> None:
    """Commands that live in their own packages add themselves to the app here."""
    import importlib

    try:
        importlib.import_module("pgverify.grading.commands")
    except ModuleNotFoundError as err:
        if err.name != "pgverify.grading" and err.name != "pgverify.grading.commands":
            raise


_register_more_commands()
