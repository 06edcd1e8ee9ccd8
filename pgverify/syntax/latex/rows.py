"""Comments, wrappers and rows: a display block cut into rows at ``\\\\``, decorations unwrapped."""

from __future__ import annotations

import re
from dataclasses import dataclass


from .located import Located, control_word, join, match_group, skip_space
from .macros import find_definitions

# --------------------------------------------------------------------------- comments


@dataclass(frozen=True)
class Comment:
    """A ``%`` comment: its text, the offset of ``%``, and of the last code before it on the line."""

    text: str
    offset: int
    anchor: int | None


def strip_comments(loc: Located) -> tuple[Located, list[Comment]]:
    """Take ``%`` comments out (``\\%`` is a percent sign); the newlines stay."""
    text = loc.text
    out: list[Located] = []
    comments: list[Comment] = []
    last = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "%":
            end = text.find("\n", i)
            end = len(text) if end < 0 else end
            line_start = text.rfind("\n", 0, i) + 1
            code = text[line_start:i].rstrip()
            anchor = loc.origin[line_start + len(code) - 1] if code.strip() else None
            comments.append(Comment(text[i + 1:end], loc.origin[i], anchor))
            out.append(loc[last:i])
            last = end
            i = end
            continue
        i += 1
    out.append(loc[last:])
    return join(out), comments


# --------------------------------------------------------------------------- blocks and rows

ALIGN_ENVS = ("align", "align*", "aligned", "alignat", "alignat*", "alignedat", "eqnarray", "eqnarray*",
              "equation", "equation*", "split", "gather", "gather*", "gathered", "multline", "multline*",
              "flalign", "flalign*", "displaymath", "math", "subarray", "subequations")
_ENV = re.compile(r"\\(begin|end)\s*\{\s*([A-Za-z]+\*?)\s*\}")
_DELIMITER = re.compile(r"\$\$|\\\[|\\\]|\\\(|\\\)")


def strip_wrappers(loc: Located) -> Located:
    """Blank out the alignment environments' ``\\begin``/``\\end`` and the math delimiters."""
    text = loc.text
    arrays = _aligned_arrays(text)
    for found in reversed(list(_ENV.finditer(text))):
        if found.group(2) not in ALIGN_ENVS and found.start() not in arrays:
            continue
        stop = found.end()
        if found.group(1) == "begin":
            # \begin{aligned}[t], \begin{alignat*}{2}, \begin{subarray}{c}, \begin{array}{rcl}
            after = re.match(r"\s*(\[[^\]]*\]|\{[^{}]*\})", text[stop:])
            spec = skip_space(text, stop)
            if found.group(2) == "array" and text.startswith("{", spec) and match_group(text, spec) > 0:
                stop = match_group(text, spec)     # a column spec with groups of its own: {r@{\;}l}
            elif after and (found.group(2).startswith(("alignat", "alignedat", "subarray", "array"))
                            or after.group(1)[0] == "["):
                stop += after.end()
        loc = loc.blank(found.start(), stop)
    for found in reversed(list(_DELIMITER.finditer(loc.text))):
        if found.start() > 0 and loc.text[found.start() - 1] == "\\" and found.group().startswith("\\"):
            continue  # `\\[4pt]` is a row break with spacing, not `\[`
        loc = loc.blank(found.start(), found.end())
    return loc


def _aligned_arrays(text: str) -> set[int]:
    """The offsets of ``\\begin{array}``/``\\end{array}`` of arrays laid out as an aligned chain: an array
    that no bracket opens (``\\left\\{ \\begin{array}`` is a piecewise definition, ``(\\begin{array}`` a
    matrix) and that holds no other array, whose rows are then read as aligned rows."""
    out: set[int] = set()
    opened: list[int] = []
    for found in _ENV.finditer(text):
        if found.group(2) != "array":
            continue
        if found.group(1) == "begin":
            opened.append(found.start())
            continue
        if not opened:
            continue
        start = opened.pop()
        before = text[:start].rstrip()
        if re.search(r"(\\\{|\\lbrace|\(|\[|\||\\left\s*\.)$", before) or opened or \
                "\\begin" in text[start + 6:found.start()]:
            continue
        out.update((start, found.start()))
    return out


def strip_definitions(loc: Located) -> Located:
    for definition in reversed(find_definitions(loc.text)):
        loc = loc.blank(definition.start, definition.end)
    return loc


@dataclass(frozen=True)
class RawRow:
    """One row of a block, before macro expansion; ``end`` is the offset past its ``\\\\``."""

    loc: Located
    end: int


