"""Estimation rules: sample means and importance sampling."""

from __future__ import annotations

from pgverify.rules.base import Rule, pgv

FAMILY = "estimation"

MONTE_CARLO = Rule(
    name="monte-carlo",
    aliases=(
        "sample mean",
        "sample average",
        "empirical estimate",
        "empirical mean",
        "empirical average",
        "unbiased estimate",
        "unbiased estimator",
        "Monte Carlo estimate",
        "estimate from samples",
        "sampling",
    ),
    family=FAMILY,
    statement="E_{x ~ p}[f(x)] -> 1/N sum_{i=1}^{N} f(x_i)   (relation ≈, with x_i ~ p)",
    conditions=("the samples are i.i.d. from the expectation's distribution",),
    purpose=(
        "Replaces the exact expectation, a sum over every trajectory, by an "
        "average over sampled trajectories. The step is an unbiased estimate, "
        "written with ≈, and it is what turns the policy-gradient theorem into "
        "an algorithm."
    ),
    valid_example=pgv(
        """
        use rl
            E_{τ ~ π_θ}[R(τ)]
          ≈ 1/N sum_{i=1}^{N} R(τ_i)   by monte-carlo
        """
    ),
    flawed_example=pgv(
        """
        use rl
            E_{τ ~ π_θ}[R(τ)]
          ≈ sum_{i=1}^{N} R(τ_i)   by monte-carlo
        """
    ),
    no_rewrite_because=(
        "a sample mean is not equal to the expectation it estimates, so no rewrite of one side "
        "gives the other: the falsifier checks the step by taking the estimate's exact expected "
        "value over its i.i.d. samples (the kernel proves a `≈` step only when its sides are equal outright)"
    ),
)

IMPORTANCE_SAMPLING = Rule(
    name="importance-sampling",
    aliases=(
        "importance weight",
        "importance weights",
        "importance weighting",
        "importance ratio",
        "off-policy correction",
        "change of measure",
        "change of distribution",
        "reweighting",
    ),
    family=FAMILY,
    statement="E_{x ~ p}[f(x)] -> E_{x ~ q}[p(x) / q(x) f(x)]",
    conditions=("q > 0 wherever p > 0",),
    purpose=(
        "Rewrites an expectation under the current policy as one under the "
        "policy that collected the data. It is the basis of off-policy "
        "gradients and of the surrogate objectives of TRPO and PPO."
    ),
    valid_example=pgv(
        """
        use rl
        dist π_old(a | s)
        claim E_{a ~ π_θ(·|s)}[Q(s, a)] = E_{a ~ π_old(·|s)}[π_θ(a | s) / π_old(a | s) Q(s, a)]   by importance-sampling
        """
    ),
    flawed_example=pgv(
        """
        use rl
        dist π_old(a | s)
        claim E_{a ~ π_θ(·|s)}[Q(s, a)] = E_{a ~ π_old(·|s)}[Q(s, a)]   by importance-sampling
        """
    ),
    rewrites=("drop_expectation_marker", "split_sum"),
)

RULES: tuple[Rule, ...] = (MONTE_CARLO, IMPORTANCE_SAMPLING)
