"""Naming the mistake: apply each catalogue entry's fix and see whether the gradient becomes right.

A fix is a small change of the function's syntax tree (a copy: the user's
tree is never changed) or of one binding (a value made constant, log-probabilities
given for probabilities).  A mistake is named only when its fix makes the loss
``unbiased`` (or ``scaled``) on the same worlds: naming never changes a verdict.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from .bindings import Binding
from .check import Checker, Judgement, WorldResult, judge
from .interpret import ImplError

# worlds a candidate fix is screened on before it is confirmed on all of them
SCREEN = 2


@dataclass
class Fix:
    name: str
    node: ast.AST | None                    # where the mistake is (its line and column)
    fdef: ast.FunctionDef | None = None     # the function with the fix applied
    overrides: dict[str, Binding] | None = None


@dataclass
class Named:
    name: str
    line: int
    col: int


def _variant(fdef: ast.FunctionDef, target: ast.AST, build: Callable[[ast.AST], ast.AST]) -> ast.FunctionDef:
    """A copy of ``fdef`` with the copy of ``target`` replaced by ``build(copy)``."""
    index = next(i for i, n in enumerate(ast.walk(fdef)) if n is target)
    new = copy.deepcopy(fdef)
    node = list(ast.walk(new))[index]
    replacement = ast.fix_missing_locations(ast.copy_location(build(node), node))
    for parent in ast.walk(new):
        for name, value in ast.iter_fields(parent):
            if value is node:
                setattr(parent, name, replacement)
                return new
            if isinstance(value, list):
                for i, v in enumerate(value):
                    if v is node:
                        value[i] = replacement
                        return new
    raise AssertionError("the node to replace has no parent")


def _first_use(fdef: ast.FunctionDef, name: str) -> ast.AST:
    for n in ast.walk(fdef):
        if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load):
            return n
    return fdef


def _callee(n: ast.AST) -> str | None:
    if isinstance(n, ast.Call):
        f = n.func
        return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
    return None


def _method(obj: ast.expr, name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Attribute(value=obj, attr=name, ctx=ast.Load()), args=list(args), keywords=[])


def _loop_vars(fdef: ast.FunctionDef) -> list[str]:
    out: list[str] = []
    for n in ast.walk(fdef):
        targets = [n.target] if isinstance(n, (ast.For, ast.comprehension)) else []
        for t in targets:
            for x in ast.walk(t):
                if isinstance(x, ast.Name) and x.id not in out:
                    out.append(x.id)
    return out


def _names_in(n: ast.AST) -> set[str]:
    return {x.id for x in ast.walk(n) if isinstance(x, ast.Name)}


def _return(fdef: ast.FunctionDef) -> ast.AST:
    rets = [n for n in ast.walk(fdef) if isinstance(n, ast.Return)]
    return rets[-1] if rets else fdef


# ------------------------------------------------------------------ the fixes, in the order they are tried


def binding_fixes(fdef: ast.FunctionDef, checker: Checker) -> Iterator[Fix]:
    b = checker.bindings
    for name, bind in b.args.items():
        if bind.kind in ("value", "qvalue") and bind.func in b.depends:
            yield Fix("baseline-gradient-not-stopped", _first_use(fdef, name), overrides={name: replace(bind, stopped=True)})
        if (bind.kind == "reward" and "r" in b.depends) or (bind.kind == "logtrans" and "p" in b.depends):
            yield Fix("dynamics-or-reward-differentiated", _first_use(fdef, name),
                      overrides={name: replace(bind, stopped=True)})
    for name, bind in b.args.items():
        if bind.kind == "prob":
            yield Fix("probabilities-for-log-probs", _first_use(fdef, name), overrides={name: replace(bind, kind="logp")})
        if bind.kind == "qvalue" and bind.sub != "π":
            yield Fix("action-dependent-baseline", _first_use(fdef, name),
                      overrides={name: replace(bind, kind="value", func="V", next_state=False)})
    for name, bind in b.args.items():
        if bind.kind == "logp" and checker.discounted:
            yield Fix("discount-wrong-index", _first_use(fdef, name), overrides={name: replace(bind, discounted=True)})


def syntax_fixes(fdef: ast.FunctionDef) -> Iterator[Fix]:
    nodes = list(ast.walk(fdef))
    for n in nodes:
        if _callee(n) == "softmax":
            def to_log(c: ast.AST) -> ast.AST:
                new = copy.deepcopy(c)
                if isinstance(new.func, ast.Attribute):
                    new.func.attr = "log_softmax"
                else:
                    new.func.id = "log_softmax"
                return new
            yield Fix("probabilities-for-log-probs", n, _variant(fdef, n, to_log))
        if isinstance(n, ast.Attribute) and n.attr == "probs":
            yield Fix("probabilities-for-log-probs", n, _variant(fdef, n, lambda a: ast.Attribute(
                value=a.value, attr="logits", ctx=ast.Load())))
    for n in nodes:   # normalised advantages: drop the division by a standard deviation (and the centring)
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div) and any(_callee(x) == "std" for x in ast.walk(n.right)):
            left = n.left
            yield Fix("normalized-advantages", n, _variant(fdef, n, lambda d: d.left))
            if isinstance(left, ast.BinOp) and isinstance(left.op, ast.Sub) and \
                    any(_callee(x) == "mean" for x in ast.walk(left.right)):
                yield Fix("normalized-advantages", n, _variant(fdef, n, lambda d: d.left.left))
    for n in nodes:
        if _callee(n) == "append" and len(n.args) == 1:
            yield Fix("reward-to-go-reversed", n, _variant(fdef, n, lambda c: _method(
                c.func.value, "insert", ast.Constant(0), c.args[0])))
        if _callee(n) == "insert" and len(n.args) == 2 and isinstance(n.args[0], ast.Constant) and n.args[0].value == 0:
            yield Fix("reward-to-go-reversed", n, _variant(fdef, n, lambda c: _method(c.func.value, "append", c.args[1])))
        if _callee(n) == "flip":
            yield Fix("reward-to-go-reversed", n, _variant(fdef, n, _unflip))
        if isinstance(n, ast.Subscript) and isinstance(n.slice, ast.Slice) and isinstance(n.slice.step, ast.UnaryOp):
            yield Fix("reward-to-go-reversed", n, _variant(fdef, n, lambda s: s.value))
    loops = _loop_vars(fdef)
    for n in nodes:
        if isinstance(n, ast.For):
            it = n.iter
            if _callee(it) == "reversed" and len(it.args) == 1:
                yield Fix("past-rewards-included", n, _variant(fdef, it, lambda c: c.args[0]))
            else:
                yield Fix("past-rewards-included", n, _variant(fdef, it, lambda c: ast.Call(
                    func=ast.Name(id="reversed", ctx=ast.Load()), args=[c], keywords=[])))
        if _callee(n) == "cumsum":
            yield Fix("past-rewards-included", n, _variant(fdef, n, _reverse_cumsum))
        if isinstance(n, ast.Slice) and n.lower is None and n.upper is not None:
            for v in sorted(_names_in(n.upper) & set(loops)):
                yield Fix("past-rewards-included", n, _variant(fdef, n, lambda s, v=v: ast.Slice(
                    lower=ast.Name(id=v, ctx=ast.Load()), upper=None, step=s.step)))
    for n in nodes:   # γ raised to another index: a difference of two loop indices, or the exponent less one
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow):
            for v in loops:
                for w in loops:
                    if v != w:
                        yield Fix("discount-wrong-index", n, _variant(fdef, n.right, lambda e, v=v, w=w: ast.BinOp(
                            left=ast.Name(id=v, ctx=ast.Load()), op=ast.Sub(), right=ast.Name(id=w, ctx=ast.Load()))))
            for w in loops:
                yield Fix("discount-wrong-index", n, _variant(fdef, n.right, lambda e, w=w: ast.BinOp(
                    left=e, op=ast.Sub(), right=ast.Name(id=w, ctx=ast.Load()))))


_MODULE_NAMES = ("np", "numpy", "torch", "jnp", "F")


def _unflip(c: ast.Call) -> ast.AST:
    """``x.flip(k)`` or ``np.flip(x, k)`` → ``x``."""
    if isinstance(c.func, ast.Attribute) and not (isinstance(c.func.value, ast.Name) and
                                                  c.func.value.id in _MODULE_NAMES):
        return c.func.value
    return c.args[0] if c.args else c


def _reverse_cumsum(c: ast.Call) -> ast.AST:
    """``cumsum(x, k)`` → ``x.flip(k).cumsum(k).flip(k)``: sums from each step to the end."""
    if isinstance(c.func, ast.Attribute) and not (isinstance(c.func.value, ast.Name) and
                                                  c.func.value.id in _MODULE_NAMES):
        x, rest = c.func.value, c.args
    else:
        x, rest = c.args[0], c.args[1:]
    axis = rest[0] if rest else next((k.value for k in c.keywords if k.arg in ("axis", "dim")), ast.Constant(-1))
    return _method(_method(_method(x, "flip", axis), "cumsum", axis), "flip", axis)


def scale_fixes(fdef: ast.FunctionDef) -> Iterator[Fix]:
    """An average made a sum, or a sum made an average (the reduction's axes unchanged)."""
    for n in ast.walk(fdef):
        other = {"mean": "sum", "sum": "mean"}.get(_callee(n) or "")
        if other is None or not (isinstance(n.func, ast.Attribute) or n.args):
            continue

        def swap(c: ast.AST, other: str = other) -> ast.AST:
            new = copy.deepcopy(c)
            if isinstance(new.func, ast.Attribute):
                new.func.attr = other
            else:
                new.func.id = other
            return new
        if isinstance(n.func, ast.Name) and n.func.id == "sum":
            continue   # Python's own sum() has no mean
        yield Fix("mean-wrong-axis", n, _variant(fdef, n, swap))


# ------------------------------------------------------------------ the search


def _attempt(checker: Checker, fix: Fix, results: list[WorldResult]) -> Judgement | None:
    worlds = [r.world for r in results]
    try:
        first, _ = checker.evaluate(fix.fdef, fix.overrides, worlds[:SCREEN])
        if len(first) < 2 or not judge(first, 0).fine:
            return None
        full, _ = checker.evaluate(fix.fdef, fix.overrides, worlds)
        return judge(full, 0)
    except (ImplError, RecursionError, ArithmeticError):
        return None


def name_mistake(checker: Checker, judgement: Judgement) -> Named | None:
    """The first catalogue mistake whose fix makes the loss right, with its place in the function."""
    fdef = checker.fdef
    if judgement.verdict == "ascent":
        node = _return(fdef)
        return Named("sign-flipped", node.lineno, node.col_offset + 1)
    if judgement.verdict == "scaled":
        has_t = "T" in (judgement.scale or "")
        for fix in scale_fixes(fdef):
            j = _attempt(checker, fix, judgement.worlds)
            fixed_scale = j.scale or "1" if j is not None else None
            if j is not None and j.fine and (fixed_scale == "1" or has_t and "T" not in fixed_scale):
                return Named(fix.name, fix.node.lineno, fix.node.col_offset + 1)
        return None
    if judgement.verdict not in ("biased", "unknown"):
        return None
    for source in (binding_fixes(fdef, checker), syntax_fixes(fdef)):
        for fix in source:
            j = _attempt(checker, fix, judgement.worlds)
            if j is not None and j.fine:
                return Named(fix.name, getattr(fix.node, "lineno", fdef.lineno),
                             getattr(fix.node, "col_offset", fdef.col_offset) + 1)
    return None
