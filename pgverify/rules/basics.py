"""Basic rules: unfolding definitions and the arithmetic of real numbers."""

from __future__ import annotations

from pgverify.rules.base import Rule, pgv

FAMILY = "basics"

DEFINITION = Rule(
    name="definition",
    aliases=(
        "def",
        "by definition",
        "expand",
        "substitute",
        "substitution",
        "unfold",
        "unfold the definition",
        "plug in the definition",
        "definition of J",
        "definition of the objective",
        "definition of the trajectory distribution",
    ),
    family=FAMILY,
    statement="f(x) -> e   [where `def f(x) = e` is in scope, or f comes from `use rl`]",
    conditions=(),
    purpose=(
        "Unfolds a name into what it stands for, such as J(θ) into the expected "
        "return or Pr_θ(τ) into the product of initial-state, policy and dynamics "
        "probabilities. Every policy-gradient derivation starts here, and a wrong "
        "unfolding (a missing factor, a wrong range) poisons every later step."
    ),
    valid_example=pgv(
        """
        use rl
        def Pr_θ(τ) = ρ0(s_0) prod_{t=0}^{T-1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)
        claim log Pr_θ(τ) = log(ρ0(s_0) prod_{t=0}^{T-1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t))   by definition
        claim J(θ) = E_{τ ~ Pr_θ}[R(τ)]   by definition
        """
    ),
    flawed_example=pgv(
        """
        use rl
        def Pr_θ(τ) = ρ0(s_0) prod_{t=0}^{T-1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)
        claim Pr_θ(τ) = prod_{t=0}^{T-1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)   by definition
        """
    ),
)

ALGEBRA = Rule(
    name="algebra",
    aliases=(
        "arithmetic",
        "simplify",
        "simplification",
        "rearrange",
        "rearranging",
        "regroup",
        "distributivity",
        "distribute",
        "factor",
        "factorize",
        "collect terms",
        "cancel",
        "cancellation",
        "commutativity",
        "associativity",
    ),
    family=FAMILY,
    statement="a (b + c) -> a b + a c   (and every other identity of real arithmetic)",
    conditions=("every divisor is nonzero",),
    purpose=(
        "Covers the bookkeeping between the interesting steps: distributing a "
        "return over a sum of scores, collecting powers of γ, cancelling a "
        "probability against its reciprocal."
    ),
    valid_example=pgv(
        """
        use rl
        claim γ (r(s, a) + γ V(s')) = γ r(s, a) + γ^2 V(s')   by algebra
        """
    ),
    flawed_example=pgv(
        """
        use rl
        claim γ (r(s, a) + γ V(s')) = γ r(s, a) + γ V(s')   by algebra
        """
    ),
)

RULES: tuple[Rule, ...] = (DEFINITION, ALGEBRA)
