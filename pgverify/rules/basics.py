"""Basic rules: unfolding definitions and the arithmetic of real numbers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pgverify import model as m
from pgverify.model import nodes, transform
from pgverify.rules.base import (
    ALGEBRAIC_COMPARISON,
    UNFOLD_DISTRIBUTIONS,
    Condition,
    KernelView,
    LazyModule,
    Misconception,
    Rule,
    pgv,
    rewrite,
)
from pgverify.rules.mistakes import Candidate, num, one_site, unfold
from pgverify.rules.predicates import divisors_nonzero
from pgverify.semantics import ACTION, Context, STATE, TRAJ

# sympy and the kernel's node types, loaded the first time a rewrite runs (reading the catalogue does not)
sp = LazyModule("sympy")
kt = LazyModule("pgverify.kernel.terms")

FAMILY = "basics"


# ------------------------------------------------------------------ rewrites


@rewrite("call", priority=10, credits="definition")
def unfold_definition(e: Any, kernel: KernelView) -> Any:
    """``f(a) -> body[x := a]``   [``def f(x) = body``; rl defaults Pr_θ, J]"""
    template = kernel.tr.defs.get(e.func)
    if template is None:
        return None
    if template.normalized_over and UNFOLD_DISTRIBUTIONS not in kernel.options:
        return None
    return template.unfold(e)


@rewrite("Sum", priority=30, credits="definition")
def trajectory_components(e: Any, kernel: KernelView) -> Any:
    """``sum_τ f(s_0, a_0, …, s_K) -> sum_{s_0} sum_{a_0} … sum_{s_K} f``   [τ laid out by Pr_θ's definition]"""
    body, i, lo, hi = kt.outer(e)
    if lo != 1 or hi != kernel.tr.size(TRAJ) or i not in body.free_symbols:
        return None
    schema = kernel.tr.trajectory_schema()
    if schema is None:
        return None
    state, action = kernel.tr.step_functions()
    layout = [(state, t) for t in range(schema[0])] + [(action, t) for t in range(schema[1])]
    layout.sort(key=lambda c: (c[1], c[0] != state))      # s_0, a_0, s_1, a_1, …: time order
    components = {f(i, sp.Integer(t)): sp.Dummy(f"{'s' if f == state else 'a'}{t}") for f, t in layout}
    replaced = body.xreplace(components)
    if i in replaced.free_symbols:
        return None                                       # τ is used as a whole (R(τ)) or beyond its length
    for (f, t), dummy in reversed(list(zip(layout, components.values()))):
        replaced = kt.Sum(replaced, (dummy, 1, kernel.tr.size(STATE if f == state else ACTION)))
    return replaced


@rewrite("Sum", priority=130, credits="algebra")
def count_terms(e: Any, kernel: KernelView) -> Any:
    """``sum_{i=a}^{b} c -> (b - a + 1) c``   [c free of i; b - a + 1 ≥ 0]"""
    body, i, lo, hi = kt.outer(e)
    if i in body.free_symbols:
        return None
    length = kt.range_length(lo, hi)
    return None if length is None else length * body


@rewrite("Product", priority=140, credits="algebra")
def split_product(e: Any, kernel: KernelView) -> Any:
    """``prod_i c f(i) g(i) -> c^len prod_i f(i) prod_i g(i)``   [c free of i]"""
    body, i, lo, hi = kt.outer(e)
    factors = sp.Mul.make_args(body)
    if i not in body.free_symbols:
        length = kt.range_length(lo, hi)
        return None if length is None else body ** length
    if len(factors) == 1:
        f = factors[0]
        if isinstance(f, sp.Pow) and i not in f.exp.free_symbols and (f.exp.is_integer or kt.is_positive(f.base)):
            return kt.Product(f.base, (i, lo, hi)) ** f.exp
        return None
    const, dependent = kt.split_factors(body, i)
    if const != 1:
        length = kt.range_length(lo, hi)
        if length is None:
            return None
        return const ** length * sp.Mul(*[kt.Product(f, (i, lo, hi)) for f in dependent])
    return sp.Mul(*[kt.Product(f, (i, lo, hi)) for f in dependent])


# ------------------------------------------------------------------ rules

DEFINITION = Rule(
    name="definition",
    aliases=(
        "def",
        "by definition",
        "expand",
        "substitute",
        "substitution",
        "unfold",
        "unfold the definition",
        "plug in the definition",
        "definition of J",
        "definition of the objective",
        "definition of the trajectory distribution",
    ),
    family=FAMILY,
    statement="f(x) -> e   [where `def f(x) = e` is in scope, or f comes from `use rl`]",
    conditions=(),
    purpose=(
        "Unfolds a name into what it stands for, such as J(θ) into the expected "
        "return or Pr_θ(τ) into the product of initial-state, policy and dynamics "
        "probabilities. Every policy-gradient derivation starts here, and a wrong "
        "unfolding (a missing factor, a wrong range) poisons every later step."
    ),
    valid_example=pgv(
        """
        use rl
        def Pr_θ(τ) = ρ0(s_0) prod_{t=0}^{T-1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)
        claim log Pr_θ(τ) = log(ρ0(s_0) prod_{t=0}^{T-1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t))   by definition
        claim J(θ) = E_{τ ~ Pr_θ}[R(τ)]   by definition
        """
    ),
    flawed_example=pgv(
        """
        use rl
        def Pr_θ(τ) = ρ0(s_0) prod_{t=0}^{T-1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)
        claim Pr_θ(τ) = prod_{t=0}^{T-1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)   by definition
        """
    ),
    rewrites=("unfold_definition", "trajectory_components"),
    kernel_options=frozenset({UNFOLD_DISTRIBUTIONS}),
)

ALGEBRA = Rule(
    name="algebra",
    aliases=(
        "arithmetic",
        "simplify",
        "simplification",
        "rearrange",
        "rearranging",
        "regroup",
        "distributivity",
        "distribute",
        "factor",
        "factorize",
        "collect terms",
        "cancel",
        "cancellation",
        "commutativity",
        "associativity",
    ),
    family=FAMILY,
    statement="a (b + c) -> a b + a c   (and every other identity of real arithmetic)",
    conditions=(
        Condition(
            "every divisor is nonzero",
            divisors_nonzero,
        ),
    ),
    purpose=(
        "Covers the bookkeeping between the interesting steps: distributing a "
        "return over a sum of scores, collecting powers of γ, cancelling a "
        "probability against its reciprocal."
    ),
    valid_example=pgv(
        """
        use rl
        claim γ (r(s, a) + γ V(s')) = γ r(s, a) + γ^2 V(s')   by algebra
        """
    ),
    flawed_example=pgv(
        """
        use rl
        claim γ (r(s, a) + γ V(s')) = γ r(s, a) + γ V(s')   by algebra
        """
    ),
    rewrites=("split_sum", "count_terms", "split_product"),
    kernel_options=frozenset({ALGEBRAIC_COMPARISON}),
)

RULES: tuple[Rule, ...] = (DEFINITION, ALGEBRA)

REWRITES = (unfold_definition, trajectory_components, count_terms, split_product)


# ------------------------------------------------------------------ misconceptions and their detectors
# A detector yields (left, right, context) claims; the first that holds names the mistake
# (pgverify/rules/mistakes.py). rank orders the detectors of the whole catalogue: most specific first.


def _initial_state_dropped(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                           ctx: Context) -> Iterator[Candidate]:
    def drop(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Call) and n.func.key() == "ρ_0":
            return num(1)
        return None
    if any(isinstance(n, m.Call) and n.func.key() == "ρ_0" for n in nodes(unfolded)):
        yield transform(unfolded, drop), rhs, ctx


def _partition_function_dropped(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                                ctx: Context) -> Iterator[Candidate]:
    def is_normalizer(e: m.Expr) -> bool:
        return isinstance(e, m.Call) and e.func.base == "Z" or isinstance(e, m.BigOp) and e.kind == "sum"

    def drop(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Div) and is_normalizer(n.right):
            return n.left
        if isinstance(n, m.Func) and n.name == "log" and is_normalizer(n.arg):
            return num(0)
        return None
    for source in (lhs, unfolded, unfold(rhs, ctx)):
        target_is_rhs = source is not lhs and source is not unfolded
        for variant in one_site(source, drop):
            yield (lhs, variant, ctx) if target_is_rhs else (variant, rhs, ctx)


MISCONCEPTIONS: tuple[Misconception, ...] = (
    Misconception(
        name="initial-state-distribution-dropped",
        title="The initial-state probability was left out of the trajectory probability",
        hint=(
            "The first state of a trajectory is random too: which factor gives "
            "its probability?"
        ),
        rules=("definition",),
        example=pgv(
            """
            use rl
            def Pr_θ(τ) = ρ0(s_0) prod_{t=0}^{T-1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)
            claim Pr_θ(τ) = prod_{t=0}^{T-1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)   by definition
            """
        ),
        detectors=(_initial_state_dropped,),
        rank=250,
    ),
    Misconception(
        name="partition-function-dropped",
        title="The normalizing constant (partition function) was dropped",
        hint=(
            "The optimal policy is normalized by a sum over all responses: "
            "where did that normalizer go when you took the log?"
        ),
        rules=("definition", "log-product"),
        example=pgv(
            """
            use rl
            dist π_ref(y | x)
            def β = 0.5
            def Z(x) = sum_{y} π_ref(y | x) exp(r(x, y) / β)
            def π_star(y | x) = π_ref(y | x) exp(r(x, y) / β) / Z(x)
            claim β log(π_star(y | x) / π_ref(y | x)) = r(x, y)   by definition, log-product
            """
        ),
        detectors=(_partition_function_dropped,),
        rank=50,
    ),
)
