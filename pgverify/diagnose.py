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

from . import falsify
from . import model as m
from .model import nodes, transform
from .rules import misconception, misconceptions_for
from .semantics import TRAJECTORY_DIST, Context, FunctionInfo

Candidate = tuple[m.Expr, m.Expr, Context]   # (left, right, context) that must agree for the detector to match


def diagnose(lhs: m.Expr, rhs: m.Expr, relation: str, ctx: Context, seed: int,
             deadline: float = float("inf"), cited: tuple[str, ...] = ()) -> dict[str, str] | None:
    """The first catalogued mistake that explains ``lhs rel rhs``, as {"name", "title", "hint"}; or None.

    Detectors of mistakes with the rules the step cites go first, as an instructor reads a step through
    its justification; when none of them matches but a cited rule has exactly one catalogued mistake,
    that one (the mistake the rule is primarily misused by) is named.  Stops looking at ``deadline`` (a ``time.monotonic()`` value): a diagnosis is a
    courtesy, the verdict must not wait for it.
    """
    unfolded = unfold(lhs, ctx)
    related = [(n, d) for n, d in DETECTORS if set(misconception(n).rules) & set(cited)]
    others = [(n, d) for n, d in DETECTORS if (n, d) not in related]
    found = _first_match(related, lhs, unfolded, rhs, relation, ctx, seed, deadline)
    if found is None:
        for rule_name in cited:
            primary = [x for x in misconceptions_for(rule_name) if x.rules[0] == rule_name]
            if rule_name in _SINGLE_MISTAKE_RULES and len(primary) == 1:
                found = primary[0].name
                break
    if found is None:
        found = _first_match(others, lhs, unfolded, rhs, relation, ctx, seed, deadline)
    if found is None:
        return None
    entry = misconception(found)
    return {"name": entry.name, "title": entry.title, "hint": entry.hint}


# rules whose one catalogued misuse is what a refuted step citing them almost always is
_SINGLE_MISTAKE_RULES = {"reward-to-go", "baseline", "discount", "kl", "advantage", "softmax-score"}


def _first_match(detectors, lhs, unfolded, rhs, relation, ctx, seed, deadline) -> str | None:
    for name, detector in detectors:
        for left, right, context in detector(lhs, unfolded, rhs, relation, ctx):
            if time.monotonic() > deadline:
                return None
            try:
                matched = _agree(left, right, "≈" if relation == "≈" else "=", context, seed)
            except (falsify.Unsupported, falsify.NameProblem, RecursionError, ArithmeticError):
                continue
            if matched:
                return name
    return None


def _agree(a: m.Expr, b: m.Expr, relation: str, ctx: Context, seed: int) -> bool:
    return falsify.compare(a, b, relation, ctx, seed, n_models=2, draws=1).status == "agree"


# --------------------------------------------------------------------------- tree helpers


def substitute(e: m.Expr, mapping: dict[str, m.Expr]) -> m.Expr:
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


def _one_site(e: m.Expr, rewrite: Callable[[m.Expr], m.Expr | None]) -> Iterator[m.Expr]:
    """Variants of ``e`` with ``rewrite`` applied at one site each, then at every site at once."""
    sites = [n for n in nodes(e) if rewrite(n) is not None]
    for site in sites[:6]:
        yield transform(e, lambda n, site=site: rewrite(n) if n is site else None)
    if len(sites) > 1:
        yield transform(e, rewrite)


def _variants(sources: tuple[m.Expr, ...], rewrite: Callable[[m.Expr], m.Expr | None], rhs: m.Expr,
              ctx: Context) -> Iterator[Candidate]:
    """The faulty rewrite applied to each source (one site at a time, then all): each must equal ``rhs``."""
    for source in sources:
        for variant in _one_site(source, rewrite):
            yield variant, rhs, ctx


def _is_dist_call(e: m.Expr, ctx: Context) -> bool:
    return ctx.is_distribution_call(e)


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
        yield from _variants((unfolded,), rewrite, rhs, ctx)


def _likelihood_ratio_without_probability(lhs, unfolded, rhs, relation, ctx):
    def rewrite(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Grad) and _is_dist_call(n.operand, ctx):
            return m.Grad(n.param, m.Func("log", n.operand))
        return None
    yield from _variants((lhs,), rewrite, rhs, ctx)


