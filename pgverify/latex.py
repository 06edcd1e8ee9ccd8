"""LaTeX math → model: the front end for derivations written in lecture notes.

A display block (``align*``, ``$$ … $$``, ``\\[ … \\]``, a reST ``.. math::``
body) is read in four passes, each keeping every character's position in
the original file (:class:`Located`), so that every step and every error
points at its own line:

1. comments are taken out (a trailing ``% by rule`` is kept as a
   justification), macro definitions are dropped, environment wrappers and
   delimiters are removed;
2. the block is cut into rows at ``\\\\``; a row without a relation continues
   the row before it;
3. macros (``\\newcommand``, ``\\renewcommand``, ``\\def``, with arguments) are
   expanded, and the justification (a trailing ``\\text{…}``, also in
   parentheses, ``\\scriptstyle``, after ``&``, ``&&`` or ``\\quad``; or the
   text over a ``\\stackrel{…}{=}``) is taken off the row;
4. the rest is parsed with ``grammars/latex.lark`` into the same
   :mod:`pgverify.model` nodes as the ``.pgv`` language.

Names come out exactly as the ``.pgv`` parser builds them: ``\\pi_\\theta`` is
``π_θ``, ``\\rho_0`` is ``ρ0``, ``\\Pr_\\theta`` is ``Pr_θ``, ``\\mathcal{D}`` is
``D``.  Accents are kept with the letter: ``\\hat{A}`` is the name ``Â``
(Unicode NFC of the letter and the combining accent), ``\\tilde{A}`` is
``Ã``, ``\\bar{x}`` is ``x̄``, so they never collide with the plain letter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cache
from pathlib import Path

from lark import Lark, Token, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from . import model as m
from .syntax import ArithmeticBuilder, canonical_word

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


def _control_word(text: str, i: int) -> str | None:
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


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


# --------------------------------------------------------------------------- macros


class MacroError(Exception):
    """A macro that cannot be expanded (a missing argument, endless recursion)."""

    def __init__(self, offset: int, message: str):
        super().__init__(message)
        self.offset = offset
        self.message = message


@dataclass(frozen=True)
class Macro:
    """``\\newcommand{\\name}[nargs][default]{body}`` or ``\\def\\name#1#2{body}``."""

    name: str
    nargs: int
    body: str
    default: str | None = None


@dataclass(frozen=True)
class Definition:
    start: int
    end: int
    macro: Macro


_DEFINER = re.compile(r"\\(newcommand|renewcommand|providecommand|DeclareMathOperator|DeclareRobustCommand|def)"
                      r"(?![A-Za-z])\*?")


def find_definitions(text: str) -> list[Definition]:
    """Every macro definition in ``text``, with its extent (malformed ones are passed over)."""
    out: list[Definition] = []
    for found in _DEFINER.finditer(text):
        if found.start() > 0 and text[found.start() - 1] == "\\":
            continue
        definition = _read_definition(text, found)
        if definition is not None:
            out.append(definition)
    return out


def _read_definition(text: str, found: re.Match[str]) -> Definition | None:
    kind = found.group(1)
    i = _skip_space(text, found.end())
    # the macro's name: {\name} or \name
    braced = i < len(text) and text[i] == "{"
    if braced:
        i = _skip_space(text, i + 1)
    name = _control_word(text, i) if i < len(text) and text[i] == "\\" else None
    if name is None:
        return None
    i += 1 + len(name)
    if braced:
        i = _skip_space(text, i)
        if i >= len(text) or text[i] != "}":
            return None
        i += 1
    nargs, default = 0, None
    if kind == "def":
        params = re.match(r"((?:#\d)*)", text[i:])
        assert params is not None
        nargs = len(params.group(1)) // 2
        i += len(params.group(1))
    elif kind != "DeclareMathOperator":
        i = _skip_space(text, i)
        if text.startswith("[", i):
            close = text.find("]", i)
            if close < 0 or not text[i + 1:close].strip().isdigit():
                return None
            nargs = int(text[i + 1:close])
            i = _skip_space(text, close + 1)
            if text.startswith("[", i):
                close = match_group(text, i, "[", "]")
                if close < 0:
                    return None
                default = text[i + 1:close - 1]
                i = close
    i = _skip_space(text, i)
    if i >= len(text) or text[i] != "{":
        return None
    close = match_group(text, i)
    if close < 0:
        return None
    body = text[i + 1:close - 1]
    if kind == "DeclareMathOperator":
        body = r"\operatorname{" + body + "}"
    return Definition(found.start(), close, Macro(name, nargs, body, default))


