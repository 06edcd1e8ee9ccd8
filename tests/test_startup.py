"""What a command loads: only what it needs (a cold `check` of a small file is timed against `import sympy`).

Timings are the benchmark's business (bench/run.py, *start-up*); these tests hold the causes: which modules
a command imports, and which work it skips.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pgverify import lookalikes, parse
from pgverify.render import RENDERERS

ROOT = Path(__file__).resolve().parent.parent


def _imported(code: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sorted(sys.modules)))"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    return set(done.stdout.split())


def test_the_cli_module_loads_neither_typer_nor_a_renderer_nor_sympy() -> None:
    loaded = _imported("import pgverify.cli")
    for module in ("typer", "pydantic", "rich", "lark", "sympy", "pgverify.checker", "pgverify.render.html",
                   "pgverify.render.text", "confusable_homoglyphs"):
        assert module not in loaded, module


def test_a_pgv_file_is_read_without_the_latex_front_end_or_the_notes_assembly() -> None:
    loaded = _imported("from pgverify.readers import read_text\n"
                       "source, _ = read_text('param x\\nclaim x + x = 2 x   by algebra  # pgverify: ignore\\n', 'a.pgv')\n"
                       "assert len(source.derivations) == 1 and len(source.suppressions) == 1")
    for module in ("pgverify.syntax.latex", "pgverify.readers.base", "pgverify.readers.notes_state"):
        assert module not in loaded, module
    assert "pgverify.readers.texts" in loaded
    notes = _imported("from pgverify.readers import read_text\nread_text('$$x = x$$\\n', 'a.md')")
    assert "pgverify.readers.base" in notes   # a note still needs them


def test_the_renderers_load_when_looked_up() -> None:
    loaded = _imported("from pgverify.render import RENDERERS\nassert 'html' in RENDERERS and 'pdf' not in RENDERERS"
                       "\nRENDERERS['json']")
    assert "pgverify.render.json" in loaded and "pgverify.render.html" not in loaded
    assert list(RENDERERS) == ["text", "json", "github", "junit", "sarif", "markdown", "html"]
    from pgverify.render import html

    assert RENDERERS["html"] is html.render
    with pytest.raises(KeyError):
        RENDERERS["pdf"]


@pytest.mark.parametrize("args", [["--help"], ["rules"], ["explain", "definition"], ["check", "--help"]],
                         ids=" ".join)
def test_commands_that_prove_nothing_never_load_sympy(args: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "pgverify", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "sympy" not in loaded and "pgverify.kernel" not in loaded


def _table_calls(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[str]]:
    calls = []
    real = lookalikes._table

    def counting():
        calls.append(1)
        return real()

    monkeypatch.setattr(lookalikes, "_table", counting)
    notes = lookalikes.notes(parse(text, "a.pgv"))
    return len(calls), [n.message for n in notes]


def test_greek_and_latin_names_need_no_confusables_table(monkeypatch: pytest.MonkeyPatch) -> None:
    calls, notes = _table_calls("param θ, α, a, x\nclaim θ + α = α + θ   by algebra\n", monkeypatch)
    assert calls == 0 and notes == []


def test_a_cyrillic_name_is_still_compared_with_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("confusable_homoglyphs")
    # Cyrillic а (U+0430) beside Latin a: the table says they look alike
    calls, notes = _table_calls("param a, \u0430, θ\nclaim a + \u0430 = \u0430 + a   by algebra\n", monkeypatch)
    assert calls == 1
    assert any("looks like" in n and "U+0430" in n for n in notes), notes


def test_start_up_does_not_collect_and_a_run_collects_again() -> None:
    code = """
import gc, os
from pgverify.cliargs import collect_after_start_up
collect_after_start_up()
assert not gc.isenabled() and gc.get_freeze_count() > 0
def worker_collects():
    pid = os.fork()
    if pid == 0:
        os._exit(0 if gc.isenabled() else 1)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
assert worker_collects() and not gc.isenabled()   # the first worker (reading a file, no sympy yet)
assert worker_collects() and gc.isenabled()       # from the second on, this process collects too
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]


def test_the_command_runs_on_a_wide_frame() -> None:
    from pgverify import cliargs

    assert cliargs.in_a_wide_frame(lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        cliargs.in_a_wide_frame(lambda: 1 / 0)
    # the room is reserved on CPython (where frames live in chunks); elsewhere the plain call is used
    if sys.implementation.name == "cpython":
        assert cliargs._WIDE.__code__.co_stacksize == cliargs._WIDE_SLOTS
