"""Nothing a user can type makes pgverify raise, hang past its time limit, or choke on a large file."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import pgverify
from pgverify import Options
from pgverify.cli import app
from pgverify.limits import TimedOut, run_jobs

runner = CliRunner()

# --------------------------------------------------------------------------- strategies

TOKENS = [
    "∇_θ", "grad_theta", "∂/∂θ", "d/dθ", "∂", "log", "exp", "sqrt", "sum_{t=0}^{T-1}", "sum_t", "sum_{x}",
    "prod_{t=0}^{T-1}", "int_τ", "dτ", "sum_{τ ∈ D}", "|D|", "E_{x~p}[", "E_{τ ~ π_θ}[", "E_{a ~ π_θ(·|s)}[",
    "(", ")", "[", "]", "{", "}", "=", "≈", "~=", "<=", "≥", "∝", ":=", "by", "algebra", "linearity", '"free text"',
    ",", "|", ";", "·", "~", "_", "^", "'", '"', "+", "-", "*", "/", "\\", "#", "\n", "\n  = ", "  ",
    "π_θ(a_t | s_t)", "P(s_{t+1} | s_t, a_t)", "Pr_θ(τ)", "R(τ)", "Q^π(s, a)", "x^{(i)}", "x_i", "f(", "p(x)",
    "x", "y", "s_t", "a_t", "θ", "theta", "τ", "N", "T", "γ", "0", "1", "2.5", "10",
    "claim", "goal", "lemma l:", "def", "param", "dist", "fun", "depends", "on", "positive", "use rl", "use",
    'derivation "d"', "derivation",
]
ATOMS = ["x", "y", "2", "0.5", "θ", "s_t", "a_t", "π_θ(a_t | s_t)", "P(s_{t+1} | s_t, a_t)", "Pr_θ(τ)", "R(τ)",
         "f(x)", "N", "x_i", "γ", "b(s)", "r(s_t, a_t)", "Q^π(s, a)"]
PREFIXES = ["∇_θ ", "log ", "exp ", "-", "sum_{t=0}^{T-1} ", "sum_t ", "prod_{t=0}^{T-1} ", "int_τ ",
            "1/N sum_{i=1}^{N} ", "∂/∂θ "]

token_soup = st.lists(
    st.tuples(st.sampled_from(TOKENS), st.sampled_from(["", " "])), max_size=30,
).map(lambda parts: "".join(token + gap for token, gap in parts))

expressions = st.recursive(
    st.sampled_from(ATOMS),
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(PREFIXES), inner).map("".join),
        inner.map(lambda e: f"({e})"),
        st.tuples(st.sampled_from(["E_{x~p}[", "E_{τ ~ π_θ}[", "E_{a ~ π_θ(·|s)}["]), inner).map(lambda p: f"{p[0]}{p[1]}]"),
        st.tuples(inner, st.sampled_from([" + ", " - ", " ", " * ", " / ", "^"]), inner).map("".join),
    ),
    max_leaves=6,
)


@st.composite
def small_files(draw) -> str:
    """A few lines that look like a derivation; some broken by a token soup or a missing bracket."""
    lines = [draw(st.sampled_from(["use rl", "param x", "param θ\ndist p(x)", ""]))]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["claim", "chain", "soup", "truncated"]))
        if kind == "claim":
            rel = draw(st.sampled_from(["=", "≈", "<="]))
            rule = draw(st.sampled_from(["algebra", "linearity", "log-product", "nonsense", "eglp"]))
            lines.append(f"claim {draw(expressions)} {rel} {draw(expressions)} by {rule}")
        elif kind == "chain":
            lines += [draw(expressions), f"  = {draw(expressions)}"]
        elif kind == "soup":
            lines.append(draw(token_soup))
        else:
            text = draw(expressions)
            lines.append(f"  = {text[: draw(st.integers(0, len(text)))]}")
    return "\n".join(lines)


def _check_issue_positions(source: pgverify.SourceFile, text: str) -> None:
    # every line break str.splitlines knows is a line break (a final one leaves an empty last line)
    count = len(re.split("\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]", text))
    for e in source.errors:
        assert e.message
        assert 1 <= e.span.line <= count, (e, text)
        assert e.span.column >= 1, (e, text)


# --------------------------------------------------------------------------- the parser never raises


@settings(max_examples=300, deadline=None, database=None)
@given(st.text())
def test_parse_never_raises_on_arbitrary_text(text: str) -> None:
    _check_issue_positions(pgverify.parse(text), text)


@settings(max_examples=300, deadline=None, database=None)
@given(token_soup)
def test_parse_never_raises_on_token_soup(text: str) -> None:
    _check_issue_positions(pgverify.parse(text), text)


@settings(max_examples=150, deadline=None, database=None)
@given(small_files())
def test_parse_never_raises_on_plausible_files(text: str) -> None:
    _check_issue_positions(pgverify.parse(text), text)


# --------------------------------------------------------------------------- the checker never raises


def _no_internal_error(result) -> None:
    for d in result.derivations:
        for s in d.steps:
            assert s.verdict in ("proved", "checked", "refuted", "unknown")
            assert "internal error" not in s.message, s.message
            assert "stopped unexpectedly" not in s.message, s.message


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(token_soup)
def test_check_never_raises_on_token_soup(text: str) -> None:
    _no_internal_error(pgverify.check_text(text, "<soup>", Options(time_limit=2)))


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_files())
def test_check_never_raises_on_plausible_files(text: str) -> None:
    _no_internal_error(pgverify.check_text(text, "<small>", Options(time_limit=2)))


# --------------------------------------------------------------------------- large files


def _big_file(lines: int) -> tuple[str, list[int]]:
    """``use rl`` and many one-line claims; every 100th line (from line 52) is broken."""
    out = ["use rl"]
    broken = []
    for k in range(lines - 1):
        if k % 100 == 50:
            out.append(f"claim x_{{{k}}} + = x_{{{k}}} by algebra")
            broken.append(len(out))
        else:
            out.append(f"claim x_{{{k}}} + 0 = x_{{{k}}} by algebra")
    return "\n".join(out) + "\n", broken


def test_a_10000_line_file_parses() -> None:
    text, broken = _big_file(10_000)
    source = pgverify.parse(text)
    assert [e.span.line for e in source.errors] == broken
    steps = [s for d in source.derivations for s in d.steps]
    assert len(steps) == 10_000 - 1 - len(broken)


def test_a_2000_line_file_is_checked(tmp_path: Path) -> None:
    text, broken = _big_file(2_000)
    path = tmp_path / "big.pgv"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["check", "--format", "json", "--time-limit", "5", str(path)])
    record = json.loads(result.stdout)
    assert result.exit_code == 2  # the broken lines are parse errors
    assert [e["line"] for e in record["files"][0]["errors"]] == broken
    summary = record["summary"]
    assert summary["steps"] == 2_000 - 1 - len(broken)
    assert summary["refuted"] == summary["unknown"] == 0
    assert summary["proved"] + summary["checked"] == summary["steps"]


# --------------------------------------------------------------------------- time limits

SLOW = """\
param x