@dataclass
class Macros:
    """The macros in force: from ``--macros`` first, then the file's own (which win)."""

    table: dict[str, Macro] = field(default_factory=dict)

    @classmethod
    def parse(cls, *texts: str) -> Macros:
        macros = cls()
        for text in texts:
            macros.add(text)
        return macros

    def add(self, text: str) -> None:
        for definition in find_definitions(text):
            self.table[definition.macro.name] = definition.macro

    def __contains__(self, name: str) -> bool:
        return name in self.table

    def expand(self, loc: Located, limit: int = 2000) -> Located:
        """Expand every macro call in ``loc`` (raises MacroError)."""
        if not self.table:
            return loc
        i = 0
        budget = limit
        while i < len(loc.text):
            text = loc.text
            if text[i] != "\\":
                i += 1
                continue
            name = _control_word(text, i)
            if name is None:
                i += 2
                continue
            macro = self.table.get(name)
            if macro is None:
                i += 1 + len(name)
                continue
            budget -= 1
            if budget < 0:
                raise MacroError(loc.origin[i], f"the macro \\{name} does not stop expanding (is it recursive?)")
            end, args = self._arguments(loc, i + 1 + len(name), macro)
            loc = loc[:i] + self._body(macro, args, loc.origin[i]) + loc[end:]
            # expand again from the same place: the body may hold further macros
        return loc

    def _arguments(self, loc: Located, i: int, macro: Macro) -> tuple[int, list[Located]]:
        text = loc.text
        args: list[Located] = []
        count = macro.nargs
        if macro.default is not None and count > 0:
            j = _skip_space(text, i)
            if text.startswith("[", j):
                close = match_group(text, j, "[", "]")
                if close < 0:
                    raise MacroError(loc.origin[j], f"the optional argument of \\{macro.name} is not closed")
                args.append(loc[j + 1:close - 1])
                i = close
            else:
                args.append(Located.made(macro.default, loc.origin[min(i, len(text))]))
            count -= 1
        for _ in range(count):
            j = _skip_space(text, i)
            if j >= len(text):
                raise MacroError(loc.origin[min(i, len(text))],
                                 f"the macro \\{macro.name} needs {macro.nargs} argument(s)")
            if text[j] == "{":
                close = match_group(text, j)
                if close < 0:
                    raise MacroError(loc.origin[j], f"an argument of \\{macro.name} is not closed")
                args.append(loc[j + 1:close - 1])
                i = close
            elif text[j] == "\\":
                word = _control_word(text, j)
                stop = j + 1 + len(word) if word else j + 2
                args.append(loc[j:stop])
                i = stop
            else:
                args.append(loc[j:j + 1])
                i = j + 1
        return i, args

    @staticmethod
    def _body(macro: Macro, args: list[Located], at: int) -> Located:
        pieces: list[Located] = []
        body = macro.body
        last = 0
        for found in re.finditer(r"#(\d)", body):
            pieces.append(Located.made(body[last:found.start()], at))
            index = int(found.group(1)) - 1
            if 0 <= index < len(args):
                pieces.append(args[index])
            last = found.end()
        pieces.append(Located.made(body[last:], at))
        # a space after the expansion keeps `\grad\log` from fusing into one control word
        return join(pieces) + Located.made(" ", at)


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
    for found in reversed(list(_ENV.finditer(text))):
        if found.group(2) not in ALIGN_ENVS:
            continue
        stop = found.end()
        if found.group(1) == "begin":
            # \begin{aligned}[t], \begin{alignat*}{2}, \begin{subarray}{c}
            after = re.match(r"\s*(\[[^\]]*\]|\{[^{}]*\})", text[stop:])
            if after and (found.group(2).startswith(("alignat", "alignedat", "subarray")) or after.group(1)[0] == "["):
                stop += after.end()
        loc = loc.blank(found.start(), stop)
    for found in reversed(list(_DELIMITER.finditer(loc.text))):
        if found.start() > 0 and loc.text[found.start() - 1] == "\\" and found.group().startswith("\\"):
            continue  # `\\[4pt]` is a row break with spacing, not `\[`
        loc = loc.blank(found.start(), found.end())
    return loc


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
            word = _control_word(text, i)
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
                    group = _skip_space(text, i + 1 + len(word))
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
                         r"(?![A-Za-z])|≈|≤|≥|∝")


def relation_at_top(text: str) -> int:
    """Offset of the first relation outside groups and brackets, or -1."""
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            word = _control_word(text, i)
            if word is None:
                i += 2
                continue
            if word in ("underset",) and depth == 0:
                # \underset{…}{=} is a relation, \underset{…}{\mathbb{E}} is not
                close = match_group(text, _skip_space(text, i + 9))
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
                j = _skip_space(text, found.end())
                if text.startswith("*", j):
                    j = _skip_space(text, j + 1)
                if not text.startswith("{", j):
                    continue
                close = match_group(text, j)
                if close < 0:
                    continue
                loc = loc[:found.start()] + loc[j + 1:close - 1] + loc[close:]
                changed = True
                break
            if word in ("underbrace", "overbrace"):
                j = _skip_space(text, found.end())
                close = match_group(text, j) if text.startswith("{", j) else -1
                if close < 0:
                    continue
                k = _skip_space(text, close)
                stop = close
                if k < len(text) and text[k] in "_^":
                    k = _skip_space(text, k + 1)
                    if text.startswith("{", k):
                        stop = match_group(text, k)
                    elif text.startswith("\\", k):
                        stop = k + 1 + len(_control_word(text, k) or "x")
                    else:
                        stop = k + 1
                loc = loc[:found.start()] + loc[j + 1:close - 1] + loc[stop:]
                changed = True
                break
    return loc


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
        return Note(_plain(words), reached, end)
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
            return Note(_plain(cell), start - 1, len(text))
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


