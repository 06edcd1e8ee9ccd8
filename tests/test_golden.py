"""Golden test: every step of every derivation file gets the verdict its `# expect:` comment names."""

from __future__ import annotations

from pathlib import Path

import pytest

import pgverify
from pgverify.report import Report

from .expectations import problems, read

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "proofs").rglob("*.pgv")) + sorted((ROOT / "tests" / "cases").rglob("*.pgv"))


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_every_expectation_holds(path: Path) -> None:
    assert read(path).steps or read(path).goals, f"{path} has no `# expect:` comments"
    report = Report([pgverify.check_text(path.read_text(encoding="utf-8"), str(path))])
    record = report.to_records()["files"][0]
    assert not record["errors"], record["errors"]
    assert problems(path, record) == []


def test_the_library_is_not_empty() -> None:
    assert len([f for f in FILES if "proofs" in f.parts]) >= 10
