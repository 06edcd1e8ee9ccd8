"""Estimation rules: sample means and importance sampling."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from pgverify import model as m
from pgverify.model import nodes
from pgverify.rules.base import Condition, Misconception, Rule, pgv
from pgverify.rules.mistakes import Candidate, num, one_site, variants
from pgverify.rules.predicates import by_verdict, logs_of_positive_values
from pgverify.semantics import Context

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
    conditions=(
        Condition(
            "the samples are i.i.d. from the expectation's distribution",
            by_verdict,
        ),
    ),
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
    conditions=(
        Condition(
            "q > 0 wherever p > 0",
            logs_of_positive_values,
        ),
    ),
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


# ------------------------------------------------------------------ misconceptions and their detectors
# A detector yields (left, right, context) claims; the first that holds names the mistake
# (pgverify/rules/mistakes.py). rank orders the detectors of the whole catalogue: most specific first.


def _importance_weight_inverted(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                                ctx: Context) -> Iterator[Candidate]:
    def flip(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Div) and ctx.is_distribution_call(n.left) and ctx.is_distribution_call(n.right):
            return m.Div(n.right, n.left)
        return None
    for variant in one_site(rhs, flip):
        yield lhs, variant, ctx


def _importance_weight_missing(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                               ctx: Context) -> Iterator[Candidate]:
    targets = [n.dist for n in nodes(rhs) if isinstance(n, m.Expect)]
    if not targets:
        return
    for target in targets[:2]:
        def swap(n: m.Expr, target: m.Expr = target) -> m.Expr | None:
            if isinstance(n, m.Expect) and n.dist != target:
                return replace(n, dist=target)
            return None
        yield from variants((lhs,), swap, rhs, ctx)


def _missing_sample_mean(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                         ctx: Context) -> Iterator[Candidate]:
    if relation != "≈":
        return
    for count in (m.Name("N"), m.Size(m.Name("D"))):
        yield lhs, m.Mul(m.Div(num(1), count), rhs), ctx


MISCONCEPTIONS: tuple[Misconception, ...] = (
    Misconception(
        name="importance-weight-inverted",
        title="The importance weight was written upside down",
        hint=(
            "The weight must turn samples from the policy you have into the "
            "policy you want: which density belongs in the numerator?"
        ),
        rules=("importance-sampling",),
        example=pgv(
            """
            use rl
            dist π_old(a | s)
            claim E_{a ~ π_θ(·|s)}[Q(s, a)] = E_{a ~ π_old(·|s)}[π_old(a | s) / π_θ(a | s) Q(s, a)]   by importance-sampling
            """
        ),
        detectors=(_importance_weight_inverted,),
        rank=200,
    ),
    Misconception(
        name="importance-weight-missing",
        title="The sampling distribution was changed without an importance weight",
        hint=(
            "Samples from another policy average to a different value: what "
            "corrects for where they came from?"
        ),
        rules=("importance-sampling",),
        example=pgv(
            """
            use rl
            dist π_old(a | s)
            claim E_{a ~ π_θ(·|s)}[Q(s, a)] = E_{a ~ π_old(·|s)}[Q(s, a)]   by importance-sampling
            """
        ),
        detectors=(_importance_weight_missing,),
        rank=210,
    ),
    Misconception(
        name="missing-sample-mean-normalization",
        title="The sample estimate sums the samples without dividing by their number",
        hint=(
            "A sum of N samples grows with N while the expectation does not: "
            "what turns the sum into an average?"
        ),
        rules=("monte-carlo",),
        example=pgv(
            """
            use rl
                E_{τ ~ π_θ}[R(τ)]
              ≈ sum_{i=1}^{N} R(τ_i)   by monte-carlo
            """
        ),
        detectors=(_missing_sample_mean,),
        rank=230,
    ),
)