def _plain(latex: str) -> str:
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


# --------------------------------------------------------------------------- names

GREEK_LETTERS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "varpi": "π", "rho": "ρ", "varrho": "ρ", "sigma": "σ", "varsigma": "σ", "tau": "τ",
    "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ",
    "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ",
    "Psi": "Ψ", "Omega": "Ω", "ell": "ℓ",
}
_ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303", "widetilde": "\u0303", "bar": "\u0304",
            "overline": "\u0304", "check": "\u030c", "vec": "\u20d7", "dot": "\u0307", "ddot": "\u0308"}

# Names that are scalars in RL notes: `\gamma (r + V)` is a product, not a call of γ.
SCALARS = frozenset({"γ", "λ", "α", "β", "ε", "η", "θ", "τ", "κ", "ν", "ξ", "ζ", "t", "i", "j", "k", "n", "T", "N"})


def _word(text: str) -> str:
    """A LaTeX spelling of a letter or a parameter (``\\theta``, ``θ``, ``x``) → its canonical letter."""
    text = text.strip().strip("{}").strip()
    if text.startswith("\\"):
        return GREEK_LETTERS.get(text[1:], text[1:])
    return canonical_word(text)


# --------------------------------------------------------------------------- the parser


@cache
def _parser() -> Lark:
    grammar = (Path(__file__).parent / "grammars" / "latex.lark").read_text(encoding="utf-8")
    # cache=True keeps the LALR tables in the temp folder, keyed by the grammar's hash (as syntax.py does)
    return Lark(grammar, start="row", parser="lalr", lexer="contextual", propagate_positions=True,
                maybe_placeholders=False, cache=True)


class LatexError(Exception):
    """A row that could not be read; ``start``/``end`` are offsets in the row text."""

    def __init__(self, start: int, end: int, message: str):
        super().__init__(message)
        self.start = start
        self.end = end
        self.message = message


@dataclass(frozen=True)
class Link:
    relation: str
    expr: m.Expr
    span: m.Span           # the relation's
    note: str | None       # the text over \stackrel{…}{=}
    offset: int            # the relation's offset in the row


@dataclass(frozen=True)
class Row:
    """A parsed row: ``\\therefore``/``\\implies`` (lead), the expression left of the first relation, the links."""

    lead: str | None
    first: m.Expr | None
    links: tuple[Link, ...]


Locate = Callable[[int, int], m.Span]


def _relative_spans(text: str) -> Locate:
    """Spans for a lone string: line 1, columns counted in the string."""
    def locate(start: int, end: int) -> m.Span:
        line1 = text.count("\n", 0, start) + 1
        col1 = start - (text.rfind("\n", 0, start) + 1) + 1
        line2 = text.count("\n", 0, end) + 1
        col2 = end - (text.rfind("\n", 0, end) + 1) + 1
        return m.Span(line1, col1, line2, col2)
    return locate


_RELATIONS = {"=": "=", ":=": "=", "≈": "≈", "≤": "≤", "≥": "≥", "∝": "∝", "approx": "≈", "simeq": "≈",
              "le": "≤", "leq": "≤", "leqslant": "≤", "ge": "≥", "geq": "≥", "geqslant": "≥", "propto": "∝",
              "equiv": "=", "doteq": "=", "coloneqq": "=", "triangleq": "="}


def _relation(text: str) -> str:
    text = text.strip()
    return _RELATIONS[text.lstrip("\\")]


