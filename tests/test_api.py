"""The Python API: `pgverify.check`, `check_text` and `parse` read files as the CLI does, from any thread.

The ground truth is the CLI's own JSON report; the API must give the same
verdicts at the same places.  Thread and process tests run the same text from
a pool and compare with the main thread's verdicts.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest
from typer.testing import CliRunner

import pgverify
import pgverify.checker
from pgverify import Options, ReadOptions
from pgverify.cli import app

ROOT = Path(__file__).resolve().parent.parent
NOTES = ROOT / "tests" / "notes"
SEED = ROOT / "proofs" / "seed" / "seed_decomposition_flawed.pgv"


def verdicts(result: pgverify.FileResult) -> list[tuple[int, int, str, str | None]]:
    return [(s.line, s.column, s.verdict, s.justification) for d in result.derivations for s in d.steps]


def cli_json(*args: str | Path) -> dict:
    result = CliRunner().invoke(app, ["check", *map(str, args), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def record_verdicts(document: dict) -> list[list[tuple]]:
    return [[(s.get("cell"), s["line"], s["column"], s["verdict"], s["justification"])
             for d in f["derivations"] for s in d["steps"]] for f in document["files"]]


# ----------------------------------------------------------------------------- the same readers as the CLI


def test_check_reads_markdown_as_the_cli_does() -> None:
    path = NOTES / "simplest_policy_gradient.md"
    report = pgverify.check([path])
    document = cli_json(path)
    assert not report.files[0].errors
    assert record_verdicts(report.to_records()) == record_verdicts(document)
    assert report.summary() == document["summary"]
    assert report.exit_code() == document["exit_code"] == 1
    assert {"proved", "refuted"} <= {v for *_, v, _ in record_verdicts(document)[0]}


def test_check_of_a_notebook_with_macros_names_cells_as_the_cli_does() -> None:
    path = NOTES / "reinforce_lab.ipynb"
    macros = (NOTES / "macros.tex").read_text(encoding="utf-8")
    report = pgverify.check([path], read_options=ReadOptions(macros=macros))
    document = cli_json(path, "--macros", NOTES / "macros.tex")
    assert record_verdicts(report.to_records()) == record_verdicts(document)
    assert all(cell is not None for cell, *_ in record_verdicts(document)[0])


def test_check_text_picks_the_reader_by_the_path() -> None:
    text = (NOTES / "simplest_policy_gradient.md").read_text(encoding="utf-8")
    as_markdown = pgverify.check_text(text, "notes.md")
    assert not as_markdown.errors and verdicts(as_markdown)
    assert verdicts(as_markdown) == verdicts(pgverify.check([NOTES / "simplest_policy_gradient.md"]).files[0])
    assert pgverify.check_text(text).errors, "the default path <input> is read as the derivation language"


def test_an_unknown_extension_is_read_as_pgv(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8")
    path = tmp_path / "proof.txt"
    path.write_text(text, encoding="utf-8")
    assert verdicts(pgverify.check([path]).files[0]) == verdicts(pgverify.check_text(text, "proof.pgv"))
    assert pgverify.parse(text, "proof.anything").derivations == pgverify.parse(text, "proof.pgv").derivations


def test_read_options_reach_the_readers() -> None:
    text = "$$\n2\\R &= \\R + \\R \\\\\n&= 2R(\\tau)\n$$\n\n$$\na &= b \\\\\n&= \\dots\n$$\n"
    marked_only = pgverify.check_text(text, "n.md", read_options=ReadOptions(all_math=False))
    assert marked_only.derivations == [] and marked_only.notes == []
    by_default = pgverify.check_text(text, "n.md")   # notes mode: every block is read, unreadable ones noted
    assert [n.span.line for n in by_default.notes] == [2, 8]
    every_chain = pgverify.check_text(text, "n.md", read_options=ReadOptions(all_math=True,
                                                                            macros=r"\newcommand{\R}{R(\tau)}"))
    assert [s.verdict for s in every_chain.derivations[0].steps] == ["proved", "proved"]
    assert [n.span.line for n in every_chain.notes] == [8], "the block that cannot be read is a skip note"
    assert not every_chain.errors


def test_check_carries_the_skip_notes_like_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "n.md"
    path.write_text("$$\na &= b \\\\\n&= \\dots\n$$\n", encoding="utf-8")
    report = pgverify.check([path], read_options=ReadOptions(all_math=True))
    document = cli_json(path, "--all-math")
    assert report.to_records()["files"][0]["skipped"] == document["files"][0]["skipped"] != []


def test_check_applies_ignore_comments_like_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "n.pgv"
    path.write_text("param x\nclaim x + x = 3 x   # pgverify: ignore[refuted]\n", encoding="utf-8")
    report = pgverify.check([path])
    assert [s.verdict for s in report.steps()] == ["refuted"], "a suppression never changes a verdict"
    assert report.exit_code() == cli_json(path)["exit_code"] == 0


# ----------------------------------------------------------------------------- threads and processes


def _seed_verdicts(_: object = None) -> list[tuple]:
    return verdicts(pgverify.check_text(SEED.read_text(encoding="utf-8"), str(SEED)))


def test_check_text_from_two_threads_gives_the_main_threads_verdicts() -> None:
    here = _seed_verdicts()
    assert {"proved", "refuted"} <= {v for _, _, v, _ in here}
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(_seed_verdicts, range(2))) == [here, here]


def test_check_from_a_process_pool_worker() -> None:
    here = _seed_verdicts()
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
        assert pool.submit(_seed_verdicts).result(timeout=300) == here


def _sleeps(*_args, **_kwargs):
    time.sleep(60)


def test_the_time_limit_holds_in_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pgverify.checker, "check_step", _sleeps)   # the forked workers inherit it
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=1) as pool:
        result = pool.submit(pgverify.check_text, "param x\nclaim x = x\n", "a.pgv", Options(time_limit=0.5)).result()
    (step,) = result.derivations[0].steps
    assert step.verdict == "unknown" and "time limit" in step.message
    assert time.monotonic() - started < 30