def _grad_log_as_reciprocal(lhs, unfolded, rhs, relation, ctx):
    def to_reciprocal(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Grad) and isinstance(n.operand, m.Func) and n.operand.name == "log":
            return m.Div(_num(1), m.Grad(n.param, n.operand.arg))
        return None
    yield from _variants((lhs,), to_reciprocal, rhs, ctx)
    # the same slip made while applying the log-derivative trick: p ∇log p written as p / ∇p
    def from_grad(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Grad) and _is_dist_call(n.operand, ctx):
            return m.Mul(n.operand, m.Div(_num(1), m.Grad(n.param, n.operand)))
        return None
    yield from _variants((lhs,), from_grad, rhs, ctx)


def _chain_rule_inner_dropped(lhs, unfolded, rhs, relation, ctx):
    def rewrite(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Grad) and isinstance(n.operand, m.Func):
            if n.operand.name == "log":
                return m.Div(_num(1), n.operand.arg)
            if n.operand.name == "exp":
                return n.operand
        return None
    yield from _variants((lhs,), rewrite, rhs, ctx)


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
    yield from _variants((lhs, unfolded), rewrite, rhs, ctx)


def _gradient_outside_with_log_prob(lhs, unfolded, rhs, relation, ctx):
    def rewrite(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Expect):
            grads = [f for f in _factors(n.body) if isinstance(f, m.Grad)]
            if grads:
                g = grads[0]
                rest = [f if f is not g else g.operand for f in _factors(n.body)]
                return m.Grad(g.param, replace(n, body=_product(rest)))
        return None
    yield from _variants((lhs,), rewrite, rhs, ctx)


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
    yield from _variants((lhs,), drop, rhs, ctx)

    if not any(_pulled_out(n) for n in nodes(rhs)):
        return

    def pull_out(n: m.Expr) -> m.Expr | None:
        """E_a[X f(a)] -> f(a) E_a[X]: an action-dependent factor treated as a constant baseline."""
        if isinstance(n, m.Expect):
            movable = [f for f in _factors(n.body) if _mentions_action(f) and not isinstance(f, m.Grad)
                       and not _is_dist_call(f, ctx)]
            if movable and len(_factors(n.body)) > 1:
                rest = [f for f in _factors(n.body) if f is not movable[0]]
                return m.Mul(movable[0], replace(n, body=_product(rest)))
        return None
    yield from _variants((lhs,), pull_out, rhs, ctx)


def _reward_to_go_reversed(lhs, unfolded, rhs, relation, ctx):
    # repair: the student's sum over the past (k = 0 … t) should run over the future (k = t … end)
    ends = [m.Sub(m.Name("T"), _num(1)), m.Name("T")]
    ends += [n.upper for n in nodes(lhs) if isinstance(n, m.BigOp) and n.upper is not None][:3]
    for end in ends:
        def repair(n: m.Expr, end: m.Expr = end) -> m.Expr | None:
            if isinstance(n, m.BigOp) and n.lower is not None and n.upper is not None and \
                    isinstance(n.upper, m.Name) and n.upper.base == "t":
                return replace(n, lower=n.upper, upper=end)
            if isinstance(n, m.BigOp) and n.lower is not None and isinstance(n.upper, m.Sub) and \
                    isinstance(n.upper.left, m.Name) and n.upper.left.base == "t":
                return replace(n, lower=n.upper.left, upper=end)
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
    yield from _variants((lhs,), drop, rhs, ctx)
    starts = [n.lower for n in nodes(lhs) if isinstance(n, m.BigOp) and n.lower is not None
              and not isinstance(n.lower, m.Num)][:2]
    for start in starts:
        def to_start(n: m.Expr, start: m.Expr = start) -> m.Expr | None:
            if isinstance(n, m.Pow) and isinstance(n.base, m.Name) and n.base.base == "γ":
                return m.Pow(n.base, start)
            return None

        def shifted(n: m.Expr, start: m.Expr = start) -> m.Expr | None:
            if isinstance(n, m.Pow) and isinstance(n.base, m.Name) and n.base.base == "γ":
                return m.Pow(n.base, m.Sub(n.exponent, start))
            return None
        for rewrite in (to_start, shifted):
            yield from _variants((lhs,), rewrite, rhs, ctx)


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
    yield from _variants((lhs, unfolded), slip, rhs, ctx)


def _expectation_without_weights(lhs, unfolded, rhs, relation, ctx):
    def strip(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Expect) and len(n.variables) == 1:
            return m.BigOp("sum", n.variables[0], n.body)
        return None
    yield from _variants((lhs,), strip, rhs, ctx)


def _pulled_out(n: m.Expr) -> bool:
    """A product in which an expectation over an action sits beside a factor that mentions that action."""
    if not isinstance(n, m.Mul):
        return False
    factors = _factors(n)
    for e in factors:
        if isinstance(e, m.Expect):
            letters = {v.key() for v in e.variables}
            if any(f is not e and any(isinstance(x, m.Name) and x.key() in letters for x in nodes(f))
                   for f in factors):
                return True
    return False


