"""The rule `telescoping` (GAE's sum of TD errors): what its rewrite proves, and where it must refuse."""

from __future__ import annotations

import sympy as sp

from pgverify.kernel import prove
from pgverify.kernel.terms import Sum, distribute
from pgverify.rules import rewrite_named, rule
from pgverify.semantics import build_context
from pgverify.syntax import parse_source

TD_SUM = "sum_{l=0}^{T-1} γ^l (r(s_l, a_l) + γ V(s_{l+1}) - V(s_l))"
K_STEP = "sum_{l=0}^{T-1} γ^l r(s_l, a_l) + γ^T V(s_T) - V(s_0)"


def proves(lhs: str, rhs: str, rules: set[str] | None) -> bool:
    source = parse_source(f"use rl\nclaim {lhs} = {rhs}\n", "telescoping.pgv")
    (derivation,) = source.derivations
    (step,) = derivation.steps
    ctx = build_context(source.declarations, derivation.declarations, {}, [])
    return prove(step.previous, step.expr, "=", ctx, None if rules is None else frozenset(rules)).proved


class _View:
    """The least of a kernel a rewrite reads: distributing a sum's body."""

    options: frozenset[str] = frozenset()
    tr = None

    def expand_body(self, body: sp.Expr) -> sp.Expr:
        return distribute(body, False)

    def normalized(self, *args: object) -> bool:
        return False


def test_the_k_step_identity_is_proved_by_telescoping_and_not_by_algebra_alone() -> None:
    assert proves(TD_SUM, K_STEP, {"telescoping"})
    assert proves(TD_SUM, K_STEP, None)
    assert not proves(TD_SUM, K_STEP, {"algebra"})


def test_a_wrong_last_discount_is_not_proved() -> None:
    assert not proves(TD_SUM, "sum_{l=0}^{T-1} γ^l r(s_l, a_l) + γ^(T-1) V(s_T) - V(s_0)", None)
    assert not proves(TD_SUM, "sum_{l=0}^{T-1} γ^l r(s_l, a_l) + γ^T V(s_T) - V(s_1)", None)


def test_the_rewrite_collapses_a_difference_and_keeps_the_rest() -> None:
    telescope = rewrite_named("telescope")
    l, b = sp.Dummy("l", integer=True), sp.Symbol("b", integer=True, nonnegative=True)
    h, g = sp.Function("h"), sp.Function("g")
    result = telescope(Sum(h(l + 1) - h(l) + g(l), (l, 0, b)), _View())
    assert result == h(b + 1) - h(0) + Sum(g(l), (l, 0, b))
    assert telescope(Sum(h(l + 2) - h(l), (l, 0, b)), _View()) is None   # not a telescoping pair


def test_a_range_that_may_run_backwards_is_left_alone() -> None:
    # sum_{l=a}^{b} is 0 when b < a - 1, but h(b+1) - h(a) need not be: the rewrite must refuse
    telescope = rewrite_named("telescope")
    l, a, b = sp.Dummy("l", integer=True), sp.Symbol("a", integer=True), sp.Symbol("b", integer=True)
    h = sp.Function("h")
    assert telescope(Sum(h(l + 1) - h(l), (l, a, b)), _View()) is None


def test_the_rule_is_catalogued_with_its_rewrite() -> None:
    entry = rule("telescoping")
    assert entry.family == "rl" and "telescope" in entry.rewrites
    assert rewrite_named("telescope").credits == ("telescoping",)
