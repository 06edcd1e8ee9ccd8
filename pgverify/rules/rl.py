"""Reinforcement-learning rules: baselines, reward-to-go, advantages, discounting."""

from __future__ import annotations

from pgverify.rules.base import ALGEBRAIC_COMPARISON, UNFOLD_DISTRIBUTIONS, Rule, pgv

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

RULES: tuple[Rule, ...] = (BASELINE, REWARD_TO_GO, ADVANTAGE, DISCOUNT)
