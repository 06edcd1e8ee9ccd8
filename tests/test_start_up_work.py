"""Work a plain ``check`` does not do at start-up, and proof that leaving it out changes nothing.

Timings are the benchmark's business (bench/run.py, *start-up*); these tests hold the causes: the plain text
report is laid out without rich's console and prints what rich prints; a run without a cache directory
computes no cache keys; a pyproject.toml that cannot name pgverify is not parsed; what the workers would
each build (the rl vocabulary and the parser states it reaches, the call asking for the death signal) is
built once, in the parent, before it forks them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pgverify
from pgverify import cli, config, limits, semantics
from pgverify.checkcache import CheckCache
from pgverify.checkoptions import Options
from pgverify.readers import ReadOptions
from pgverify.render import text
from pgverify.report import Report
from pgverify.results import CHECKED, PROVED, REFUTED, UNKNOWN, DerivationResult, FileResult, StepResult

ROOT = Path(__file__).resolve().parent.parent
SEED = sorted((ROOT / "proofs" / "seed").glob("*.pgv"))
WIDTHS = [1, 7, 16, 17, 30, 60, 80, 100]


def _both(report: Report, width: int, verbose: bool) -> tuple[str, str]:
    """The plain report as written by the plain path and as laid out by rich."""
    return (text._render(report, color=False, width=width, verbose=verbose, by_rich=False),
            text._render(report, color=False, width=width, verbose=verbose, by_rich=True))


@pytest.fixture(scope="module")
def seed_reports() -> list[Report]:
    return [Report([pgverify.check_text(p.read_text(encoding="utf-8"), p.relative_to(ROOT).as_posix())])
            for p in SEED]


# --------------------------------------------------------------------------- the plain text report


@pytest.mark.parametrize("verbose", [False, True])
def test_the_plain_report_of_real_files_is_what_rich_prints(seed_reports: list[Report], verbose: bool) -> None:
    for report in seed_reports:
        for width in WIDTHS:
            plain, by_rich = _both(report, width, verbose)
            assert plain == by_rich, (report.files[0].path, width)


# pieces a user's text may hold: wide and combining characters, a long word, rich markup (printed literally),
# spaces of other kinds, tabs and line breaks (which only rich lays out), control characters (shown escaped)
# (most texts are printable: those the plain path writes itself; the others are rich's to lay out)
PRINTABLE = ["a", "bc", " ", "  ", "   ", "中文", "é", "e\u0301", "😀", "ﾊ", "x" * 40, "✓", "…", "[bold]",
             "E_{x ~ p}[f(x)]", "-", "="]
OTHER = ["\t", "\n", "\x07", "\x1b[31m", "\u3000", "\xa0", "\u200b", "\r\n"]
user_text = st.one_of(st.lists(st.sampled_from(PRINTABLE), max_size=24),
                      st.lists(st.sampled_from(PRINTABLE + OTHER), max_size=24)).map("".join)


def _report(title: str, step_text: str, message: str, hint: str, path: str, cex_value: str) -> Report:
    refuted = StepResult(3, 1, "=", REFUTED, text=step_text, lhs=message, rhs=hint, message=message,
                         cited=[hint or "algebra"], rules=[], justification="mismatch",
                         counterexample={"x": 2, "lhs": 1.5, "rhs": cex_value or 0.0, "assignments": {"f": cex_value}},
                         diagnosis={"name": "lost-discount", "title": title, "hint": hint},
                         conditions=[{"rule": "kl", "text": message, "status": "assumed", "note": hint}])
    steps = [refuted, StepResult(4, 1, "=", UNKNOWN, text=message, lhs="a", rhs="b", message=hint),
             StepResult(5, 1, "=", CHECKED, text=title, lhs="a", rhs="a", models=3),
             StepResult(6, 1, "≤", PROVED, text=step_text, lhs="a", rhs="a", cited=["algebra"], rules=["algebra"],
                        justification="ok")]
    derivation = DerivationResult(title, 1, "not-reached", message, steps)
    return Report([FileResult(path or "p.pgv", [], [derivation], (step_text, message, hint))],
                  usage_errors=[message] if message else [])


@settings(max_examples=60, deadline=None)
@given(user_text, user_text, user_text, user_text, user_text, user_text, st.sampled_from(WIDTHS), st.booleans())
def test_the_plain_report_of_any_text_is_what_rich_prints(title: str, step_text: str, message: str, hint: str,
                                                          path: str, cex_value: str, width: int,
                                                          verbose: bool) -> None:
    plain, by_rich = _both(_report(title, step_text, message, hint, path, cex_value), width, verbose)
    assert plain == by_rich


def test_colour_still_goes_through_rich() -> None:
    report = _report("a title", "= x", "why", "a hint", "p.pgv", "1")
    coloured = text.render(report, color=True, width=80)
    assert "\x1b[" in coloured
    assert text.render(report, color=False, width=80) == text._render(report, color=False, width=80, verbose=False,
                                                                      by_rich=True)


def _imported_by_check(tmp_path: Path, source: str, **environ: str) -> set[str]:
    """The modules the parent process of `pgverify check --no-cache` has loaded when it leaves."""
    (tmp_path / "a.pgv").write_text(source, encoding="utf-8")
    script = ("import os, sys\n"
              "real = os._exit\n"
              "def leave(code):\n"
              "    sys.stderr.write('\\n'.join(sorted(sys.modules)))\n"
              "    real(code)\n"
              "os._exit = leave\n"
              "sys.argv = ['pgverify', 'check', '--no-cache', 'a.pgv']\n"
              "from pgverify.cli import main\n"
              "main()\n")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")} | environ
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env=env, check=False)
    assert "Summary:" in done.stdout, done.stderr[-2000:]
    return set(done.stderr.split())


def test_a_plain_check_loads_neither_rich_console_nor_what_only_other_work_needs(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "notes"\n', encoding="utf-8")
    loaded = _imported_by_check(tmp_path, "param x\nclaim x + x = 2 x   by algebra\nclaim x = 2 x   by algebra\n")
    for module in ("rich.console", "rich.text", "rich.table", "tomllib", "json", "difflib"):
        assert module not in loaded, module
    assert "sympy" in loaded   # the steps were checked


def test_a_coloured_check_is_laid_out_by_rich(tmp_path: Path) -> None:
    loaded = _imported_by_check(tmp_path, "param x\nclaim x + x = 2 x   by algebra\n", FORCE_COLOR="1")
    assert "rich.console" in loaded


# --------------------------------------------------------------------------- the cache


def test_without_a_cache_directory_the_checker_is_given_no_cache(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """No keys are computed for a cache that keeps nothing (the code's fingerprint reads every source file)."""
    (tmp_path / "a.pgv").write_text("param x\nclaim x + x = 2 x   by algebra\n", encoding="utf-8")
    given: list[object] = []
    real = cli.check_sources

    def spy(sources, options, cache=None):
        given.append(cache)
        return real(sources, options, cache)

    monkeypatch.setattr(cli, "check_sources", spy)
    for cache in (CheckCache(None), CheckCache(tmp_path / "cache")):
        report = Report([])
        cli._check_inputs(report, [(tmp_path / "a.pgv", "a.pgv")], {(tmp_path / "a.pgv").resolve()}, None,
                          ReadOptions(), Options(), cache)
        assert [s.verdict for s in report.files[0].derivations[0].steps] == [PROVED]
    assert given[0] is None and isinstance(given[1], CheckCache)


# --------------------------------------------------------------------------- the configuration


def test_a_pyproject_that_cannot_name_pgverify_is_not_parsed(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.black]\nline-length = 100\n', encoding="utf-8")
    code = ("import sys\nfrom pathlib import Path\nfrom pgverify import config\n"
            "assert config.find(Path.cwd()) is None\nprint('tomllib' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          check=True)
    assert done.stdout.split() == ["False"]


@pytest.mark.parametrize("header", ["[tool.pgverify]", '[tool."pg\\u0076erify"]', "[tool]\n[tool.\"pg\\U00000076erify\"]"])
def test_a_pyproject_that_names_pgverify_in_any_spelling_is_found(tmp_path: Path, header: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"{header}\nseed = 3\n", encoding="utf-8")
    found = config.find(tmp_path)
    assert found == tmp_path / "pyproject.toml"
    assert config.load(found).seed == 3


def test_a_broken_pyproject_of_ours_is_still_reported(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.pgverify]\nseed = = 3\n", encoding="utf-8")
    with pytest.raises(config.ConfigError, match="not valid TOML"):
        config.load(config.find(tmp_path))


# --------------------------------------------------------------------------- what the workers inherit


def test_reading_a_file_leaves_the_rl_vocabulary_parsed_in_this_process(tmp_path: Path) -> None:
    """The reading worker is forked after the vocabulary's lines are parsed (and the step workers after that)."""
    semantics._builtin.cache_clear()
    semantics.builtin_expr.cache_clear()
    source, _ = cli.read_input(None, "a.pgv", None, ReadOptions(), data=b"use rl\nparam x\nclaim x = x\n")
    assert not source.errors
    assert semantics._builtin.cache_info().currsize == len(semantics._RL_DECLARATIONS) + 2
    assert semantics.builtin_expr.cache_info().currsize == 2


def test_the_death_signal_request_is_looked_up_before_the_first_fork() -> None:
    limits._death_signal_request.cache_clear()
    assert limits.run_jobs([lambda: os.getpid()], 30.0, 1)[0] != os.getpid()
    assert limits._death_signal_request.cache_info().currsize == 1   # looked up here, in the parent
    if sys.platform.startswith("linux"):
        assert limits._death_signal_request() is not None
