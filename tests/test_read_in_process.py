"""Which inputs ``check`` reads in its own process, and proof that doing so keeps reading bounded and safe.

A small input in the derivation language (at most ``readers.IN_PROCESS_BYTES``, read by our own reader) is
parsed in the process that checks it (``cli.read_input``), not in a forked worker under the parse limit: the
fork cost more than the read.
The rule holds only because such a read is bounded by its size; these tests pin the rule (which inputs, by
reader and size), measure hostile inputs of that size against the limit, and show that an internal error of an
in-process read is still reported in the file, never raised.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import pytest

from pgverify import cli, limits, readers
from pgverify.readers import ReadOptions

SMALL = readers.IN_PROCESS_BYTES
CLAIM = b"param x\nclaim x + x = 2 x   by algebra\n"


@pytest.mark.parametrize(("display", "suffix", "size", "here"), [
    ("a.pgv", None, len(CLAIM), True),
    ("a.pgv", None, SMALL, True),
    ("a.pgv", None, SMALL + 1, False),          # larger: the worker and its limits
    ("notes.txt", None, 100, True),             # an unknown extension is read as .pgv
    ("<stdin>", ".pgv", 100, True),             # standard input read as .pgv
    ("a.PGV", None, 100, True),
    ("notes.md", None, 100, False),             # the notes readers always read in a worker
    ("notes.tex", None, 100, False),
    ("notes.rst", None, 100, False),
    ("notes.ipynb", None, 100, False),
    ("a.pgv", ".md", 100, False),               # --reader md on a .pgv name: the Markdown reader
    ("notes.md", ".pgv", 100, True),            # --reader pgv on a .md name: ours
    ("<stdin>", ".tex", 100, False),
])
def test_which_inputs_are_read_in_this_process(display: str, suffix: str | None, size: int, here: bool) -> None:
    assert readers.reads_in_process(display + (suffix or ""), size) is here


def _spy_on_workers(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the jobs given to limits.run_jobs (and still run them)."""
    given: list[int] = []
    real = limits.run_jobs

    def spy(jobs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        given.append(len(jobs))
        return real(jobs, *args, **kwargs)

    monkeypatch.setattr(limits, "run_jobs", spy)
    return given


def test_a_small_pgv_file_is_read_without_a_worker_and_a_large_one_with(monkeypatch: pytest.MonkeyPatch) -> None:
    given = _spy_on_workers(monkeypatch)
    small, _ = cli.read_input(None, "a.pgv", None, ReadOptions(), data=CLAIM)
    assert given == [] and not small.errors and len(small.derivations) == 1
    padding = b"# " + b"x" * (SMALL - len(CLAIM)) + b"\n"   # a comment line makes it just too large
    large, _ = cli.read_input(None, "a.pgv", None, ReadOptions(), data=padding + CLAIM)
    assert given == [1] and not large.errors and len(large.derivations) == 1
    assert large.derivations[0].steps[0].span.line == small.derivations[0].steps[0].span.line + 1


def test_a_small_markdown_file_is_still_read_in_a_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    given = _spy_on_workers(monkeypatch)
    source, _ = cli.read_input(None, "notes.md", None, ReadOptions(), data=b"```pgverify\n" + CLAIM + b"```\n")
    assert given == [1] and not source.errors and len(source.derivations) == 1


def test_the_same_file_is_read_alike_here_and_in_a_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (b"use rl\n# pgverify: ignore\nclaim x = y\nderivation \"d\"\n    a\n  = (b\n  + c   by algebra\n"
            b"claim = )\n")
    here = cli.read_input(None, "a.pgv", None, ReadOptions(), data=data)
    monkeypatch.setattr(readers, "IN_PROCESS_BYTES", -1)
    there = cli.read_input(None, "a.pgv", None, ReadOptions(), data=data)
    assert here == there and here[0].errors   # the same file, its errors and suppressions included


@pytest.mark.parametrize("error", [RuntimeError("boom"), RecursionError(), MemoryError(), KeyError("k")])
def test_an_internal_error_of_an_in_process_read_is_reported_never_raised(monkeypatch: pytest.MonkeyPatch,
                                                                          error: BaseException) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(cli.readers, "read_text", broken)
    monkeypatch.setattr(limits, "run_jobs", lambda *a, **k: pytest.fail("read in a worker"))
    source, skipped = cli.read_input(None, "a.pgv", None, ReadOptions(), data=CLAIM)
    assert skipped == [] and not source.derivations and len(source.errors) == 1
    issue = source.errors[0]
    assert issue.span.line == 0 and issue.message.startswith("reading the file stopped (")
    said = {RuntimeError: "internal error (RuntimeError: boom)", RecursionError: "nests too deeply",
            MemoryError: "out of memory", KeyError: "internal error (KeyError"}[type(error)]
    assert said in issue.message


def _fill(unit: str, prefix: str = "claim ") -> str:
    return prefix + unit * ((SMALL - len(prefix.encode())) // len(unit.encode()))


# text of the largest size read in this process, aimed at the costly parts of the reader: the lexer's
# lookaheads to the end of the line (d … / d x), long runs of one token, deep nesting, many short lines, one
# error per line, and random mixtures of the language's pieces
_PIECES = list("dx/∂()[]{}^_|,;=+-*·  \n\\#\"E𝔼∇∑Σ0123456789abyin:~<>'") + [
    "by ", "sum_", "E_{", "grad_", "log ", "d/d", "param ", "claim ", "use rl\n", "  = "]
_rng = random.Random(13)
HOSTILE: dict[str, str] = {
    "d and spaces": _fill("d "), "d and slashes": _fill("d / "), "fractions": _fill("d x/ d"),
    "open parentheses": _fill("("), "open braces": _fill("{"), "powers": _fill("x^"), "juxtaposition": _fill("a "),
    "a long sum": _fill("x + "), "minus signs": _fill("- "), "expectations": _fill("E_{"), "gradients": _fill("∇_{"),
    "rule words": _fill("a", "claim x = x   by "), "primes": _fill("x'"), "continued lines": _fill("x \\\n"),
    "short lines": _fill("x\n", ""), "an error a line": _fill("= )\n", ""), "claims": _fill("claim x = y\n", ""),
    "calls": _fill("f("), "ignore comments": _fill("# pgverify: ignore[\n", ""),
    "wide characters": _fill("𝔼∑∇∂≈"),
    **{f"random {k}": "".join(_rng.choice(_PIECES) for _ in range(SMALL))
       .encode()[:SMALL].decode(errors="ignore") for k in range(6)},
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_text_of_the_in_process_size_is_read_far_within_the_parse_limit(name: str,
                                                                                monkeypatch: pytest.MonkeyPatch
                                                                                ) -> None:
    data = HOSTILE[name].encode()
    assert len(data) <= SMALL and readers.reads_in_process("a.pgv", len(data))
    monkeypatch.setattr(limits, "run_jobs", lambda *a, **k: pytest.fail("read in a worker"))
    cli.read_input(None, "a.pgv", None, ReadOptions(), data=b"claim x = x\n")   # the parser built beforehand
    started = time.process_time()
    source, _ = cli.read_input(None, "a.pgv", None, ReadOptions(), data=data)
    spent = time.process_time() - started
    # at most ~0.3 s on the development machine (a loaded one): a quarter of the limit leaves a wide margin
    assert spent < cli.PARSE_SECONDS / 4, spent
    assert source.path == "a.pgv"


def test_a_hostile_small_file_is_reported_through_the_command_line(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    (tmp_path / "deep.pgv").write_text(_fill("("), encoding="utf-8")
    result = CliRunner().invoke(cli.app, ["check", "--no-cache", str(tmp_path / "deep.pgv")])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 2 and "deep.pgv:" in result.stdout


def test_guarded_runs_a_job_here_as_a_worker_would() -> None:
    jobs: list[Callable[[], Any]] = [lambda: 7, lambda: 1 / 0, lambda: [][1]]
    here = [limits.guarded(job) for job in jobs]
    assert here == [7, limits.Crashed("internal error (ZeroDivisionError: division by zero)"),
                    limits.Crashed("internal error (IndexError: list index out of range)")]
    assert limits.run_jobs(jobs, 30.0, 1) == here


def _depth_by_recursion(node: object, depth: int = 0) -> int:
    """The nesting parse._depth measures, written the plain recursive way (as the reference)."""
    import dataclasses

    from pgverify import model as m

    if isinstance(node, (tuple, list)):
        return max([depth, *(_depth_by_recursion(x, depth) for x in node)])
    if dataclasses.is_dataclass(node) and not isinstance(node, (type, m.Span)):
        return max([depth, *(_depth_by_recursion(getattr(node, f.name), depth + 1)
                             for f in dataclasses.fields(node) if f.name != "span")])
    return depth


def test_the_nesting_of_every_statement_is_measured_as_by_recursion() -> None:
    from pathlib import Path

    from pgverify.syntax import LogicalLine
    from pgverify.syntax.pgv import parse

    root = Path(__file__).resolve().parent.parent
    lines = [line for p in sorted((root / "proofs").rglob("*.pgv"))
             for line in p.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    lines += ["claim " + "(" * 50 + "x" + ")" * 50 + " = x", "claim f(g(h(x)), y_{t+1}) = ∇_θ log π_θ(a | s)"]
    measured = 0
    for text in lines:
        try:
            statement = parse.parse_line(LogicalLine(text.strip(), 1, 0))
        except Exception:   # noqa: BLE001, S112 - a continuation line alone does not parse; statements count
            continue
        assert parse._depth(statement) == _depth_by_recursion(statement), text
        measured += 1
    assert measured > 200
