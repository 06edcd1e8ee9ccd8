"""The language reference stays true: every ```pgverify block of docs/language.md is valid input.

Each block is a complete file. It must read without a syntax error, and when it carries
`# expect:` comments, every step must get the verdict they name (the golden tests' reading of
those comments, tests/expectations.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import pgverify
from pgverify.report import Report

from .expectations import problems, read

DOC = Path(__file__).resolve().parent.parent / "docs" / "language.md"
# a fence opens with ```pgverify on its own line and closes with the next ``` line
_BLOCK = re.compile(r"^```pgverify[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


def _blocks() -> list[tuple[int, str]]:
    """Every pgverify block with the doc line its first line of code is on."""
    text = DOC.read_text(encoding="utf-8")
    return [(text.count("\n", 0, match.start(1)) + 1, match.group(1)) for match in _BLOCK.finditer(text)]


BLOCKS = _blocks()


def test_the_doc_has_examples() -> None:
    assert len(BLOCKS) >= 5
    assert sum(1 for _, code in BLOCKS if "# expect:" in code) >= 5


@pytest.mark.parametrize(("line", "code"), BLOCKS, ids=[f"line{line}" for line, _ in BLOCKS])
def test_block_is_valid_input_with_its_expected_verdicts(line: int, code: str, tmp_path: Path) -> None:
    path = tmp_path / f"language_md_line{line}.pgv"
    path.write_text(code, encoding="utf-8")
    record = Report([pgverify.check_text(code, str(path))]).to_records()["files"][0]
    assert record["errors"] == [], f"docs/language.md block at line {line}: {record['errors']}"
    assert record["derivations"], f"docs/language.md block at line {line} checks nothing"
    expected = read(path)
    if expected.steps or expected.goals:
        assert problems(path, record) == [], f"docs/language.md block at line {line}"
