"""reStructuredText (``.rst``): ``.. math::`` marked with ``.. pgverify``, ``.. code-block:: pgverify``.

* ``.. pgverify`` (a reST comment, invisible in the built page): check the
  next ``.. math::`` directive — every equation in it;
* ``.. pgverify: use rl; dist p_θ(x)`` (also a comment; indented lines below it
  continue it): a preamble;
* ``.. math::``: its argument and each paragraph of its indented body is one
  math block (Sphinx renders each paragraph as an equation), options such as
  ``:label:`` are passed over;
* ``.. code-block:: pgverify`` (also ``.. code::`` and ``.. sourcecode::``): the
  derivation language, read in place, so lines and columns are the file's.

Section titles (a line underlined with ``=``, ``-``, ``~`` …) name the derivations.

Suppressions (``SourceFile.suppressions``): the comment
``.. pgverify: ignore`` or ``.. pgverify: ignore[name, other-name]`` on a line
of its own silences, when a ``.. math::`` directive follows, the first line of
that directive's first equation (a one-equation step is reported there);
otherwise the next non-blank line.  Inside ``.. math::`` a LaTeX comment
``% pgverify: ignore[…]`` at the end of a row silences that row (on a line of
its own, the next non-blank line); inside ``.. code-block:: pgverify``,
``# pgverify: ignore[…]`` works as in ``.pgv`` files.
"""

from __future__ import annotations

import re

from .. import model as m
from .base import (
    Event,
    Fence,
    Heading,
    Ignore,
    MathBlock,
    ReadOptions,
    Text,
    assemble,
    marker_or_preamble,
    read_ignore,
    tex_ignores,
)

_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+(math|code-block|code|sourcecode)::[ \t]*(.*?)\s*$")
_COMMENT = re.compile(r"^(\s*)\.\.\s+(pgverify\b.*)$")
_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+<>_:.])\1{2,}\s*$")
_OPTION = re.compile(r"^\s*:[\w-]+:")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def rest_events(text: Text) -> list[Event]:
    source = text.text
    lines = source.split("\n")
    starts = [text.line_start(n) for n in range(1, len(lines) + 1)]
    events: list[Event] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        directive = _DIRECTIVE.match(line)
        comment = _COMMENT.match(line)
        if directive:
            indent = len(directive.group(1))
            j = i + 1
            while j < len(lines) and (not lines[j].strip() or _indent(lines[j]) > indent):
                j += 1
            body = list(range(i + 1, j))
            while body and _OPTION.match(lines[body[0]]):
                body.pop(0)
            kind, argument = directive.group(2), directive.group(3)
            if kind == "math":
                if argument:
                    at = starts[i] + directive.start(3)
                    events.append(MathBlock(text, at, end=at + len(argument), group=i))
                    events.extend(tex_ignores(text, at, at + len(argument)))
                for first, last in _paragraphs(lines, body):
                    begin = starts[first] + _indent(lines[first])
                    events.append(MathBlock(text, begin, end=starts[last] + len(lines[last]), group=i))
                    events.extend(tex_ignores(text, begin, starts[last] + len(lines[last])))
            elif argument.lower() in ("pgverify", "pgv"):
                content = [n for n in body if lines[n].strip()]
                if content:
                    events.append(Fence(text, starts[content[0]], end=starts[content[-1]] + len(lines[content[-1]])))
            i = j
            continue
        if comment:
            indent = len(comment.group(1))
            j = i + 1
            while j < len(lines) and lines[j].strip() and _indent(lines[j]) > indent:
                j += 1
            content_start = starts[i] + comment.start(2)
            content_end = starts[j - 1] + len(lines[j - 1])
            ignore = read_ignore(source[content_start:content_end])
            if ignore is not None:
                events.append(Ignore(text, starts[i] + indent, target=_ignore_target(lines, i, j), names=ignore[0],
                                     problem=ignore[1]))
            event = marker_or_preamble(source[content_start:content_end], content_start, text)
            if event is not None:
                events.append(event)
            i = j
            continue
        if i + 1 < len(lines) and line.strip() and _indent(line) == 0 and _UNDERLINE.match(lines[i + 1]) \
                and len(lines[i + 1].strip()) >= len(line.strip()) and not _UNDERLINE.match(line):
            events.append(Heading(text, starts[i], title=line.strip()))
        for role in _MATH_ROLE.finditer(line):   # :math:`…` in prose: read for definitions
            events.append(MathBlock(text, starts[i] + role.start(1), end=starts[i] + role.end(1), inline=True))
        i += 1
    return events


_MATH_ROLE = re.compile(r":math:`([^`]+)`")


def _ignore_target(lines: list[str], comment: int, after: int) -> int:
    """The line (1-based) an ignore comment on lines ``comment … after - 1`` silences.

    Before a ``.. math::`` directive: the first line of its first equation (the
    directive's argument, or the first body line after the options), where a
    one-equation step is reported.  Anywhere else: the next non-blank line.
    """
    k = next((n for n in range(after, len(lines)) if lines[n].strip() and not _COMMENT.match(lines[n])), None)
    if k is None:
        return comment + 1
    directive = _DIRECTIVE.match(lines[k])
    if not directive or directive.group(2) != "math" or directive.group(3):
        return k + 1
    indent = len(directive.group(1))
    for n in range(k + 1, len(lines)):
        if not lines[n].strip() or _OPTION.match(lines[n]):
            continue
        return n + 1 if _indent(lines[n]) > indent else k + 1
    return k + 1


def _paragraphs(lines: list[str], body: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    first = None
    previous = None
    for n in body:
        if lines[n].strip():
            if first is None:
                first = n
            previous = n
        elif first is not None:
            assert previous is not None
            out.append((first, previous))
            first = None
    if first is not None and previous is not None:
        out.append((first, previous))
    return out


def read_rest(source: str, path: str, options: ReadOptions) -> tuple[m.SourceFile, list[m.SyntaxIssue]]:
    text = Text(source)
    return assemble(path, m.Lines(source), rest_events(text), options, [source])
