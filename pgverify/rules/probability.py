"""Probability rules: expectations as sums, normalization, conditioning, KL."""

from __future__ import annotations

from typing import Any

from pgverify.rules.base import UNFOLD_DISTRIBUTIONS, KernelView, LazyModule, Rule, pgv, rewrite

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
        "p is a normalized distribution",
        "the sum runs over the variables left of the bar of a conditional p(x | y)",
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
        (
            "the inner expectation is over the conditional distribution of its "
            "variable given the outer one"
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
    rewrites=("unfold_definition", "drop_expectation_marker", "trajectory_components", "sums_to_one", "split_sum", "count_terms"),
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
    conditions=("q > 0 wherever p > 0",),
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
    rewrites=("unfold_definition", "drop_expectation_marker", "trajectory_components", "split_sum", "log_of_product"),
    kernel_options=frozenset({UNFOLD_DISTRIBUTIONS}),
)

RULES: tuple[Rule, ...] = (EXPECTATION, NORMALIZATION, TOWER, KL)

REWRITES = (drop_expectation_marker, sums_to_one)
