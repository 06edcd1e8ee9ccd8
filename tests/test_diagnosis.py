"""Issue 3's promise: every flawed variant in proofs/ is refuted with its mistake named."""

from __future__ import annotations

from pathlib import Path

import pytest

import pgverify
from pgverify.rules import MISCONCEPTIONS

from .expectations import read

ROOT = Path(__file__).resolve().parent.parent
FLAWED = sorted((ROOT / "proofs" / "flawed").glob("*.pgv"))
NAMES = {m.name for m in MISCONCEPTIONS}

# files named after a situation rather than a catalogue entry: the mistake they show
SHOWN_BY = {
    "baseline-depends-on-action-in-trajectory": "action-dependent-baseline",
    "baseline-depends-on-later-state": "action-dependent-baseline",
    "eglp-without-expectation": "eglp-applied-pointwise",
    "off-by-one-in-product-bounds": "off-by-one-in-bounds",
    "off-by-one-in-reward-to-go-bounds": "off-by-one-in-bounds",
    "off-by-one-in-sample-mean-bounds": "off-by-one-in-bounds",
    "sign-slip-in-log-of-quotient": "sign-slip-in-log-of-reciprocal",
    "theta-dependent-dynamics-treated-as-independent": "theta-dependent-term-treated-as-independent",
}


@pytest.mark.parametrize("path", FLAWED, ids=lambda p: p.stem)
def test_each_flawed_step_is_refuted_and_its_mistake_named(path: Path) -> None:
    expected = SHOWN_BY.get(path.stem, path.stem)
    assert expected in NAMES, f"{path.name}: name the file after a catalogue entry or map it in SHOWN_BY"
    result = pgverify.check_text(path.read_text(encoding="utf-8"), str(path))
    refuted_lines = {line for line, (verdict, _) in read(path).steps.items() if verdict == "refuted"}
    assert refuted_lines
    steps = {s.line: s for d in result.derivations for s in d.steps}
    for line in sorted(refuted_lines):
        step = steps[line]
        assert step.verdict == "refuted"
        assert step.diagnosis is not None, f"{path.name}:{line}: no mistake named"
        assert step.diagnosis["name"] == expected, f"{path.name}:{line}: named {step.diagnosis['name']}"
        assert step.diagnosis["hint"] and step.diagnosis["title"]


def test_the_seed_mistakes_are_named() -> None:
    path = ROOT / "proofs" / "seed" / "seed_decomposition_flawed.pgv"
    result = pgverify.check_text(path.read_text(encoding="utf-8"), str(path))
    named = [s.diagnosis["name"] for d in result.derivations for s in d.steps if s.diagnosis]
    assert named == ["policy-term-dropped-instead-of-dynamics", "log-of-product-as-product-of-logs",
                     "theta-dependent-term-treated-as-independent"]


def test_the_text_report_tells_the_mistake_in_one_line() -> None:
    path = ROOT / "proofs" / "flawed" / "reward-to-go-reversed.pgv"
    from pgverify.render import RENDERERS
    from pgverify.report import Report

    text = RENDERERS["text"](Report([pgverify.check_text(path.read_text(encoding="utf-8"), str(path))]))
    mistakes = [line for line in text.splitlines() if line.strip().startswith("mistake:")]
    assert mistakes and all("Past rewards were kept and future rewards dropped" in line for line in mistakes)