class _Builder(ArithmeticBuilder):
    """Builds model nodes from the lark tree of one row."""

    def __init__(self, locate: Locate):
        super().__init__()
        self.locate = locate

    def _s(self, meta) -> m.Span:
        if getattr(meta, "empty", False) or not hasattr(meta, "start_pos"):
            return m.NOWHERE
        return self.locate(meta.start_pos, meta.end_pos)

    def _t(self, tok: Token) -> m.Span:
        return self.locate(tok.start_pos or 0, tok.end_pos or 0)

    # ---- rows
    def row(self, c):
        lead = None
        first = None
        links = []
        for x in c:
            if isinstance(x, Token) and x.type == "LEAD":
                lead = str(x).lstrip("\\")
            elif isinstance(x, Link):
                links.append(x)
            else:
                first = x
        return Row(lead, first, tuple(links))

    def link(self, c):
        rel, expr = c
        text = str(rel)
        note = None
        if rel.type == "STACKREL":
            over = re.match(r"\\[A-Za-z]+\s*\{(.*)\}\s*\{\s*(.+?)\s*\}$", text, re.DOTALL)
            assert over is not None
            words = _plain(over.group(1))
            note = words if len(re.findall(r"[^\W\d_]", words)) >= 2 else None
            text = over.group(2)
        return Link(_relation(text), expr, self._t(rel), note, rel.start_pos)

    # ---- names
    @v_args(meta=True)
    def letter(self, meta, c):
        return canonical_word(str(c[0])), self._t(c[0])

    @v_args(meta=True)
    def greek(self, meta, c):
        return GREEK_LETTERS[str(c[0]).lstrip("\\")], self._t(c[0])

    @v_args(meta=True)
    def word(self, meta, c):
        return str(c[0]).lstrip("\\"), self._t(c[0])

    @v_args(meta=True)
    def textname(self, meta, c):
        inner = re.search(r"\{\s*(\w+)\s*\}", str(c[0]))
        assert inner is not None
        return canonical_word(inner.group(1)), self._t(c[0])

    @v_args(meta=True)
    def styled(self, meta, c):
        return c[-1][0], self._s(meta)

    @v_args(meta=True)
    def accent(self, meta, c):
        mark = _ACCENTS[str(c[0]).lstrip("\\")]
        base = c[-1][0]
        return unicodedata.normalize("NFC", base[0] + mark) + base[1:], self._s(meta)

    def subscript(self, c):
        return ("sub", c[0])

    def superscript(self, c):
        return ("sup", c[0])

    def prime(self, c):
        text = str(c[0])
        return ("prime", text.count("'") + text.count("prime"))

    def sample(self, c):
        tok = c[0]
        inner = re.search(r"\(\s*([^()]*?)\s*\)", str(tok))
        assert inner is not None
        return ("sample", self._atom(inner.group(1), self._t(tok)))

    def _atom(self, text: str, span: m.Span) -> m.Expr:
        if text.isdigit():
            return m.Num(Fraction(int(text)), span=span)
        return m.Name(_word(text), span=span)

    def sarg(self, c):
        return tuple(c)

    def subword(self, c):
        return (m.Name(canonical_word(str(c[0]).strip("{} \t\n")), span=self._t(c[0])),)

    def single_letter(self, c):
        return (m.Name(canonical_word(str(c[0])), span=self._t(c[0])),)

    def single_greek(self, c):
        return (m.Name(GREEK_LETTERS[str(c[0]).lstrip("\\")], span=self._t(c[0])),)

    def single_number(self, c):
        return (m.Num(Fraction(str(c[0])), span=self._t(c[0])),)

    @v_args(meta=True)
    def name(self, meta, c):
        (base, _span), *scripts = c
        span = self._s(meta)
        subs: tuple[m.Expr, ...] = ()
        primes = 0
        sample = None
        power = None
        for kind, value in scripts:
            if kind == "sub":
                subs += value
            elif kind == "prime":
                primes += value
            elif kind == "sample":
                sample = value
            elif power is None:
                if len(value) != 1:
                    raise LatexError(meta.start_pos, meta.end_pos, "a superscript holds one expression")
                power = value[0]
            else:
                raise LatexError(meta.start_pos, meta.end_pos, "a double superscript: write x^{a b}")
        name = m.Name(base, subs, primes, sample, span=span)
        if power is None:
            return name
        if base == "e" and not subs and not primes and sample is None:
            return m.Func("exp", power, span=span)
        return m.Pow(name, power, span=span)

    # ---- calls
    @v_args(meta=True)
    def call(self, meta, c):
        func, (args, given) = c
        span = self._s(meta)
        if isinstance(func, m.Func):  # e^{x}(…): a product
            return m.Mul(func, self._group(args, given, meta), span=span)
        if isinstance(func, m.Pow):
            if not isinstance(func.base, m.Name) or not isinstance(func.exponent, m.Name):
                return m.Mul(func, self._group(args, given, meta), span=span)
            func = replace(func.base, decoration=func.exponent.key())
        assert isinstance(func, m.Name)
        if func.base in SCALARS and not func.decoration and len(args) == 1 and not given:
            return m.Mul(func, args[0], span=span)
        return m.Call(func, args, given, span=span)

    @staticmethod
    def _group(args, given, meta) -> m.Expr:
        if len(args) != 1 or given:
            raise LatexError(meta.start_pos, meta.end_pos, "only a function name can take several arguments")
        return args[0]

    def args(self, c):
        if len(c) == 1:
            return c[0], ()
        return c[0], c[2]

    def arglist(self, c):
        return tuple(c)

    @v_args(meta=True)
    def placeholder(self, meta, c):
        return m.Placeholder(span=self._t(c[0]))

    # ---- atoms
    @v_args(meta=True)
    def number(self, meta, c):
        return m.Num(Fraction(str(c[0])), span=self._t(c[0]))

    @v_args(meta=True)
    def number_pow(self, meta, c):
        base = m.Num(Fraction(str(c[0])), span=self._t(c[0]))
        return m.Pow(base, self._one(c[1], meta), span=self._s(meta))

    def _one(self, sarg, meta) -> m.Expr:
        if len(sarg) != 1:
            raise LatexError(meta.start_pos, meta.end_pos, "a superscript holds one expression")
        return sarg[0]

    @v_args(meta=True)
    def pow(self, meta, c):
        return m.Pow(c[0], self._one(c[1], meta), span=self._s(meta))

    @v_args(meta=True)
    def size(self, meta, c):
        tok = c[0]
        inner = re.search(r"(\\mathcal\s*\{\s*([A-Za-z])\s*\}|\\mathcal\s+([A-Za-z])|([A-Za-z]))"
                          r"(?:_(\{([^{}|]*)\}|([A-Za-z0-9])))?", str(tok)[1:])
        assert inner is not None
        letter = inner.group(2) or inner.group(3) or inner.group(4)
        sub = inner.group(6) or inner.group(7)
        span = self._t(tok)
        subs = (self._atom(sub.strip(), span),) if sub else ()
        return m.Size(m.Name(letter, subs, span=span), span=span)

    @v_args(meta=True)
    def frac(self, meta, c):
        _frac, num, den = c
        span = self._s(meta)
        deriv = _derivative(num, den, span)
        return deriv if deriv is not None else m.Div(num, den, span=span)

    @v_args(meta=True)
    def frac_short(self, meta, c):
        tok = c[0]
        a, b = "".join(str(tok).split("frac", 1)[1].split())
        span = self._t(tok)
        return m.Div(self._atom(a, span), self._atom(b, span), span=span)

    @v_args(meta=True)
    def cancel(self, meta, c):
        """``\\cancel{X}``: the author claims X vanishes; the row is read with 0 in its place."""
        return m.Num(Fraction(0), span=self._s(meta))

    def cancelto(self, c):
        """``\\cancelto{v}{X}``: the author claims X becomes v."""
        return c[1]

    @v_args(meta=True)
    def sqrt(self, meta, c):
        return m.Func("sqrt", c[-1], span=self._s(meta))

    @v_args(meta=True)
    def partial(self, meta, c):
        return m.Name(PARTIAL, span=self._t(c[0]))


    def pos(self, c):
        return c[-1]

    @v_args(meta=True)
    def prefix_op(self, meta, c):
        op, operand = c
        word = str(op).lstrip("\\")
        return m.Func("log" if word in ("log", "ln") else word, operand, span=self._s(meta))

    @v_args(meta=True)
    def grad(self, meta, c):
        op, operand = c
        return m.Grad(_param(str(op)), operand, span=self._s(meta))

    # ---- big operators
    @v_args(meta=True)
    def bigop(self, meta, c):
        head, *rest = c
        word = str(head).lstrip("\\")
        body = rest[-1]
        index, lower, upper, over = (rest[0] if len(rest) == 2 else (None, None, None, None))
        span = self._s(meta)
        integral = word == "int"
        if integral:
            body, index = _drop_differential(body, index, meta)
        if index is None:
            raise LatexError(meta.start_pos, meta.end_pos,
                             f"\\{word} needs its index: \\{word}_{{t=0}}^{{T}} …, \\{word}_\\tau …"
                             + (" or … d\\tau" if integral else ""))
        if upper is not None and lower is None:
            raise LatexError(meta.start_pos, meta.end_pos, "an upper bound needs a lower one: \\sum_{i=1}^{N} …")
        kind = "prod" if word == "prod" else "sum"
        return m.BigOp(kind, index, body, lower, upper, over, integral=integral, span=span)

    def limits_low(self, c):
        index, lower, over = c[0]
        return index, lower, None, over

    def limits_both(self, c):
        index, lower, over = c[0]
        return index, lower, self._sup(c[1]), over

    def limits_swapped(self, c):
        index, lower, over = c[1]
        return index, lower, self._sup(c[0]), over

    @staticmethod
    def _sup(sarg) -> m.Expr:
        if len(sarg) != 1:
            raise LatexError(0, 0, "an upper bound holds one expression")
        return sarg[0]

    def bound_tok(self, c):
        tok = c[0]
        text = str(tok)
        base = GREEK_LETTERS[text[1:]] if tok.type == "GREEK" else canonical_word(text)
        return m.Name(base, span=self._t(tok))

    def bound_name(self, c):
        return c[0], None, None

    def bound_range(self, c):
        name, rel, lower = c
        if str(rel) != "=":
            raise LatexError(rel.start_pos, rel.end_pos, "write a bound with '=': \\sum_{t=0}^{T} …")
        return name, lower, None

    def bound_set(self, c):
        return c[0], None, c[2]

    @v_args(meta=True)
    def expect(self, meta, c):
        _e, (variables, dist), body = c
        return m.Expect(variables, dist, body, span=self._s(meta))

    @v_args(meta=True)
    def expect_under(self, meta, c):
        _u, (variables, dist), _e, body = c
        return m.Expect(variables, dist, body, span=self._s(meta))

    def exp_inner(self, c):
        names = tuple(x for x in c[:-2] if isinstance(x, m.Name))
        return names, c[-1]


