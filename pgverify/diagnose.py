"""Name the mistake behind a refuted step (mal-rules).

Each detector knows one classic mistake from the misconception catalogue
(``pgverify/rules/misconceptions.py``).  It either *produces* the wrong step
— applies the faulty rewrite to the previous line and asks whether the
result equals what the student wrote — or *repairs* it — applies the fix to
the student's line and asks whether the step then holds.  "Equals" is decided
by the same random finite models as the verdict, so a detector matches
whatever valid rewriting the student did alongside the mistake.  Detectors
only ever label a step that is already refuted: they never change a verdict.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from fractions import Fraction
from typing import Any

from . import falsify
from . import model as m
from .rules import misconception
from .semantics import TRAJECTORY_DIST, Context, FunctionInfo, objective_definition, trajectory_definition

Candidate = tuple[m.Expr, m.Expr, Context]   # (left, right, context) that must agree for the detector to match


def diagnose(lhs: m.Expr, rhs: m.Expr, relation: str, ctx: Context, seed: int,
             deadline: float = float("inf")) -> dict[str, str] | None:
    """The first catalogued mistake that explains ``lhs rel rhs``, as {"name", "title", "hint"}; or None.

    Stops looking at ``deadline`` (a ``time.monotonic()`` value): a diagnosis is a courtesy, the verdict
    must not wait for it.
    """
    unfolded = unfold(lhs, ctx)
    for name, detector in DETECTORS:
        for left, right, context in detector(lhs, unfolded, rhs, relation, ctx):
            if time.monotonic() > deadline:
                return None
            try:
                matched = _agree(left, right, "≈" if relation == "≈" else "=", context, seed)
            except (falsify.Unsupported, falsify.NameProblem, RecursionError, ArithmeticError):
                continue
            if matched:
                entry = misconception(name)
                return {"name": entry.name, "title": entry.title, "hint": entry.hint}
    return None


def _agree(a: m.Expr, b: m.Expr, relation: str, ctx: Context, seed: int) -> bool:
    return falsify.compare(a, b, relation, ctx, seed, n_models=3, draws=1).status == "agree"


# --------------------------------------------------------------------------- tree helpers


def transform(e: m.Expr, fn: Callable[[m.Expr], m.Expr | None]) -> m.Expr:
    """Rebuild ``e`` bottom-up, replacing each node for which ``fn`` returns an expression."""
    changes: dict[str, Any] = {}
    for field in e.__dataclass_fields__:
        if field == "span":
            continue
        value = getattr(e, field)
        if isinstance(value, m.Expr):
            new = transform(value, fn)
            if new is not value:
                changes[field] = new
        elif isinstance(value, tuple) and any(isinstance(x, m.Expr) for x in value):
            items = tuple(transform(x, fn) if isinstance(x, m.Expr) else x for x in value)
            if any(a is not b for a, b in zip(items, value)):
                changes[field] = items
    node = replace(e, **changes) if changes else e
    out = fn(node)
    return node if out is None else out


def nodes(e: m.Expr) -> Iterator[m.Expr]:
    yield e
    for child in falsify._children(e):
        yield from nodes(child)


def substitute(e: m.Expr, mapping: dict[str, m.Expr]) -> m.Expr:
    return transform(e, lambda n: mapping.get(n.key()) if isinstance(n, m.Name) and n.key() in mapping else None)


def _definition(call: m.Call, ctx: Context) -> FunctionInfo | None:
    c = ctx.canonical_call(call)
    key, arity = c.func.key(), len(c.all_args)
    if ctx.rl and key == TRAJECTORY_DIST and arity == 1:
        return trajectory_definition(ctx)
    info = ctx.function(key, arity)
    if info.kind == "def":
        return info
    if key == "J" and arity == 1:
        return objective_definition(ctx)
    return None


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


def _one_site(e: m.Expr, rewrite: Callable[[m.Expr], m.Expr | None]) -> Iterator[m.Expr]:
    """Variants of ``e`` with ``rewrite`` applied at one site each, then at every site at once."""
    sites = [n for n in nodes(e) if rewrite(n) is not None]
    for site in sites[:6]:
        yield transform(e, lambda n, site=site: rewrite(n) if n is site else None)
    if len(sites) > 1:
        yield transform(e, rewrite)


def _is_dist_call(e: m.Expr, ctx: Context) -> bool:
    if not isinstance(e, m.Call):
        return False
    c = ctx.canonical_call(e)
    return ctx.function(c.func.key(), len(c.all_args)).kind == "dist" or c.func.key() == TRAJECTORY_DIST


def _mentions_action(e: m.Expr) -> bool:
    return any(isinstance(n, m.Name) and n.base == "a" for n in nodes(e))


def _num(k: int) -> m.Num:
    return m.Num(Fraction(k))


def _with_theta(ctx: Context, independent: set[str], dependent: set[str] = frozenset()) -> Context:  # type: ignore[assignment]
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


# --------------------------------------------------------------------------- detectors
# Each yields (left, right, context) triples; the first that agree names the mistake.


def _log_of_product(lhs, unfolded, rhs, relation, ctx):
    def logs(arg: m.Expr, deep: bool) -> m.Expr:
        """log(a b) -> log a · log b, log prod f -> prod log f (the mistake, applied all the way down)."""
        if isinstance(arg, m.Mul):
            return m.Mul(logs(arg.left, deep), logs(arg.right, deep))
        if isinstance(arg, m.BigOp) and arg.kind == "prod":
            return replace(arg, body=logs(arg.body, deep) if deep else m.Func("log", arg.body))
        return m.Func("log", arg)

    for deep in (False, True):
        def rewrite(n: m.Expr, deep: bool = deep) -> m.Expr | None:
            if isinstance(n, m.Func) and n.name == "log" and isinstance(n.arg, (m.Mul, m.BigOp)):
                return logs(n.arg, deep)
            return None
        for variant in _one_site(unfolded, rewrite):
            yield variant, rhs, ctx


def _likelihood_ratio_without_probability(lhs, unfolded, rhs, relation, ctx):
    def rewrite(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Grad) and _is_dist_call(n.operand, ctx):
            return m.Grad(n.param, m.Func("log", n.operand))
        return None
    for variant in _one_site(lhs, rewrite):
        yield variant, rhs, ctx


def _grad_log_as_reciprocal(lhs, unfolded, rhs, relation, ctx):
    def to_reciprocal(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Grad) and isinstance(n.operand, m.Func) and n.operand.name == "log":
            return m.Div(_num(1), m.Grad(n.param, n.operand.arg))
        return None
    for variant in _one_site(lhs, to_reciprocal):
        yield variant, rhs, ctx
    # the same slip made while applying the log-derivative trick: p ∇log p written as p / ∇p
    def from_grad(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Grad) and _is_dist_call(n.operand, ctx):
            return m.Mul(n.operand, m.Div(_num(1), m.Grad(n.param, n.operand)))
        return None
    for variant in _one_site(lhs, from_grad):
        yield variant, rhs, ctx


def _chain_rule_inner_dropped(lhs, unfolded, rhs, relation, ctx):
    def rewrite(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Grad) and isinstance(n.operand, m.Func):
            if n.operand.name == "log":
                return m.Div(_num(1), n.operand.arg)
            if n.operand.name == "exp":
                return n.operand
        return None
    for variant in _one_site(lhs, rewrite):
        yield variant, rhs, ctx


def _gradient_inside_expectation(lhs, unfolded, rhs, relation, ctx):
    def rewrite(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Grad) and isinstance(n.operand, m.Expect):
            return replace(n.operand, body=m.Grad(n.param, n.operand.body))
        if isinstance(n, m.Grad) and isinstance(n.operand, m.BigOp) and n.operand.kind == "sum":
            body = n.operand.body
            factors = _factors(body)
            dist = [f for f in factors if _is_dist_call(f, ctx)]
            if dist:
                rest = [f for f in factors if f is not dist[0]]
                inner = m.Grad(n.param, _product(rest)) if rest else _num(0)
                return replace(n.operand, body=m.Mul(dist[0], inner))
        return None
    for source in (lhs, unfolded):
        for variant in _one_site(source, rewrite):
            yield variant, rhs, ctx


def _gradient_outside_with_log_prob(lhs, unfolded, rhs, relation, ctx):
    def rewrite(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Expect):
            grads = [f for f in _factors(n.body) if isinstance(f, m.Grad)]
            if grads:
                g = grads[0]
                rest = [f if f is not g else g.operand for f in _factors(n.body)]
                return m.Grad(g.param, replace(n, body=_product(rest)))
        return None
    for variant in _one_site(lhs, rewrite):
        yield variant, rhs, ctx


def _calls(e: m.Expr, key: str) -> bool:
    return any(isinstance(n, m.Call) and n.func.key() == key for n in nodes(e))


def _differentiates(e: m.Expr, key: str) -> bool:
    """Whether some gradient in ``e`` is taken of a term that calls ``key``."""
    return any(isinstance(n, m.Grad) and _calls(n.operand, key) for n in nodes(e))


def _policy_term_dropped(lhs, unfolded, rhs, relation, ctx):
    if not ctx.rl or not _calls(unfolded, "P") or _differentiates(unfold(rhs, ctx), "π_θ"):
        return
    yield lhs, rhs, _with_theta(ctx, independent={"π_θ"}, dependent={"P"})


def _eglp_pointwise(lhs, unfolded, rhs, relation, ctx):
    if not ctx.rl or _differentiates(unfold(rhs, ctx), "π_θ"):
        return
    yield lhs, rhs, _with_theta(ctx, independent={"π_θ"})


def _theta_dependent_treated_independent(lhs, unfolded, rhs, relation, ctx):
    declared = set(ctx.depends)
    if declared:
        yield lhs, rhs, _with_theta(ctx, independent=declared)
    dependent = {key for (key, _), info in ctx.functions.items()
                 if info.depends and key not in ("π_θ", TRAJECTORY_DIST) and info.kind != "def"}
    if dependent:
        yield lhs, rhs, _with_theta(ctx, independent=dependent)


def _action_dependent_baseline(lhs, unfolded, rhs, relation, ctx):
    def drop(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Sub) and _mentions_action(n.right):
            return n.left
        return None
    for variant in _one_site(lhs, drop):
        yield variant, rhs, ctx

    def pull_out(n: m.Expr) -> m.Expr | None:
        """E_a[X f(a)] -> f(a) E_a[X]: an action-dependent factor treated as a constant baseline."""
        if isinstance(n, m.Expect):
            movable = [f for f in _factors(n.body) if _mentions_action(f) and not isinstance(f, m.Grad)
                       and not _is_dist_call(f, ctx)]
            if movable and len(_factors(n.body)) > 1:
                rest = [f for f in _factors(n.body) if f is not movable[0]]
                return m.Mul(movable[0], replace(n, body=_product(rest)))
        return None
    for variant in _one_site(lhs, pull_out):
        yield variant, rhs, ctx


def _reward_to_go_reversed(lhs, unfolded, rhs, relation, ctx):
    # repair: the student's sum over the past (k = 0 … t) should run over the future (k = t … T-1)
    def repair(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.BigOp) and n.lower is not None and n.upper is not None and \
                isinstance(n.upper, m.Name) and n.upper.base == "t":
            return replace(n, lower=n.upper, upper=m.Sub(m.Name("T"), _num(1)))
        if isinstance(n, m.BigOp) and n.lower is not None and isinstance(n.upper, m.Sub) and \
                isinstance(n.upper.left, m.Name) and n.upper.left.base == "t":
            return replace(n, lower=n.upper.left, upper=m.Sub(m.Name("T"), _num(1)))
        return None
    for variant in _one_site(rhs, repair):
        yield lhs, variant, ctx


def _importance_weight_inverted(lhs, unfolded, rhs, relation, ctx):
    def flip(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Div) and _is_dist_call(n.left, ctx) and _is_dist_call(n.right, ctx):
            return m.Div(n.right, n.left)
        return None
    for variant in _one_site(rhs, flip):
        yield lhs, variant, ctx


def _off_by_one(lhs, unfolded, rhs, relation, ctx):
    def shifts(n: m.Expr) -> list[m.Expr]:
        if not isinstance(n, m.BigOp):
            return []
        if n.lower is None:
            if n.over is None and n.index.base == "t":
                return [replace(n, lower=_num(0), upper=m.Name("T")), replace(n, lower=_num(1), upper=m.Name("T"))]
            return []
        out = []
        if n.upper is not None:
            out += [replace(n, upper=m.Add(n.upper, _num(1))), replace(n, upper=m.Sub(n.upper, _num(1)))]
        out += [replace(n, lower=m.Add(n.lower, _num(1))), replace(n, lower=m.Sub(n.lower, _num(1)))]
        if n.upper is not None:  # the index shifted without shifting the body
            out += [replace(n, lower=m.Sub(n.lower, _num(1)), upper=m.Sub(n.upper, _num(1))),
                    replace(n, lower=m.Add(n.lower, _num(1)), upper=m.Add(n.upper, _num(1)))]
        return out
    sites = [n for n in nodes(rhs) if shifts(n)][:4]
    for site in sites:
        for shifted in shifts(site):
            yield lhs, transform(rhs, lambda n, site=site, shifted=shifted: shifted if n is site else None), ctx


def _lost_discount(lhs, unfolded, rhs, relation, ctx):
    def drop(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Pow) and isinstance(n.base, m.Name) and n.base.base == "γ":
            return _num(1)
        return None
    for variant in _one_site(lhs, drop):
        yield variant, rhs, ctx


def _missing_sample_mean(lhs, unfolded, rhs, relation, ctx):
    if relation != "≈":
        return
    for count in (m.Name("N"), m.Size(m.Name("D"))):
        yield lhs, m.Mul(m.Div(_num(1), count), rhs), ctx


def _sign_slip(lhs, unfolded, rhs, relation, ctx):
    def slip(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Func) and n.name == "log" and isinstance(n.arg, m.Div) and \
                n.arg.left == _num(1):
            return m.Func("log", n.arg.right)
        if isinstance(n, m.Func) and n.name == "log" and isinstance(n.arg, m.Pow) and n.arg.exponent == m.Neg(_num(1)):
            return m.Func("log", n.arg.base)
        return None
    for source in (lhs, unfolded):
        for variant in _one_site(source, slip):
            yield variant, rhs, ctx


def _expectation_without_weights(lhs, unfolded, rhs, relation, ctx):
    def strip(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Expect) and len(n.variables) == 1:
            return m.BigOp("sum", n.variables[0], n.body)
        return None
    for variant in _one_site(lhs, strip):
        yield variant, rhs, ctx


def _expectation_of_product_split(lhs, unfolded, rhs, relation, ctx):
    def split(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Expect) and isinstance(n.body, m.Mul):
            return m.Mul(replace(n, body=n.body.left), replace(n, body=n.body.right))
        return None
    for variant in _one_site(lhs, split):
        yield variant, rhs, ctx


def _product_rule_dropped(lhs, unfolded, rhs, relation, ctx):
    def keep_left(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Grad) and isinstance(n.operand, m.Mul):
            return m.Mul(m.Grad(n.param, n.operand.left), n.operand.right)
        return None

    def keep_right(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Grad) and isinstance(n.operand, m.Mul):
            return m.Mul(n.operand.left, m.Grad(n.param, n.operand.right))
        return None
    for rewrite in (keep_left, keep_right):
        for variant in _one_site(lhs, rewrite):
            yield variant, rhs, ctx


def _initial_state_dropped(lhs, unfolded, rhs, relation, ctx):
    def drop(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Call) and n.func.key() == "ρ_0":
            return _num(1)
        return None
    if any(isinstance(n, m.Call) and n.func.key() == "ρ_0" for n in nodes(unfolded)):
        yield transform(unfolded, drop), rhs, ctx


def _factors(e: m.Expr) -> list[m.Expr]:
    if isinstance(e, m.Mul):
        return _factors(e.left) + _factors(e.right)
    return [e]


def _product(factors: list[m.Expr]) -> m.Expr:
    out = factors[0]
    for f in factors[1:]:
        out = m.Mul(out, f)
    return out


# Most specific first: a mistake that explains the step through a narrow rewrite beats a broad one.
DETECTORS: list[tuple[str, Callable[..., Iterator[Candidate]]]] = [
    ("log-of-product-as-product-of-logs", _log_of_product),
    ("sign-slip-in-log-of-reciprocal", _sign_slip),
    ("likelihood-ratio-without-probability", _likelihood_ratio_without_probability),
    ("grad-log-as-reciprocal-of-grad", _grad_log_as_reciprocal),
    ("gradient-outside-with-log-prob", _gradient_outside_with_log_prob),
    ("gradient-inside-theta-dependent-expectation", _gradient_inside_expectation),
    ("policy-term-dropped-instead-of-dynamics", _policy_term_dropped),
    ("theta-dependent-term-treated-as-independent", _theta_dependent_treated_independent),
    ("eglp-applied-pointwise", _eglp_pointwise),
    ("action-dependent-baseline", _action_dependent_baseline),
    ("reward-to-go-reversed", _reward_to_go_reversed),
    ("importance-weight-inverted", _importance_weight_inverted),
    ("lost-discount", _lost_discount),
    ("missing-sample-mean-normalization", _missing_sample_mean),
    ("off-by-one-in-bounds", _off_by_one),
    ("initial-state-distribution-dropped", _initial_state_dropped),
    ("expectation-without-weights", _expectation_without_weights),
    ("expectation-of-product-split", _expectation_of_product_split),
    ("product-rule-dropped-term", _product_rule_dropped),
    ("chain-rule-inner-derivative-dropped", _chain_rule_inner_dropped),
]
