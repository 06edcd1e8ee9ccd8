"""LaTeX (``.tex``): display math marked with ``% pgverify``, preambles ``% pgverify: use rl``.

A marker is a comment line ``% pgverify`` before a block, or a trailing
``% pgverify`` on the block's own first line (``\\begin{align*} % pgverify``).
A preamble is a comment ``% pgverify: statements`` (one per line; statements
separated by ``;``).  Blocks: the display environments (``align``, ``align*``,
``equation`` with ``aligned``/``split`` inside, ``eqnarray``, ``gather``, …),
``\\[ … \\]`` and ``$$ … $$``; verbatim-like environments are passed over.
Sectioning commands name the derivations.

``% pgverify: ignore`` or ``% pgverify: ignore[name, other-name]`` silences
faults (``SourceFile.suppressions``): at the end of a row of an ``align``
block, that row (a row written over several lines: the comment may end any of
them); on a line of its own, the next non-blank line (the next row, or the
``\\begin`` line of a block, where a goal that is not reached is reported).
Without names every fault of that line is silenced.
"""

from __future__ import annotations

import re

from .. import model as m
from .base import (
    TEX_COMMENT,
    Event,
    Heading,
    Marker,
    MathBlock,
    Preamble,
    ReadOptions,
    Text,
    assemble,
    ignore_event,
    read_ignore,
)
from .markdown import DISPLAY_ENVS

_VERBATIM = ("verbatim", "verbatim*", "Verbatim", "lstlisting", "minted", "comment", "alltt")
_TOP_ENVS = tuple(e for e in DISPLAY_ENVS if e not in ("aligned", "split"))
_BLOCK = re.compile(r"(?P<dollars>\$\$)|(?P<bracket>\\\[)|\\begin\s*\{(?P<env>[A-Za-z]+\*?)\}")
_HEADING = re.compile(r"\\(part|chapter|section|subsection|subsubsection|paragraph)\*?\s*\{([^{}]*)\}")


def comment_start(line: str) -> int:
    """Index of the ``%`` that starts the line's comment, or -1 (``\\%`` is a percent sign)."""
    i = 0
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        if line[i] == "%":
            return i
        i += 1
    return -1


def tex_events(text: Text) -> list[Event]:
    source = text.text
    events: list[Event] = []
    masked = list(source)
    block_lines: dict[int, int] = {}   # line → offset of a trailing `% pgverify` on it
    offset = 0
    for number, line in enumerate(source.split("\n"), 1):
        at = comment_start(line)
        if at >= 0:
            comment = line[at + 1:]
            start = offset + at + 1
            ignore = read_ignore(comment)
            if ignore is not None:
                events.append(ignore_event(text, offset + at, offset + len(line), ignore, TEX_COMMENT))
            elif re.fullmatch(r"\s*pgverify\s*", comment):
                if line[:at].strip():
                    block_lines[number] = start
                else:
                    events.append(Marker(text, start))
            else:
                found = re.match(r"\s*pgverify\s*:", comment)
                if found:
                    events.append(Preamble(text, start + found.end(), end=offset + len(line)))
            for i in range(offset + at, offset + len(line)):
                masked[i] = " "
        offset += len(line) + 1
    flat = "".join(masked)
    for verbatim in _VERBATIM:
        pattern = r"\\begin\s*\{" + re.escape(verbatim) + r"\}.*?\\end\s*\{" + re.escape(verbatim) + r"\}"
        for found in re.finditer(pattern, flat, re.DOTALL):
            flat = flat[:found.start()] + re.sub(r"[^\n]", " ", found.group()) + flat[found.end():]
    for found in _HEADING.finditer(flat):
        events.append(Heading(text, found.start(), title=" ".join(found.group(2).split())))
    i = 0
    while True:
        found = _BLOCK.search(flat, i)
        if found is None:
            break
        if found.start() > 0 and flat[found.start() - 1] == "\\":
            i = found.end()
            continue
        env = found.group("env")
        if env is not None and env not in _TOP_ENVS:
            i = found.end()
            continue
        if found.group("dollars"):
            close = flat.find("$$", found.end())
            end = close + 2
        elif found.group("bracket"):
            close = flat.find("\\]", found.end())
            end = close + 2
        else:
            assert env is not None
            closing = re.compile(r"\\end\s*\{" + re.escape(env) + r"\}").search(flat, found.end())
            close = closing.start() if closing else -1
            end = closing.end() if closing else -1
        if close < 0:
            break
        block_line, _ = text.local(found.start())
        events.append(MathBlock(text, found.start(), end=end, marked_inside=block_line in block_lines))
        flat = flat[:found.start()] + re.sub(r"[^\n]", " ", flat[found.start():end]) + flat[end:]
        i = end
    events.extend(_inline_math(text, flat))
    return events


_INLINE_OPEN = re.compile(r"(?<!\\)\$(?!\$)|\\\(")


def _inline_math(text: Text, flat: str) -> list[Event]:
    """``$…$`` and ``\\(…\\)`` in the prose (display blocks already blanked): read for definitions."""
    events: list[Event] = []
    i = 0
    while True:
        found = _INLINE_OPEN.search(flat, i)
        if found is None:
            return events
        paragraph = flat.find("\n\n", found.end())
        paragraph = len(flat) if paragraph < 0 else paragraph
        if found.group() == "$":
            close = re.compile(r"(?<!\\)\$").search(flat, found.end(), paragraph)
            end = close.end() if close else -1
        else:
            close_at = flat.find("\\)", found.end(), paragraph)
            end = close_at + 2 if close_at >= 0 else -1
        if end < 0:
            i = found.end()
            continue
        events.append(MathBlock(text, found.start(), end=end, inline=True))
        i = end


def read_tex(source: str, path: str, options: ReadOptions) -> tuple[m.SourceFile, list[m.SyntaxIssue]]:
    text = Text(source)
    return assemble(path, m.Lines(source), tex_events(text), options, [source])
