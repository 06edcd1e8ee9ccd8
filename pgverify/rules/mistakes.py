"""The building blocks of detectors: a detector names one catalogued mistake behind a refuted step.

A detector is a generator ``(lhs, unfolded, rhs, relation, ctx) -> (left, right, context), …``:
each triple is a claim that must hold, in the random finite models of ``context``, for the
detector to match.  A detector either *produces* the wrong step (applies the faulty rewrite
to the previous line, :func:`variants`, and claims the result equals what the student wrote)
or *repairs* it (applies the fix to the student's line and claims the step then holds).
``diagnose`` runs the detectors, most specific first; they live with the rules they are
misuses of, in ``pgverify/rules/<family>.py``, each on its :class:`Misconception`.
Nothing here decides a verdict or evaluates anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from fractions import Fraction

from pgverify import model as m
from pgverify.model import nodes, transform
from pgverify.semantics import Context, FunctionInfo

__all__ = [
    "Candidate", "Detector", "calls", "differentiates", "factors_of", "mentions_action", "num", "one_site",
    "product", "substitute", "unfold", "variants", "with_theta",
]

# a product's factors and back: the model's one copy (the LaTeX builder uses it too)
factors_of, product = m.factors, m.product

Candidate = tuple[m.Expr, m.Expr, Context]   # (left, right, context) that must agree for the detector to match
Detector = Callable[[m.Expr, m.Expr, m.Expr, str, Context], Iterator[Candidate]]


def substitute(e: m.Expr, mapping: dict[str, m.Expr]) -> m.Expr:
    """Replace free names by expressions (``mapping`` keyed by ``Name.key()``)."""
    return transform(e, lambda n: mapping.get(n.key()) if isinstance(n, m.Name) and n.key() in mapping else None)


def _definition(call: m.Call, ctx: Context) -> FunctionInfo | None:
    _, info = ctx.resolve_call(call)
    return info if info.kind == "def" else None


def unfold(e: m.Expr, ctx: Context, depth: int = 3) -> m.Expr:
    """Replace calls of defined functions by their definitions (a few levels deep)."""
    def step(node: m.Expr) -> m.Expr | None:
        if not isinstance(node, m.Call):
            return None
        info = _definition(node, ctx)
        if info is None or info.body is None:
            return None
        call = ctx.canonical_call(node)
        mapping: dict[str, m.Expr] = {}
        for param, arg in zip(info.params, call.all_args):
            if param.base == "τ" and not (isinstance(arg, m.Name) and arg.key() == "τ"):
                return None  # s_t in the body means the argument's states only when the argument is τ
            mapping[param.key()] = arg
        return substitute(info.body, mapping)
    for _ in range(depth):
        new = transform(e, step)
        if new == e:
            break
        e = new
    return e


def one_site(e: m.Expr, rewrite: Callable[[m.Expr], m.Expr | None]) -> Iterator[m.Expr]:
    """Variants of ``e`` with ``rewrite`` applied at one site each, then at every site at once."""
    sites = [n for n in nodes(e) if rewrite(n) is not None]
    for site in sites[:6]:
        yield transform(e, lambda n, site=site: rewrite(n) if n is site else None)
    if len(sites) > 1:
        yield transform(e, rewrite)


def variants(sources: tuple[m.Expr, ...], rewrite: Callable[[m.Expr], m.Expr | None], rhs: m.Expr,
              ctx: Context) -> Iterator[Candidate]:
    """The faulty rewrite applied to each source (one site at a time, then all): each must equal ``rhs``."""
    for source in sources:
        for variant in one_site(source, rewrite):
            yield variant, rhs, ctx


def mentions_action(e: m.Expr) -> bool:
    """Does ``e`` mention an action (a name whose base is ``a``)?"""
    return any(isinstance(n, m.Name) and n.base == "a" for n in nodes(e))


def num(k: int) -> m.Num:
    """The number ``k`` as an expression."""
    return m.Num(Fraction(k))


def with_theta(ctx: Context, independent: set[str], dependent: set[str] = frozenset()) -> Context:  # type: ignore[assignment]
    """A context in which some functions lose (or gain) their θ-dependence: the world the student assumed."""
    out = ctx.copy()
    for (key, arity), info in list(out.functions.items()):
        deps = set(info.depends)
        if key in independent:
            deps.clear()
        if key in dependent and out.params:
            deps.add(out.params[0])
        out.functions[(key, arity)] = replace(info, depends=frozenset(deps))
    out.depends = {k: v for k, v in out.depends.items() if k not in independent}
    return out


def calls(e: m.Expr, key: str) -> bool:
    """Does ``e`` call the function ``key``?"""
    return any(isinstance(n, m.Call) and n.func.key() == key for n in nodes(e))


def differentiates(e: m.Expr, key: str) -> bool:
    """Whether some gradient in ``e`` is taken of a term that calls ``key``."""
    return any(isinstance(n, m.Grad) and calls(n.operand, key) for n in nodes(e))
