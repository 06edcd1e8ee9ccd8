"""Jupyter notebooks (``.ipynb``): the markdown cells, read as Markdown.

nbformat reads the notebook (any version, upgraded to 4).  Lines in the
report are lines of the ``.ipynb`` file itself: a small scan of the JSON text
finds where each character of each markdown cell's ``source`` stands (a
notebook saved by Jupyter keeps one source line per JSON line), so a step is
reported at the JSON line that holds it and the caret under its column.
Markers, preambles and macros hold across cells, in notebook order.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from json.decoder import scanstring  # type: ignore[attr-defined]

import nbformat

from .. import model as m
from .base import ReadOptions, Text, assemble
from .markdown import markdown_events


def read_notebook(source: str, path: str, options: ReadOptions) -> tuple[m.SourceFile, list[m.SyntaxIssue]]:
    lines = source.split("\n")
    try:
        notebook = nbformat.reads(source, as_version=4, capture_validation_error={})
    except Exception as err:  # noqa: BLE001 - nbformat raises many kinds for a broken file
        message = " ".join(str(err).split()) or type(err).__name__
        issue = m.SyntaxIssue(m.Span(1, 1, 1, 2), f"not a readable notebook: {message[:200]}")
        return m.SourceFile(path, (), (), (issue,), tuple(lines)), []
    positions = _cell_sources(source)
    line_starts = [0] + [i + 1 for i, ch in enumerate(source) if ch == "\n"]

    def file_position(offset: int) -> tuple[int, int]:
        k = bisect_right(line_starts, offset) - 1
        return k + 1, offset - line_starts[k] + 1

    events = []
    texts = []
    for index, cell in enumerate(notebook.cells):
        if cell.get("cell_type") != "markdown":
            continue
        cell_text = cell.get("source", "")
        if isinstance(cell_text, list):
            cell_text = "".join(cell_text)
        texts.append(cell_text)
        raw = positions.get(index)
        if raw is not None and len(raw[0]) == len(cell_text) and raw[1] == cell_text:
            offsets = raw[0]
        else:  # not a plain version-4 file: every character at the start of the cell's source
            anchor = raw[0][0] if raw and raw[0] else 0
            offsets = [anchor] * len(cell_text)

        def position(offset: int, offsets=offsets) -> tuple[int, int]:
            if not offsets:
                return 1, 1
            if offset >= len(offsets):
                return file_position(offsets[-1] + 1)
            return file_position(offsets[offset])

        events.extend(markdown_events(Text(cell_text, position)))
    return assemble(path, lines, events, options, texts)


# --------------------------------------------------------------------------- where the cells stand


def _cell_sources(text: str) -> dict[int, tuple[list[int], str]]:
    """For each cell index: the file offset of every character of its source, and the source."""
    found: dict[int, tuple[list[int], str]] = {}
    try:
        _Scanner(text, found).value(0, ())
    except (ValueError, IndexError):
        return found
    return found


class _Scanner:
    """Walks JSON text and records the characters of ``cells[i].source`` (a string or a list of them)."""

    _LITERAL = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null")

    def __init__(self, text: str, found: dict[int, tuple[list[int], str]]):
        self.text = text
        self.found = found

    def _space(self, i: int) -> int:
        while i < len(self.text) and self.text[i] in " \t\r\n":
            i += 1
        return i

    def value(self, i: int, path: tuple) -> int:
        i = self._space(i)
        ch = self.text[i]
        if ch == "{":
            i = self._space(i + 1)
            if self.text[i] == "}":
                return i + 1
            while True:
                i = self._space(i)
                key, i = scanstring(self.text, i + 1)
                i = self._space(i)
                if self.text[i] != ":":
                    raise ValueError("expected ':'")
                i = self.value(i + 1, path + (key,))
                i = self._space(i)
                if self.text[i] == ",":
                    i += 1
                    continue
                if self.text[i] == "}":
                    return i + 1
                raise ValueError("expected ',' or '}'")
        if ch == "[":
            i = self._space(i + 1)
            if self.text[i] == "]":
                return i + 1
            k = 0
            while True:
                i = self.value(i, path + (k,))
                k += 1
                i = self._space(i)
                if self.text[i] == ",":
                    i += 1
                    continue
                if self.text[i] == "]":
                    return i + 1
                raise ValueError("expected ',' or ']'")
        if ch == '"':
            return self._string(i, path)
        literal = self._LITERAL.match(self.text, i)
        if literal is None:
            raise ValueError("bad JSON value")
        return literal.end()

    def _string(self, i: int, path: tuple) -> int:
        decoded, end = scanstring(self.text, i + 1)
        if len(path) >= 3 and path[0] == "cells" and isinstance(path[1], int) and path[2] == "source":
            offsets, so_far = self.found.get(path[1], ([], ""))
            self.found[path[1]] = (offsets + self._offsets(i + 1, end - 1), so_far + decoded)
        return end

    def _offsets(self, start: int, stop: int) -> list[int]:
        """The file offset of each decoded character of the raw string ``text[start:stop]``."""
        out: list[int] = []
        i = start
        text = self.text
        while i < stop:
            if text[i] != "\\":
                out.append(i)
                i += 1
                continue
            if text[i + 1] != "u":
                out.append(i)
                i += 2
                continue
            code = int(text[i + 2:i + 6], 16)
            out.append(i)
            if 0xD800 <= code < 0xDC00 and text.startswith("\\u", i + 6):
                i += 12  # a surrogate pair is one character
            else:
                i += 6
        return out

