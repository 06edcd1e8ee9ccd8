"""Reinforcement-learning rules: baselines, reward-to-go, advantages, discounting."""

from __future__ import annotations

from typing import Any

from pgverify.rules.base import ALGEBRAIC_COMPARISON, UNFOLD_DISTRIBUTIONS, KernelView, LazyModule, Rule, pgv, rewrite

# sympy and the kernel's node types, loaded the first time a rewrite runs (reading the catalogue does not)
sp = LazyModule("sympy")
kt = LazyModule("pgverify.kernel.terms")

FAMILY = "rl"

BASELINE = Rule(
    name="baseline",
    aliases=(
        "subtract a baseline",
        "add a baseline",
        "baseline subtraction",
        "state-dependent baseline",
        "baseline trick",
        "control variate",
    ),
    family=FAMILY,
    statement=(
        "E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) (f(s, a) - b(s))]"
        " -> E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) f(s, a)]"
    ),
    conditions=(
        (
            "b does not depend on the action (in a trajectory: not on a_t nor on "
            "anything sampled after it)"
        ),
    ),
    purpose=(
        "Subtracting a state-dependent baseline from the return leaves the "
        "policy gradient unchanged in expectation, because the score has zero "
        "mean, but can greatly reduce the variance of its sample estimate."
    ),
    valid_example=pgv(
        """
        use rl
        claim E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) (Q(s, a) - b(s))] = E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) Q(s, a)]   by baseline
        """
    ),
    flawed_example=pgv(
        """
        use rl
        claim E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) (Q(s, a) - b(s, a))] = E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) Q(s, a)]   by baseline
        """
    ),
    rewrites=("unfold_definition", "drop_expectation_marker", "trajectory_components", "sums_to_one", "score_has_zero_mean", "split_sum", "count_terms", "grad_is_linear", "grad_through_sum", "grad_of_log"),
    kernel_options=frozenset({UNFOLD_DISTRIBUTIONS}),
)

REWARD_TO_GO = Rule(
    name="reward-to-go",
    aliases=(
        "causality",
        "rewards-to-go",
        "causality trick",
        "drop past rewards",
        "past rewards do not matter",
        "future rewards only",
    ),
    family=FAMILY,
    statement=(
        "E_{τ ~ Pr_θ}[sum_{t=0}^{T} ∇_θ log π_θ(a_t | s_t) sum_{k=0}^{T} r(s_k, a_k)]"
        " -> E_{τ ~ Pr_θ}[sum_{t=0}^{T} ∇_θ log π_θ(a_t | s_t) sum_{k=t}^{T} r(s_k, a_k)]"
    ),
    conditions=(
        (
            "rewards received before time t do not depend on a_t: the trajectory "
            "is sampled forward in time by the policy and the dynamics"
        ),
    ),
    purpose=(
        "An action cannot change rewards that were already received, so their "
        "products with its score have zero mean and can be dropped. Weighting "
        "each score by the reward-to-go keeps the gradient unbiased and lowers "
        "its variance."
    ),
    valid_example=pgv(
        """
        use rl
        def Pr_θ(τ) = ρ0(s_0) prod_{t=0}^{1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)
        claim E_{τ ~ Pr_θ}[sum_{t=0}^{1} ∇_θ log π_θ(a_t | s_t) sum_{k=0}^{1} r(s_k, a_k)] = E_{τ ~ Pr_θ}[sum_{t=0}^{1} ∇_θ log π_θ(a_t | s_t) sum_{k=t}^{1} r(s_k, a_k)]   by reward-to-go
        """
    ),
    flawed_example=pgv(
        """
        use rl
        def Pr_θ(τ) = ρ0(s_0) prod_{t=0}^{1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)
        claim E_{τ ~ Pr_θ}[sum_{t=0}^{1} ∇_θ log π_θ(a_t | s_t) sum_{k=0}^{1} r(s_k, a_k)] = E_{τ ~ Pr_θ}[sum_{t=0}^{1} ∇_θ log π_θ(a_t | s_t) sum_{k=t+1}^{1} r(s_k, a_k)]   by reward-to-go
        """
    ),
    rewrites=("unfold_definition", "drop_expectation_marker", "trajectory_components", "sums_to_one", "score_has_zero_mean", "split_sum", "count_terms", "grad_is_linear", "grad_through_sum", "grad_of_log"),
    kernel_options=frozenset({UNFOLD_DISTRIBUTIONS}),
)

ADVANTAGE = Rule(
    name="advantage",
    aliases=(
        "advantage function",
        "definition of the advantage",
        "replace Q by the advantage",
        "use the advantage",
        "Q minus V",
    ),
    family=FAMILY,
    statement=(
        "E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) Q(s, a)]"
        " -> E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) A(s, a)]   [A(s, a) = Q(s, a) - V(s)]"
    ),
    conditions=(
        "A(s, a) = Q(s, a) - V(s), where V depends on the state only",
        "the term is weighted by the score inside an expectation over the action",
    ),
    purpose=(
        "Replaces the action value by the advantage, which measures how much "
        "better an action is than the policy's average at that state. It is a "
        "baseline subtraction with V as the baseline, and the form used by "
        "actor-critic methods."
    ),
    valid_example=pgv(
        """
        use rl
        def A(s, a) = Q(s, a) - V(s)
        claim E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) Q(s, a)] = E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) A(s, a)]   by advantage
        """
    ),
    flawed_example=pgv(
        """
        use rl
        def A(s, a) = Q(s, a) - V(s)
        claim E_{a ~ π_θ(·|s)}[Q(s, a)] = E_{a ~ π_θ(·|s)}[A(s, a)]   by advantage
        """
    ),
    rewrites=("unfold_definition", "drop_expectation_marker", "trajectory_components", "sums_to_one", "score_has_zero_mean", "split_sum", "count_terms", "grad_is_linear", "grad_through_sum", "grad_of_log"),
    kernel_options=frozenset({UNFOLD_DISTRIBUTIONS}),
)

