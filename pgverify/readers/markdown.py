"""Markdown (``.md``, ``.markdown``, ``.mdx``): fenced ``pgverify`` blocks, ``$$`` math, markers.

markdown-it-py finds the code (fences and indented blocks), so that math or
markers shown *as code* in the notes are left alone, and the headings, which
name the derivations.  Outside code, a scan finds:

* ``<!-- pgverify -->`` (in MDX also ``{/* pgverify */}``): check the next math block;
* ``<!-- pgverify: use rl; dist p_θ(x) -->``: a preamble, possibly over several lines;
* display math: ``$$ … $$``, ``\\[ … \\]`` and ``\\begin{align*} … \\end{align*}`` (and the
  other display environments) outside ``$$``.

Suppressions (``SourceFile.suppressions``; the faults they silence are left
out of the report):

* ``<!-- pgverify: ignore -->`` or ``<!-- pgverify: ignore[name, other-name] -->``
  (in MDX also ``{/* pgverify: ignore */}``) on a line of its own silences the
  next non-blank line (a one-line ``$$ … $$`` step, or the opening line of a
  block, where a goal that is not reached is reported); after or before text
  on the same line it silences that line;
* inside display math, a LaTeX comment ``% pgverify: ignore[…]`` at the end of
  a row silences that row, on a line of its own the next non-blank line (an
  HTML comment is not allowed inside math);
* inside a fenced ``pgverify`` block, ``# pgverify: ignore[…]`` as in ``.pgv``
  files: at the end of a step's line, that step; on a line of its own, the next
  non-blank line.

``name`` is a rule, mistake or fault name; without names every fault of the
line is silenced.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .. import model as m
from .base import (
    Event,
    Fence,
    Heading,
    MathBlock,
    ReadOptions,
    Text,
    assemble,
    ignore_event,
    marker_or_preamble,
    read_ignore,
    tex_ignores,
)

DISPLAY_ENVS = ("align", "align*", "aligned", "eqnarray", "eqnarray*", "equation", "equation*", "gather",
                "gather*", "multline", "multline*", "flalign", "flalign*", "alignat", "alignat*", "split",
                "displaymath")
_ENV_NAMES = "|".join(re.escape(e) for e in sorted(DISPLAY_ENVS, key=len, reverse=True))
_FENCE_LANGUAGES = ("pgverify", "pgv")
_MATH_FENCES = ("{math}", "math")   # MyST's ```{math} directive, GitLab/Quarto's ```math
_SCAN = re.compile(r"<!--(?P<html>.*?)-->|\{/\*(?P<mdx>.*?)\*/\}|(?P<dollars>\$\$)|(?P<bracket>\\\[)"
                   r"|\\begin\s*\{(?P<env>" + _ENV_NAMES + r")\}|(?P<inline>\$)|(?P<paren>\\\()", re.DOTALL)
# inline math as pandoc reads it: `$` not followed by a space, closed on the same paragraph by a `$` not
# preceded by a space nor followed by a digit (so that "$5 and $10" is prose)
_INLINE_CLOSE = re.compile(r"(?<![\s\\])\$(?!\d)")

_COMMENT_LINE = re.compile(r"\s*(<!--(?:(?!-->).)*-->|\{/\*(?:(?!\*/\}).)*\*/\})\s*")  # a comment, all the line


def _markdown() -> MarkdownIt:
    # the block structure is all pgverify asks of markdown-it (code, fences, headings' text): without the
    # inline rule no token gets the children of its inline text, which would cost memory and time for nothing
    return MarkdownIt("commonmark").disable("inline")


# markdown-it holds a token stream and five arrays for every line of what it parses; a long file is parsed in
# pieces of about this many lines, so that its memory stays bounded rather than growing with the file
_PIECE_LINES = 400


def _blocks(source: str, text: Text) -> Iterator[tuple[Token, int, Token | None]]:
    """markdown-it's block tokens of ``source`` (a token, the line its map counts from, the token after it).

    A piece ends only before a line that starts in column 1 after a blank line, which ends every block and
    container CommonMark has except an open fence or HTML block (those run on over blank lines); a piece whose
    last block reaches its end may be such a one, so it is parsed again with more lines.  Every piece is then
    parsed as it is inside the whole text: the tokens are the same as those of one parse of the file.
    """
    md = _markdown()
    lines = text.line_count()
    first = 0
    want = _PIECE_LINES
    while first < lines:
        past = _cut_after(source, text, first + want) if first + want < lines else lines
        piece = source[text.line_start(first + 1):text.line_start(past + 1)] if past < lines else \
            source[text.line_start(first + 1):]
        tokens = md.parse(piece)
        if past < lines and any(tok.level == 0 and tok.map is not None and tok.map[1] >= past - first
                                for tok in tokens):
            want *= 2                                # the last block may go on: a longer piece
            continue
        for k, tok in enumerate(tokens):
            yield tok, first, tokens[k + 1] if k + 1 < len(tokens) else None
        first, want = past, _PIECE_LINES


def _cut_after(source: str, text: Text, line: int) -> int:
    """The first 0-based line at or after ``line`` that starts in column 1 after a blank line (the number of
    lines when there is none)."""
    lines = text.line_count()
    for k in range(max(line, 1), lines):
        start = text.line_start(k + 1)
        if start < len(source) and source[start] not in " \t\n" and not _line(source, text, k).strip(" \t"):
            return k
    return lines


def markdown_events(text: Text) -> list[Event]:
    """Everything pgverify reads in one Markdown text (a file or a notebook cell)."""
    source = _blank_front_matter(text.text)
    events: list[Event] = []
    code: list[tuple[int, int]] = []                 # the [start, end) of each code block: masked for the scan
    for tok, first_line, after in _blocks(source, text):
        if tok.map is None:
            continue
        first, past = tok.map[0] + first_line, tok.map[1] + first_line
        if tok.type in ("fence", "code_block"):
            if tok.type == "fence" and tok.info.strip().split(" ")[0].lower() in _FENCE_LANGUAGES:
                closing = past - 1
                closed = closing > first and re.match(r"\s*(`{3,}|~{3,})\s*$", _line(source, text, closing + 1))
                content_end = text.line_start(closing + 1) if closed else len(source)
                events.append(Fence(text, text.line_start(first + 2), end=content_end))
            elif tok.type == "fence" and tok.info.strip().split(" ")[0].lower() in _MATH_FENCES:
                events.extend(_math_fence(text, source, first, past))
            code.append((text.line_start(first + 1), text.line_start(past + 1)))
        elif tok.type == "heading_open" and after is not None:
            events.append(Heading(text, text.line_start(first + 1), title=after.content.strip()))
    events.extend(_scan(_mask_inline_code(_masked(source, code)), text))
    return events


def _masked(source: str, code: list[tuple[int, int]]) -> str:
    """``source`` with every character of the ``code`` ranges but a line break written as a space."""
    pieces = []
    i = 0
    for start, end in sorted(code):
        start = max(start, i)
        if end <= start:
            continue
        pieces.append(source[i:start])
        pieces.append(_BLANK.sub(" ", source[start:end]))
        i = end
    pieces.append(source[i:])
    return "".join(pieces)


_BLANK = re.compile(r"[^\n]")


_FRONT_MATTER = re.compile(r"\A(---|\+\+\+)[ \t]*\n.*?\n\1[ \t]*(\n|\Z)", re.DOTALL)


def _blank_front_matter(source: str) -> str:
    """YAML (``---``) or TOML (``+++``) front matter of a blog post or an MDX page: not prose, not a heading."""
    found = _FRONT_MATTER.match(source)
    if found is None:
        return source
    return re.sub(r"[^\n]", " ", found.group()) + source[found.end():]


_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`)((?:[^\n]|\n(?![ \t]*\n))+?)(?<!`)\1(?!`)")


def _math_fence(text: Text, source: str, first: int, past: int) -> list[Event]:
    """A ```{math} fence: its body (after the ``:label:`` options) is display math, one block per paragraph
    as MyST renders it."""
    line = first + 2                                 # the first line after the opening fence (1-based)
    closing = past                                   # the closing fence's line (1-based), or past the end
    while line < closing and re.match(r"\s*:[\w-]+:", _line(source, text, line)):
        line += 1
    start, end = text.line_start(line), text.line_start(closing)
    if end <= start:
        return []
    blocks: list[Event] = []
    for piece in re.finditer(r"(?:[^\n]*\S[^\n]*(?:\n|$))+", source[start:end]):
        blocks.append(MathBlock(text, start + piece.start(), end=start + piece.end()))
    return blocks


def _mask_inline_code(text: str) -> str:
    """Blank out `code spans`: a `$$` or a marker shown as code is not one."""
    return _INLINE_CODE.sub(lambda found: re.sub(r"[^\n]", " ", found.group()), text)


def _line(source: str, text: Text, line: int) -> str:
    start = text.line_start(line)
    end = source.find("\n", start)
    return source[start:] if end < 0 else source[start:end]


def _scan(masked: str, text: Text) -> list[Event]:
    """Markers, preambles and math blocks in the text outside code."""
    events: list[Event] = []
    i = 0
    while True:
        found = _SCAN.search(masked, i)
        if found is None:
            break
        if found.group("html") is not None or found.group("mdx") is not None:
            group = "html" if found.group("html") is not None else "mdx"
            comment = read_ignore(found.group(group))
            if comment is not None:
                events.append(ignore_event(text, found.start(), found.end(), comment, _COMMENT_LINE))
            event = marker_or_preamble(found.group(group), found.start(group), text)
            if event is not None:
                events.append(event)
            i = found.end()
            continue
        if found.start() > 0 and masked[found.start() - 1] == "\\":
            i = found.end()  # `\$$` or `\\[`: not a delimiter
            continue
        if found.group("inline") is not None or found.group("paren") is not None:
            end = _inline_end(masked, found)
            if end > 0:
                events.append(MathBlock(text, found.start(), end=end, inline=True))
            i = end if end > 0 else found.end()
            continue
        if found.group("dollars"):
            close = masked.find("$$", found.end())
            end = close + 2
        elif found.group("bracket"):
            close = masked.find("\\]", found.end())
            end = close + 2
        else:
            env = found.group("env")
            close_match = re.compile(r"\\end\s*\{" + re.escape(env) + r"\}").search(masked, found.end())
            close = close_match.start() if close_match else -1
            end = close_match.end() if close_match else -1
        if close < 0:
            break
        events.append(MathBlock(text, found.start(), end=end))
        events.extend(tex_ignores(text, found.start(), end))
        i = end
    return events


def _inline_end(masked: str, found: re.Match[str]) -> int:
    """The end of the inline math opened at ``found`` (``$…$`` or ``\\(…\\)``), or -1 when it is not math."""
    start = found.end()
    paragraph_end = masked.find("\n\n", start)
    paragraph_end = len(masked) if paragraph_end < 0 else paragraph_end
    if found.group("paren") is not None:
        close = masked.find("\\)", start, paragraph_end)
        return close + 2 if close >= 0 else -1
    if start >= len(masked) or masked[start].isspace():
        return -1
    close = _INLINE_CLOSE.search(masked, start, paragraph_end)
    return close.end() if close else -1


def read_markdown(source: str, path: str, options: ReadOptions) -> tuple[m.SourceFile, list[m.SyntaxIssue]]:
    text = Text(source)
    return assemble(path, m.Lines(source), markdown_events(text), options, [source])
