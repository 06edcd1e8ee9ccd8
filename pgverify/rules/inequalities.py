"""Inequality rules: Jensen for log and exp, Cauchy–Schwarz, KL ≥ 0 (Gibbs) and the bounds of the entropy.

None of these is a rewrite: an inequality is not an equivalence to normalize
with.  Citing one switches on the kernel's fact of the same name
(``pgverify/kernel/inequalities.py`` matches each by its shape in the
difference of the two sides and says exactly what it assumes); without a
citation all four are on.
"""

from __future__ import annotations

from pgverify.rules.base import CAUCHY_SCHWARZ, ENTROPY_BOUNDS, JENSEN, KL_NONNEGATIVE, Condition, Rule, pgv
from pgverify.rules.predicates import by_verdict, finite_spaces, logs_of_positive_values

FAMILY = "inequalities"

# the rewrites that read an expectation or a definition as the sum the kernel's facts match
_READ_SUMS = ("unfold_definition", "drop_expectation_marker", "count_terms")

JENSEN_RULE = Rule(
    name="jensen",
    aliases=(
        "Jensen's inequality",
        "Jensen inequality",
        "concavity of the log",
        "convexity of exp",
    ),
    family=FAMILY,
    statement="E_{x ~ p}[log X] -> ≤ log E_{x ~ p}[X];  exp(E_{x ~ p}[X]) -> ≤ E_{x ~ p}[exp X]",
    conditions=(
        Condition("the expectation is over a whole distribution (weights positive, summing to 1)", finite_spaces),
        Condition("X is positive (for the log)", logs_of_positive_values),
    ),
    purpose=(
        "Bounds a log of an expectation by the expectation of a log, the step behind "
        "the evidence lower bound and the variational bounds of entropy-regularized RL; "
        "the direction follows from the concavity of log (the convexity of exp), and the "
        "bound is never strict in general."
    ),
    valid_example=pgv(
        """
        use rl
        fun g(s, a) positive
        claim E_{a ~ π_θ(·|s)}[log g(s, a)] ≤ log E_{a ~ π_θ(·|s)}[g(s, a)]   by jensen
        """
    ),
    flawed_example=pgv(
        """
        use rl
        fun g(s, a) positive
        claim log E_{a ~ π_θ(·|s)}[g(s, a)] ≤ E_{a ~ π_θ(·|s)}[log g(s, a)]   by jensen
        """
    ),
    rewrites=_READ_SUMS,
    kernel_options=frozenset({JENSEN}),
)

CAUCHY_SCHWARZ_RULE = Rule(
    name="cauchy-schwarz",
    aliases=(
        "Cauchy-Schwarz inequality",
        "Cauchy–Schwarz",
        "Cauchy Schwarz",
    ),
    family=FAMILY,
    statement="E_{x ~ p}[X Y]^2 -> ≤ E_{x ~ p}[X^2] E_{x ~ p}[Y^2];  (sum_i x_i y_i)^2 -> ≤ sum_i x_i^2 sum_i y_i^2",
    conditions=(
        Condition("the three sums run over the same range, with nonnegative weights", by_verdict),
    ),
    purpose=(
        "Bounds the square of a correlation by the product of the second moments, as in "
        "the variance bounds of policy-gradient estimators; the left side is squared "
        "(or the right side under a square root)."
    ),
    valid_example=pgv(
        """
        use rl
        claim E_{a ~ π_θ(·|s)}[Q(s, a) A(s, a)]^2 ≤ E_{a ~ π_θ(·|s)}[Q(s, a)^2] E_{a ~ π_θ(·|s)}[A(s, a)^2]   by cauchy-schwarz
        """
    ),
    flawed_example=pgv(
        """
        use rl
        claim E_{a ~ π_θ(·|s)}[Q(s, a) A(s, a)] ≤ E_{a ~ π_θ(·|s)}[Q(s, a)^2] E_{a ~ π_θ(·|s)}[A(s, a)^2]   by cauchy-schwarz
        """
    ),
    rewrites=_READ_SUMS,
    kernel_options=frozenset({CAUCHY_SCHWARZ}),
)

KL_NONNEGATIVE_RULE = Rule(
    name="kl-nonnegative",
    aliases=(
        "Gibbs' inequality",
        "Gibbs inequality",
        "KL is nonnegative",
        "KL divergence is nonnegative",
        "nonnegativity of KL",
    ),
    family=FAMILY,
    statement="E_{x ~ p}[log p(x) - log q(x)] -> ≥ 0",
    conditions=(
        Condition("p and q are distributions over the same finite domain", finite_spaces),
        Condition("the expectation is under p, the first argument", by_verdict),
    ),
    purpose=(
        "Shows that a KL penalty (TRPO, PPO, RLHF against a reference policy) is never "
        "negative; the expectation must be taken under the first distribution."
    ),
    valid_example=pgv(
        """
        use rl
        dist π_ref(a | s)
        claim E_{a ~ π_θ(·|s)}[log π_θ(a | s) - log π_ref(a | s)] ≥ 0   by kl-nonnegative
        """
    ),
    flawed_example=pgv(
        """
        use rl
        dist π_ref(a | s)
        claim E_{a ~ π_ref(·|s)}[log π_θ(a | s) - log π_ref(a | s)] ≥ 0   by kl-nonnegative
        """
    ),
    rewrites=_READ_SUMS + ("log_of_product",),
    kernel_options=frozenset({KL_NONNEGATIVE}),
)

ENTROPY_BOUNDS_RULE = Rule(
    name="entropy-bounds",
    aliases=(
        "entropy is nonnegative",
        "entropy bounds",
        "bounds of the entropy",
        "entropy at most log of the number of values",
        "probabilities are at most one",
    ),
    family=FAMILY,
    statement="-sum_x p(x) log p(x) -> ≥ 0;  -sum_x p(x) log p(x) -> ≤ log(sum_x 1);  log p(x) -> ≤ 0",
    conditions=(
        Condition("p is a discrete distribution over a finite domain", finite_spaces),
        Condition("the upper bound is the log of the number of values the sum runs over", by_verdict),
    ),
    purpose=(
        "Bounds the entropy bonus of a discrete policy: between 0 (a deterministic policy) "
        "and the log of the number of actions (the uniform one); a bound by a fixed number "
        "holds only for a fixed action space."
    ),
    valid_example=pgv(
        """
        use rl
        claim - sum_a π_θ(a | s) log π_θ(a | s) ≥ 0   by entropy-bounds
        claim - sum_a π_θ(a | s) log π_θ(a | s) ≤ log(sum_a 1)   by entropy-bounds
        """
    ),
    flawed_example=pgv(
        """
        use rl
        claim - sum_a π_θ(a | s) log π_θ(a | s) ≤ log(2)   by entropy-bounds
        """
    ),
    rewrites=_READ_SUMS,
    kernel_options=frozenset({ENTROPY_BOUNDS}),
)

RULES: tuple[Rule, ...] = (JENSEN_RULE, CAUCHY_SCHWARZ_RULE, KL_NONNEGATIVE_RULE, ENTROPY_BOUNDS_RULE)