derivation "sympy would expand this for ever"
claim (x+1)^100000 - (x+1)^99999 = x (x+1)^99999   by algebra

derivation "a sum with eight billion terms"
claim sum_{i=1}^{2000} sum_{j=1}^{2000} sum_{k=1}^{2000} x = 8000000000 x   by algebra

derivation "the next derivation is still checked"
claim x + x = 2 x   by algebra
"""


def test_a_step_that_never_finishes_ends_at_the_time_limit(tmp_path: Path) -> None:
    path = tmp_path / "slow.pgv"
    path.write_text(SLOW, encoding="utf-8")
    result = runner.invoke(app, ["check", "--format", "json", "--time-limit", "1", str(path)])
    record = json.loads(result.stdout)
    derivations = record["files"][0]["derivations"]
    assert [d["title"] for d in derivations] == ["sympy would expand this for ever", "a sum with eight billion terms",
                                                 "the next derivation is still checked"]
    for d in derivations[:2]:
        (step,) = d["steps"]
        assert step["verdict"] in ("unknown", "proved", "checked"), step
        if step["verdict"] == "unknown":
            assert step["message"], step
    (last,) = derivations[2]["steps"]
    assert last["verdict"] in ("proved", "checked"), last


def test_the_time_limit_is_not_spent_on_start_up(tmp_path: Path) -> None:
    # a fresh process (nothing imported yet): a trivial step must fit in half a second; the limit
    # is per step, so loading the symbolic engine must not be charged to the first step of a worker
    path = tmp_path / "trivial.pgv"
    path.write_text("param x\nclaim x + x = 2 x   by algebra\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pgverify", "check", "--format", "json", "--time-limit", "0.5",
                           str(path)], cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    (step,) = json.loads(done.stdout)["files"][0]["derivations"][0]["steps"]
    assert step["verdict"] in ("proved", "checked"), step["message"]


def test_the_worker_is_stopped_and_the_next_job_runs() -> None:
    started = time.monotonic()
    results = run_jobs([lambda: time.sleep(60), lambda: 6 * 7], 0.5)
    assert isinstance(results[0], TimedOut)
    assert results[1] == 42
    assert time.monotonic() - started < 30


# --------------------------------------------------------------------------- bytes


def test_random_bytes_are_reported_as_not_utf8(tmp_path: Path) -> None:
    data = random.Random(2024).randbytes(4096)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    path = tmp_path / "noise.pgv"
    path.write_bytes(data)
    result = runner.invoke(app, ["check", "--no-color", str(path)])
    assert result.exit_code == 2
    assert "not UTF-8" in result.stdout
    assert "Traceback" not in result.output


def test_a_line_that_nests_or_chains_too_deeply_is_an_error_not_a_traceback() -> None:
    long_sum = "claim " + " + ".join(["x"] * 3000) + " = 3000 x by algebra"
    assert not pgverify.parse("param x\n" + long_sum).errors   # a flat sum is not nesting
    deep = "claim " + "-(" * 3000 + "x" + ")" * 3000 + " = x by algebra"
    source = pgverify.parse("param x\n" + deep)
    assert len(source.errors) == 1
    assert "too deeply" in source.errors[0].message
    nested = pgverify.check_text("param x\nclaim " + "(" * 400 + "x" + ")" * 400 + " = x")
    assert not nested.errors
    assert [s.verdict for d in nested.derivations for s in d.steps] == ["proved"]


def test_monte_carlo_averages_are_exact_for_separable_and_joint_estimates() -> None:
    """A sample mean is averaged sample by sample; a product of samples jointly; a biased one is refuted."""
    source = "\n".join([
        "use rl", "dist q(x)", "fun f(x)",
        'derivation "square of a mean is biased"',
        "    E_{x ~ q}[ f(x) ] E_{x ~ q}[ f(x) ]",
        "  ≈ (1/N sum_{i=1}^{N} f(x_i)) (1/N sum_{i=1}^{N} f(x_i))  by monte-carlo",
        'derivation "product of two independent samples is unbiased"',
        "    E_{x ~ q}[ f(x) ] E_{x ~ q}[ f(x) ]",
        "  ≈ f(x_1) f(x_2)  by monte-carlo",
        'derivation "sample mean of returns"',
        "    E_{τ ~ π_θ}[ R(τ) ]",
        "  ≈ 1/N sum_{i=1}^{N} R(τ_i)  by monte-carlo",
    ])
    verdicts = [s.verdict for d in pgverify.check_text(source).derivations for s in d.steps]
    assert verdicts[0] == "refuted"
    assert verdicts[1] in ("proved", "checked")
    assert verdicts[2] in ("proved", "checked")
