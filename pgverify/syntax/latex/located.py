"""Source locations: text that remembers, character by character, where it came from in the file;
and the small scanners over LaTeX text (control words, matching braces)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass


from ... import model as m

# --------------------------------------------------------------------------- located text


@dataclass(frozen=True)
class Located:
    """Text whose every character remembers its offset in the original text.

    ``origin`` has one entry per character plus one for the end.  Text made
    by a macro expansion takes the offset of the macro call; the arguments
    keep their own.
    """

    text: str
    origin: tuple[int, ...]

    @classmethod
    def of(cls, text: str, start: int = 0) -> Located:
        return cls(text, tuple(range(start, start + len(text) + 1)))

    @classmethod
    def made(cls, text: str, at: int) -> Located:
        """Text that stands for the characters at ``at`` (a macro's expansion)."""
        return cls(text, (at,) * (len(text) + 1))

    def __len__(self) -> int:
        return len(self.text)

    def __getitem__(self, key: slice) -> Located:
        start, stop, _ = key.indices(len(self.text))
        stop = max(start, stop)
        return Located(self.text[start:stop], self.origin[start:stop + 1])

    def __add__(self, other: Located) -> Located:
        if not self.text:
            return other
        if not other.text:
            return Located(self.text, self.origin)
        return Located(self.text + other.text, self.origin[:-1] + other.origin)

    def blank(self, start: int, stop: int) -> Located:
        """The same text with ``[start, stop)`` turned into spaces (newlines kept)."""
        middle = "".join("\n" if c == "\n" else " " for c in self.text[start:stop])
        return Located(self.text[:start] + middle + self.text[stop:], self.origin)

    def strip(self) -> Located:
        text = self.text
        start = len(text) - len(text.lstrip())
        stop = len(text.rstrip())
        return self[start:stop]


def join(pieces: Iterable[Located]) -> Located:
    out = Located("", (0,))
    for piece in pieces:
        out = out + piece
    return out


# --------------------------------------------------------------------------- small scanners


def control_word(text: str, i: int) -> str | None:
    """The control word starting at ``text[i] == '\\\\'`` (letters only), or None."""
    match = re.match(r"\\([A-Za-z]+)", text[i:])
    return match.group(1) if match else None


def match_group(text: str, i: int, open_: str = "{", close: str = "}") -> int:
    """Index just past the bracket that closes ``text[i]`` (escaped ``\\{`` ignored), or -1."""
    depth = 0
    j = i
    while j < len(text):
        ch = text[j]
        if ch == "\\":
            j += 2
            continue
        if ch == open_:
            depth += 1
        elif ch == close:
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return -1


def match_back(text: str, j: int, open_: str = "{", close: str = "}") -> int:
    """Index of the bracket that opens the one closed at ``text[j]``, or -1."""
    depth = 0
    i = j
    while i >= 0:
        ch = text[i]
        escaped = i > 0 and text[i - 1] == "\\" and not (i > 1 and text[i - 2] == "\\")
        if not escaped:
            if ch == close:
                depth += 1
            elif ch == open_:
                depth -= 1
                if depth == 0:
                    return i
        i -= 1
    return -1


def skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i




class LatexError(Exception):
    """A row that could not be read; ``start``/``end`` are offsets in the row text."""

    def __init__(self, start: int, end: int, message: str):
        super().__init__(message)
        self.start = start
        self.end = end
        self.message = message



Locate = Callable[[int, int], m.Span]
