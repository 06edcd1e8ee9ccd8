"""Normalization: rewrites applied bottom-up to a fixpoint, switched on by the rules a step cites.

Each rewrite is a pure function from a node to a node (or None), registered
for one node type and one *capability*; the rules a step cites switch
capabilities on (``_CAPABILITIES``); ``rules=None`` switches all on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sympy as sp  # type: ignore[import-untyped]
from sympy.core.function import AppliedUndef  # type: ignore[import-untyped]

from ..semantics import ACTION, STATE, TRAJ
from .terms import (
    MAX_UNROLL,
    Grad,
    Product,
    Sum,
    Unsupported,
    Weight,
    distribute,
    free_of,
    is_positive,
    outer,
    range_length,
    rebuild_bigop,
    split_factors,
)
from .translate import Translator

MAX_REWRITES = 4000     # rewrites per normalization before giving up


RULE_NAMES = ("definition", "algebra", "linearity", "log-product", "log-exp", "log-derivative",
              "theta-independence", "exchange", "expectation", "chain-rule", "product-rule",
              "normalization", "eglp", "tower", "baseline", "advantage", "reward-to-go", "discount",
              "importance-sampling", "kl", "softmax-score")

# what the score-function theorems (baseline, advantage, reward-to-go) rest on: expectations written
# out (over a trajectory's components too), linearity, and the zero mean of the score
_SCORE_THEOREM = frozenset({"unfold", "unfold-dist", "expectation", "sum-linear", "count", "normalize", "eglp",
                            "log-derivative", "grad-linear", "grad-sum"})

# which internal capabilities each rule switches on (see the module docstring)
_CAPABILITIES: dict[str, frozenset[str]] = {
    "definition": frozenset({"unfold", "unfold-dist"}),
    "expectation": frozenset({"expectation"}),
    "linearity": frozenset({"sum-linear", "prod-split", "count", "grad-linear", "grad-sum"}),
    "algebra": frozenset({"sum-linear", "prod-split", "count", "expand"}),
    "log-product": frozenset({"log-split"}),
    "log-exp": frozenset({"log-split"}),
    "log-derivative": frozenset({"log-derivative"}),
    "theta-independence": frozenset({"grad-zero", "grad-sum", "grad-linear"}),
    "exchange": frozenset({"grad-sum", "grad-linear"}),
    "chain-rule": frozenset({"calculus", "grad-linear", "log-derivative"}),
    "product-rule": frozenset({"calculus", "grad-linear"}),
    "normalization": frozenset({"normalize", "count"}),
    "eglp": frozenset({"normalize", "eglp"}),
    # the catalogue's composite rules: each is a small theorem, proved with the rules it rests on
    "tower": frozenset({"unfold", "unfold-dist", "expectation", "sum-linear", "normalize", "count"}),
    "baseline": _SCORE_THEOREM,
    "advantage": _SCORE_THEOREM,
    "reward-to-go": _SCORE_THEOREM,
    "discount": frozenset({"sum-linear", "count", "expand"}),
    "importance-sampling": frozenset({"expectation", "sum-linear"}),
    "kl": frozenset({"unfold", "unfold-dist", "expectation", "log-split", "sum-linear"}),
    "softmax-score": frozenset({"unfold", "expectation", "log-split", "sum-linear", "grad-linear", "grad-sum",
                                "calculus", "log-derivative"}),
}
ALL_CAPABILITIES = frozenset().union(*_CAPABILITIES.values())


def capabilities(rules: Iterable[str]) -> frozenset[str]:
    """The capabilities switched on by citing ``rules`` (unknown names add nothing)."""
    return frozenset().union(*(_CAPABILITIES.get(r, frozenset()) for r in rules))


# --------------------------------------------------------------------------- rewrites

Rewrite = Callable[["Normalizer", sp.Expr], "sp.Expr | None"]


@dataclass(frozen=True)
class RewriteSpec:
    node: type
    capability: str | None      # None: always on (BASE)
    rule: str | None            # the rule family reported in rules_used
    apply: Rewrite


_REWRITES: list[RewriteSpec] = []


def rewrite(node: type, capability: str | None, rule: str | None):
    """Register a rewrite of ``node`` enabled by ``capability`` (None = BASE)."""
    def register(fn: Rewrite) -> Rewrite:
        _REWRITES.append(RewriteSpec(node, capability, rule, fn))
        return fn
    return register


# ---- definitions and expectations

@rewrite(AppliedUndef, "unfold", "definition")
def unfold_definition(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``f(a) -> body[x := a]``   [``def f(x) = body``; rl defaults Pr_θ, J]"""
    template = n.tr.defs.get(e.func)
    if template is None:
        return None
    if template.normalized_over and "unfold-dist" not in n.caps:
        return None
    return template.unfold(e)


