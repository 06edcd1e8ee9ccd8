"""Steps written to fool the checker (tests/adversarial/): each gets the verdict its `# expect:` names.

The files hold the kinds the soundness review found: claims true only on small models (few actions, short
horizons, some sample counts, small parameters, low-degree functions), near ties, zero over zero,
single-sample estimates, goals whose relations do not compose, and citations on steps without a proof.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pgverify
from pgverify.checker import compose, flip, implies
from pgverify.report import Report

from .expectations import problems, read

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "tests" / "adversarial").glob("*.pgv"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_adversarial_expectations_hold(path: Path) -> None:
    assert read(path).steps or read(path).goals
    record = Report([pgverify.check_text(path.read_text(encoding="utf-8"), str(path))]).to_records()["files"][0]
    assert not record["errors"], record["errors"]
    assert problems(path, record) == []


def test_every_refuted_step_is_named() -> None:
    for path in FILES:
        record = Report([pgverify.check_text(path.read_text(encoding="utf-8"), str(path))]).to_records()["files"][0]
        for d in record["derivations"]:
            for step in d["steps"]:
                if step["verdict"] == "refuted":
                    assert step["diagnosis"] and step["diagnosis"]["name"], (path.name, step["line"])


RELATIONS = ["=", "≤", "<", "≥", ">", "≈", "∝"]
# the composition table of LANGUAGE.md, "Goals", pair by pair (None: the pair gives nothing)
EXPECTED = {
    ("≤", "≤"): "≤", ("≤", "<"): "<", ("<", "≤"): "<", ("<", "<"): "<",
    ("≥", "≥"): "≥", ("≥", ">"): ">", (">", "≥"): ">", (">", ">"): ">",
    ("≈", "≈"): "≈", ("∝", "∝"): "∝",
}


@pytest.mark.parametrize("first", RELATIONS)
@pytest.mark.parametrize("second", RELATIONS)
def test_relations_compose_pair_by_pair(first: str, second: str) -> None:
    if first == "=":
        want = second
    elif second == "=":
        want = first
    else:
        want = EXPECTED.get((first, second))
    assert compose([first, second]) == want


def test_what_a_composed_relation_implies() -> None:
    assert implies("<", "≤") and implies("=", "≤") and implies("=", "≥") and implies("=", "∝")
    assert not implies("≤", "<") and not implies("≤", "=") and not implies("≤", "≥") and not implies("≈", "=")
    assert flip("≤") == "≥" and flip("<") == ">" and flip("=") == "=" and flip("≈") is None


def test_a_step_is_reported_at_the_line_of_its_relation() -> None:
    text = ('use rl\n\nderivation "a start over two lines"\n    ( x\n      + y )\n  = y + x\n\n'
            'derivation "a start continued with a backslash"\n    x + \\\n    y\n  = y + x\n'
            '  = x +\n    y\n')
    result = pgverify.check_text(text, "lines.pgv")
    lines = [s.line for d in result.derivations for s in d.steps]
    assert lines == [6, 11, 12]
