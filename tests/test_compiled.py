"""The compiled evaluator computes what the tree walk computes: the same values, draws and budget.

``falsify.compiled`` turns each node into a closure once, and ``falsify.reuse`` serves definitions
and an estimate's sum terms already computed; the tree walk (``Evaluator.walk``, with
``evaluate.COMPILED`` off) is the reference that does neither.  Both are run here on every step of
proofs/ and on steps written for the cases reuse must not get wrong; any difference in a value (every
Taylor coefficient, bit for bit), in the free draws, in the budget spent or in the outcome fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pgverify import falsify
from pgverify.falsify import evaluate, jets, search
from pgverify.semantics import build_context
from pgverify.syntax import parse_file, parse_source

ROOT = Path(__file__).resolve().parent.parent


def _steps(source) -> list[tuple[Any, Any]]:
    out = []
    lemmas: dict = {}
    for d in source.derivations:
        ctx = build_context(source.declarations, d.declarations, dict(lemmas))
        if d.lemma and d.goal is not None:
            lemmas[d.lemma] = (d.goal.lhs, d.goal.relation, d.goal.rhs)
        out.extend((step, ctx) for step in d.steps if step.previous is not None and step.expr is not None)
    return out


def _numbers(v: Any) -> Any:
    return v if isinstance(v, int) else jets.coefficients(v)


def _run(steps: list[tuple[Any, Any]], compiled: bool, monkeypatch: pytest.MonkeyPatch, n_models: int) -> list:
    """Every comparison's outcome, with what each model's evaluation gave, drew and spent."""
    monkeypatch.setattr(evaluate, "COMPILED", compiled)
    log: list = []
    sides = search._sides

    def logged(lhs, rhs, relation, ev, tables, side_defined):
        try:
            a, b = sides(lhs, rhs, relation, ev, tables, side_defined)
        except Exception as err:
            log.append(("error", type(err).__name__, str(err), ev.budget, sorted(ev.free.items(), key=str)))
            raise
        log.append((_numbers(a), _numbers(b), ev.budget, getattr(ev, "extra_work", 0),
                    repr(sorted(ev.free.items(), key=str))))
        return a, b

    monkeypatch.setattr(search, "_sides", logged)
    out = []
    for step, ctx in steps:
        ctx.memo.clear()   # what one mode compiled and kept is not seen by the other
    for step, ctx in steps:
        log.clear()
        try:
            o = falsify.compare(step.previous, step.expr, step.relation, ctx, 0, n_models)
            result: tuple = (o.status, o.models, o.reason, repr(o.counterexample), o.coverage)
        except Exception as err:  # an unsupported step says so the same way in both
            result = ("raised", type(err).__name__, str(err))
        out.append((step.span.line, result, list(log)))
    return out


def _same_both_ways(steps: list[tuple[Any, Any]], monkeypatch: pytest.MonkeyPatch, n_models: int) -> None:
    walked = _run(steps, False, monkeypatch, n_models)
    compiled = _run(steps, True, monkeypatch, n_models)
    assert len(walked) == len(compiled) == len(steps)
    for w, c in zip(walked, compiled):
        assert w == c, f"line {w[0]}: the compiled evaluator differs from the tree walk"


@pytest.mark.parametrize("path", sorted((ROOT / "proofs").rglob("*.pgv")), ids=lambda p: p.name)
def test_every_step_of_proofs_evaluates_alike(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    steps = _steps(parse_file(path))
    # a file's steps share their context, so its compiled closures and model tables carry from step to step
    _same_both_ways(steps, monkeypatch, n_models=3 if "monte_carlo" not in path.name else 2)


CASES = {
    # a definition over a space of its own: reusing it must still give the space its size in the model
    "space": """
use rl
dist p(x)
fun f(x)
def g(x) = f(x)^2 + 1
derivation "a sum over x"
    sum_x p(x) g(x)
  = sum_x p(x) f(x)^2 + 1
  = sum_x p(x) (f(x)^2 + 2)
""",
    # a definition reading a free variable: reused within a draw, recomputed for another draw
    "free": """
param θ
fun f(x)
def h(y) = f(y) + z θ
derivation "free"
    h(1) + h(2)
  = h(2) + h(1)
  = h(1) + h(1)
""",
    # an estimate whose terms read their own samples, and one whose terms read every sample
    "estimates": """
dist p(x)
fun f(x)
derivation "sample mean"
    E_{x ~ p}[ f(x) ]
  ≈ 1/N sum_{i=1}^{N} f(x_i)
  ≈ 1/N sum_{i=1}^{N} f(x_i) f(x_1)
derivation "interacting"
    E_{x ~ p}[ f(x)^2 ]
  ≈ 1/N sum_{i=1}^{N} f(x_i) sum_{j=1}^{N} f(x_j) / N
""",
    # near ties (differences of rounding size in floats), decided again in high precision: the same
    # closures, with mpmath
    "near tie": """
fun f(x)
derivation "apart"
    f(y)
  = 1.000000001 f(y)
derivation "rounding"
    exp(20) + y - exp(20)
  = y
""",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_written_cases_evaluate_alike(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _same_both_ways(_steps(parse_source(CASES[name], "case.pgv")), monkeypatch, n_models=6)


def test_a_near_tie_is_still_decided_in_high_precision(monkeypatch: pytest.MonkeyPatch) -> None:
    steps = _steps(parse_source(CASES["near tie"], "case.pgv"))
    decided: list = []
    precisely = search._precisely

    def counted(*args: Any) -> Any:
        decided.append(precisely(*args))
        return decided[-1]

    monkeypatch.setattr(search, "_precisely", counted)
    outcomes = [falsify.compare(s.previous, s.expr, s.relation, ctx, 0, 6).status for s, ctx in steps]
    assert outcomes == ["differ", "agree"]
    assert False in decided and True in decided   # both were near ties in floats, told apart in mpmath
