"""Dynamics rules: what does not depend on θ has zero gradient."""

from __future__ import annotations

from pgverify.rules.base import Rule, pgv

FAMILY = "dynamics"

THETA_INDEPENDENCE = Rule(
    name="theta-independence",
    aliases=(
        "θ-independence",
        "dynamics-independence",
        "independent of θ",
        "does not depend on θ",
        "constant in θ",
        "no θ-dependence",
        "environment does not depend on θ",
        "dynamics do not depend on θ",
        "dynamics does not depend on θ",
        "gradient of dynamics is zero",
        "gradient of the dynamics is zero",
    ),
    family=FAMILY,
    statement="∇_θ f -> 0   [f does not depend on θ]",
    conditions=("the term does not depend on θ",),
    purpose=(
        "Removes the gradients of the initial-state distribution, the dynamics "
        "and the reward, none of which depend on the policy parameters. This is "
        "why a policy gradient can be estimated without a model of the "
        "environment."
    ),
    valid_example=pgv(
        """
        use rl
        claim ∇_θ log P(s' | s, a) = 0   by theta-independence
        claim ∇_θ log ρ0(s) + ∇_θ log π_θ(a | s) = ∇_θ log π_θ(a | s)   by theta-independence
        """
    ),
    flawed_example=pgv(
        """
        use rl
        depends P on θ
        claim ∇_θ log P(s' | s, a) = 0   by theta-independence
        """
    ),
)

RULES: tuple[Rule, ...] = (THETA_INDEPENDENCE,)
