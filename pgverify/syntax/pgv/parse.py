"""Parsing one logical line (or a lone expression) with ``grammars/pgverify.lark``."""

from __future__ import annotations

import dataclasses
import re
import sys
from collections.abc import Callable
from dataclasses import replace
from functools import cache
from operator import attrgetter
from typing import Any

from lark import Lark
from lark.exceptions import UnexpectedInput, VisitError

from ... import model as m
from .. import grammars
from .builder import LineBuilder
from .errors import ParseFailure, caret, describe
from .lines import LogicalLine


@cache
def _parser() -> Lark:
    grammar = grammars.load("pgverify")
    # cache=True keeps the built LALR tables in the temp folder (keyed by the grammar's hash): a warm start
    # skips ~0.2 s of table construction
    parser = Lark(grammar, start="line", parser="lalr", lexer="contextual", propagate_positions=True,
                  maybe_placeholders=False, cache=True)
    if TERMINAL_AT_A_TIME:
        _scan_a_terminal_at_a_time(parser)
    return parser


# --------------------------------------------------------------------------- the lexer's scanners

# lark's contextual lexer has a scanner for each set of terminals a parser state accepts, built on its first use
# by compiling one alternation of those terminals, ``(?P<NAME>…)|(?P<NUMBER>…)|…``: 0.3-2 ms each in Python's
# regex compiler, 31 of them (12 ms) for the rl vocabulary and a short file, mostly compiling the same terminals
# again.  Instead each terminal is compiled once, and a scanner tries its terminals one at a time, in its order,
# until it has been used SWITCH times; then it compiles its alternation after all (a long file's lexing is not
# slowed).  The same match either way: an alternation with nothing after it matches the first alternative that
# matches at the position, as that alternative alone would match there (tests/test_scanners.py compares
# both on every file of the repository and on hostile text).  Anything not in that form is compiled as before.
TERMINAL_AT_A_TIME = True
SWITCH = 128


class _Found:
    """What lark reads of a scanner's match: the text (``group(0)``) and the terminal's name (``lastgroup``)."""

    __slots__ = ("lastgroup", "text")

    def __init__(self, text: str, lastgroup: str) -> None:
        self.text, self.lastgroup = text, lastgroup

    def group(self, index: int = 0) -> str:
        if index != 0:
            raise IndexError("only the whole match is kept")
        return self.text


class _Alternation:
    """A scanner's alternation of terminals, matched one terminal at a time until used SWITCH times."""

    __slots__ = ("flags", "pattern", "terminals", "uses", "whole")

    def __init__(self, terminals: list[tuple[re.Pattern[str], str]], pattern: str, flags: int) -> None:
        self.terminals, self.pattern, self.flags, self.uses = terminals, pattern, flags, 0
        self.whole: re.Pattern[str] | None = None

    def _compiled(self) -> re.Pattern[str] | None:
        if self.whole is None:
            self.uses += 1
            if self.uses <= SWITCH:
                return None
            self.whole = re.compile(self.pattern, self.flags)
        return self.whole

    def match(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | _Found | None:
        whole = self._compiled()
        if whole is not None:
            return whole.match(text, pos, endpos)
        for regex, name in self.terminals:
            found = regex.match(text, pos, endpos)
            if found is not None:
                return _Found(found.group(0), name)
        return None

    def fullmatch(self, text: str) -> re.Match[str] | _Found | None:
        whole = self._compiled()
        if whole is not None:
            return whole.fullmatch(text)
        for regex, name in self.terminals:
            found = regex.fullmatch(text)
            if found is not None:
                return _Found(found.group(0), name)
        return None


class _Scanners:
    """Stands in for the ``re`` module in lark's scanners: an alternation of this grammar's terminals becomes an
    :class:`_Alternation`; everything else is the ``re`` module's own."""

    def __init__(self, terminals: dict[str, str]) -> None:
        self._terminals = terminals                          # name -> regular expression
        self._compiled: dict[tuple[str, int], re.Pattern[str]] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)

    def compile(self, pattern: str, flags: int = 0) -> re.Pattern[str] | _Alternation:
        terminals = self._split(pattern)
        if terminals is None:
            return re.compile(pattern, flags)
        return _Alternation([(self._one(regex, flags), name) for name, regex in terminals], pattern, flags)

    def _one(self, regex: str, flags: int) -> re.Pattern[str]:
        key = regex, flags
        if key not in self._compiled:
            self._compiled[key] = re.compile(regex, flags)
        return self._compiled[key]

    def _split(self, pattern: str) -> list[tuple[str, str]] | None:
        """The (name, expression) of each terminal of ``(?P<A>a)|(?P<B>b)|…``, if ``pattern`` is exactly that."""
        out: list[tuple[str, str]] = []
        at = 0
        while True:
            if not pattern.startswith("(?P<", at):
                return None
            close = pattern.find(">", at)
            name = pattern[at + 4:close]
            regex = self._terminals.get(name)
            if close < 0 or regex is None or not pattern.startswith(regex + ")", close + 1):
                return None
            out.append((name, regex))
            at = close + 1 + len(regex) + 1
            if at == len(pattern):
                return out
            if pattern[at] != "|":
                return None
            at += 1


