"""The value of a construct the LaTeX reader could give only a conditional meaning (``syntax.latex.opaque``).

An :class:`~pgverify.model.Opaque` node carries a construct as written (a maximum, a conditional
expectation, an evaluation bar, a slice) and what it means *if* the names inside it mean nothing else in
the file: ``max_π f`` is ``f`` only when ``f`` is not defined in terms of π, and an atom such as
``⟨max_π g(π)⟩`` can take any value only when ``g`` is a function the file says nothing about.  That
condition needs the file's declarations, so it is decided here, in the models: when it fails, or when the
construct has no meaning at all, the step is unknown with the construct's reason.
"""

from __future__ import annotations

from typing import Any

from .. import model as m
from ..semantics import Context
from .models import Env, Unsupported


def value(ev: Any, e: m.Opaque, env: Env) -> Any:
    """The construct's value in this model (raises :class:`Unsupported` with its reason when it has none)."""
    if e.meaning is None:
        raise Unsupported(e.reason)
    key = ("opaque", id(e), id(ev.ctx))
    if key not in ev.cache:
        ev.cache[key] = (e, unpinned(ev.ctx, e.expr))   # the node is kept so that its id stays its own
    if not ev.cache[key][1]:
        raise Unsupported(e.reason)
    return ev.eval(e.meaning, env)


def unpinned(ctx: Context, construct: m.Expr) -> bool:
    """Whether no name inside ``construct`` (besides the variables it binds) has a meaning in ``ctx``: no
    declaration, definition or vocabulary entry, and no definition that mentions it."""
    bound: set[str] = set()
    parts: list[m.Expr] = [construct]
    if isinstance(construct, m.Optimum | m.EvalAt):
        bound, parts = {construct.variable.key()}, [construct.body]
    elif isinstance(construct, m.CondExpect):
        bound = {v.key() for v in construct.variables}
        parts = [construct.body, *construct.given] + ([construct.dist] if construct.dist is not None else [])
    inner: set[str] = set()
    functions = {key for key, _ in ctx.functions}
    for part in parts:
        for node in m.nodes(part):
            if isinstance(node, m.Call):
                if ctx.resolve_call(node)[1].kind != "undeclared":
                    return False
                inner.add(node.func.key())
            elif isinstance(node, m.Name) and node.key() not in bound:
                if node.key() in ctx.constants or node.key() in functions:
                    return False
                inner.add(node.key())
    inner -= bound
    for body in [info.body for info in ctx.functions.values() if info.body is not None] + list(ctx.constants.values()):
        for node in m.nodes(body):
            if isinstance(node, m.Name) and node.key() in inner:
                return False
    return True
