"""Probability rules: expectations as sums, normalization, conditioning, KL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from pgverify import model as m
from pgverify.model import nodes, transform
from pgverify.rules.base import (
    UNFOLD_DISTRIBUTIONS,
    Condition,
    KernelView,
    LazyModule,
    Misconception,
    Rule,
    pgv,
    rewrite,
)
from pgverify.rules.mistakes import Candidate, num, variants
from pgverify.rules.predicates import by_verdict, logs_of_positive_values
from pgverify.semantics import Context

# sympy and the kernel's node types, loaded the first time a rewrite runs (reading the catalogue does not)
sp = LazyModule("sympy")
kt = LazyModule("pgverify.kernel.terms")

FAMILY = "probability"


# ------------------------------------------------------------------ rewrites


@rewrite("Weight", priority=20, credits="expectation")
def drop_expectation_marker(e: Any, kernel: KernelView) -> Any:
    """``E_{x~p}[f] -> sum_x p(x) f``   (the marker E(p) is the identity)"""
    return e.args[0]


@rewrite("Sum", priority=100, credits="normalization")
def sums_to_one(e: Any, kernel: KernelView) -> Any:
    """``sum_x c p(x|y) -> c``, ``sum_x c ∂p(x|y)/∂θ -> 0``   [p a distribution over x's domain; c free of x]"""
    body, i, lo, hi = kt.outer(e)
    const, dependent = kt.split_factors(body, i)
    if len(dependent) != 1:
        return None
    (w,) = dependent
    if isinstance(w, kt.Weight):
        w = w.args[0]
    if kernel.normalized(w, i, lo, hi):
        return const
    if isinstance(w, sp.Derivative) and kernel.normalized(w.expr, i, lo, hi) and \
            all(v in kernel.tr.params.values() for v in w.variables):
        return sp.Integer(0)
    return None


# ------------------------------------------------------------------ rules

EXPECTATION = Rule(
    name="expectation",
    aliases=(
        "definition of expectation",
        "definition of the expectation",
        "definition of expected value",
        "expected value",
        "expand the expectation",
        "return to expectation form",
        "expectation form",
        "write as an expectation",
        "rewrite as an expectation",
    ),
    family=FAMILY,
    statement="E_{x ~ p}[f(x)] -> sum_{x} p(x) f(x)   (either direction)",
    conditions=(),
    purpose=(
        "Moves between the expectation form, in which the policy gradient is "
        "stated and estimated, and the explicit weighted sum, in which gradients "
        "and the log-derivative trick can be applied term by term."
    ),
    valid_example=pgv(
        """
        use rl
        claim E_{a ~ π_θ(·|s)}[Q(s, a)] = sum_{a} π_θ(a | s) Q(s, a)   by expectation
        """
    ),
    flawed_example=pgv(
        """
        use rl
        claim E_{a ~ π_θ(·|s)}[Q(s, a)] = sum_{a} Q(s, a)   by expectation
        """
    ),
    rewrites=("drop_expectation_marker",),
)

NORMALIZATION = Rule(
    name="normalization",
    aliases=(
        "probabilities sum to one",
        "probabilities sum to 1",
        "sums to one",
        "sum to one",
        "integrates to one",
        "total probability",
        "normalisation",
        "normalized distribution",
        "gradient of a constant",
    ),
    family=FAMILY,
    statement="sum_{x} p(x) -> 1;  ∇_θ sum_{x} p_θ(x) -> 0",
    conditions=(
        Condition(
            "p is a normalized distribution",
            by_verdict,
        ),
        Condition(
            "the sum runs over the variables left of the bar of a conditional p(x | y)",
            by_verdict,
        ),
    ),
    purpose=(
        "A distribution sums to one whatever θ is, so the gradient of that sum "
        "is zero. This is the fact behind the zero-mean score, and it removes "
        "expectations of terms that do not depend on the sampled variable."
    ),
    valid_example=pgv(
        """
        use rl
        claim sum_{a} π_θ(a | s) = 1   by normalization
        claim ∇_θ sum_{a} π_θ(a | s) = 0   by normalization
        """
    ),
    flawed_example=pgv(
        """
        use rl
        claim sum_{s} π_θ(a | s) = 1   by normalization
        """
    ),
    rewrites=("sums_to_one", "count_terms"),
)

TOWER = Rule(
    name="tower",
    aliases=(
        "law of total expectation",
        "tower property",
        "tower rule",
        "iterated expectation",
        "iterated expectations",
        "law of iterated expectations",
        "conditioning",
        "condition on the state",
        "marginalization",
        "marginalisation",
        "marginalize",
    ),
    family=FAMILY,
    statement=(
        "E_{τ ~ Pr_θ}[f(s_0, a_0)] -> E_{s_0 ~ ρ0}[E_{a_0 ~ π_θ(·|s_0)}[f(s_0, a_0)]]"
        "   (in general: E[f] -> E_outer[E_inner[f | outer]])"
    ),
    conditions=(
        Condition(
            (
                "the inner expectation is over the conditional distribution of its "
                "variable given the outer one"
            ),
            by_verdict,
        ),
    ),
    purpose=(
        "Splits an expectation over whole trajectories into an outer expectation "
        "over states and an inner one over actions, which is where per-state "
        "facts such as the zero-mean score or a state-dependent baseline apply."
    ),
    valid_example=pgv(
        """
        use rl
        def Pr_θ(τ) = ρ0(s_0) prod_{t=0}^{1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)
        claim E_{τ ~ Pr_θ}[r(s_0, a_0)] = E_{s_0 ~ ρ0}[E_{a_0 ~ π_θ(·|s_0)}[r(s_0, a_0)]]   by tower
        """
    ),
    flawed_example=pgv(
        """
        use rl
        def Pr_θ(τ) = ρ0(s_0) prod_{t=0}^{1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)
        claim E_{τ ~ Pr_θ}[r(s_1, a_1)] = E_{s_1 ~ ρ0}[E_{a_1 ~ π_θ(·|s_1)}[r(s_1, a_1)]]   by tower
        """
    ),
    rewrites=(
        "unfold_definition", "drop_expectation_marker", "trajectory_components", "sums_to_one",
        "split_sum", "count_terms",
    ),
    kernel_options=frozenset({UNFOLD_DISTRIBUTIONS}),
)

KL = Rule(
    name="kl",
    aliases=(
        "KL divergence",
        "definition of KL",
        "definition of the KL divergence",
        "Kullback-Leibler",
        "Kullback-Leibler divergence",
        "relative entropy",
    ),
    family=FAMILY,
    statement="KL(p, q) -> E_{x ~ p}[log p(x) - log q(x)]",
    conditions=(
        Condition(
            "q > 0 wherever p > 0",
            logs_of_positive_values,
        ),
    ),
    purpose=(
        "Expands the KL penalty of regularized objectives (TRPO, PPO, RLHF "
        "against a reference policy) into an expectation of log-ratios that can "
        "be differentiated and estimated from samples. The expectation is over "
        "the first argument: KL is not symmetric."
    ),
    valid_example=pgv(
        """
        use rl
        dist π_ref(a | s)
        def KL(s) = sum_{a} π_θ(a | s) log(π_θ(a | s) / π_ref(a | s))
        claim KL(s) = E_{a ~ π_θ(·|s)}[log π_θ(a | s) - log π_ref(a | s)]   by kl
        """
    ),
    flawed_example=pgv(
        """
        use rl
        dist π_ref(a | s)
        def KL(s) = sum_{a} π_θ(a | s) log(π_θ(a | s) / π_ref(a | s))
        claim KL(s) = E_{a ~ π_ref(·|s)}[log π_ref(a | s) - log π_θ(a | s)]   by kl
        """
    ),
    rewrites=(
        "unfold_definition", "drop_expectation_marker", "trajectory_components", "split_sum",
        "log_of_product",
    ),
    kernel_options=frozenset({UNFOLD_DISTRIBUTIONS}),
    names_its_one_mistake=True,
)

RULES: tuple[Rule, ...] = (EXPECTATION, NORMALIZATION, TOWER, KL)

REWRITES = (drop_expectation_marker, sums_to_one)


# ------------------------------------------------------------------ misconceptions and their detectors
# A detector yields (left, right, context) claims; the first that holds names the mistake
# (pgverify/rules/mistakes.py). rank orders the detectors of the whole catalogue: most specific first.


def _expectations_as_sums(e: m.Expr) -> m.Expr:
    """E_{x ~ p(·|y)}[f] written as sum_x p(x|y) f (the inner, conditional weights kept)."""
    def rewrite(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Expect) and len(n.variables) == 1 and isinstance(n.dist, m.Call):
            args = tuple(n.variables[0] if isinstance(a, m.Placeholder) else a for a in n.dist.args)
            weight = replace(n.dist, args=args)
            return m.BigOp("sum", n.variables[0], m.Mul(weight, n.body))
        return None
    return transform(e, rewrite)


def _conditional_instead_of_joint(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                                  ctx: Context) -> Iterator[Candidate]:
    def strip_outer(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Expect) and len(n.variables) == 1 and any(isinstance(x, m.Expect) for x in nodes(n.body)):
            return m.BigOp("sum", n.variables[0], _expectations_as_sums(n.body))
        return None
    yield from variants((lhs, unfolded), strip_outer, rhs, ctx)


def _later_state_from_initial(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                              ctx: Context) -> Iterator[Candidate]:
    for n in nodes(rhs):
        if isinstance(n, m.Expect) and isinstance(n.dist, m.Name) and n.dist.key() == "ρ_0" and \
                any(v.base == "s" and v.sub and v.sub != (num(0),) for v in n.variables):
            yield rhs, rhs, ctx
            return


def _expectation_without_weights(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                                 ctx: Context) -> Iterator[Candidate]:
    def strip(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Expect) and len(n.variables) == 1:
            return m.BigOp("sum", n.variables[0], n.body)
        return None
    yield from variants((lhs,), strip, rhs, ctx)


def _name_of(key: str, like: m.Name) -> m.Name:
    base, _, sub = key.partition("_")
    return m.Name(base, (m.Name(sub),) if sub else (), span=like.span)


def _kl_arguments_swapped(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                          ctx: Context) -> Iterator[Candidate]:
    keys = sorted({ctx.canonical_call(n).func.key() for e in (unfolded, rhs) for n in nodes(e)
                   if isinstance(n, m.Call) and ctx.is_distribution_call(n)})
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


def _normalized_over_wrong_variable(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                                    ctx: Context) -> Iterator[Candidate]:
    def one(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.BigOp) and n.kind == "sum" and n.lower is None and isinstance(n.body, m.Call) \
                and ctx.is_distribution_call(n.body) and any(isinstance(g, m.Name) and g.key() == n.index.key()
                                                        for g in n.body.given):
            return num(1)
        return None
    yield from variants((lhs, unfolded), one, rhs, ctx)


MISCONCEPTIONS: tuple[Misconception, ...] = (
    Misconception(
        name="conditional-instead-of-joint",
        title=(
            "A conditional probability was used where the joint probability "
            "of the variables is needed"
        ),
        hint=(
            "The outer variable is random too: which probability weights a "
            "pair of values, rather than the inner value given the outer one?"
        ),
        rules=("expectation", "tower"),
        example=pgv(
            """
            use rl
            claim E_{s ~ ρ0}[E_{a ~ π_θ(·|s)}[Q(s, a)]] = sum_{s} sum_{a} π_θ(a | s) Q(s, a)   by expectation
            """
        ),
        detectors=(_conditional_instead_of_joint,),
        rank=260,
    ),
    Misconception(
        name="later-state-drawn-from-initial-distribution",
        title="A later state was treated as if it were drawn from the initial distribution",
        hint=(
            "A later state is reached through the policy and the dynamics: is "
            "it still distributed like the first state?"
        ),
        rules=("tower",),
        example=pgv(
            """
            use rl
            def Pr_θ(τ) = ρ0(s_0) prod_{t=0}^{1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)
            claim E_{τ ~ Pr_θ}[r(s_1, a_1)] = E_{s_1 ~ ρ0}[E_{a_1 ~ π_θ(·|s_1)}[r(s_1, a_1)]]   by tower
            """
        ),
        detectors=(_later_state_from_initial,),
        rank=80,
    ),
    Misconception(
        name="expectation-without-weights",
        title="The expectation was expanded into a sum without its probabilities",
        hint=(
            "Does your sum still know which distribution the expectation was "
            "taken over?"
        ),
        rules=("expectation",),
        example=pgv(
            """
            use rl
            claim E_{a ~ π_θ(·|s)}[Q(s, a)] = sum_{a} Q(s, a)   by expectation
            """
        ),
        detectors=(_expectation_without_weights,),
        rank=270,
    ),
    Misconception(
        name="kl-arguments-swapped",
        title="The two distributions of a KL divergence were swapped",
        hint=(
            "KL divergence is not symmetric: which distribution is the "
            "expectation taken over in your definition?"
        ),
        rules=("kl",),
        example=pgv(
            """
            use rl
            dist π_ref(a | s)
            def KL(s) = sum_{a} π_θ(a | s) log(π_θ(a | s) / π_ref(a | s))
            claim KL(s) = E_{a ~ π_ref(·|s)}[log π_ref(a | s) - log π_θ(a | s)]   by kl
            """
        ),
        detectors=(_kl_arguments_swapped,),
        rank=90,
    ),
    Misconception(
        name="normalized-over-the-wrong-variable",
        title="A conditional distribution was summed over its conditioning variable",
        hint=(
            "A conditional distribution sums to one over the variable left of "
            "the bar: which variable did you sum over?"
        ),
        rules=("normalization",),
        example=pgv(
            """
            use rl
            claim sum_{s} π_θ(a | s) = 1   by normalization
            """
        ),
        detectors=(_normalized_over_wrong_variable,),
        rank=60,
    ),
)