PARTIAL = "∂"


def _param(text: str) -> str:
    """The parameter of ``\\nabla_\\theta``, ``\\nabla_{\\theta}``, ``\\partial_\\theta``, ``\\frac{d}{d\\theta}``."""
    if text.startswith(("\\nabla", "\\partial")) and "_" not in text:
        return ""
    if "_" in text and text.startswith(("\\nabla", "\\partial")):
        return _word(text.split("_", 1)[1])
    # \frac{…}{\partial\theta}: the denominator's variable
    den = text[text.rfind("{") + 1:].rstrip("} \t\n")
    den = re.sub(r"^(\\partial|\\mathrm\s*\{\s*d\s*\}|\\operatorname\s*\{\s*d\s*\}|d)", "", den.strip())
    return _word(den)


def _factors(e: m.Expr) -> list[m.Expr]:
    if isinstance(e, m.Mul):
        return _factors(e.left) + _factors(e.right)
    return [e]


def _product(factors: Sequence[m.Expr], span: m.Span) -> m.Expr:
    out = factors[0]
    for f in factors[1:]:
        out = m.Mul(out, f, span=span)
    return out


def _is_bare(e: m.Expr, base: str) -> bool:
    return isinstance(e, m.Name) and e.base == base and not e.sub and not e.primes and e.sample is None


