"""Macros: ``\\newcommand``, ``\\renewcommand``, ``\\def`` … found, and expanded with positions kept."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


from .located import Located, control_word, join, match_group, skip_space

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
    i = skip_space(text, found.end())
    # the macro's name: {\name} or \name
    braced = i < len(text) and text[i] == "{"
    if braced:
        i = skip_space(text, i + 1)
    name = control_word(text, i) if i < len(text) and text[i] == "\\" else None
    if name is None:
        return None
    i += 1 + len(name)
    if braced:
        i = skip_space(text, i)
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
        i = skip_space(text, i)
        if text.startswith("[", i):
            close = text.find("]", i)
            if close < 0 or not text[i + 1:close].strip().isdigit():
                return None
            nargs = int(text[i + 1:close])
            i = skip_space(text, close + 1)
            if text.startswith("[", i):
                close = match_group(text, i, "[", "]")
                if close < 0:
                    return None
                default = text[i + 1:close - 1]
                i = close
    i = skip_space(text, i)
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
        # a budget on growth too, not only on the count: a macro whose argument doubles (\f{#1#1}) reaches
        # gigabytes within the count; no real expansion is more than a few dozen times its source
        most = max(64 * len(loc.text), 20_000)
        while i < len(loc.text):
            text = loc.text
            if text[i] != "\\":
                i += 1
                continue
            name = control_word(text, i)
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
            body = self._body(macro, args, loc.origin[i])
            if len(loc.text) - (end - i) + len(body.text) > most:
                raise MacroError(loc.origin[i], f"the macro \\{name} grows without bound (its expansion passes"
                                                f" {most} characters: is it recursive?)")
            loc = loc[:i] + body + loc[end:]
            # expand again from the same place: the body may hold further macros
        return loc

    def _arguments(self, loc: Located, i: int, macro: Macro) -> tuple[int, list[Located]]:
        text = loc.text
        args: list[Located] = []
        count = macro.nargs
        if macro.default is not None and count > 0:
            j = skip_space(text, i)
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
            j = skip_space(text, i)
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
                word = control_word(text, j)
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
