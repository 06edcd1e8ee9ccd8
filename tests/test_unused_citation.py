"""A cited rule that plays no role: the justification `unused` (JSON, text, grading), and the kernel's sharing
of one step's translation and proof between the full and the cited-rules proofs.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import pgverify
from pgverify.grading.assignment import Rubric
from pgverify.grading.score import tally_steps
from pgverify.render.text import JUSTIFICATION_STYLE
from pgverify.report import Report
from pgverify.results import JUSTIFICATIONS, UNUSED

ROOT = Path(__file__).resolve().parent.parent

TEXT = """use rl
claim ∇_θ (R(τ) π_θ(a | s)) = R(τ) ∇_θ π_θ(a | s)    by linearity, log-product
claim log(π_θ(a | s) P(s' | s, a)) = log π_θ(a | s) + log P(s' | s, a)    by log-product
claim log(π_θ(a | s) P(s' | s, a)) = log π_θ(a | s) + log P(s' | s, a)    by log-product, theta-independence
"""
TOWER = """use rl
def Pr_θ(τ) = ρ0(s_0) π_θ(a_0 | s_0) P(s_1 | s_0, a_0)
claim E_{τ ~ π_θ}[b(s_0) c(a_0)] = E_{s_0 ~ ρ0}[E_{a_0 ~ π_θ(·|s_0)}[b(s_0) c(a_0)]]    by tower
"""


def _steps(text: str) -> list[dict]:
    record = Report([pgverify.check_text(text, "unused.pgv")]).to_records()["files"][0]
    return [s for d in record["derivations"] for s in d["steps"]]


def test_a_rule_that_plays_no_role_is_unused_and_named():
    steps = _steps(TEXT)
    assert [s["justification"] for s in steps[:3]] == ["unused", "ok", "unused"]
    assert "log-product played no role" in steps[0]["message"]
    assert "theta-independence played no role" in steps[2]["message"]
    assert all(s["verdict"] == "proved" for s in steps[:3])


def test_a_rule_that_acts_through_the_rules_it_rests_on_is_used():
    # tower has no rewrite of its own: the definitions and expectations it switches on do the work
    (step,) = _steps(TOWER)
    assert step["verdict"] == "proved", step["message"]
    assert step["justification"] == "ok", step["message"]


def test_unused_is_a_status_of_the_schema_and_the_renderer():
    assert UNUSED in JUSTIFICATIONS
    assert UNUSED in JUSTIFICATION_STYLE
    schema = (ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8")
    assert '"unused"' in schema
    text = Report([pgverify.check_text(TEXT, "unused.pgv")]).to_records()
    assert text["files"][0]["derivations"]


def test_grading_does_not_charge_an_unused_citation():
    steps = _steps(TEXT)
    rubric = Rubric()
    assert tally_steps(steps[:3], rubric).badly_justified == 0
    wrong = [dict(steps[0], justification="mismatch")]
    assert tally_steps(wrong, rubric).badly_justified == 1


def test_an_unused_citation_is_not_a_strict_fault():
    from pgverify.report import step_fault_kinds

    result = pgverify.check_text(TEXT, "unused.pgv")
    first = result.derivations[0].steps[0]
    assert first.justification == UNUSED
    assert step_fault_kinds(first, strict=True) == []


# ----------------------------------------------------------------------------- sharing in the kernel

prove_module = importlib.import_module("pgverify.kernel.prove")


@pytest.fixture
def unshared():
    prove_module.SHARE = False
    yield
    prove_module.SHARE = True


CASES = ROOT / "proofs" / "good"


def _verdicts(paths: list[Path]) -> list[tuple]:
    out = []
    for path in paths:
        result = pgverify.check_text(path.read_text(encoding="utf-8"), str(path),
                                     pgverify.Options(in_process=True))
        out += [(path.name, s.line, s.verdict, s.justification, s.message) for d in result.derivations
                for s in d.steps]
    return out


SAMPLE = sorted(CASES.glob("*.pgv"))[:6] + [ROOT / "tests" / "adversarial" / "inequalities.pgv"]


def test_sharing_gives_the_same_results(unshared):
    before = _verdicts(SAMPLE)
    prove_module.SHARE = True
    assert _verdicts(SAMPLE) == before


def test_the_cited_proof_reuses_the_translation_and_the_full_proof():
    from pgverify.checker import _prepare

    source = pgverify.parse("use rl\nclaim log(π_θ(a | s) P(s' | s, a)) = log π_θ(a | s) + log P(s' | s, a)"
                            "    by log-product\n", "share.pgv")
    _, _, contexts, _ = _prepare(source, False)
    step = source.derivations[0].steps[0]
    full = prove_module.prove(step.previous, step.expr, "=", contexts[0])
    memo = prove_module._MEMO.step
    assert full.proved and memo.shown["="].proof is full
    cited = prove_module.prove(step.previous, step.expr, "=", contexts[0], frozenset({"log-product"}))
    assert prove_module._MEMO.step is memo          # translated once
    assert cited is full                            # the full proof's rewrites are all cited: reused
    other = prove_module.prove(step.previous, step.expr, "=", contexts[0], frozenset({"linearity"}))
    assert not other.proved                         # not reused: a rewrite it needs is not cited