def _derivative(num: m.Expr, den: m.Expr, span: m.Span) -> m.Expr | None:
    """``\\frac{\\partial X}{\\partial \\theta}`` and ``\\frac{d X}{d\\theta}`` → ∇_θ X; else None."""
    den_f = _factors(den)
    if len(den_f) != 2 or not isinstance(den_f[1], m.Name):
        return None
    marker = den_f[0]
    if not (_is_bare(marker, PARTIAL) or _is_bare(marker, "d")):
        return None
    assert isinstance(marker, m.Name)
    num_f = _factors(num)
    if not _is_bare(num_f[0], marker.base) or len(num_f) < 2:
        return None
    return m.Grad(den_f[1].key(), _product(num_f[1:], span), span=span)


def _drop_differential(body: m.Expr, index: m.Name | None, meta) -> tuple[m.Expr, m.Name | None]:
    """``\\int_\\tau f \\, d\\tau``: the ``d\\tau`` is notation (and names the index when there is none)."""
    factors = _factors(body)
    for i in range(len(factors) - 1):
        d, var = factors[i], factors[i + 1]
        if _is_bare(d, "d") and isinstance(var, m.Name) and (index is None or var.key() == index.key()):
            rest = factors[:i] + factors[i + 2:]
            if not rest:
                raise LatexError(meta.start_pos, meta.end_pos, "the integral has nothing to integrate")
            return _product(rest, body.span), index or var
    return body, index


def _leftover(expr: m.Expr) -> m.Expr | None:
    """A ``\\partial`` that no fraction took: it has no meaning on its own."""
    if isinstance(expr, m.Name) and expr.base == PARTIAL:
        return expr
    for value in vars(expr).values():
        children = value if isinstance(value, tuple) else (value,)
        for child in children:
            if isinstance(child, m.Expr):
                found = _leftover(child)
                if found is not None:
                    return found
    return None


# --------------------------------------------------------------------------- parsing rows

_WORDS = {
    "LETTER": "a letter", "GREEK": "a Greek letter", "NUMBER": "a number", "REL": "a relation (=, \\approx, …)",
    "STACKREL": "a relation", "RPAR": "')'", "LPAR": "'('", "RSQB": "']'", "LSQB": "'['", "RBRACE": "'}'",
    "LBRACE": "'{'", "COMMA": "','", "PLUS": "'+'", "MINUS": "'-'", "SLASH": "'/'", "MULOP": "\\cdot",
    "CIRCUMFLEX": "'^'", "UNDERSCORE": "'_'", "TILDE": "\\sim", "COND": "'|'", "IN": "\\in",
    "PREFIX": "\\log", "GRAD": "\\nabla_\\theta", "BIGOP": "\\sum", "EXPECT": "\\mathbb{E}", "FRAC": "\\frac",
    "$END": "the end of the row", "PLACEHOLDER": "\\cdot", "_RBRACE_ESC": "'\\}'", "_LBRACE_ESC": "'\\{'",
}


def parse_row(text: str, locate: Locate | None = None) -> Row:
    """Parse one row (no ``\\\\``, no justification) into a :class:`Row` (raises LatexError)."""
    locate = locate or _relative_spans(text)
    try:
        tree = _parser().parse(text)
        row = _Builder(locate).transform(tree)
    except UnexpectedInput as err:
        raise _describe(err, text) from None
    except VisitError as err:
        if isinstance(err.orig_exc, LatexError):
            raise err.orig_exc from None
        raise
    for expr in ([row.first] if row.first is not None else []) + [link.expr for link in row.links]:
        stray = _leftover(expr)
        if stray is not None:
            raise LatexError(0, len(text), "a \\partial outside a derivative: write \\frac{\\partial X}"
                                           "{\\partial \\theta} or \\nabla_\\theta X")
    return row


def parse_expression(latex: str, macros: Macros | None = None) -> m.Expr:
    """Parse a LaTeX expression (macros expanded, no relation) into a model expression."""
    loc = Located.of(latex)
    if macros is not None:
        loc = macros.expand(loc)
    loc = unwrap(strip_wrappers(loc))
    row = parse_row(loc.text)
    if row.links or row.first is None:
        raise LatexError(0, len(latex), "expected an expression, not a relation")
    return row.first


