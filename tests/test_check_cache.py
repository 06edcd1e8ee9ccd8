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
