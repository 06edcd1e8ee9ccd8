"""Logical lines: a .pgv file cut into the pieces the grammar parses one at a time.

A logical line joins physical lines while brackets are open or a line ends
in ``\\``; comments become spaces, so every column stays true.
"""

from __future__ import annotations

import re

from ...model.records import finish, record

# the relations a step may use, as written → as meant
RELATIONS = {"=": "=", "≈": "≈", "~=": "≈", "≤": "≤", "<=": "≤", "≥": "≥", ">=": "≥", "∝": "∝", "propto": "∝",
             "<": "<", ">": ">"}
KEYWORDS = ("use", "param", "dist", "fun", "depends", "def", "derivation", "goal", "lemma", "claim")
# every line break str.splitlines knows (CR LF, LF, CR, VT, FF, FS, GS, RS, NEL, LINE and PARAGRAPH SEPARATOR):
# a claim after any of them is a line of its own, never swallowed by the line before
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_NEW_LINE_START = re.compile(r"\s*(?:(?:" + "|".join(KEYWORDS) + r")\b|~=|<=|>=|=|≈|≤|≥|∝|<|>)")


@record(slots=False)
class LogicalLine:
    text: str        # the joined text, comments blanked, newlines kept (so columns stay true)
    line: int        # first physical line (1-based)
    last_line: int


def physical_lines(source: str) -> list[str]:
    """``source`` cut at every line break ``str.splitlines`` knows (a final break leaves an empty last line,
    as ``split("\\n")`` does, so line numbers count the breaks)."""
    return _LINE_BREAK.split(source)


def logical_lines(source: str) -> list[LogicalLine]:
    """Cut ``source`` into logical lines; comments become spaces so positions stay true."""
    physical = physical_lines(source)
    out: list[LogicalLine] = []
    buf: list[str] = []
    start = 0
    depth = 0
    for number, raw in enumerate(physical, 1):
        text, delta, continues = _strip_line(raw)
        if buf and depth > 0 and (not text.strip() or _NEW_LINE_START.match(text)):
            # an unclosed bracket: do not swallow the next statement or step
            out.append(LogicalLine("\n".join(buf), start, number - 1))
            buf, depth = [], 0
        if not buf:
            if not text.strip():
                continue
            start = number
        buf.append(text)
        depth = max(0, depth + delta)
        if depth == 0 and not continues:
            out.append(LogicalLine("\n".join(buf), start, number))
            buf = []
    if buf:
        out.append(LogicalLine("\n".join(buf), start, len(physical)))
    return out


def _strip_line(raw: str) -> tuple[str, int, bool]:
    """Blank out a comment, count bracket depth change, and see a trailing backslash."""
    chars = list(raw)
    depth = 0
    in_string = False
    for i, ch in enumerate(chars):
        if in_string:
            in_string = ch != '"'
        elif ch == '"':
            in_string = True
        elif ch == "#":
            chars[i:] = " " * (len(chars) - i)
            break
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
    text = "".join(chars).replace("\r", " ")
    stripped = text.rstrip()
    continues = stripped.endswith("\\")
    if continues:
        text = stripped[:-1] + " "
    return text, depth, continues


finish(__name__)   # the methods of this module's records, made at once (see model/records.py)
