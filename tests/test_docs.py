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


# --------------------------------------------------------------------------- docs/rules/

RULES_DIR = README.parent / "docs" / "rules"


def test_docs_rules_is_generated_from_the_catalogue() -> None:
    """Regenerating gives the same files: no page missing, none stale, none edited by hand."""
    from pgverify.docs import rule_pages

    pages = rule_pages()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in RULES_DIR.glob("*.md")}
    assert sorted(on_disk) == sorted(pages), "run `python -m pgverify.docs` to regenerate docs/rules/"
    for name, text in pages.items():
        assert on_disk[name] == text, f"docs/rules/{name} is out of date: run `python -m pgverify.docs`"


def test_there_is_a_page_per_rule_and_per_mistake_with_their_parts() -> None:
    from pgverify.docs import code, rule_pages
    from pgverify.rules import MISCONCEPTIONS, RULES, misconceptions_for

    pages = rule_pages()
    assert len(pages) == len(RULES) + len(MISCONCEPTIONS) + 1   # and the index
    for rule in RULES:
        page = pages[f"{rule.name}.md"]
        assert page.startswith(f"# `{rule.name}`\n")
        for part in (rule.statement, rule.purpose, rule.valid_example.rstrip(), rule.flawed_example.rstrip(),
                     *rule.conditions, *(m.title for m in misconceptions_for(rule.name))):
            assert part in page, (rule.name, part)
        for mistake in misconceptions_for(rule.name):
            assert f"]({mistake.name}.md)" in page
    for mistake in MISCONCEPTIONS:
        page = pages[f"{mistake.name}.md"]
        for part in (mistake.title, mistake.hint, mistake.example.rstrip(), *(f"]({r}.md)" for r in mistake.rules)):
            assert part in page, (mistake.name, part)
    index = pages["README.md"]
    assert all(f"]({n}.md)" in index for n in [r.name for r in RULES] + [m.name for m in MISCONCEPTIONS])
    # inline code survives backticks inside it
    assert code("a `b` c") == "`` a `b` c ``" and code("plain") == "`plain`"


def test_every_page_link_leads_to_a_page() -> None:
    import re

    from pgverify.docs import rule_pages

    pages = rule_pages()
    for name, text in pages.items():
        for target in re.findall(r"\]\(([^)]+)\)", text):
            assert target in pages, (name, target)
    readme = README.read_text(encoding="utf-8")
    section = readme.split("<!-- rules:start -->", 1)[1].split("<!-- rules:end -->", 1)[0]
    targets = re.findall(r"\]\((docs/rules/[^)]+)\)", section)
    assert targets and all((README.parent / t).is_file() for t in targets)