def _scan_a_terminal_at_a_time(parser: Lark) -> None:
    """Give the scanners of ``parser``'s contextual lexer not yet built the stand-in :class:`_Scanners` (a lark
    whose lexer is laid out otherwise keeps its own scanners)."""
    lexer = getattr(getattr(parser, "parser", None), "lexer", None)
    states = getattr(lexer, "lexers", None)
    if not isinstance(states, dict) or not hasattr(lexer, "root_lexer"):
        return
    scanners = _Scanners({t.name: t.pattern.to_regexp() for t in parser.terminals})
    for basic in {id(b): b for b in [*states.values(), lexer.root_lexer]}.values():
        if getattr(basic, "re", None) is re and getattr(basic, "_scanner", False) is None and \
                not getattr(basic, "use_bytes", True):
            basic.re = scanners


def load_parser() -> None:
    """Build the parser now, in a process about to fork workers that parse (they inherit it, and this process,
    which reads the rl vocabulary's definitions with it, builds it once)."""
    _parser()


def parse_line(logical: LogicalLine) -> m.Statement:
    """Parse one logical line into a statement node (raises ParseFailure)."""
    try:
        tree = _parser().parse(logical.text)
        statement = LineBuilder(logical.line).transform(tree)
        if _depth(statement) > MAX_DEPTH:
            raise RecursionError   # built without recursion, but every later walk of it would recurse
        return statement
    except UnexpectedInput as err:
        raise ParseFailure(describe(err, logical)) from None
    except RecursionError:
        span = m.Span(logical.line, 1, logical.line, 2)
        raise ParseFailure(m.SyntaxIssue(span, "this line nests or chains too deeply to read: split it into"
                                               " several steps", caret(logical.text, 0))) from None
    except VisitError as err:
        if isinstance(err.orig_exc, ParseFailure):
            issue = err.orig_exc.issue
            if not issue.context:
                issue = replace(issue, context=caret(logical.text, _position(logical, issue.span)))
            raise ParseFailure(issue) from None
        raise


MAX_DEPTH = 400   # nesting a line may have (a flat sum is not nesting: the builder balances long `+` chains)


def _depth(node: object) -> int:
    """How deeply the nodes of a statement nest (iterative: a deep tree is measured, never recursed into)."""
    deepest = 0
    stack: list[tuple[object, int]] = [(node, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > MAX_DEPTH:
                break
        if isinstance(item, (tuple, list)):
            stack.extend([(x, depth) for x in item])
            continue
        cls = item.__class__
        nested = _NESTED[cls] if cls in _NESTED else _NESTED.setdefault(cls, _nested(cls))
        if nested is not None:
            stack.extend([(value, depth + 1) for value in nested(item)])
    return deepest


# what a node of each class nests through, as a function giving those fields' values (None for a span, a class
# object or a plain value): looked up once per class, not with dataclasses.fields for every node of every line
_NESTED: dict[type, Callable[[Any], tuple[Any, ...]] | None] = {}


def _nested(cls: type) -> Callable[[Any], tuple[Any, ...]] | None:
    if not dataclasses.is_dataclass(cls) or issubclass(cls, (type, m.Span)):
        return None
    names = tuple(f.name for f in dataclasses.fields(cls) if f.name != "span")
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda node: (one(node),)
    return attrgetter(*names) if names else lambda node: ()


def _position(logical: LogicalLine, span: m.Span) -> int:
    """The offset in a logical line's text of a (line, column) position."""
    offset = 0
    lines = logical.text.split("\n")
    for k in range(max(0, min(span.line - logical.line, len(lines) - 1))):
        offset += len(lines[k]) + 1
    return offset + max(0, span.column - 1)


def parse_expression(text: str) -> m.Expr:
    """Parse a lone expression (for the API and tests)."""
    stmt = parse_line(LogicalLine(text, 1, 1))
    if not isinstance(stmt, m.ChainStart):
        raise ParseFailure(m.SyntaxIssue(stmt.span, "expected an expression, not a statement"))
    return stmt.expr
