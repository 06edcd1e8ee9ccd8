"""The README stays true: its rule list is the catalogue's, its commands exist."""

from __future__ import annotations

from pathlib import Path

from pgverify.docs import END, START, rules_markdown, updated_readme

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_rule_list_is_generated_from_the_catalogue() -> None:
    text = README.read_text(encoding="utf-8")
    assert START in text and END in text
    assert updated_readme(text) == text, "run `python -m pgverify.docs` to regenerate the README's rule list"


def test_rule_list_names_the_core_rules() -> None:
    table = rules_markdown()
    for name in ("log-product", "log-derivative", "theta-independence", "definition", "exchange", "expectation"):
        assert f"`{name}`" in table


def test_readme_first_screen_has_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("##", 1)[0]
    blocks = [b for b in quick.split("```sh")[1:]]
    commands = [b.split("```", 1)[0].strip() for b in blocks]
    assert len(commands) == 2
    assert "pip install" in commands[0] and "pgverify check" in commands[0]
    assert "pytest" in commands[1]
