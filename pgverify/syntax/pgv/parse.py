"""Parsing one logical line (or a lone expression) with ``grammars/pgverify.lark``."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from functools import cache

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
    return Lark(grammar, start="line", parser="lalr", lexer="contextual", propagate_positions=True,
                maybe_placeholders=False, cache=True)


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
        deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            break
        if isinstance(item, (tuple, list)):
            stack.extend((x, depth) for x in item)
        elif dataclasses.is_dataclass(item) and not isinstance(item, (type, m.Span)):
            stack.extend((getattr(item, f.name), depth + 1) for f in dataclasses.fields(item) if f.name != "span")
    return deepest


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
