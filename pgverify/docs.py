"""Generated documentation: the README's rule list comes from the catalogue.

``python -m pgverify.docs`` rewrites the part of README.md between the
``<!-- rules:start -->`` and ``<!-- rules:end -->`` markers; ``--check`` only
reports whether it is up to date (as a test does).
"""

from __future__ import annotations

import sys
from pathlib import Path

from .rules import MISCONCEPTIONS, RULES

START, END = "<!-- rules:start -->", "<!-- rules:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rules_markdown() -> str:
    """The rule and misconception tables, as Markdown."""
    lines = ["| rule | statement | side conditions |", "|---|---|---|"]
    for rule in RULES:
        conditions = "; ".join(rule.conditions) or "—"
        lines.append(f"| `{rule.name}` | `{_cell(rule.statement)}` | {_cell(conditions)} |")
    lines += ["", f"Named mistakes ({len(MISCONCEPTIONS)}), reported as a step's diagnosis:", "",
              "| mistake | what an instructor would say |", "|---|---|"]
    for mistake in MISCONCEPTIONS:
        lines.append(f"| `{mistake.name}` | {_cell(mistake.title)} |")
    return "\n".join(lines)


def updated_readme(text: str) -> str:
    """README text with the generated section replaced."""
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{rules_markdown()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    """Rewrite the README's generated section; with ``--check``, only say whether it is up to date (exit 1 if not)."""
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    paths = [a for a in args if a != "--check"]
    path = Path(paths[0]) if paths else Path("README.md")
    text = path.read_text(encoding="utf-8")
    new = updated_readme(text)
    if check:
        if new != text:
            print(f"{path}: the rule list is out of date; run `python -m pgverify.docs`", file=sys.stderr)
            return 1
        return 0
    path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
