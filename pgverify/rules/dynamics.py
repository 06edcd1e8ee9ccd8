"""Dynamics rules: what does not depend on θ has zero gradient."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pgverify import model as m
from pgverify.rules.base import Condition, KernelView, LazyModule, Misconception, Rule, pgv, rewrite
from pgverify.rules.mistakes import Candidate, calls, differentiates, unfold, with_theta
from pgverify.rules.predicates import by_verdict, unless_declared_theta_dependent, unless_diagnosed
from pgverify.semantics import Context, TRAJECTORY_DIST

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
    conditions=(
        Condition(
            "the term does not depend on θ",
            unless_declared_theta_dependent(
                unless_diagnosed(
                    {"theta-dependent-term-treated-as-independent", "policy-term-dropped-instead-of-dynamics",
                     "eglp-applied-pointwise"},
                    by_verdict,
                )
            ),
        ),
    ),
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


# ------------------------------------------------------------------ misconceptions and their detectors
# A detector yields (left, right, context) claims; the first that holds names the mistake
# (pgverify/rules/mistakes.py). rank orders the detectors of the whole catalogue: most specific first.


def _policy_term_dropped(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                         ctx: Context) -> Iterator[Candidate]:
    if not ctx.rl or not calls(unfolded, "P") or differentiates(unfold(rhs, ctx), "π_θ"):
        return
    yield lhs, rhs, with_theta(ctx, independent={"π_θ"}, dependent={"P"})


def _theta_dependent_treated_independent(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                                         ctx: Context) -> Iterator[Candidate]:
    declared = set(ctx.depends)
    if declared:
        yield lhs, rhs, with_theta(ctx, independent=declared)
    dependent = {key for (key, _), info in ctx.functions.items()
                 if info.depends and key not in ("π_θ", TRAJECTORY_DIST) and info.kind != "def"}
    if dependent:
        yield lhs, rhs, with_theta(ctx, independent=dependent)


MISCONCEPTIONS: tuple[Misconception, ...] = (
    Misconception(
        name="policy-term-dropped-instead-of-dynamics",
        title="The policy term was dropped and the dynamics term kept",
        hint=(
            "Look at which of the two terms carries θ: which one has a zero gradient?"
        ),
        rules=("theta-independence",),
        example=pgv(
            """
            use rl
            claim ∇_θ (log π_θ(a | s) + log P(s' | s, a)) = ∇_θ log P(s' | s, a)   by theta-independence
            """
        ),
        detectors=(_policy_term_dropped,),
        rank=140,
    ),
    Misconception(
        name="theta-dependent-term-treated-as-independent",
        title=(
            "A term that depends on θ (learned dynamics, a θ-dependent reward) "
            "was treated as independent of θ"
        ),
        hint=(
            "Check the declarations: does every term you dropped really not "
            "depend on θ, directly or through a definition?"
        ),
        rules=("theta-independence",),
        example=pgv(
            """
            use rl
            depends P on θ
            claim ∇_θ (log π_θ(a | s) + log P(s' | s, a)) = ∇_θ log π_θ(a | s)   by theta-independence
            """
        ),
        detectors=(_theta_dependent_treated_independent,),
        rank=150,
    ),
)