@rewrite(Weight, "expectation", "expectation")
def drop_expectation_marker(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``E_{x~p}[f] -> sum_x p(x) f``   (the marker E(p) is the identity)"""
    return e.args[0]


@rewrite(sp.Sum, "unfold", "definition")
def trajectory_components(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``sum_τ f(s_0, a_0, …, s_K) -> sum_{s_0} sum_{a_0} … sum_{s_K} f``   [τ laid out by Pr_θ's definition]"""
    body, i, lo, hi = outer(e)
    if lo != 1 or hi != n.tr.size(TRAJ) or i not in body.free_symbols:
        return None
    schema = n.tr.trajectory_schema()
    if schema is None:
        return None
    state, action = n.tr.step_functions()
    layout = [(state, t) for t in range(schema[0])] + [(action, t) for t in range(schema[1])]
    layout.sort(key=lambda c: (c[1], c[0] != state))      # s_0, a_0, s_1, a_1, …: time order
    components = {f(i, sp.Integer(t)): sp.Dummy(f"{'s' if f == state else 'a'}{t}") for f, t in layout}
    replaced = body.xreplace(components)
    if i in replaced.free_symbols:
        return None                                       # τ is used as a whole (R(τ)) or beyond its length
    for (f, t), dummy in reversed(list(zip(layout, components.values()))):
        replaced = Sum(replaced, (dummy, 1, n.tr.size(STATE if f == state else ACTION)))
    return replaced


# ---- sums and products: always on

@rewrite(sp.Sum, None, None)
def empty_body(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``sum_i 0 -> 0``"""
    return sp.Integer(0) if outer(e)[0] == 0 else None


@rewrite(sp.Product, None, None)
def unit_body(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``prod_i 1 -> 1``"""
    return sp.Integer(1) if outer(e)[0] == 1 else None


def _unroll(e: sp.Expr) -> sp.Expr | None:
    body, i, lo, hi = outer(e)
    if not (lo.is_Integer and hi.is_Integer) or hi - lo + 1 > MAX_UNROLL:
        return None
    terms = [body.xreplace({i: sp.Integer(k)}) for k in range(int(lo), int(hi) + 1)]
    return sp.Add(*terms) if isinstance(e, sp.Sum) else sp.Mul(*terms)


@rewrite(sp.Sum, None, None)
def unroll_sum(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``sum_{i=1}^{3} f(i) -> f(1) + f(2) + f(3)``   [number bounds; an empty range is 0]"""
    return _unroll(e)


@rewrite(sp.Product, None, None)
def unroll_product(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``prod_{i=1}^{3} f(i) -> f(1) f(2) f(3)``   [number bounds; an empty range is 1]"""
    return _unroll(e)


def _shift(e: sp.Expr) -> sp.Expr | None:
    body, i, lo, hi = outer(e)
    if lo == 0 or not i.is_integer:
        return None
    return rebuild_bigop(e, body.xreplace({i: i + lo}), (i, 0, hi - lo))


@rewrite(sp.Sum, None, None)
def shift_sum(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``sum_{i=a}^{b} f(i) -> sum_{i=0}^{b-a} f(i+a)``   (the same terms)"""
    return _shift(e)


@rewrite(sp.Product, None, None)
def shift_product(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``prod_{i=a}^{b} f(i) -> prod_{i=0}^{b-a} f(i+a)``"""
    return _shift(e)


# ---- normalization and eglp

@rewrite(sp.Sum, "normalize", "normalization")
def sums_to_one(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``sum_x c p(x|y) -> c``, ``sum_x c ∂p(x|y)/∂θ -> 0``   [p a distribution over x's domain; c free of x]"""
    body, i, lo, hi = outer(e)
    const, dependent = split_factors(body, i)
    if len(dependent) != 1:
        return None
    (w,) = dependent
    if isinstance(w, Weight):
        w = w.args[0]
    if n.normalized(w, i, lo, hi):
        return const
    if isinstance(w, sp.Derivative) and n.normalized(w.expr, i, lo, hi) and \
            all(v in n.tr.params.values() for v in w.variables):
        return sp.Integer(0)
    return None


@rewrite(sp.Sum, "eglp", "eglp")
def score_has_zero_mean(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``sum_x c p(x) ∇_θ log p(x) -> 0``   [p a distribution over x's domain; c free of x]"""
    body, i, lo, hi = outer(e)
    _, dependent = split_factors(body, i)
    if len(dependent) != 2:
        return None
    weights = [f for f in dependent if not isinstance(f, Grad)]
    scores = [f for f in dependent if isinstance(f, Grad)]
    if len(weights) != 1 or len(scores) != 1:
        return None
    p = weights[0].args[0] if isinstance(weights[0], Weight) else weights[0]
    score = scores[0]
    if score.args[0] == sp.log(p) and n.normalized(p, i, lo, hi):
        return sp.Integer(0)
    return None


# ---- linearity of sums and products

@rewrite(sp.Sum, "sum-linear", "linearity")
def split_sum(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``sum_i (c f(i) + g(i)) -> c sum_i f(i) + sum_i g(i)``   [c free of i]"""
    original, i, lo, hi = outer(e)
    body = n.expand_body(original)
    terms = sp.Add.make_args(body)
    if len(terms) > 1:
        return sp.Add(*[Sum(t, (i, lo, hi)) for t in terms])
    const, dependent = split_factors(body, i)
    if const != 1 and dependent:
        return const * Sum(sp.Mul(*dependent), (i, lo, hi))
    if body != original:
        return Sum(body, (i, lo, hi))
    return None


@rewrite(sp.Sum, "count", "algebra")
def count_terms(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``sum_{i=a}^{b} c -> (b - a + 1) c``   [c free of i; b - a + 1 ≥ 0]"""
    body, i, lo, hi = outer(e)
    if i in body.free_symbols:
        return None
    length = range_length(lo, hi)
    return None if length is None else length * body


@rewrite(sp.Product, "prod-split", "algebra")
def split_product(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``prod_i c f(i) g(i) -> c^len prod_i f(i) prod_i g(i)``   [c free of i]"""
    body, i, lo, hi = outer(e)
    factors = sp.Mul.make_args(body)
    if i not in body.free_symbols:
        length = range_length(lo, hi)
        return None if length is None else body ** length
    if len(factors) == 1:
        f = factors[0]
        if isinstance(f, sp.Pow) and i not in f.exp.free_symbols and (f.exp.is_integer or is_positive(f.base)):
            return Product(f.base, (i, lo, hi)) ** f.exp
        return None
    const, dependent = split_factors(body, i)
    if const != 1:
        length = range_length(lo, hi)
        if length is None:
            return None
        return const ** length * sp.Mul(*[Product(f, (i, lo, hi)) for f in dependent])
    return sp.Mul(*[Product(f, (i, lo, hi)) for f in dependent])


# ---- logarithms

@rewrite(sp.log, "log-split", "log-product")
def log_of_product(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``log(a b) -> log a + log b``, ``log(a^k) -> k log a``, ``log prod_t f -> sum_t log f``   [a, b, f > 0];
    ``log exp u -> u``"""
    u = e.args[0]
    if isinstance(u, sp.exp):
        return u.args[0]          # every value of the language is real
    if isinstance(u, sp.Mul) and all(is_positive(f) for f in u.args):
        return sp.Add(*[sp.log(f) for f in u.args])
    if isinstance(u, sp.Pow) and is_positive(u.base) and u.exp.is_real:
        return u.exp * sp.log(u.base)
    if isinstance(u, sp.Product):
        body, i, lo, hi = outer(u)
        if is_positive(body):
            return Sum(sp.log(body), (i, lo, hi))
    return None


# ---- gradients

@rewrite(Grad, None, None)
def grad_basics(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``∇_θ c -> 0`` (c a number), ``∇_θ θ -> 1``, ``∇_θ f(…, θ, …) -> ∂f/∂θ``, ``∇ ∂f -> ∂²f``"""
    x, theta = e.args
    if x.is_Number:
        return sp.Integer(0)
    if x == theta:
        return sp.Integer(1)
    if isinstance(x, AppliedUndef) and x.args.count(theta) == 1 and \
            all(a == theta or free_of(a, theta) for a in x.args):
        return sp.Derivative(x, theta)
    if isinstance(x, sp.Derivative) and isinstance(x.expr, AppliedUndef) and theta in x.expr.args:
        return sp.Derivative(x.expr, *x.variables, theta)
    return None


@rewrite(Grad, "grad-zero", "theta-independence")
def grad_of_constant(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``∇_θ X -> 0``   [X does not depend on θ]"""
    x, theta = e.args
    return sp.Integer(0) if free_of(x, theta) else None


@rewrite(Grad, "grad-linear", "linearity")
def grad_is_linear(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``∇(c f + g) -> c ∇f + ∇g``   [c free of θ]"""
    x, theta = e.args
    if isinstance(x, sp.Add):
        return sp.Add(*[Grad(t, theta) for t in x.args])
    if isinstance(x, sp.Mul):
        const, dependent = split_factors(x, theta)
        if const != 1 and dependent:
            return const * Grad(sp.Mul(*dependent), theta)
    return None


@rewrite(Grad, "grad-sum", "exchange")
def grad_through_sum(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``∇ sum_i f(i) -> sum_i ∇ f(i)``   [a finite range that does not depend on θ]"""
    x, theta = e.args
    if isinstance(x, sp.Sum):
        body, i, lo, hi = outer(x)
        if free_of(lo, theta) and free_of(hi, theta):
            return Sum(Grad(body, theta), (i, lo, hi))
    return None


@rewrite(Grad, "log-derivative", "log-derivative")
def grad_of_log(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``∇ log u -> ∇u / u``   (so ``p ∇ log p`` and ``∇ p`` meet)"""
    x, theta = e.args
    if isinstance(x, sp.log):
        u = x.args[0]
        return Grad(u, theta) / u
    return None


@rewrite(Grad, "calculus", "chain-rule")
def differentiate(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``∇(f g) -> ∇f g + f ∇g``, ``∇ u^k -> k u^(k-1) ∇u``, ``∇ exp u -> exp u ∇u``   (chain and product rules)

    also ``∇ prod_i f -> (prod_i f) sum_i ∇f / f`` [f > 0] and ``∇ f(g(θ)) -> f'(g) ∇g`` for an opaque f.
    """
    x, theta = e.args
    if free_of(x, theta):
        return None
    if isinstance(x, sp.Mul):
        const, dependent = split_factors(x, theta)
        if len(dependent) < 2:
            return None
        n.used.add("product-rule")
        return const * sp.Add(*[Grad(f, theta) * sp.Mul(*(dependent[:k] + dependent[k + 1:]))
                                for k, f in enumerate(dependent)])
    if isinstance(x, sp.Pow):
        if free_of(x.exp, theta):
            return x.exp * x.base ** (x.exp - 1) * Grad(x.base, theta)
        if is_positive(x.base):
            return x * Grad(x.exp * sp.log(x.base), theta)
        return None
    if isinstance(x, sp.exp):
        return x * Grad(x.args[0], theta)
    if isinstance(x, sp.log):
        return Grad(x.args[0], theta) / x.args[0]
    if isinstance(x, sp.Product):
        body, i, lo, hi = outer(x)
        if is_positive(body) and free_of(lo, theta) and free_of(hi, theta):
            n.used.add("product-rule")
            return x * Sum(Grad(body, theta) / body, (i, lo, hi))
        return None
    if isinstance(x, AppliedUndef) and not any(a.has(Grad, sp.Sum, sp.Product, Weight) for a in x.args):
        return x.diff(theta)
    return None


# --------------------------------------------------------------------------- the normalizer


class Normalizer:
    """Applies the enabled rewrites bottom-up until nothing changes."""

    def __init__(self, tr: Translator, caps: frozenset[str]):
        self.tr = tr
        self.caps = caps
        self.used: set[str] = set()
        self.memo: dict[sp.Expr, sp.Expr] = {}
        self.budget = MAX_REWRITES
        self.by_node: list[tuple[type, RewriteSpec]] = [
            (spec.node, spec) for spec in _REWRITES if spec.capability is None or spec.capability in caps]

    def run(self, e: sp.Expr) -> sp.Expr:
        hit = self.memo.get(e)
        if hit is not None:
            return hit
        result = self._normalize(e)
        self.memo[e] = result
        self.memo[result] = result
        return result

    def _normalize(self, e: sp.Expr) -> sp.Expr:
        if isinstance(e, (sp.Derivative, sp.Subs)) or (not e.args and not isinstance(e, AppliedUndef)):
            return e
        if isinstance(e, (sp.Sum, sp.Product)):
            body, i, lo, hi = outer(e)
            e = type(e)(self.run(body), (i, self.run(lo), self.run(hi)))
        else:
            args = tuple(self.run(a) for a in e.args)
            if args != e.args:
                e = e.func(*args)
        if not isinstance(e, sp.Basic) or (not e.args and not isinstance(e, AppliedUndef)):
            return e
        for node, spec in self.by_node:
            if isinstance(e, node):
                result = spec.apply(self, e)
                if result is not None and result != e:
                    self.budget -= 1
                    if self.budget < 0:
                        raise Unsupported("the normalization did not terminate")
                    if spec.rule:
                        self.used.add(spec.rule)
                    return self.run(result)
        return e

    def expand_body(self, body: sp.Expr) -> sp.Expr:
        """Distribute a sum's body over ``+`` (with ``algebra``, also ``x^(a+b)`` and ``exp(a+b)``)."""
        return distribute(body, "expand" in self.caps)

    def normalized(self, w: sp.Expr, i: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> bool:
        """Does ``sum_{i=lo}^{hi} w`` sum a normalized distribution over its own variable?"""
        if not isinstance(w, AppliedUndef) or not w.args or w.args[0] != i or lo != 1:
            return False
        if any(i in a.free_symbols for a in w.args[1:]):
            return False
        info = self.tr.dists.get(w.func)
        if info is not None:
            return info.n_vars == 1 and hi == self.tr.size(info.var_domains[0])
        template = self.tr.defs.get(w.func)
        return template is not None and template.normalized_over is not None and \
            hi == self.tr.size(template.normalized_over)
