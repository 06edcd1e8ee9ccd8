"""Jupyter: ``%load_ext pgverify`` and ``%%pgverify`` cells, run through IPython's own shell."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

InteractiveShell = pytest.importorskip("IPython.core.interactiveshell", reason="IPython is not installed "
                                       "(pip install 'pgverify[jupyter]')").InteractiveShell

PGV_CELL = """%%pgverify
use rl
fun f(a)
derivation "doubled"
    E_{a ~ π_θ(·|s)}[ f(a) ]
  = E_{a ~ π_θ(·|s)}[ 2 f(a) ]
"""

GOOD_CELL = """%%pgverify
derivation "fine"
    x + x
  = 2 x   by algebra
"""

LATEX_CELL = """%%pgverify --latex
x + x &= 2 \\cdot x \\\\
  &= 3 \\cdot x
"""


@pytest.fixture(scope="module")
def shell() -> InteractiveShell:
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "pgverify")
    return ip


def _run(shell: InteractiveShell, cell: str):
    outcome = shell.run_cell(cell, store_history=False)
    assert outcome.success, outcome.error_in_exec or outcome.error_before_exec
    return outcome.result


def test_importing_pgverify_does_not_import_ipython() -> None:
    code = "import sys, pgverify; assert callable(pgverify.load_ipython_extension); print('IPython' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "False"


def test_a_refuted_cell_is_shown_as_the_html_report(shell: InteractiveShell) -> None:
    result = _run(shell, PGV_CELL)
    assert not result.ok and result.report.exit_code() == 1
    page = result._repr_html_()
    assert 'data-verdict="refuted"' in page and "<math" in page
    # the refuted step is the cell's line 6 (the magic's own line not counted): what the page says
    step = page[page.index('data-verdict="refuted"'):]
    assert re.search(r'data-line="5"', step)   # line 5 of the cell's body
    assert 'class="pgv-diff"' in step          # f(a) vs 2 f(a), highlighted
    # and the notebook's mime bundle carries it: what Jupyter would display
    data, _ = shell.display_formatter.format(result)
    assert "text/html" in data and 'data-verdict="refuted"' in data["text/html"]
    assert "refuted" in data["text/plain"]


def test_a_good_cell_passes(shell: InteractiveShell) -> None:
    result = _run(shell, GOOD_CELL)
    assert result.ok
    assert "all steps valid" in result._repr_html_()


def test_a_latex_cell_of_bare_rows_is_checked(shell: InteractiveShell) -> None:
    result = _run(shell, LATEX_CELL)
    verdicts = [s.verdict for s in result.report.steps()]
    assert verdicts[-1] == "refuted" and len(verdicts) == 2
    assert verdicts[0] in ("proved", "checked")
    assert [s.line for s in result.report.steps()] == [1, 2]


def test_latex_is_detected_without_the_option(shell: InteractiveShell) -> None:
    result = _run(shell, LATEX_CELL.replace(" --latex", ""))
    assert [s.verdict for s in result.report.steps()][-1] == "refuted"


def test_a_bad_option_is_a_message_not_a_traceback(shell: InteractiveShell) -> None:
    result = _run(shell, "%%pgverify --nonsense\nx\n")
    assert result.report.usage_errors and "--nonsense" in result.report.usage_errors[0]
    assert "error:" in result._repr_html_()
