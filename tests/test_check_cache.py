"""The result cache of `pgverify check`: the same reports as without it, re-checking only what changed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pgverify import checkcache
from pgverify.checkcache import CheckCache
from pgverify.checker import Options, check_source, check_sources
from pgverify.syntax import parse_source as parse_text

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "proofs" / "seed" / "seed_policy_gradient.pgv"
NOTE = ROOT / "tests" / "notes" / "simplest_policy_gradient.md"

STEPS = """\
use rl
param x

derivation "two steps"
claim x (x + 1) = x^2 + x   by algebra
claim (x + 1)^2 = x^2 + 1   by algebra
"""


def _run(args: list[str], cwd: Path, hash_seed: str = "0") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["PYTHONHASHSEED"] = hash_seed   # another process, another string hash: keys must not depend on it
    return subprocess.run([sys.executable, "-X", "importtime", "-m", "pgverify", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False, timeout=300)


def _loaded_sympy(run: subprocess.CompletedProcess) -> bool:
    return any(line.startswith("import time:") and line.split("|")[-1].strip() == "sympy"
               for line in run.stderr.splitlines())


@pytest.fixture()
def notes(tmp_path: Path) -> Path:
    shutil.copy(SEED, tmp_path / SEED.name)
    shutil.copy(NOTE, tmp_path / NOTE.name)
    return tmp_path


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_cached_run_gives_the_same_report_without_loading_sympy(notes: Path, fmt: str) -> None:
    args = ["check", "--format", fmt, "--no-color", "--time-limit", "60", SEED.name, NOTE.name]
    uncached = _run([*args, "--no-cache"], notes)
    assert not (notes / ".pgverify-cache").exists()   # --no-cache writes nothing
    first = _run(args, notes, hash_seed="1")
    assert _loaded_sympy(first) and (notes / ".pgverify-cache" / ".gitignore").read_text().endswith("*\n")
    second = _run(args, notes, hash_seed="2")
    assert not _loaded_sympy(second), "a fully cached run should not need the symbolic kernel"
    assert uncached.returncode == first.returncode == second.returncode == 1
    assert uncached.stdout == first.stdout == second.stdout


def test_a_moved_step_keeps_its_result_at_its_new_place(tmp_path: Path) -> None:
    cache = CheckCache(tmp_path / "cache")
    options = Options(time_limit=30)
    before = check_source(parse_text(STEPS, "a.pgv"), options, cache)
    moved = STEPS.replace('derivation "two steps"\n', '\n\n\nderivation "two steps"\n')
    served = check_source(parse_text(moved, "a.pgv"), options, cache)
    assert cache.hits == 2 and cache.misses == 2   # the second run found both steps
    fresh = check_source(parse_text(moved, "a.pgv"), options)
    assert served == fresh
    assert [s.line for s in served.derivations[0].steps] == [s.line + 3 for s in before.derivations[0].steps]
    assert [s.verdict for s in served.derivations[0].steps] == ["proved", "refuted"]


def test_what_decides_a_step_is_in_its_key(tmp_path: Path) -> None:
    cache = CheckCache(tmp_path / "cache")
    options = Options(time_limit=30)
    check_source(parse_text(STEPS, "a.pgv"), options, cache)
    edited = STEPS.replace("x^2 + 1   by", "x^2 + 2 x + 1   by")
    result = check_source(parse_text(edited, "a.pgv"), options, cache)
    assert [s.verdict for s in result.derivations[0].steps] == ["proved", "proved"]
    assert cache.hits == 1   # the unchanged first step only
    # a declaration in scope changes every step's key: `x` is no longer a parameter
    check_source(parse_text(edited.replace("param x\n", "param y\n"), "a.pgv"), options, cache)
    assert cache.hits == 1
    # so do the options that decide a verdict
    check_source(parse_text(edited, "a.pgv"), Options(time_limit=30, seed=7), cache)
    assert cache.hits == 1


def test_a_step_written_with_other_spacing_is_found_and_keeps_its_own_text(tmp_path: Path) -> None:
    cache = CheckCache(tmp_path / "cache")
    options = Options(time_limit=30)
    check_source(parse_text(STEPS, "a.pgv"), options, cache)
    respaced = STEPS.replace("x (x + 1) = x^2 + x", "x (x+1)  =  x^2+x")
    served = check_source(parse_text(respaced, "a.pgv"), options, cache)
    assert cache.hits == 2
    assert served == check_source(parse_text(respaced, "a.pgv"), options)   # the text is the new one
    assert served.derivations[0].steps[0].text != check_source(parse_text(STEPS, "a.pgv"), options
                                                               ).derivations[0].steps[0].text


def test_one_pool_for_several_files_gives_each_file_its_own_results(tmp_path: Path) -> None:
    sources = [parse_text(STEPS, "a.pgv"), parse_text(STEPS.replace("+ 1   by", "+ 2 x + 1   by"), "b.pgv")]
    together = check_sources(sources, Options(time_limit=30, jobs=2))
    alone = [check_source(s, Options(time_limit=30, jobs=1)) for s in sources]
    assert together == alone


def test_a_damaged_or_foreign_record_file_is_ignored(tmp_path: Path) -> None:
    cache = CheckCache(tmp_path / "cache")
    check_source(parse_text(STEPS, "a.pgv"), Options(time_limit=30), cache)
    (record,) = (tmp_path / "cache" / "check").rglob("*.json")
    digest, _, text = record.read_text(encoding="utf-8").partition("\n")
    body = json.loads(text)
    for entry in body["entries"].values():   # every verdict turned into "proved": the digest no longer fits
        if isinstance(entry, dict) and "dict" in entry:
            entry["dict"] = [[k, "proved" if k == "verdict" else v] for k, v in entry["dict"]]
    record.write_text(digest + "\n" + json.dumps(body, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    again = CheckCache(tmp_path / "cache")
    result = check_source(parse_text(STEPS, "a.pgv"), Options(time_limit=30), again)
    assert again.hits == 0 and [s.verdict for s in result.derivations[0].steps] == ["proved", "refuted"]


def test_keys_do_not_depend_on_set_order_or_positions() -> None:
    source = parse_text(STEPS, "a.pgv")
    shifted = parse_text("\n\n" + STEPS, "a.pgv")
    (d,), (e,) = source.derivations, shifted.derivations
    assert checkcache.canonical(d.steps[0].expr) == checkcache.canonical(e.steps[0].expr)
    assert checkcache.canonical({"b", "a", "c"}) == checkcache.canonical({"c", "b", "a"})
    assert checkcache.canonical(d.steps[0].expr) != checkcache.canonical(d.steps[1].expr)


def test_cache_dir_and_jobs_from_the_configuration(tmp_path: Path) -> None:
    (tmp_path / "a.pgv").write_text(STEPS, encoding="utf-8")
    (tmp_path / "pgverify.toml").write_text('cache_dir = "build/pgv"\njobs = 1\n', encoding="utf-8")
    run = _run(["check", "a.pgv", "--format", "json"], tmp_path)
    assert run.returncode == 1 and json.loads(run.stdout)["summary"]["refuted"] == 1
    assert (tmp_path / "build" / "pgv" / ".gitignore").is_file() and not (tmp_path / ".pgverify-cache").exists()
    (tmp_path / "pgverify.toml").write_text("jobs = 0\n", encoding="utf-8")
    bad = _run(["check", "a.pgv"], tmp_path)
    assert bad.returncode == 2 and "'jobs'" in bad.stderr


def test_a_timed_out_step_is_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from pgverify import checker

    real = checker.check_step

    def slow(*args, **kwargs):
        time.sleep(5)
        return real(*args, **kwargs)

    text = "param x\nclaim x (x + 1) = x^2 + x   by algebra\n"
    cache = CheckCache(tmp_path / "cache")
    monkeypatch.setattr(checker, "check_step", slow)   # the forked workers inherit it
    (step,) = check_source(parse_text(text, "a.pgv"), Options(time_limit=0.2), cache).derivations[0].steps
    assert step.verdict == "unknown" and "time limit" in step.message
    monkeypatch.setattr(checker, "check_step", real)
    again = CheckCache(tmp_path / "cache")
    check_source(parse_text(text, "a.pgv"), Options(time_limit=0.2), again)
    assert again.hits == 0   # under the same limit, checked again: a time-out says how busy the machine was


# --------------------------------------------------------------------------- whole files


def _loaded(run: subprocess.CompletedProcess, module: str) -> bool:
    return any(line.startswith("import time:") and line.split("|")[-1].strip() == module
               for line in run.stderr.splitlines())


def test_an_unchanged_file_is_served_whole_without_parsing_or_the_checker(notes: Path) -> None:
    args = ["check", "--format", "json", "--time-limit", "60", SEED.name, NOTE.name]
    uncached = _run([*args, "--no-cache"], notes)
    _run(args, notes)
    served = _run(args, notes)
    assert served.stdout == uncached.stdout and served.returncode == uncached.returncode == 1
    for module in ("sympy", "pgverify.checker", "pgverify.kernel", "pgverify.falsify", "pgverify.readers.base"):
        assert not _loaded(served, module), f"a fully cached run loaded {module}"
    assert len(list((notes / ".pgverify-cache" / "files").rglob("*.json"))) == 2


def _cli_json(args: list[str]) -> tuple[int, str]:
    from typer.testing import CliRunner

    from pgverify.cli import app

    result = CliRunner().invoke(app, ["check", "--format", "json", *args])
    return result.exit_code, result.stdout


def test_what_decides_a_file_is_in_its_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pgverify import cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.pgv").write_text(STEPS, encoding="utf-8")
    (tmp_path / "m.tex").write_text("\\newcommand{\\R}{\\mathbb{R}}\n", encoding="utf-8")
    reads: list[str] = []
    real = cli.read_input

    def counting(path, display, *rest, **kwargs):
        reads.append(display)
        return real(path, display, *rest, **kwargs)

    monkeypatch.setattr(cli, "read_input", counting)
    base = ["--time-limit", "30", "a.pgv"]
    first = _cli_json(base)
    assert reads == ["a.pgv"] and first[0] == 1
    assert _cli_json(base) == first and reads == ["a.pgv"]            # served: not read again
    for changed in (["--seed", "3"], ["--strict"], ["--macros", "m.tex"], ["--reader", "markdown"]):
        _cli_json([*changed, *base])
        assert len(reads) == 2, changed                                # each change: read again
        assert _cli_json([*changed, *base]) and len(reads) == 2, changed   # then served
        assert _cli_json(base) == first and len(reads) == 3            # one record per input: back again
        del reads[1:]
    (tmp_path / "a.pgv").write_text(STEPS.replace("x^2 + 1   by", "x^2 + 2 x + 1   by"), encoding="utf-8")
    edited = _cli_json(base)
    assert len(reads) == 2 and edited[0] == 0 and edited != first      # new bytes: read and checked again
    assert _cli_json(["--no-cache", *base]) == edited


def test_an_edited_file_record_is_not_served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.pgv").write_text(STEPS, encoding="utf-8")
    first = _cli_json(["--time-limit", "30", "a.pgv"])
    (record,) = (tmp_path / ".pgverify-cache" / "files").rglob("*.json")
    digest, _, text = record.read_text(encoding="utf-8").partition("\n")
    forged = text.replace('"refuted"', '"proved"')
    assert forged != text
    for body in (digest + "\n" + forged,                                  # the digest no longer fits
                 checkcache._hash(forged) + "\n" + forged.replace('"key": "', '"key": "0')):   # another key
        record.write_text(body, encoding="utf-8")
        assert _cli_json(["--time-limit", "30", "a.pgv"]) == first


def test_a_file_record_holds_exactly_what_the_report_needs() -> None:
    from pgverify import readers
    from pgverify.checkcache import FileOutcome, pack, unpack

    sources = [readers.read_with_skips(p) for p in (SEED, NOTE)]
    results = check_sources([s for s, _ in sources], Options(time_limit=60, jobs=1))
    for (source, skipped), result in zip(sources, results):
        result.notes = list(skipped)
        outcome = FileOutcome(result, tuple(source.suppressions), [(1, 2, "a note", "lookalike-name")])
        again = unpack(json.loads(json.dumps(pack(outcome))))
        assert again == outcome and again is not outcome
    with pytest.raises(ValueError):
        unpack({"record": ["Popen", []]})   # only the result records are ever built from a cache file
    with pytest.raises(ValueError):
        unpack({"record": ["Span", [["line", 1]]]})


def test_an_outcome_cut_short_is_never_kept(tmp_path: Path) -> None:
    from pgverify import model as m
    from pgverify.checkcache import FileOutcome
    from pgverify.results import DerivationResult, FileResult, StepResult

    cache = CheckCache(tmp_path / "cache")
    timed_out = StepResult(2, 1, "=", "unknown", message="time limit of 5 s per step exceeded")
    stopped_parse = m.SyntaxIssue(m.Span(0, 0, 0, 0), "reading the file took longer than the time limit")
    for result in (FileResult("a.pgv", [], [DerivationResult("d", 1, None, "", [timed_out])]),
                   FileResult("a.pgv", [stopped_parse], []),
                   FileResult("a.pgv", [], [DerivationResult("d", 1, "not-reached",
                                                             checkcache.GOAL_TIMED_OUT, [])])):
        cache.put_file("a.pgv", "k", FileOutcome(result))
        assert cache.get_file("a.pgv", "k") is None
    kept = FileOutcome(FileResult("a.pgv", [], [DerivationResult("d", 1, None, "", [])]))
    cache.put_file("a.pgv", "k", kept)
    assert cache.get_file("a.pgv", "k") == kept and cache.get_file("a.pgv", "other") is None


@pytest.mark.parametrize("cex", [
    {"states": 2, "actions": 2, "horizon": 2, "θ": -1.0393, "lhs": 0.0746512, "rhs": 0.0},
    {"lhs": 1.5, "right_undefined": True},
    {"x": 3, "lhs": 1e-300, "rhs": -2.5e+300, "assignments": {"a": 1, "b": "π(a|s)", "c": 2.5}},
    {"N": 6, "γ": 0.25, "lhs": 123456789.123, "rhs": 1, "assignments": {f"v{i}": i for i in range(12)}},
    {f"size{i}": i * 1000 for i in range(14)} | {"lhs": 1, "rhs": 2},              # too wide: rich lays it out
    {"x": 1, "lhs": 1, "rhs": 2, "assignments": {"f": "a" * 120}},                  # a long line: rich again
])
@pytest.mark.parametrize("width", [100, 60])
def test_the_plain_counterexample_is_what_rich_prints(cex: dict, width: int) -> None:
    import io

    from rich.console import Console

    from pgverify.render import text

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=False, no_color=True, color_system=None, width=width,
                      highlight=False, emoji=False, soft_wrap=True, legacy_windows=False)
    console.print(text._counterexample_table(cex), soft_wrap=False)
    by_rich = [line.rstrip() for line in buffer.getvalue().splitlines()]
    plain = text._plain_counterexample(cex, width)
    assert plain is None or plain == by_rich
    if width == 100 and len(cex) < 8 and all(len(str(v)) < 50 for v in (cex.get("assignments") or {}).values()):
        assert plain is not None   # the common case takes the fast path


def test_a_small_run_keeps_the_limit_of_each_step(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One worker takes every step of a small file, and one step that never returns costs only its limit."""
    import time

    from pgverify import checker

    real = checker.check_step

    def hanging_second(step, ctx, options):
        if step.span.line == 3:
            time.sleep(60)   # as a step where sympy never returns
        return real(step, ctx, options)

    text = "param x\nclaim x (x + 1) = x^2 + x   by algebra\nclaim x = x + 0\nclaim (x + 1)^2 = x^2 + 1\n"
    monkeypatch.setattr(checker, "check_step", hanging_second)   # the forked worker inherits it
    started = time.monotonic()
    steps = [s for d in check_source(parse_text(text, "a.pgv"), Options(time_limit=1.0)).derivations
             for s in d.steps]
    assert time.monotonic() - started < 30
    assert [s.verdict for s in steps] == ["proved", "unknown", "refuted"]
    assert "time limit" in steps[1].message
