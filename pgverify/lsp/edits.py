"""What the language server says and proposes, as plain text and line edits (no protocol here).

* :func:`suppression` — the ``pgverify: ignore[name]`` comment that silences a
  fault, in the comment syntax of the place it goes: ``#`` in the derivation
  language (``.pgv``, a fenced or ``code-block`` pgverify block), ``%`` in
  LaTeX and inside display math, ``<!-- … -->`` in Markdown text and
  ``.. pgverify: ignore[…]`` in reST text.  It goes on a line of its own just
  above the faulty line, with that line's indentation: each reader (see the
  docstrings in :mod:`pgverify.readers`) reads such a comment as silencing the
  next non-blank line, which is where the fault is reported.
* :func:`definition` — a ``def`` for a function a step unfolds ``by definition``
  when the file defines no such function.
* :func:`hover` — a step's verdict, its two sides and counterexample, in Markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from ..results import StepResult

MARKS = {"proved": "✓ proved", "checked": "✓ checked", "refuted": "✗ refuted", "unknown": "? unknown"}
_FENCE = re.compile(r"^\s*(```+|~~~+)\s*(\S*)")
_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+(math|code-block|code|sourcecode)::\s*(\S*)")


@dataclass(frozen=True)
class Insertion:
    """Text to insert before a line (0-based) of the document."""

    line: int
    text: str
    title: str


def _kind(path: str) -> str:
    suffix = PurePath(path).suffix.lower()
    return {".md": "md", ".markdown": "md", ".mdx": "md", ".tex": "tex", ".rst": "rst",
            ".ipynb": "ipynb"}.get(suffix, "pgv")


def _markdown_place(lines: list[str], target: int) -> str:
    """``pgv`` in a pgverify fence, ``math`` inside display math, ``text`` elsewhere (before ``target``)."""
    fence, dollars, envs = None, 0, 0
    for line in lines[:target]:
        found = _FENCE.match(line)
        if found and fence is None:
            fence = found.group(2).lower() or "-"
            continue
        if found and fence is not None:
            fence = None
            continue
        if fence is not None:
            continue
        dollars += line.count("$$")
        if dollars % 2 == 0:
            envs += len(re.findall(r"\\begin\s*\{", line)) - len(re.findall(r"\\end\s*\{", line))
    if fence is not None:
        return "pgv" if fence == "pgverify" else "code"
    return "math" if dollars % 2 or envs > 0 else "text"


def _rest_place(lines: list[str], target: int) -> str:
    """``pgv`` in a ``code-block:: pgverify``, ``math`` in a ``.. math::`` body, ``text`` elsewhere."""
    indent = len(lines[target]) - len(lines[target].lstrip())
    for line in reversed(lines[:target]):
        if indent == 0:
            break
        own = len(line) - len(line.lstrip())
        if not line.strip() or own >= indent:
            continue
        found = _DIRECTIVE.match(line)
        if found:   # the directive whose body holds the line
            if found.group(2) == "math":
                return "math"
            return "pgv" if found.group(3).lower() == "pgverify" else "code"
        indent = own   # a less indented line of text: the line is in it; look further up
    return "text"


def suppression(path: str, text: str, line: int, name: str) -> Insertion | None:
    """The comment silencing the fault ``name`` reported at ``line`` (1-based); None where none can go."""
    lines = text.splitlines()
    target = line - 1
    if not 0 <= target < len(lines) or not re.fullmatch(r"[\w.-]+", name):
        return None
    kind = _kind(path)
    place = {"md": _markdown_place, "rst": _rest_place}.get(kind, lambda _l, _t: kind)(lines, target)
    indent = re.match(r"\s*", lines[target]).group(0)
    comment = {
        "pgv": f"# pgverify: ignore[{name}]",
        "tex": f"% pgverify: ignore[{name}]",
        "math": f"% pgverify: ignore[{name}]",
        "text": f"<!-- pgverify: ignore[{name}] -->" if kind == "md" else f".. pgverify: ignore[{name}]",
    }.get(place)
    if comment is None:   # a notebook's JSON, or a code block of another language
        return None
    return Insertion(target, f"{indent}{comment}\n", f"Ignore {name} here (pgverify: ignore[{name}])")


def definition(path: str, text: str, derivation_line: int, step: StepResult) -> Insertion | None:
    """A ``def`` for the function a ``by definition`` step unfolds, when the file has none (``.pgv`` only)."""
    from ..render.mathml import read   # the side's text read back with pgverify's own parser

    if _kind(path) != "pgv" or "definition" not in step.rules or step.verdict not in ("refuted", "unknown"):
        return None
    left = read(step.lhs)
    if left is None or type(left).__name__ != "Call":
        return None
    name = left.func.key()
    if re.search(rf"^\s*def\s+{re.escape(name)}\s*\(", text, re.MULTILINE):
        return None
    target = derivation_line - 1
    if not 0 <= target <= len(text.splitlines()):
        return None
    return Insertion(target, f"def {step.lhs} = {step.rhs}\n\n", f"Define {name} as this step unfolds it")


def _cell(value: Any) -> str:
    shown = f"{value:.6g}" if isinstance(value, float) else str(value)
    return shown.replace("|", "\\|").replace("\n", " ")


def hover(step: StepResult) -> str:
    """A step's verdict, sides and counterexample, as Markdown for an editor's hover."""
    out = [f"**{MARKS.get(step.verdict, step.verdict)}**"]
    if step.diagnosis:
        out[0] += f" — {step.diagnosis.get('title', step.diagnosis['name'])} `[{step.diagnosis['name']}]`"
        if step.diagnosis.get("hint"):
            out.append(f"*hint:* {step.diagnosis['hint']}")
    if step.cited:
        out.append("by " + ", ".join(step.rules or step.cited) + (f" [{step.justification}]" if step.justification else ""))
    sides = [f"left:  {step.lhs}", f"right: {step.rhs}"]
    if step.difference and tuple(step.difference) != (step.lhs, step.rhs):
        sides.append(f"they differ at: {step.difference[0]}  vs  {step.difference[1]}")
    out.append("```\n" + "\n".join(sides).replace("```", "` ` `") + "\n```")
    cex = step.counterexample
    if cex:
        sizes = {k: v for k, v in cex.items() if k not in ("lhs", "rhs", "assignments")}
        heads = [*sizes, "left side", "right side"]
        cells = [*sizes.values(), cex.get("lhs", ""), cex.get("rhs", "")]
        out.append("counterexample:\n\n| " + " | ".join(_cell(h) for h in heads) + " |\n|"
                   + "---:|" * len(heads) + "\n| " + " | ".join(_cell(c) for c in cells) + " |")
        if cex.get("assignments"):
            out.append("with " + ", ".join(f"`{_cell(k)} = {_cell(v)}`" for k, v in cex["assignments"].items()))
    if step.message and step.verdict != "refuted" or step.verdict == "refuted" and not cex and step.message:
        out.append(step.message)
    return "\n\n".join(out)