def split_rows(loc: Located) -> list[RawRow]:
    """Cut at ``\\\\`` (with an optional ``*`` or ``[4pt]``), ``\\cr`` and ``\\intertext{…}``, outside groups."""
    text = loc.text
    rows: list[RawRow] = []
    depth = 0
    env_depth = 0
    start = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            word = control_word(text, i)
            if word in ("begin", "end"):
                env = _ENV.match(text, i)
                if env:
                    env_depth += 1 if word == "begin" else -1
                    i = env.end()
                    continue
            brk = None
            if depth == 0 and env_depth <= 0:
                if text.startswith("\\\\", i):
                    after = re.match(r"\\\\\*?(\s*\[[^\]]*\])?", text[i:])
                    assert after is not None
                    brk = i + after.end()
                elif word == "cr":
                    brk = i + 3
                elif word in ("intertext", "shortintertext"):
                    group = skip_space(text, i + 1 + len(word))
                    close = match_group(text, group) if text.startswith("{", group) else -1
                    brk = close if close > 0 else i + 1 + len(word)
            if brk is not None:
                rows.append(RawRow(loc[start:i], loc.origin[brk]))
                start = i = brk
                continue
            i += 1 + len(word) if word else 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        i += 1
    rows.append(RawRow(loc[start:], loc.origin[len(text)]))
    return rows


_REL_AT_TOP = re.compile(r"=|\\(approx|simeq|leq?|geq?|leqslant|geqslant|propto|equiv|doteq|coloneqq|triangleq|"
                         r"stackrel|overset|therefore|implies|Rightarrow|Longrightarrow|Leftrightarrow|iff)"
                         r"(?![A-Za-z])|≈|≤|≥|∝|<|>|\\(?:lt|gt)(?![A-Za-z])")


def relation_at_top(text: str) -> int:
    """Offset of the first relation outside groups and brackets, or -1."""
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            word = control_word(text, i)
            if word is None:
                i += 2
                continue
            if word in ("underset",) and depth == 0:
                # \underset{…}{=} is a relation, \underset{…}{\mathbb{E}} is not
                close = match_group(text, skip_space(text, i + 9))
                if close > 0 and re.match(r"\s*\{\s*(=|\\approx|\\leq?|\\geq?|\\propto)", text[close:]):
                    return i
            if depth == 0 and _REL_AT_TOP.match(text, i):
                return i
            i += 1 + len(word)
            continue
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth = max(0, depth - 1)
        elif depth == 0 and _REL_AT_TOP.match(text, i):
            return i
        i += 1
    return -1


# --------------------------------------------------------------------------- unwrapping


_UNWRAP_ONE = ("substack", "mathop", "boxed", "mathbf", "boldsymbol", "bm", "displaystyle")
_OPERATORNAME = re.compile(r"\\operatorname\*?\s*(?=\{\s*\\)")
_BRACES = re.compile(r"\\(underbrace|overbrace|underset|overset)(?![A-Za-z])")


_DROPPED = re.compile(r"\\(label|tag\*?|eqref|ref)\s*\{[^{}]*\}|\\(nonumber|notag)(?![A-Za-z])")


def unwrap(loc: Located) -> Located:
    """Take off what only changes the look: ``\\label{…}`` ``\\tag{…}`` ``\\nonumber`` ``\\notag``, and the
    wrappers ``\\substack{X}`` ``\\mathop{X}`` ``\\boldsymbol{X}`` ``\\operatorname*{\\mathbb{E}}``
    ``\\underbrace{X}_{note}``."""
    for found in reversed(list(_DROPPED.finditer(loc.text))):
        loc = loc.blank(found.start(), found.end())
    changed = True
    while changed:
        changed = False
        text = loc.text
        for found in re.finditer(r"\\([A-Za-z]+)(?![A-Za-z])", text):
            word = found.group(1)
            if word in _UNWRAP_ONE or (word == "operatorname" and _OPERATORNAME.match(text, found.start())):
                j = skip_space(text, found.end())
                if text.startswith("*", j):
                    j = skip_space(text, j + 1)
                if not text.startswith("{", j):
                    continue
                close = match_group(text, j)
                if close < 0:
                    continue
                loc = loc[:found.start()] + loc[j + 1:close - 1] + loc[close:]
                changed = True
                break
            if word in ("underbrace", "overbrace"):
                j = skip_space(text, found.end())
                close = match_group(text, j) if text.startswith("{", j) else -1
                if close < 0:
                    continue
                k = skip_space(text, close)
                stop = close
                if k < len(text) and text[k] in "_^":
                    k = skip_space(text, k + 1)
                    if text.startswith("{", k):
                        stop = match_group(text, k)
                    elif text.startswith("\\", k):
                        stop = k + 1 + len(control_word(text, k) or "x")
                    else:
                        stop = k + 1
                loc = loc[:found.start()] + loc[j + 1:close - 1] + loc[stop:]
                changed = True
                break
    return loc
