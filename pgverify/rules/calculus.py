"""Calculus rules: linearity, exchanging ∇ with sums, chain and product rules."""

from __future__ import annotations

from pgverify.rules.base import Rule, pgv

FAMILY = "calculus"

LINEARITY = Rule(
    name="linearity",
    aliases=(
        "linearity of the gradient",
        "linearity of the sum",
        "linearity of the expectation",
        "linearity of expectation",
        "linearity of the integral",
        "linearity of the gradient/sum/expectation/integral",
        "linearity of the gradient and the sum",
        "linearity of the gradient and the expectation",
        "linear",
        "sum rule",
        "additivity",
        "pull out the constant",
        "constant factor rule",
    ),
    family=FAMILY,
    statement="∇_θ (c f + g) -> c ∇_θ f + ∇_θ g   (likewise for sum, E and int)",
    conditions=(
        (
            "a constant factor that is pulled out does not depend on θ (for ∇_θ) "
            "or on the summed or sampled variable (for a sum or an expectation)"
        ),
    ),
    purpose=(
        "Splits the gradient of the trajectory log-probability into one term per "
        "factor, and moves gradients and expectations through sums and constant "
        "factors such as γ^t."
    ),
    valid_example=pgv(
        """
        use rl
        claim ∇_θ (log π_θ(a | s) + log P(s' | s, a)) = ∇_θ log π_θ(a | s) + ∇_θ log P(s' | s, a)   by linearity
        claim E_{a ~ π_θ(·|s)}[2 Q(s, a) + A(s, a)] = 2 E_{a ~ π_θ(·|s)}[Q(s, a)] + E_{a ~ π_θ(·|s)}[A(s, a)]   by linearity
        """
    ),
    flawed_example=pgv(
        """
        use rl
        claim E_{a ~ π_θ(·|s)}[Q(s, a) A(s, a)] = E_{a ~ π_θ(·|s)}[Q(s, a)] E_{a ~ π_θ(·|s)}[A(s, a)]   by linearity
        """
    ),
)

EXCHANGE = Rule(
    name="exchange",
    aliases=(
        "bring gradient under integral",
        "gradient under the integral",
        "bring the gradient inside the sum",
        "bring the gradient inside the integral",
        "bring the gradient inside the expectation",
        "bring the gradient inside the sum/integral/expectation",
        "bring the gradient inside",
        "move the gradient inside",
        "swap gradient and sum",
        "swap gradient and integral",
        "swap gradient and expectation",
        "interchange",
        "interchange of gradient and sum",
        "Leibniz rule",
        "Leibniz integral rule",
        "differentiate under the integral sign",
        "differentiation under the integral sign",
        "dominated convergence",
    ),
    family=FAMILY,
    statement=(
        "∇_θ sum_{x} f(x) -> sum_{x} ∇_θ f(x);"
        "  ∇_θ E_{x ~ p}[f(x)] -> E_{x ~ p}[∇_θ f(x)]   [p does not depend on θ]"
    ),
    conditions=(
        "the sum is finite and its range (the support) does not depend on θ",
        "for an infinite sum or an integral, exchanging ∇_θ with it is assumed",
        "for an expectation, its distribution does not depend on θ",
    ),
    purpose=(
        "Moves ∇_θ past the sum over trajectories so that it reaches the "
        "probabilities themselves, which is what makes the log-derivative trick "
        "applicable. It may enter an expectation only when the expectation's "
        "distribution does not depend on θ."
    ),
    valid_example=pgv(
        """
        use rl
        claim ∇_θ sum_τ Pr_θ(τ) R(τ) = sum_τ ∇_θ (Pr_θ(τ) R(τ))   by exchange
        """
    ),
    flawed_example=pgv(
        """
        use rl
        claim ∇_θ E_{τ ~ Pr_θ}[R(τ)] = E_{τ ~ Pr_θ}[∇_θ R(τ)]   by exchange
        """
    ),
)

CHAIN_RULE = Rule(
    name="chain-rule",
    aliases=(
        "chain rule of differentiation",
        "derivative of a composition",
        "composition rule",
    ),
    family=FAMILY,
    statement="∇_θ f(g) -> f'(g) ∇_θ g;  e.g. ∇_θ exp(g) -> exp(g) ∇_θ g",
    conditions=("the outer function is differentiable at the inner value",),
    purpose=(
        "Differentiates a function of a θ-dependent quantity, as in the gradient "
        "of a log-probability or of a softmax; it is the reason the gradient of "
        "log p is the gradient of p divided by p."
    ),
    valid_example=pgv(
        """
        use rl
        claim ∇_θ (π_θ(a | s)^2) = 2 π_θ(a | s) ∇_θ π_θ(a | s)   by chain-rule
        """
    ),
    flawed_example=pgv(
        """
        use rl
        claim ∇_θ (π_θ(a | s)^2) = 2 ∇_θ π_θ(a | s)   by chain-rule
        """
    ),
)

PRODUCT_RULE = Rule(
    name="product-rule",
    aliases=(
        "product rule of differentiation",
        "derivative of a product",
        "gradient of a product",
    ),
    family=FAMILY,
    statement="∇_θ (f g) -> (∇_θ f) g + f ∇_θ g",
    conditions=(),
    purpose=(
        "Differentiates a product of two θ-dependent factors, such as "
        "π_θ(a|s) log π_θ(a|s) in an entropy bonus or a probability times a "
        "θ-dependent return; dropping one of the two terms is a common slip."
    ),
    valid_example=pgv(
        """
        use rl
        claim ∇_θ (π_θ(a | s) log π_θ(a | s)) = ∇_θ π_θ(a | s) log π_θ(a | s) + π_θ(a | s) ∇_θ log π_θ(a | s)   by product-rule
        """
    ),
    flawed_example=pgv(
        """
        use rl
        claim ∇_θ (π_θ(a | s) log π_θ(a | s)) = ∇_θ π_θ(a | s) log π_θ(a | s)   by product-rule
        """
    ),
)

RULES: tuple[Rule, ...] = (LINEARITY, EXCHANGE, CHAIN_RULE, PRODUCT_RULE)
