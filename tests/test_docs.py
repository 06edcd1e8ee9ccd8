"""The README stays true: its rule list is the catalogue's, its commands exist."""

from __future__ import annotations

from pathlib import Path

from pgverify.docs import END, START, main, rules_markdown, updated_readme

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_rule_list_is_generated_from_the_catalogue() -> None:
    text = README.read_text(encoding="utf-8")
    assert START in text and END in text
    assert updated_readme(text) == text, "run `python -m pgverify.docs` to regenerate the README's rule list"


def test_the_check_flag_reports_a_stale_readme_without_writing(tmp_path: Path) -> None:
    stale = tmp_path / "README.md"
    stale.write_text(f"intro\n{START}\nold table\n{END}\nrest\n", encoding="utf-8")
    assert main(["--check", str(stale)]) == 1
    assert "old table" in stale.read_text(encoding="utf-8")
    assert main([str(stale)]) == 0 and main(["--check", str(stale)]) == 0
    assert main(["--check", str(README)]) == 0


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