def _expectation_of_product_split(lhs, unfolded, rhs, relation, ctx):
    if not any(isinstance(n, m.Mul) and sum(isinstance(f, m.Expect) for f in _factors(n)) >= 2
               for n in nodes(rhs)):
        return
    def split(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Expect) and isinstance(n.body, m.Mul):
            return m.Mul(replace(n, body=n.body.left), replace(n, body=n.body.right))
        return None
    yield from _variants((lhs,), split, rhs, ctx)


def _product_rule_dropped(lhs, unfolded, rhs, relation, ctx):
    def keep_left(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Grad) and isinstance(n.operand, m.Mul):
            return m.Mul(m.Grad(n.param, n.operand.left), n.operand.right)
        if isinstance(n, m.Grad) and isinstance(n.operand, m.Div):  # ∇(e/Z) taken as (∇e)/Z
            return m.Div(m.Grad(n.param, n.operand.left), n.operand.right)
        return None

    def keep_right(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Grad) and isinstance(n.operand, m.Mul):
            return m.Mul(n.operand.left, m.Grad(n.param, n.operand.right))
        return None
    for rewrite in (keep_left, keep_right):
        yield from _variants((lhs,), rewrite, rhs, ctx)


def _initial_state_dropped(lhs, unfolded, rhs, relation, ctx):
    def drop(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Call) and n.func.key() == "ρ_0":
            return _num(1)
        return None
    if any(isinstance(n, m.Call) and n.func.key() == "ρ_0" for n in nodes(unfolded)):
        yield transform(unfolded, drop), rhs, ctx


def _conditional_instead_of_joint(lhs, unfolded, rhs, relation, ctx):
    def strip_outer(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Expect) and len(n.variables) == 1 and any(isinstance(x, m.Expect) for x in nodes(n.body)):
            return m.BigOp("sum", n.variables[0], _expectations_as_sums(n.body))
        return None
    yield from _variants((lhs, unfolded), strip_outer, rhs, ctx)


def _expectations_as_sums(e: m.Expr) -> m.Expr:
    """E_{x ~ p(·|y)}[f] written as sum_x p(x|y) f (the inner, conditional weights kept)."""
    def rewrite(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Expect) and len(n.variables) == 1 and isinstance(n.dist, m.Call):
            args = tuple(n.variables[0] if isinstance(a, m.Placeholder) else a for a in n.dist.args)
            weight = replace(n.dist, args=args)
            return m.BigOp("sum", n.variables[0], m.Mul(weight, n.body))
        return None
    return transform(e, rewrite)


def _normalized_over_wrong_variable(lhs, unfolded, rhs, relation, ctx):
    def one(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.BigOp) and n.kind == "sum" and n.lower is None and isinstance(n.body, m.Call) \
                and _is_dist_call(n.body, ctx) and any(isinstance(g, m.Name) and g.key() == n.index.key()
                                                        for g in n.body.given):
            return _num(1)
        return None
    yield from _variants((lhs, unfolded), one, rhs, ctx)


def _softmax_missing_mean(lhs, unfolded, rhs, relation, ctx):
    if not any(isinstance(n, m.Grad) for n in nodes(lhs)):
        return
    def drop_normalizer(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Func) and n.name == "log" and isinstance(n.arg, m.Div) and isinstance(n.arg.right, m.BigOp):
            return m.Func("log", n.arg.left)
        if isinstance(n, m.Sub) and isinstance(n.right, m.Func) and n.right.name == "log" and \
                isinstance(n.right.arg, m.BigOp):
            return n.left
        return None
    yield from _variants((lhs, unfolded), drop_normalizer, rhs, ctx)


def _partition_function_dropped(lhs, unfolded, rhs, relation, ctx):
    def is_normalizer(e: m.Expr) -> bool:
        return isinstance(e, m.Call) and e.func.base == "Z" or isinstance(e, m.BigOp) and e.kind == "sum"

    def drop(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Div) and is_normalizer(n.right):
            return n.left
        if isinstance(n, m.Func) and n.name == "log" and is_normalizer(n.arg):
            return _num(0)
        return None
    for source in (lhs, unfolded, unfold(rhs, ctx)):
        target_is_rhs = source is not lhs and source is not unfolded
        for variant in _one_site(source, drop):
            yield (lhs, variant, ctx) if target_is_rhs else (variant, rhs, ctx)


