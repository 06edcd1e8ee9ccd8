"""Justifications: the ``\\text{…}`` (or ``% comment``, ``\\stackrel``) that says why a row holds."""

from __future__ import annotations

import re
from dataclasses import dataclass


from .located import match_back, match_group
from .names import GREEK_LETTERS

# --------------------------------------------------------------------------- justifications

_TEXT_COMMANDS = ("text", "textrm", "textit", "textsf", "textbf", "textnormal", "mbox", "hbox", "mathrm",
                  "textup", "emph")
_SPACING_TAIL = re.compile(r"(\\(quad|qquad|scriptstyle|textstyle|displaystyle|scriptsize|small|footnotesize|"
                           r"hfill|enspace|enskip|thinspace|medspace|thickspace|left|right|big|Big|bigg|Bigg|"
                           r"bigl|bigr|Bigl|Bigr)(?![A-Za-z])|\\[,;:! ]|&|~|\s+)$")


@dataclass(frozen=True)
class Note:
    text: str
    start: int       # offset in the row where the note begins
    end: int


def take_note(text: str) -> Note | None:
    """The justification at the end of a row, if any: ``\\text{…}`` after ``&``/``\\quad``, in parentheses,
    inside ``{\\scriptstyle …}``; or a last alignment cell that starts with ``\\text``."""
    end = len(text.rstrip())
    while end > 0 and text[end - 1] in ".,;" and not text[:end].endswith("\\,") and \
            not text[:end].endswith("\\;"):
        end = len(text[:end - 1].rstrip())
    try:
        found = _peel(text, end)
    except RecursionError:  # groups nested thousands deep hold no justification
        return None
    if found is not None:
        reached, words = found
        return Note(plain(words), reached, end)
    return _note_cell(text)


_GROUP_TAKERS = re.compile(r"\\(quad|qquad|scriptstyle|textstyle|scriptsize|small|footnotesize)\s*$")


def _peel(text: str, end: int) -> tuple[int, str] | None:
    """Peel justification pieces off the end of ``text[:end]``: where the peeling stopped, and the words;
    None when no text was found."""
    pos = end
    words: list[str] = []
    while pos > 0:
        head = text[:pos]
        spacing = _SPACING_TAIL.search(head)
        if spacing:
            pos = spacing.start()
            continue
        if head.endswith("}"):
            opening = match_back(text, pos - 1)
            if opening < 0:
                break
            command = re.search(r"\\([A-Za-z]+)\s*$", text[:opening])
            inner = text[opening + 1:pos - 1]
            if command and command.group(1) in _TEXT_COMMANDS:
                if command.group(1) == "mathrm" and not re.search(r"[A-Za-z]{2,}", inner):
                    break  # \mathrm{d}\tau is math, not a note
                words.insert(0, inner)
                pos = command.start()
                continue
            if command and command.group(1) == "color":
                pos = command.start()
                continue
            wrapper = re.search(r"\\(textcolor|colorbox)\s*\{[^{}]*\}\s*$", text[:opening])
            if command is None or wrapper or _GROUP_TAKERS.search(text[:opening]):
                sub = _peel(inner, len(inner))
                if sub is not None and not inner[:sub[0]].strip():
                    words.insert(0, sub[1])
                    pos = wrapper.start() if wrapper else opening
                    continue
            break
        if head.endswith(")"):
            opening = match_back(text, pos - 1, "(", ")")
            if opening < 0:
                break
            inner = text[opening + 1:pos - 1]
            sub = _peel(inner, len(inner.rstrip()))
            if sub is not None and not inner[:sub[0]].strip():
                words.insert(0, sub[1])
                pos = opening
                continue
            break
        break
    if not words:
        return None
    return pos, " ".join(words)


def _note_cell(text: str) -> Note | None:
    cells = _cells(text)
    if len(cells) < 3:
        return None
    for start, end in reversed(cells[2:]):
        cell = text[start:end]
        if not cell.strip():
            continue
        opening = re.match(r"(\s|\\(quad|qquad|scriptstyle|left|big|Big)(?![A-Za-z])|\\[,;:! ]|\(|\{)*"
                           r"\\(" + "|".join(_TEXT_COMMANDS) + r")\s*\{", cell)
        if opening:
            return Note(plain(cell), start - 1, len(text))
        return None
    return None


def _cells(text: str) -> list[tuple[int, int]]:
    """The alignment cells of a row: spans between ``&`` outside groups."""
    cells = []
    depth = 0
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "&" and depth == 0:
            cells.append((start, i))
            start = i + 1
        i += 1
    cells.append((start, len(text)))
    return cells


def plain(latex: str) -> str:
    """A justification as words: ``\\text{Log-derivative trick}`` → ``Log-derivative trick``."""
    text = latex
    text = re.sub(r"\\(" + "|".join(_TEXT_COMMANDS) + r")\s*\{", "{", text)
    text = re.sub(r"\\(color|textcolor|colorbox)\s*\{[^{}]*\}", "", text)
    text = re.sub(r"\\(quad|qquad|scriptstyle|textstyle|left|right|big|Big)(?![A-Za-z])|\\[,;:! ]|&|~", " ", text)
    text = re.sub(r"\\([A-Za-z]+)", lambda mt: GREEK_LETTERS.get(mt.group(1), mt.group(1)), text)
    text = text.replace("$", "").replace("{", "").replace("}", "").replace("\\", "")
    text = " ".join(text.split())
    while text.startswith("(") and text.endswith(")") and match_group(text, 0, "(", ")") == len(text):
        text = text[1:-1].strip()
    # `\text{by linearity}` cites `linearity`, as `by linearity` does in the .pgv language
    return re.sub(r"^by\s+", "", text.strip(" .:;,"), flags=re.IGNORECASE)
