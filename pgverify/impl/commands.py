"""``pgverify impl FILE.py::FUNCTION``: the implementation check on the main typer app.

Exit status: 0 when every function checked is ``unbiased`` or ``scaled``; 1
when one is ``biased``, ``ascent`` or ``unknown``; 2 when an input cannot be
read (a missing file or function, a syntax error, a construct outside the
subset, a binding pgverify cannot read).
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .run import ImplResult


class ImplFormat(str, Enum):
    text = "text"
    json = "json"


def _split(target: str) -> tuple[Path, list[str]]:
    """``FILE.py::F1,F2`` → the path and the function names (none: every function with bindings)."""
    path, _, names = target.partition("::")
    return Path(path), [n.strip() for n in names.split(",") if n.strip()]


def impl(
    targets: Annotated[list[str], typer.Argument(metavar="FILE.py[::FUNCTION]", show_default=False,
                                                 help="A Python file, optionally with the function to check"
                                                      " (default: every function with '# pgverify:' lines).")],
    bind: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045 - typer reads Optional
        "--bind", "-b", metavar="NAME[AXES] = MEANING", show_default=False,
        help="Bind an argument (repeatable), e.g. --bind 'rewards[n, t] = r(s_t, a_t)'.")] = None,
    output_format: Annotated[ImplFormat, typer.Option("--format", "-f", help="Output format.")] = ImplFormat.text,
    seed: Annotated[int, typer.Option(help="Seed of the random finite models.")] = 0,
) -> None:
    """Check that a policy-gradient loss's expected gradient is the negative policy gradient.

    The file is parsed, never imported or run.
    """
    from .render import exit_status, render_json, render_text   # here: every other command starts faster
    from .run import check_path

    results: list[ImplResult] = []
    for target in targets:
        path, names = _split(target)
        if path.suffix != ".py":
            typer.echo(f"pgverify: {path}: not a .py file", err=True)
            raise typer.Exit(2)
        results.extend(check_path(path, names or None, list(bind or []), seed))
    text = render_json(results) if output_format is ImplFormat.json else render_text(results)
    sys.stdout.write(text)
    for r in results:
        if r.verdict == "error":
            where = f"{r.path}:{r.line}:{r.col}" if r.line else r.path
            typer.echo(f"pgverify: {where}: {r.message}", err=True)
    raise typer.Exit(exit_status(results))


def register(app: typer.Typer) -> None:
    """Add ``impl`` to the command-line app."""
    app.command()(impl)