def _sign_slip_quotient(lhs, unfolded, rhs, relation, ctx):
    def slip(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Func) and n.name == "log" and isinstance(n.arg, m.Div):
            return m.Add(m.Func("log", n.arg.left), m.Func("log", n.arg.right))
        return None
    yield from _variants((lhs, unfolded), slip, rhs, ctx)


def _importance_weight_missing(lhs, unfolded, rhs, relation, ctx):
    targets = [n.dist for n in nodes(rhs) if isinstance(n, m.Expect)]
    if not targets:
        return
    for target in targets[:2]:
        def swap(n: m.Expr, target: m.Expr = target) -> m.Expr | None:
            if isinstance(n, m.Expect) and n.dist != target:
                return replace(n, dist=target)
            return None
        yield from _variants((lhs,), swap, rhs, ctx)


def _kl_arguments_swapped(lhs, unfolded, rhs, relation, ctx):
    keys = sorted({ctx.canonical_call(n).func.key() for e in (unfolded, rhs) for n in nodes(e)
                   if isinstance(n, m.Call) and _is_dist_call(n, ctx)})
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            def swap(n: m.Expr, a: str = a, b: str = b) -> m.Expr | None:
                if isinstance(n, m.Call) and n.func.key() in (a, b):
                    other = b if n.func.key() == a else a
                    return replace(n, func=_name_of(other, n.func))
                if isinstance(n, m.Name) and n.key() in (a, b):
                    return _name_of(b if n.key() == a else a, n)
                return None
            yield transform(unfolded, swap), rhs, ctx


def _name_of(key: str, like: m.Name) -> m.Name:
    base, _, sub = key.partition("_")
    return m.Name(base, (m.Name(sub),) if sub else (), span=like.span)


def _advantage_without_score(lhs, unfolded, rhs, relation, ctx):
    def swap(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Call) and n.func.key() == "Q":
            return replace(n, func=m.Name("A", span=n.func.span))
        return None
    swapped = transform(lhs, swap)
    no_score = not any(isinstance(n, m.Grad) for n in nodes(lhs))
    if no_score and swapped != lhs and m.show(swapped) == m.show(rhs):
        yield rhs, rhs, ctx  # structurally the student's step: Q replaced by A with no score around it


def _later_state_from_initial(lhs, unfolded, rhs, relation, ctx):
    for n in nodes(rhs):
        if isinstance(n, m.Expect) and isinstance(n.dist, m.Name) and n.dist.key() == "ρ_0" and \
                any(v.base == "s" and v.sub and v.sub != (_num(0),) for v in n.variables):
            yield rhs, rhs, ctx
            return


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
    ("sign-slip-in-log-of-reciprocal", _sign_slip_quotient),
    ("softmax-score-missing-mean", _softmax_missing_mean),
    ("partition-function-dropped", _partition_function_dropped),
    ("normalized-over-the-wrong-variable", _normalized_over_wrong_variable),
    ("advantage-without-score", _advantage_without_score),
    ("later-state-drawn-from-initial-distribution", _later_state_from_initial),
    ("kl-arguments-swapped", _kl_arguments_swapped),
    ("likelihood-ratio-without-probability", _likelihood_ratio_without_probability),
    ("grad-log-as-reciprocal-of-grad", _grad_log_as_reciprocal),
    ("gradient-outside-with-log-prob", _gradient_outside_with_log_prob),
    ("gradient-inside-theta-dependent-expectation", _gradient_inside_expectation),
    ("policy-term-dropped-instead-of-dynamics", _policy_term_dropped),
    ("theta-dependent-term-treated-as-independent", _theta_dependent_treated_independent),
    ("eglp-applied-pointwise", _eglp_pointwise),
    ("action-dependent-baseline", _action_dependent_baseline),
    ("expectation-of-product-split", _expectation_of_product_split),
    ("reward-to-go-reversed", _reward_to_go_reversed),
    ("importance-weight-inverted", _importance_weight_inverted),
    ("importance-weight-missing", _importance_weight_missing),
    ("lost-discount", _lost_discount),
    ("missing-sample-mean-normalization", _missing_sample_mean),
    ("off-by-one-in-bounds", _off_by_one),
    ("initial-state-distribution-dropped", _initial_state_dropped),
    ("conditional-instead-of-joint", _conditional_instead_of_joint),
    ("expectation-without-weights", _expectation_without_weights),
    ("product-rule-dropped-term", _product_rule_dropped),
    ("chain-rule-inner-derivative-dropped", _chain_rule_inner_dropped),
]


def detectors() -> list[tuple[str, Callable[..., Iterator[Candidate]]]]:
    """Every detector with the misconception it names, most specific first."""
    return list(DETECTORS)
