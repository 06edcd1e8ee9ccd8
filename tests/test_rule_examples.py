"""Every rule's examples and every misconception's example get the verdicts the catalogue promises.

A rule's ``valid_example`` must check with no error and no step refuted or
unknown; its ``flawed_example`` must have a refuted step that cites the rule.
A misconception's ``example`` must have a refuted step.
"""

from __future__ import annotations

import pytest

import pgverify
from pgverify import Options
from pgverify.results import FileResult
from pgverify.rules import MISCONCEPTIONS, RULES

OPTIONS = Options(time_limit=5)
RULES_BY_NAME = {r.name: r for r in RULES}
MISCONCEPTIONS_BY_NAME = {m.name: m for m in MISCONCEPTIONS}


def _describe(result: FileResult) -> str:
    lines = [f"error {e.span.line}:{e.span.column}: {e.message}" for e in result.errors]
    for d in result.derivations:
        lines.append(f"{d.title}: goal {d.goal} {d.goal_message}")
        lines += [f"  L{s.line} {s.verdict} [{s.justification}] {s.text} -- {s.message}" for s in d.steps]
    return "\n".join(lines)


def _steps(result: FileResult) -> list:
    return [s for d in result.derivations for s in d.steps]


def test_the_catalogues_are_not_empty() -> None:
    assert len(RULES) >= 10 and len(MISCONCEPTIONS) >= 5
    assert len(RULES_BY_NAME) == len(RULES) and len(MISCONCEPTIONS_BY_NAME) == len(MISCONCEPTIONS)


@pytest.mark.parametrize("name", list(RULES_BY_NAME))
def test_valid_example_holds(name: str) -> None:
    rule = RULES_BY_NAME[name]
    result = pgverify.check_text(rule.valid_example, f"<{name}>", OPTIONS)
    shown = _describe(result)
    assert not result.errors, shown
    steps = _steps(result)
    assert steps, shown
    assert all(s.verdict in ("proved", "checked") for s in steps), shown
    assert all(d.goal != "not-reached" for d in result.derivations), shown


@pytest.mark.parametrize("name", list(RULES_BY_NAME))
def test_flawed_example_is_refuted(name: str) -> None:
    rule = RULES_BY_NAME[name]
    result = pgverify.check_text(rule.flawed_example, f"<{name}>", OPTIONS)
    shown = _describe(result)
    assert not result.errors, shown
    refuted = [s for s in _steps(result) if s.verdict == "refuted"]
    assert refuted, shown
    assert any(name in s.rules for s in refuted), shown
    assert all(s.counterexample for s in refuted), shown


@pytest.mark.parametrize("name", list(MISCONCEPTIONS_BY_NAME))
def test_misconception_example_is_refuted(name: str) -> None:
    mistake = MISCONCEPTIONS_BY_NAME[name]
    result = pgverify.check_text(mistake.example, f"<{name}>", OPTIONS)
    shown = _describe(result)
    assert not result.errors, shown
    assert any(s.verdict == "refuted" for s in _steps(result)), shown
