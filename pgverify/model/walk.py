"""The one walk over an expression tree: its children, all its nodes, a bottom-up rebuild (and a product's factors).

Every other module that needs an expression's sub-expressions goes through
these three functions, so a new node type needs no change to any walk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from .expressions import NOWHERE, Expr, Mul, Span


def children(e: Expr) -> list[Expr]:
    """The sub-expressions of ``e`` in field order (a tuple field contributes each of its expressions)."""
    out: list[Expr] = []
    for name in e.__dataclass_fields__:
        if name == "span":
            continue
        v = getattr(e, name)
        if isinstance(v, Expr):
            out.append(v)
        elif isinstance(v, tuple):
            out.extend(x for x in v if isinstance(x, Expr))
    return out


def nodes(e: Expr) -> Iterator[Expr]:
    """``e`` and every expression inside it, parents before children."""
    # an explicit stack (children pushed right to left, so the order is the recursive one): a nested
    # generator would pass every node up through one frame per level of depth
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


def transform(e: Expr, fn: Callable[[Expr], Expr | None]) -> Expr:
    """Rebuild ``e`` bottom-up, replacing each node for which ``fn`` returns an expression.

    Unchanged subtrees are kept (the same objects), so ``transform(e, lambda n: None) is e``.
    """
    changes: dict[str, Any] = {}
    for name in e.__dataclass_fields__:
        if name == "span":
            continue
        value = getattr(e, name)
        if isinstance(value, Expr):
            new = transform(value, fn)
            if new is not value:
                changes[name] = new
        elif isinstance(value, tuple) and any(isinstance(x, Expr) for x in value):
            items = tuple(transform(x, fn) if isinstance(x, Expr) else x for x in value)
            if any(a is not b for a, b in zip(items, value)):
                changes[name] = items
    node = replace(e, **changes) if changes else e
    out = fn(node)
    return node if out is None else out


def factors(e: Expr) -> list[Expr]:
    """The factors of a product, left to right (anything else is its own one factor)."""
    if isinstance(e, Mul):
        return factors(e.left) + factors(e.right)
    return [e]


def product(parts: Sequence[Expr], span: Span = NOWHERE) -> Expr:
    """The product of ``parts`` (at least one), multiplied left to right; each ``Mul`` gets ``span``."""
    out = parts[0]
    for f in parts[1:]:
        out = Mul(out, f, span=span)
    return out
