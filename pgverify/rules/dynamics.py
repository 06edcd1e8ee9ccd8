"""Dynamics rules: what does not depend on θ has zero gradient."""

from __future__ import annotations

from typing import Any

from pgverify.rules.base import KernelView, LazyModule, Rule, pgv, rewrite

# sympy and the kernel's node types, loaded the first time a rewrite runs (reading the catalogue does not)
sp = LazyModule("sympy")
kt = LazyModule("pgverify.kernel.terms")

FAMILY = "dynamics"


# ------------------------------------------------------------------ rewrites


@rewrite("Grad", priority=170, credits="theta-independence")
def grad_of_constant(e: Any, kernel: KernelView) -> Any:
    """``∇_θ X -> 0``   [X does not depend on θ]"""
    x, theta = e.args
    return sp.Integer(0) if kt.free_of(x, theta) else None


# ------------------------------------------------------------------ rules

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
    rewrites=("grad_of_constant", "grad_is_linear", "grad_through_sum"),
)

RULES: tuple[Rule, ...] = (THETA_INDEPENDENCE,)

REWRITES = (grad_of_constant,)