def _describe(err: UnexpectedInput, text: str) -> LatexError:
    pos = getattr(err, "pos_in_stream", None)
    if isinstance(err, UnexpectedEOF) or pos is None:
        pos = len(text.rstrip())
    pos = min(pos, len(text))
    if isinstance(err, UnexpectedCharacters):
        word = _control_word(text, pos) if text[pos:pos + 1] == "\\" else None
        found = "\\" + word if word else text[pos:pos + 1]
        if word:
            message = f"pgverify does not read '{found}' in LaTeX math"
        else:
            message = f"unexpected '{found}'"
        end = pos + len(found)
    elif isinstance(err, UnexpectedToken) and err.token.type != "$END":
        found = str(err.token)
        message = f"unexpected '{found}': " + _expected(err)
        end = pos + len(found)
    else:
        message = "the row ends too early: " + _expected(err)
        end = pos + 1
    return LatexError(pos, max(end, pos + 1), message)


def _expected(err: UnexpectedInput) -> str:
    names = set(getattr(err, "accepts", None) or getattr(err, "expected", None) or ())
    words = sorted({_WORDS.get(n, n.lower()) for n in names if not n.startswith("__") and n in _WORDS})
    starters = {"a letter", "a Greek letter", "a number", "'('", "\\log", "\\nabla_\\theta", "\\sum"}
    if starters <= set(words):
        words = ["an expression"] + [w for w in words if w not in starters and w not in
                                     {"'['", "\\mathbb{E}", "'-'", "'+'", "\\frac", "'{'", "'\\{'"}]
    if not words:
        return "the row cannot be read from here"
    if len(words) > 6:
        words = words[:6] + ["…"]
    return "expected " + ", ".join(words)


# --------------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class BlockResult:
    """What a math block holds: its steps and chains, its errors, and how many rows it has."""

    steps: tuple[m.Step, ...]
    chains: tuple[tuple[m.Expr, m.Expr], ...]
    errors: tuple[m.SyntaxIssue, ...]
    rows: int


Position = Callable[[int], tuple[int, int]]


@dataclass
class _Chain:
    steps: list[m.Step] = field(default_factory=list)
    chains: list[list[m.Expr]] = field(default_factory=list)
    last: m.Expr | None = None
    seen_row: bool = False


def read_block(text: str, start: int, end: int, position: Position, macros: Macros,
               lines: Sequence[str] = ()) -> BlockResult:
    """Read the math block ``text[start:end]`` (delimiters included) into steps.

    ``position`` maps an offset in ``text`` to the (line, column) of the original
    file; ``lines`` are the original file's lines, for the caret of an error.
    """
    reader = _BlockReader(position, lines)
    loc = Located.of(text[start:end], start)
    loc, comments = strip_comments(loc)
    loc = strip_definitions(loc)
    loc = strip_wrappers(loc)
    rows = _join_continuations(split_rows(loc))
    chain = _Chain()
    count = 0
    for raw, row_end in rows:
        if not raw.text.strip():
            continue
        note_from_comment = _comment_note(comments, raw, row_end)
        count += reader.row(raw, note_from_comment, macros, chain)
    chains = tuple((c[0], c[-1]) for c in chain.chains if len(c) > 1)
    return BlockResult(tuple(chain.steps), chains, tuple(reader.errors), count)


def _join_continuations(rows: list[RawRow]) -> list[tuple[Located, int]]:
    """A row with no relation after another row continues it (a long right side broken over rows)."""
    out: list[tuple[Located, int]] = []
    for row in rows:
        text = row.loc.text
        if not text.strip() and out:
            continue
        if out and out[-1][0].text.strip() and relation_at_top(_visible(text)) < 0 and \
                not _is_note_only(text):
            previous, _ = out[-1]
            out[-1] = (previous + Located.made(" ", previous.origin[-1]) + row.loc, row.end)
        else:
            out.append((row.loc, row.end))
    return out


def _visible(text: str) -> str:
    """The row without its note, for finding the relation."""
    note = take_note(text)
    return text[:note.start] if note else text


def _is_note_only(text: str) -> bool:
    note = take_note(text)
    return note is not None and not text[:note.start].strip(" \t\n&")


def _comment_note(comments: list[Comment], row: Located, row_end: int) -> tuple[str, int] | None:
    """A ``% by rule`` comment after the row's last code (on the row's lines)."""
    if not row.text.strip():
        return None
    first = min(row.origin[:-1]) if row.text else row_end
    for comment in comments:
        found = re.match(r"\s*by\s+(.+)$", comment.text)
        if found and comment.anchor is not None and first <= comment.anchor < row_end:
            return found.group(1).strip(), comment.offset
    return None


