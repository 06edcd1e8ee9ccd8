"""Jupyter: ``%load_ext pgverify``, then a ``%%pgverify`` cell is checked and shown as the HTML report.

::

    %%pgverify                 the cell in the derivation language (.pgv)
    %%pgverify --latex         the cell is LaTeX: display blocks, or bare align rows
    %%pgverify --markdown      the cell is Markdown (as a .md file is read)
    %%pgverify --strict --seed 3 --macros macros.tex

Without an option the cell's kind is detected: LaTeX when it holds a display
block or a backslash command and no derivation-language keyword starts a line.
A LaTeX cell that holds no display block is read as the rows of one
``align*`` block, so ``\\nabla_\\theta J &= …`` rows can be typed as they are.

The magic returns a :class:`CheckedCell`: the notebook shows its HTML (the
same page as ``--format html``, embedded), a terminal its text report, and
``.report`` is the :class:`pgverify.Report` itself.  Nothing here imports
IPython until the extension is loaded.
"""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path
from typing import Any

from .buffer import Options, ReadOptions, check_buffer
from .render import html as html_report
from .render import text as text_report
from .report import Report
from .syntax import KEYWORDS

_PGV_START = re.compile(r"^\s*(" + "|".join(KEYWORDS) + r")\b", re.MULTILINE)
_TEX_BLOCK = re.compile(r"\$\$|\\\[|\\begin\s*\{")


class CheckedCell:
    """A checked cell: shown as HTML in a notebook, as the text report elsewhere."""

    def __init__(self, report: Report) -> None:
        self.report = report

    def _repr_html_(self) -> str:
        return html_report.fragment(self.report)

    def __repr__(self) -> str:
        return text_report.render(self.report, color=False, width=100).rstrip("\n")

    @property
    def ok(self) -> bool:
        """Whether every step holds and every goal is reached (``pgverify check`` would exit 0)."""
        return self.report.exit_code() == 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="%%pgverify", add_help=False, exit_on_error=False)
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--latex", "--tex", dest="kind", action="store_const", const="tex")
    kind.add_argument("--markdown", "--md", dest="kind", action="store_const", const="md")
    kind.add_argument("--pgv", dest="kind", action="store_const", const="pgv")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--macros", default=None)
    parser.add_argument("--fail-on", dest="fail_on", choices=("unknown", "refuted"), default="unknown")
    return parser


def detect(cell: str) -> str:
    """``tex`` for a LaTeX cell, ``pgv`` for the derivation language."""
    if _PGV_START.search(cell):
        return "pgv"
    return "tex" if _TEX_BLOCK.search(cell) or re.search(r"\\[A-Za-z]+", cell) else "pgv"


def check_cell(cell: str, line: str = "") -> CheckedCell:
    """Check a cell's text with the magic's options (``line``, as after ``%%pgverify``)."""
    try:
        args = _parser().parse_args(shlex.split(line))
    except (argparse.ArgumentError, ValueError, SystemExit) as err:
        report = Report([], usage_errors=[f"%%pgverify {line.strip()}: {err}".rstrip()])
        return CheckedCell(report)
    kind = args.kind or detect(cell)
    macros = ""
    if args.macros:
        try:
            macros = Path(args.macros).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            return CheckedCell(Report([], usage_errors=[f"--macros {args.macros}: cannot read it ({err})"]))
    text, all_math = cell, False
    if kind == "tex":
        all_math = True   # the cell was given to be checked: every chain in it, no marker needed
        if not _TEX_BLOCK.search(cell):
            # bare rows: one align* block, opened on the first line so that the lines keep their numbers
            text = "\\begin{align*} " + cell.rstrip("\n") + "\n\\end{align*}\n"
    path = {"tex": "cell.tex", "md": "cell.md", "pgv": "cell.pgv"}[kind]
    report = check_buffer(text, path, Options(seed=args.seed, strict=args.strict),
                          ReadOptions(all_math=all_math, macros=macros), fail_on=args.fail_on)
    return CheckedCell(report)


def load_ipython_extension(ipython: Any) -> None:
    """Register the ``%%pgverify`` cell magic (``%load_ext pgverify`` calls this)."""

    def pgverify(line: str, cell: str) -> CheckedCell:
        return check_cell(cell, line)

    pgverify.__doc__ = __doc__
    ipython.register_magic_function(pgverify, magic_kind="cell", magic_name="pgverify")
