"""Jupyter notebooks (``.ipynb``): the markdown cells, read as Markdown.

nbformat reads the notebook (any version, upgraded to 4).  A report shows a
notebook location as ``nb.ipynb cell N line L:C``: ``N`` is the cell's place
among *all* cells, code cells included, counted from 1 (the order Jupyter
lists them, not the ``In [n]`` execution count, which changes at each run);
``L`` and ``C`` are the line and column in that cell's source, as the cell
editor shows them.

Inside, a notebook's line coordinate is the lines of all its cells one after
another (cell 1's lines, then cell 2's, …), so every line number is unique in
the file and spans stay integers; ``SourceFile.lines`` are those lines and
``SourceFile.cells`` maps a line back to its cell (``SourceFile.locate``).
A small scan of the JSON text also finds the ``.ipynb`` line where each cell
line stands (a notebook saved by Jupyter keeps one source line per JSON line),
for the tools that open the raw file.  Markers, preambles, macros and
``pgverify: ignore`` comments work as in Markdown, across cells in notebook order.
"""

from __future__ import annotations

import dataclasses
import json
import re
from bisect import bisect_right
from json.decoder import scanstring  # type: ignore[attr-defined]

import nbformat

from .. import model as m
from .base import ReadOptions, Text, assemble, line_starts, unify_line_breaks
from .markdown import markdown_events


def _cell_text(cell) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def _unreadable(path: str, source: str, why: str) -> tuple[m.SourceFile, list[m.SyntaxIssue]]:
    issue = m.SyntaxIssue(m.Span(1, 1, 1, 2), f"not a readable notebook: {why}")
    return m.SourceFile(path, (), (), (issue,), tuple(source.split("\n"))), []


_SURROGATE = re.compile("[\ud800-\udfff]")


def shape_problem(source: str) -> str | None:
    """Why the JSON text is not a notebook pgverify can read (None when it has the shape of one).

    Checked before nbformat sees it, so that a cell whose ``source`` is a number, ``"cells": null`` or a lone
    surrogate (``"\\ud800"``: legal JSON, not Unicode text, and no output could print it) is a clear message
    rather than a Python exception's text."""
    try:
        data = json.loads(source)
    except RecursionError:
        return "the JSON text nests too deeply"
    except ValueError as err:   # JSONDecodeError, or a number of more than 4300 digits
        if not isinstance(err, json.JSONDecodeError):
            return "a number of the JSON text is too large (more than 4300 digits)"
        return f"not JSON text ({err.msg} at line {err.lineno}, column {err.colno})"
    if not isinstance(data, dict):
        return "the JSON text is not an object"
    version = data.get("nbformat")
    if type(version) is not int or not 1 <= version <= 4:
        return "'nbformat' is not a notebook version (1 to 4)"
    if version == 4:
        cells = data.get("cells")
    else:
        sheets = data.get("worksheets", [])
        if not isinstance(sheets, list) or not all(isinstance(w, dict) for w in sheets):
            return "'worksheets' is not a list of objects"
        cells = [c for w in sheets for c in (w.get("cells", []) if isinstance(w.get("cells", []), list) else [None])]
    if not isinstance(cells, list):
        return "'cells' is not a list"
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or not isinstance(cell.get("cell_type"), str):
            return f"cell {number} is not a cell (an object with a 'cell_type')"
        for key in ("source", "input"):
            text = cell.get(key, "")
            if not (isinstance(text, str) or isinstance(text, list) and all(isinstance(x, str) for x in text)):
                return f"cell {number}: '{key}' is neither text nor a list of texts"
            if _SURROGATE.search(_joined(text)):
                return f"cell {number} holds a lone surrogate code point (U+D800 to U+DFFF): not Unicode text"
    return None


def _joined(text: str | list[str]) -> str:
    return "".join(text) if isinstance(text, list) else text


def read_notebook(source: str, path: str, options: ReadOptions) -> tuple[m.SourceFile, list[m.SyntaxIssue]]:
    problem = shape_problem(source)
    if problem is not None:
        return _unreadable(path, source, problem)
    try:
        notebook = nbformat.reads(source, as_version=4, capture_validation_error={})
    except Exception as err:  # noqa: BLE001 - nbformat raises many kinds for a broken file
        return _unreadable(path, source, " ".join(str(err).split())[:200] or type(err).__name__)
    positions = _cell_sources(source)
    json_starts = [0] + [i + 1 for i, ch in enumerate(source) if ch == "\n"]

    lines: list[str] = []
    cells: list[m.Cell] = []
    events = []
    texts = []
    for index, cell in enumerate(notebook.cells):
        raw_text = _cell_text(cell)
        # every break str.splitlines knows ends a cell line (U+2028 or NEL in a cell is legal JSON)
        cell_text = unify_line_breaks(raw_text)
        first = len(lines) + 1
        cell_lines = cell_text.split("\n")
        lines.extend(cell_lines)
        cells.append(m.Cell(index + 1, first, len(cell_lines), _json_lines(raw_text, positions.get(index),
                                                                          json_starts)))
        if cell.get("cell_type") != "markdown":
            continue
        texts.append(cell_text)
        events.extend(markdown_events(Text.from_line(cell_text, first)))
    table = tuple(cells)
    parsed, skips = assemble(path, lines, events, options, texts,
                             place=lambda line: m.locate(path, table, line).in_file())
    return dataclasses.replace(parsed, cells=table), skips


def _json_lines(cell_text: str, raw: tuple[list[int], str] | None, json_starts: list[int]) -> tuple[int, ...]:
    """The JSON line of the start of each line of the cell (0 when the JSON text could not be followed)."""
    starts = line_starts(cell_text)
    if raw is None or len(raw[0]) != len(cell_text) or raw[1] != cell_text:
        return tuple(0 for _ in starts)
    offsets = raw[0]
    out = []
    for start in starts:
        at = offsets[start] if start < len(offsets) else (offsets[-1] + 1 if offsets else 0)
        out.append(bisect_right(json_starts, at))
    return tuple(out)


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