DISCOUNT = Rule(
    name="discount",
    aliases=(
        "factoring γ^t",
        "factor out γ^t",
        "pull out γ^t",
        "factor out the discount",
        "factor out gamma",
        "discounting",
        "discount factor",
    ),
    family=FAMILY,
    statement="sum_{k=t}^{T} γ^k r(s_k, a_k) -> γ^t sum_{k=t}^{T} γ^(k-t) r(s_k, a_k)",
    conditions=("the factored power γ^t does not depend on the summation index",),
    purpose=(
        "Factors the discount accumulated up to time t out of a discounted "
        "reward-to-go, leaving a sum discounted from time t. It connects the "
        "discounted return of a trajectory with the value of the state s_t."
    ),
    valid_example=pgv(
        """
        use rl
        claim sum_{k=t}^{T} γ^k r(s_k, a_k) = γ^t sum_{k=t}^{T} γ^(k-t) r(s_k, a_k)   by discount
        """
    ),
    flawed_example=pgv(
        """
        use rl
        claim sum_{k=t}^{T} γ^k r(s_k, a_k) = γ^t sum_{k=t}^{T} γ^k r(s_k, a_k)   by discount
        """
    ),
    rewrites=("split_sum", "count_terms"),
    kernel_options=frozenset({ALGEBRAIC_COMPARISON}),
)



@rewrite("Sum", priority=115, credits="telescoping")
def telescope(e: Any, kernel: KernelView) -> Any:
    """``sum_{l=a}^{b} (h(l+1) - h(l) + g(l)) -> h(b+1) - h(a) + sum_{l=a}^{b} g(l)``   [b - a + 1 ≥ 0]

    The sum of TD errors of GAE: with ``δ_l = r_l + γ V(s_{l+1}) - V(s_l)``, ``h(l) = γ^l V(s_l)``
    makes ``γ^l δ_l = γ^l r_l + h(l+1) - h(l)``.  Tried before the body is split by linearity,
    which would pull the two halves of the difference into separate sums.
    """
    body, index, lo, hi = kt.outer(e)
    if not index.is_integer or kt.range_length(lo, hi) is None:
        return None      # on an empty range written backwards the sum is 0, not h(b+1) - h(a)
    terms = list(sp.Add.make_args(kernel.expand_body(body)))
    for k, later in enumerate(terms):
        if index not in later.free_symbols:
            continue
        for j, earlier in enumerate(terms):
            h = -earlier
            # compared with powers split (γ γ^l and γ^(l+1) are one term written two ways)
            if j != k and sp.expand_power_exp(h.xreplace({index: index + 1})) == sp.expand_power_exp(later):
                rest = [x for n, x in enumerate(terms) if n not in (j, k)]
                remaining = kt.Sum(sp.Add(*rest), (index, lo, hi)) if rest else sp.Integer(0)
                return h.xreplace({index: hi + 1}) - h.xreplace({index: lo}) + remaining
    return None


TELESCOPING = Rule(
    name="telescoping",
    aliases=(
        "telescope",
        "telescoping sum",
        "telescoping series",
        "sum of TD errors",
        "sum of temporal-difference errors",
        "GAE telescoping",
    ),
    family=FAMILY,
    statement=(
        "sum_{l=0}^{k-1} γ^l (r_{t+l} + γ V(s_{t+l+1}) - V(s_{t+l})) -> "
        "sum_{l=0}^{k-1} γ^l r_{t+l} + γ^k V(s_{t+k}) - V(s_t); "
        "sum_{l=a}^{b} (h(l+1) - h(l)) -> h(b+1) - h(a)"
    ),
    conditions=("the sum's range is not written backwards: it has b - a + 1 ≥ 0 terms",),
    purpose=(
        "Collapses a discounted sum of TD errors δ_l = r_l + γ V(s_{l+1}) - V(s_l) into "
        "the k-step return minus the baseline V(s_t): the identity behind n-step advantage "
        "estimates and generalized advantage estimation, where each estimator is a "
        "weighted sum of these telescoping sums."
    ),
    valid_example=pgv(
        """
        use rl
        claim sum_{l=0}^{T-1} γ^l (r(s_l, a_l) + γ V(s_{l+1}) - V(s_l)) = sum_{l=0}^{T-1} γ^l r(s_l, a_l) + γ^T V(s_T) - V(s_0)   by telescoping
        """
    ),
    flawed_example=pgv(
        """
        use rl
        claim sum_{l=0}^{T-1} γ^l (r(s_l, a_l) + γ V(s_{l+1}) - V(s_l)) = sum_{l=0}^{T-1} γ^l r(s_l, a_l) + γ^(T-1) V(s_T) - V(s_0)   by telescoping
        """
    ),
    rewrites=("telescope", "split_sum"),
)

RULES: tuple[Rule, ...] = (BASELINE, REWARD_TO_GO, ADVANTAGE, DISCOUNT, TELESCOPING)

REWRITES = (telescope,)