class _BlockReader:
    def __init__(self, position: Position, lines: Sequence[str]):
        self.position = position
        self.lines = lines
        self.errors: list[m.SyntaxIssue] = []

    def span(self, a: int, b: int | None = None) -> m.Span:
        line, col = self.position(a)
        if b is None or b <= a:
            return m.Span(line, col, line, col + 1)
        line2, col2 = self.position(b)
        return m.Span(line, col, line2, col2)

    def locate_in(self, loc: Located) -> Locate:
        def locate(i: int, j: int) -> m.Span:
            i = min(max(i, 0), len(loc.text))
            j = min(max(j, i), len(loc.text))
            a = loc.origin[i]
            b = loc.origin[j - 1] + 1 if j > i else a + 1
            return self.span(a, max(b, a + 1))
        return locate

    def issue(self, span: m.Span, message: str) -> m.SyntaxIssue:
        context = ""
        if 0 < span.line <= len(self.lines):
            source = self.lines[span.line - 1].rstrip("\n")
            context = source + "\n" + " " * max(span.column - 1, 0) + "^"
        return m.SyntaxIssue(span, message, context)

    def row(self, raw: Located, comment_note: tuple[str, int] | None, macros: Macros, chain: _Chain) -> int:
        """Read one row into the chain; returns 1 when the row held anything."""
        source_text = " ".join(raw.text.split())
        try:
            loc = macros.expand(raw)
        except MacroError as err:
            return self._broken(raw, chain, self.span(err.offset), err.message, source_text)
        loc = unwrap(strip_wrappers(loc))
        note = take_note(loc.text)
        note_text, note_span = None, None
        if note is not None:
            note_text = note.text or None
            note_span = self.locate_in(loc)(note.start, note.end)
            loc = loc[:note.start]
        elif comment_note is not None:
            note_text = comment_note[0]
            note_span = self.span(comment_note[1])
        loc = _trim_punctuation(loc)
        if not loc.text.strip(" \t\n&"):
            return 0
        try:
            parsed = parse_row(loc.text, self.locate_in(loc))
        except LatexError as err:
            span = self.locate_in(loc)(err.start, err.end)
            return self._broken(loc, chain, span, err.message, source_text)
        except RecursionError:
            span = self.locate_in(loc)(0, 1)
            return self._broken(loc, chain, span, "the row is nested too deeply to read", source_text)
        self._take(parsed, chain, note_text, note_span, source_text)
        return 1

    def _broken(self, loc: Located, chain: _Chain, span: m.Span, message: str, text: str) -> int:
        """An unreadable row: an error, and (when the row is a step) an unreadable step in its place."""
        self.errors.append(self.issue(span, message))
        at = relation_at_top(loc.text)
        if at >= 0 or chain.seen_row:
            where = self.span(loc.origin[at]) if at >= 0 else self.span(loc.origin[len(loc.text) - len(
                loc.text.lstrip())])
            chain.steps.append(m.Step(chain.last, "?", None, None, where, text))
        chain.last = None
        chain.seen_row = True
        return 1

    def _take(self, row: Row, chain: _Chain, note: str | None, note_span: m.Span | None, text: str) -> None:
        if not row.links:
            if row.first is not None:
                chain.chains.append([row.first])
                chain.last = row.first
            chain.seen_row = True
            return
        if row.first is not None and (row.lead != "therefore" or not chain.seen_row):
            left: m.Expr | None = row.first       # a new chain, or (\implies) a new claim
            chain.chains.append([row.first])
        elif chain.seen_row:
            left = chain.last                     # continues; \therefore restates the start
            if left is None:
                chain.chains.append([])
        else:
            self.errors.append(self.issue(row.links[0].span, "a step needs a line before it to relate to:"
                                                             " start the chain with an expression"))
            chain.seen_row = True
            return
        for k, link in enumerate(row.links):
            words = link.note or (note if k == len(row.links) - 1 else None)
            just = None
            if words:
                span = note_span if (words == note and note_span is not None) else link.span
                just = m.Justification((words,), words, span)
            chain.steps.append(m.Step(left, link.relation, link.expr, just, link.span, text))
            chain.chains[-1].append(link.expr)
            left = link.expr
        chain.last = left
        chain.seen_row = True


def _trim_punctuation(loc: Located) -> Located:
    """A sentence's period or comma after the math, and spacing before a note, are not part of the math."""
    text = loc.text
    while True:
        trimmed = re.sub(r"(\\(quad|qquad|hfill|enspace|enskip)(?![A-Za-z])|\\[,;:! ]|&|~|\s)+$", "", text)
        if trimmed and trimmed[-1] in ".,;" and not re.search(r"\\[,;]$", trimmed):
            trimmed = trimmed[:-1]
        if trimmed == text:
            break
        text = trimmed
    return loc[:len(text)]


def read_math(text: str, macros: Macros | str = "") -> BlockResult:
    """Read a standalone math block (``$$ … $$``, ``\\begin{align*} … \\end{align*}``, or bare rows);
    lines and columns are counted in ``text``."""
    table = macros if isinstance(macros, Macros) else Macros.parse(macros)
    locate = _relative_spans(text)

    def position(offset: int) -> tuple[int, int]:
        span = locate(offset, offset)
        return span.line, span.column
    return read_block(text, 0, len(text), position, table, text.split("\n"))
