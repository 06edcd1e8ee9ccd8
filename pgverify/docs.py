"""Generated documentation: the README's rule list comes from the catalogue.

``python -m pgverify.docs`` rewrites the part of README.md between the
``<!-- rules:start -->`` and ``<!-- rules:end -->`` markers; a test checks
that the README is up to date.
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


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("README.md")
    path.write_text(updated_readme(path.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
