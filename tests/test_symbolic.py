"""Tests of the symbolic engine (``pgverify.kernel``): soundness first, then what it proves.

* every step an example file marks ``# expect: refuted`` is never proved, with every rule or
  with the rules it cites (the shared examples, and every file under proofs/ and tests/cases/);
* the shared examples' valid steps are proved, and their cited rules produce them;
* small identities: false ones never proved, true ones proved, rule restriction respected;
* a randomized check that whatever the engine proves, the numeric models agree with.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgverify import falsify, rules
from pgverify import model as m
from pgverify.semantics import Context, build_context
from pgverify.kernel import Proof, normal_form, prove, rule_names
from pgverify.syntax import parse_expression, parse_file, parse_source

from .expectations import EXAMPLES

RULE_NAMES = rule_names()  # every catalogue rule the kernel can apply

ROOT = Path(__file__).resolve().parent.parent
EXPECT = re.compile(r"#\s*expect:\s*(\w+)(?:\s+justification=([\w-]+))?")


# --------------------------------------------------------------------------- example files


def _steps(path: Path):
    """(file:line, step, context, cited rule names, expected verdict, expected justification) per step."""
    source = parse_file(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    lemmas: dict[str, tuple[m.Expr, str, m.Expr]] = {}
    for derivation in source.derivations:
        ctx = build_context(source.declarations, derivation.declarations, dict(lemmas))
        for step in derivation.steps:
            if step.previous is None or step.expr is None:
                continue
            found = EXPECT.search(lines[step.span.line - 1])
            expected, justification = (found.group(1), found.group(2)) if found else ("", None)
            cited = frozenset(_cited(step, ctx))
            yield f"{path.name}:{step.span.line}", step, ctx, cited, expected, justification
        if derivation.lemma and derivation.goal is not None:
            lemmas[derivation.lemma] = (derivation.goal.lhs, derivation.goal.relation, derivation.goal.rhs)


def _cited(step: m.Step, ctx: Context) -> list[str]:
    if step.justification is None:
        return []
    out = []
    for item in step.justification.items:
        if item in ctx.lemmas:
            out.append(item)
        elif (rule := rules.lookup(item)) is not None:
            out.append(rule.name)
    return out


def _all(paths):
    return [case for path in paths for case in _steps(path)]


SHARED_STEPS = _all(EXAMPLES)  # the language contract's worked examples (also part of the corpus below)
CORPUS_STEPS = _all(sorted((ROOT / "proofs").rglob("*.pgv")) + sorted((ROOT / "tests" / "cases").glob("*.pgv")))


def _ids(cases):
    return [c[0] for c in cases]


REFUTED = [c for c in CORPUS_STEPS if c[4] == "refuted"]


@pytest.mark.parametrize("case", REFUTED, ids=_ids(REFUTED))
def test_a_refuted_step_is_never_proved(case):
    where, step, ctx, cited, _, _ = case
    assert not prove(step.previous, step.expr, step.relation, ctx).proved, where
    assert not prove(step.previous, step.expr, step.relation, ctx, frozenset(RULE_NAMES)).proved, where
    if cited:
        assert not prove(step.previous, step.expr, step.relation, ctx, cited).proved, where


VALID_SHARED = [c for c in SHARED_STEPS if c[4] in ("valid", "proved")]


@pytest.mark.parametrize("case", VALID_SHARED, ids=_ids(VALID_SHARED))
def test_the_shared_examples_valid_steps_are_proved(case):
    where, step, ctx, _, _, _ = case
    proof = prove(step.previous, step.expr, step.relation, ctx)
    assert proof.proved, f"{where}: {proof.reason}"


# steps whose cited rules alone give them (the flawed file's valid steps cite definition, log-product
# but also need linearity: the engine is right to call those a mismatch)
CITED_OK = [c for c in VALID_SHARED if not c[0].startswith("seed_decomposition_flawed")]


@pytest.mark.parametrize("case", CITED_OK, ids=_ids(CITED_OK))
def test_the_shared_examples_cited_rules_produce_their_steps(case):
    where, step, ctx, cited, _, _ = case
    proof = prove(step.previous, step.expr, step.relation, ctx, cited)
    assert proof.proved, f"{where} by {sorted(cited)}: {proof.reason}"


JUSTIFIED_OK = [c for c in CORPUS_STEPS if c[5] == "ok" and c[3]
                and all(r in RULE_NAMES or r in c[2].lemmas for r in c[3])]


@pytest.mark.parametrize("case", JUSTIFIED_OK, ids=_ids(JUSTIFIED_OK))
def test_corpus_steps_marked_ok_are_produced_by_their_rules(case):
    """As the checker judges a citation: when the engine proves a step, the cited rules must produce it."""
    where, step, ctx, cited, _, _ = case
    if not prove(step.previous, step.expr, step.relation, ctx).proved:
        pytest.skip("no symbolic proof of the step (a Monte-Carlo estimate, a general-horizon theorem)")
    proof = prove(step.previous, step.expr, step.relation, ctx, cited)
    assert proof.proved, f"{where} by {sorted(cited)}: {proof.reason}"


MISMATCH = [c for c in CORPUS_STEPS if c[5] == "mismatch" and c[3]]


@pytest.mark.parametrize("case", MISMATCH, ids=_ids(MISMATCH))
def test_corpus_steps_marked_mismatch_are_not_produced_by_their_rules(case):
    where, step, ctx, cited, _, _ = case
    assert prove(step.previous, step.expr, step.relation, ctx).proved, where
    assert not prove(step.previous, step.expr, step.relation, ctx, cited).proved, where


# --------------------------------------------------------------------------- small identities


def context(text: str = "") -> Context:
    source = parse_source(text)
    assert not source.errors, source.errors
    return build_context(source.declarations, ())


def proves(lhs: str, rhs: str, declarations: str = "", rules_cited: set[str] | None = None,
           relation: str = "=") -> Proof:
    cited = None if rules_cited is None else frozenset(rules_cited)
    return prove(parse_expression(lhs), parse_expression(rhs), relation, context(declarations), cited)


RL = "use rl"
FALSE = [
    ("log(x y)", "log x log y", ""),
    ("∇_θ log π_θ(a|s)", "0", RL),
    ("sum_t log π_θ(a_t|s_t)", "prod_t log π_θ(a_t|s_t)", RL),
    ("∇_θ E_{τ~π_θ}[R(τ)]", "E_{τ~π_θ}[∇_θ R(τ)]", RL),
    ("sum_τ ∇_θ Pr_θ(τ) R(τ)", "sum_τ ∇_θ log Pr_θ(τ) R(τ)", RL),
    ("log(x y)", "log x + log y", ""),                      # x, y undeclared reals: may be negative
    ("(x+1)^2", "x^2+1", ""),
    ("∇_θ log P(s'|s,a)", "0", RL + "\ndepends P on θ"),
    ("sqrt(x^2)", "x", ""),
    ("sum_{t=0}^{T} r(s_t, a_t)", "sum_{t=0}^{T-1} r(s_t, a_t)", RL),
    ("sum_{t=0}^{T-1} r(s_t, a_t)", "sum_{t=1}^{T} r(s_t, a_t)", RL),
    ("sum_{t=2}^{T-1} 1", "T - 2", RL),                     # T = 1: the empty sum is 0, not -1
    ("sum_x p(x) q(x)", "1", "dist p(x)\ndist q(x)"),
    ("sum_y p(x | y)", "1", "dist p(x | y)"),               # summed over the condition, not the variable
    ("sum_x p(x)^2", "1", "dist p(x)"),
    ("E_{a~π_θ(·|s)}[∇_θ log π_θ(a|s) Q(s,a)]", "0", RL),
    ("E_{a~π_θ(·|s)}[Q(s,a)]", "Q(s, a)", RL),
    ("E_{a~π_θ(·|s)}[Q(s,a)]", "sum_a Q(s, a)", RL),
    ("log(1 / π_θ(a|s))", "log π_θ(a|s)", RL),
    ("sum_τ Pr_θ(τ)", "1", RL + "\ndef Pr_θ(τ) = prod_t π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)"),  # no ρ0
    ("∇_θ log Pr_θ(τ)", "sum_t ∇_θ log P(s_{t+1} | s_t, a_t)", RL),
    ("∇_θ J(θ)", "0", RL),
    ("∇_θ g(x)", "0", "param θ\nfun g(x)\ndepends g on θ"),
    ("∇_θ f(θ)", "0", "param θ\nfun f(x)"),
    ("∇_θ (u(θ) v(θ))", "∇_θ u(θ) ∇_θ v(θ)", "param θ"),
    ("∇_θ exp(θ^2)", "exp(θ^2)", "param θ"),
    ("∇_θ σ(θ)", "σ(θ)", "param θ\ndef σ(z) = 1/(1+exp(-z))"),
    ("c + c", "4", ""),
    ("x / y + 1", "(x + 1) / y", ""),
    ("exp(x y)", "exp(x) exp(y)", ""),
    ("E_{τ~π_θ}[∇_θ log π_θ(a_0|s_0) r(s_0, a_0)]", "0", RL),
    ("sum_a π_θ(a|s) ∇_θ log π_θ(a|s) Q(s, a)", "sum_a π_θ(a|s) Q(s, a) / ∇_θ π_θ(a|s)", RL),
]


@pytest.mark.parametrize("lhs,rhs,declarations", FALSE)
def test_false_identities_are_never_proved(lhs, rhs, declarations):
    assert not proves(lhs, rhs, declarations).proved
    assert not proves(rhs, lhs, declarations).proved
    assert not proves(lhs, rhs, declarations, set(RULE_NAMES)).proved


TRUE = [
    ("(x+1)^2", "x^2+2x+1", ""),
    ("log(π_θ(a|s) P(s'|s,a))", "log π_θ(a|s) + log P(s'|s,a)", RL),
    ("∇_θ log P(s'|s,a)", "0", RL),
    ("sum_x p_θ(x) ∇_θ log p_θ(x)", "sum_x ∇_θ p_θ(x)", "param θ\ndist p_θ(x)"),
    ("∇_θ sum_x p_θ(x)", "0", "param θ\ndist p_θ(x)"),
    ("E_{x~p}[f(x)]", "sum_x p(x) f(x)", "dist p(x)\nfun f(x)"),
    ("∇_θ σ(θ)", "σ(θ)(1-σ(θ))", "param θ\ndef σ(z) = 1/(1+exp(-z))"),
    ("σ(-θ)", "1 - σ(θ)", "param θ\ndef σ(z) = 1/(1+exp(-z))"),
    ("∇_θ log σ(θ)", "1 - σ(θ)", "param θ\ndef σ(z) = 1/(1+exp(-z))"),
    ("log(f(x) / g(x))", "log f(x) - log g(x)", "fun f(x) positive\nfun g(x) positive"),
    ("log(f(x)^3)", "3 log f(x)", "fun f(x) positive"),
    ("exp(log f(x))", "f(x)", "fun f(x) positive"),
    ("sum_τ Pr_θ(τ)", "1", RL),
    ("sum_τ P(τ | θ)", "1", RL),
    ("∇_θ log Pr_θ(τ)", "sum_t ∇_θ log π_θ(a_t|s_t)", RL),
    ("∇_θ J(θ)", "E_{τ~π_θ}[∇_θ log Pr_θ(τ) R(τ)]", RL),
    ("∇_θ J(π_θ)", "E_{τ~π_θ}[sum_{t=0}^{T-1} ∇_θ log π_θ(a_t|s_t) R(τ)]", RL),
    ("E_{τ~π_θ}[∇_θ log Pr_θ(τ)]", "0", RL),
    ("E_{a~π_θ(·|s)}[∇_θ log π_θ(a|s) (Q(s,a) - b(s))]", "E_{a~π_θ(·|s)}[∇_θ log π_θ(a|s) Q(s,a)]", RL),
    ("E_{a~π_θ(·|s)}[Q(s, a) + V(s)]", "E_{a~π_θ(·|s)}[Q(s, a)] + V(s)", RL),
    ("sum_{t=1}^{T} r(s_{t-1}, a_{t-1})", "sum_t r(s_t, a_t)", RL),
    ("sum_{t=0}^{T-1} γ^t r(s_t, a_t)", "r(s_0, a_0) + γ sum_{t=1}^{T-1} γ^(t-1) r(s_t, a_t)", RL),
    ("sum_t 1", "T", RL),
    ("sum_{i=1}^{3} y_i z_i", "y_1 z_1 + y_2 z_2 + y_3 z_3", ""),
    ("prod_{i=1}^{3} 2 i", "48", ""),
    ("sum_x sum_y p(x) q(y | x)", "1", "dist p(x)\ndist q(y | x)"),
    ("E_{y ~ p}[f(y)]", "sum_x p(x) f(x)", "dist p(x)\nfun f(x)"),
    ("∇_θ (θ exp(θ))", "exp(θ) + θ exp(θ)", "param θ"),
    ("∇_θ exp(u(θ))", "exp(u(θ)) ∇_θ u(θ)", "param θ"),
    ("∇_θ g(x)", "x", "param θ\ndef g(x) = θ x"),
    ("c + c", "4", "def c = 2"),
    ("∇_θ q_φ(x)", "0", "param θ, φ\ndist q_φ(x)"),
    ("∇_φ (θ φ)", "θ", "param θ, φ"),
    ("1/2 + 1/3", "5/6", ""),
    ("2^3^2", "512", ""),
]


@pytest.mark.parametrize("lhs,rhs,declarations", TRUE)
def test_true_identities_are_proved(lhs, rhs, declarations):
    proof = proves(lhs, rhs, declarations)
    assert proof.proved, proof.reason
    assert proves(rhs, lhs, declarations).proved


# --------------------------------------------------------------------------- rules


PRODUCT = ("log(π_θ(a|s) P(s'|s,a))", "log π_θ(a|s) + log P(s'|s,a)", RL)


def test_cited_rules_restrict_the_rewrites():
    lhs, rhs, decl = PRODUCT
    assert proves(lhs, rhs, decl, {"log-product"}).proved
    assert proves(lhs, rhs, decl, {"log-product", "baseline"}).proved
    for unrelated in ({"baseline"}, {"exchange"}, {"linearity"}, set(), {"no-such-rule"}):
        assert not proves(lhs, rhs, decl, unrelated).proved, unrelated


@pytest.mark.parametrize("lhs,rhs,decl,good,bad", [
    ("(x+1)^2", "x^2+2x+1", "", {"algebra"}, {"importance-sampling"}),
    ("E_{a~π_θ(·|s)}[Q(s,a)]", "sum_a π_θ(a|s) Q(s,a)", RL, {"expectation"}, {"linearity"}),
    ("∇_θ R(τ)", "0", RL, {"theta-independence"}, {"linearity"}),
    ("∇_θ sum_a π_θ(a|s) Q(s,a)", "sum_a ∇_θ π_θ(a|s) Q(s,a)", RL, {"exchange"}, {"expectation"}),
    ("sum_τ Pr_θ(τ) ∇_θ log Pr_θ(τ) R(τ)", "sum_τ ∇_θ Pr_θ(τ) R(τ)", RL,
     {"log-derivative"}, {"exchange"}),
    ("sum_x p(x)", "1", "dist p(x)", {"normalization"}, {"expectation"}),
    ("E_{x~p_θ}[∇_θ log p_θ(x)]", "0", "param θ\ndist p_θ(x)", {"eglp"}, {"normalization"}),
    ("E_{τ~π_θ}[R(τ)]", "J(θ)", RL, {"definition"}, {"expectation"}),
    ("∇_θ exp(θ^2)", "2 θ exp(θ^2)", "param θ", {"chain-rule"}, {"algebra"}),
    ("∇_θ (u(θ) v(θ))", "∇_θ u(θ) v(θ) + u(θ) ∇_θ v(θ)", "param θ", {"product-rule"}, {"linearity"}),
    ("∇_θ log Pr_θ(τ)", "sum_t ∇_θ log π_θ(a_t|s_t)", RL,
     {"definition", "log-product", "linearity", "theta-independence"}, {"definition", "log-product"}),
])
def test_each_rule_produces_its_own_step_and_not_another(lhs, rhs, decl, good, bad):
    assert proves(lhs, rhs, decl, good).proved
    assert not proves(lhs, rhs, decl, bad).proved


def test_theta_independence_moves_the_gradient_through_finite_sums():
    lhs = "∂/∂θ sum_t log π_θ(a_t | s_t) + ∂/∂θ sum_t log P(s_{t+1} | s_t, a_t)"
    rhs = "sum_t ∂/∂θ log π_θ(a_t | s_t)"
    assert proves(lhs, rhs, RL, {"theta-independence"}).proved
    assert not proves(lhs, rhs, RL + "\ndepends P on θ").proved


def test_a_cited_lemma_rewrites_a_side():
    source = parse_source(
        "use rl\n"
        "lemma vanishing: E_{a ~ π_θ(·|s)}[ ∇_θ log π_θ(a | s) b(s) ] = 0\n"
    )
    (derivation,) = source.derivations
    goal = derivation.goal
    assert goal is not None
    ctx = build_context(source.declarations, (), {"vanishing": (goal.lhs, goal.relation, goal.rhs)})
    lhs = parse_expression("E_{a ~ π_θ(·|s)}[ ∇_θ log π_θ(a | s) Q(s, a) ] - "
                           "E_{a ~ π_θ(·|s)}[ ∇_θ log π_θ(a | s) b(s) ]")
    rhs = parse_expression("E_{a ~ π_θ(·|s)}[ ∇_θ log π_θ(a | s) Q(s, a) ]")
    assert prove(lhs, rhs, "=", ctx, frozenset({"vanishing"})).proved
    assert not prove(lhs, rhs, "=", ctx, frozenset({"linearity"})).proved
    # a lemma is only used when cited: it is an assumption, not a proof
    other = parse_expression("E_{a ~ π_θ(·|s)}[ ∇_θ log π_θ(a | s) Q(s, a) ]")
    assert not prove(other, parse_expression("0"), "=", ctx, frozenset({"vanishing"})).proved


def test_a_lemma_with_a_free_trajectory_matches_a_bound_one():
    source = parse_source("use rl\n"
                          "lemma decomposition: ∇_θ log P(τ | θ) = sum_{t=0}^{T-1} ∇_θ log π_θ(a_t | s_t)\n")
    goal = source.derivations[0].goal
    assert goal is not None
    ctx = build_context(source.declarations, (), {"decomposition": (goal.lhs, goal.relation, goal.rhs)})
    lhs = parse_expression("E_{τ ~ π_θ}[ ∇_θ log P(τ | θ) R(τ) ]")
    rhs = parse_expression("E_{τ ~ π_θ}[ sum_{t=0}^{T-1} ∇_θ log π_θ(a_t | s_t) R(τ) ]")
    assert prove(lhs, rhs, "=", ctx, frozenset({"decomposition"})).proved


def test_a_lemma_instance_never_captures_a_bound_variable():
    source = parse_source("dist p(x)\nfun f(x, y)\nfun g(y)\nlemma L: sum_x f(x, y) = g(y)\n")
    goal = source.derivations[0].goal
    assert goal is not None
    ctx = build_context(source.declarations, (), {"L": (goal.lhs, goal.relation, goal.rhs)})
    cited = frozenset({"L"})
    assert prove(parse_expression("2 sum_x f(x, z) + 1"), parse_expression("2 g(z) + 1"), "=", ctx, cited).proved
    # y := x would let the bound x escape: sum_x f(x, x) is not an instance of the lemma
    assert not prove(parse_expression("sum_x f(x, x)"), parse_expression("g(x)"), "=", ctx, cited).proved


def test_an_estimate_lemma_is_not_used_as_an_equality():
    source = parse_source("use rl\ndist q(x)\nfun f(x)\nlemma mc: E_{x ~ q}[f(x)] ≈ 1/N sum_{i=1}^{N} f(x_i)\n")
    goal = source.derivations[0].goal
    assert goal is not None
    ctx = build_context(source.declarations, (), {"mc": (goal.lhs, goal.relation, goal.rhs)})
    lhs, rhs = parse_expression("2 E_{x ~ q}[f(x)]"), parse_expression("2/N sum_{i=1}^{N} f(x_i)")
    assert not prove(lhs, rhs, "=", ctx, frozenset({"mc"})).proved


EXPLICIT = RL + "\ndef Pr_θ(τ) = ρ0(s_0) π_θ(a_0 | s_0) P(s_1 | s_0, a_0) π_θ(a_1 | s_1) P(s_2 | s_1, a_1)"


@pytest.mark.parametrize("lhs,rhs,cited", [
    ("sum_τ Pr_θ(τ)", "1", {"definition", "linearity", "normalization"}),
    ("E_{τ ~ π_θ}[ ∇_θ log π_θ(a_1 | s_1) ]", "0", None),
    ("E_{τ ~ π_θ}[ ∇_θ log π_θ(a_0 | s_0) b(s_0) ]", "0", {"baseline"}),
    ("E_{τ ~ π_θ}[ ∇_θ log π_θ(a_1 | s_1) ]",
     "E_{s_0 ~ ρ0}[ E_{a_0 ~ π_θ(·|s_0)}[ E_{s_1 ~ P(·|s_0, a_0)}[ E_{a_1 ~ π_θ(·|s_1)}[ ∇_θ log π_θ(a_1 | s_1) ] ] ] ]",
     {"tower"}),
    ("E_{τ ~ π_θ}[ sum_{t=0}^{1} ∇_θ log π_θ(a_t | s_t) sum_{k=0}^{1} r(s_k, a_k) ]",
     "E_{τ ~ π_θ}[ sum_{t=0}^{1} ∇_θ log π_θ(a_t | s_t) sum_{k=t}^{1} r(s_k, a_k) ]", {"reward-to-go"}),
])
def test_a_trajectory_laid_out_step_by_step_is_summed_over_its_components(lhs, rhs, cited):
    proof = proves(lhs, rhs, EXPLICIT, cited)
    assert proof.proved, proof.reason


@pytest.mark.parametrize("lhs,rhs", [
    ("E_{τ ~ π_θ}[ ∇_θ log π_θ(a_1 | s_1) r(s_1, a_1) ]", "0"),
    ("E_{τ ~ π_θ}[ sum_{t=0}^{1} ∇_θ log π_θ(a_t | s_t) sum_{k=0}^{1} r(s_k, a_k) ]",
     "E_{τ ~ π_θ}[ sum_{t=0}^{1} ∇_θ log π_θ(a_t | s_t) sum_{k=t+1}^{1} r(s_k, a_k) ]"),
    ("E_{τ ~ π_θ}[ ∇_θ log π_θ(a_0 | s_0) b(s_1) ]", "0"),
])
def test_false_claims_about_explicit_trajectories_are_not_proved(lhs, rhs):
    assert not proves(lhs, rhs, EXPLICIT).proved
    assert not proves(lhs, rhs, EXPLICIT, set(RULE_NAMES)).proved


def test_an_expectation_under_a_defined_distribution_weighs_by_its_definition():
    decl = "dist p(x)\nfun f(x)\ndef q(x) = p(x)"
    assert proves("E_{x ~ q}[ f(x) ]", "sum_x p(x) f(x)", decl, {"definition", "expectation"}).proved
    assert not proves("E_{x ~ q}[ f(x) ]", "sum_x p(x) f(x)", decl, {"expectation"}).proved
    assert not proves("E_{x ~ q}[ f(x) ]", "sum_x f(x)", decl).proved


def test_rules_used_names_the_families_the_proof_needed():
    proof = proves(*PRODUCT)
    assert proof.proved and proof.rules_used == ("log-product",)
    proof = proves("∇_θ log Pr_θ(τ)", "sum_t ∇_θ log π_θ(a_t|s_t)", RL)
    assert {"definition", "log-product", "theta-independence"} <= set(proof.rules_used)


# --------------------------------------------------------------------------- relations and limits


def test_proportionality_is_unsupported():
    proof = proves("x", "x", relation="∝")
    assert not proof.proved and proof.reason == "unsupported relation"


@pytest.mark.parametrize("lhs, relation, rhs, proved", [
    ("x", "≤", "x", True), ("x", "≥", "x", True), ("x", "<", "x", False), ("x", ">", "x", False),
    ("2", "≥", "1", True), ("1", "≥", "2", False), ("1", "<", "2", True), ("2", "<", "1", False),
    ("x^2", "≥", "0", True), ("x^2 + 1", ">", "0", True), ("x", "≥", "0", False),
    ("x^2 + 2 x + 1", "≥", "0", False),   # true, but not read termwise: left to the models
    ("log(2)", "<", "log(3)", True), ("log(3)", "≤", "log(2)", False),
    ("exp(x)", "≤", "exp(x + 1)", True), ("exp(x + 1)", "≤", "exp(x)", False),
    ("sum_{t=0}^{T-1} f(t)^2", "≥", "0", True), ("sum_{t=0}^{T-1} f(t)", "≥", "0", False),
    ("sum_{t=0}^{T-1} (f(t)^2 + g(t))", "≥", "sum_{t=0}^{T-1} g(t)", True),
    ("sum_{t=0}^{T-1} g(t)", "≥", "sum_{t=0}^{T-1} (f(t)^2 + g(t))", False),
])
def test_inequalities_proved_termwise_and_only_then(lhs, relation, rhs, proved):
    assert proves(lhs, rhs, RL, relation=relation).proved is proved


def test_no_proof_through_zero_over_zero():
    # ∇_θ R(τ) is zero in every model; sympy would cancel the quotient to 1
    proof = proves("∇_θ R(τ) / ∇_θ R(τ)", "1", "use rl")
    assert not proof.proved and "divides by" in proof.reason
    assert not proves("f(x) / f(x)", "1").proved                 # f(x) may be zero
    assert proves("π_θ(a | s) / π_θ(a | s)", "1", "use rl").proved   # a probability is positive


def test_approximately_equal_is_proved_only_as_an_identity():
    assert proves("E_{x~p}[f(x)]", "sum_x p(x) f(x)", "dist p(x)\nfun f(x)", relation="≈").proved
    assert not proves("E_{x~q}[f(x)]", "1/N sum_{i=1}^{N} f(x_i)", RL + "\ndist q(x)\nfun f(x)",
                      relation="≈").proved


@pytest.mark.parametrize("lhs,why", [
    ("π_θ(·|s)", "placeholder"),
    ("∇_φ x", "parameter"),
    ("1/0", "undefined"),
    ("sum_{i=1}^{x} i", "whole numbers"),
])
def test_unsupported_constructs_are_reported(lhs, why):
    proof = proves(lhs, lhs + " + 0", RL)
    assert not proof.proved and proof.reason.startswith("unsupported") and why in proof.reason


def test_normal_form_is_exposed_for_reports():
    form = normal_form(parse_expression("E_{a~π_θ(·|s)}[2 Q(s, a)]"), context(RL), frozenset({"linearity"}))
    assert str(form).startswith("2*Sum(")


# --------------------------------------------------------------------------- randomized soundness

_ATOMS = ["x", "y", "2", "θ", "Q(s, a)", "b(s)", "w(s)", "π_θ(a | s)", "log π_θ(a | s)", "∇_θ log π_θ(a | s)",
          "∇_θ π_θ(a | s)", "exp(θ)", "log w(s)", "sum_a π_θ(a | s) Q(s, a)", "E_{a ~ π_θ(·|s)}[Q(s, a)]",
          "E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s)]", "sum_a ∇_θ π_θ(a | s)", "sum_t r(s_t, a_t)",
          "sum_{t=0}^{T-1} γ^t r(s_t, a_t)", "R(τ)", "Pr_θ(τ)", "log Pr_θ(τ)", "J(θ)", "E_{τ ~ π_θ}[R(τ)]"]


@st.composite
def _expression(draw, depth: int = 0) -> str:
    if depth >= 2 or draw(st.booleans()):
        return draw(st.sampled_from(_ATOMS))
    a, b = draw(_expression(depth + 1)), draw(_expression(depth + 1))
    form = draw(st.sampled_from(["({} + {})", "({} - {})", "({}) ({})", "∇_θ ({})", "log(w(s) {})",
                                 "sum_a π_θ(a | s) ({})", "E_{{τ ~ π_θ}}[{}]", "({})^2"]))
    return form.format(a, b)


_RANDOM_CTX = context(RL + "\nfun w(s) positive")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_expression(), _expression(), st.sampled_from(["same", "other", "rearranged"]))
def test_whatever_is_proved_holds_in_the_numeric_models(a, b, how):
    if how == "same":
        b = f"({a}) + 0"
    elif how == "rearranged":
        b = f"2 ({a}) - ({a})"
    lhs, rhs = parse_expression(a), parse_expression(b)
    proof = prove(lhs, rhs, "=", _RANDOM_CTX)
    if not proof.proved:
        return
    try:
        outcome = falsify.compare(lhs, rhs, "=", _RANDOM_CTX, seed=7, n_models=3)
    except (falsify.Unsupported, falsify.NameProblem):
        return
    assert outcome.status != "differ", (a, b, outcome.counterexample)


# --------------------------------------------------------------------------- the rewrites are pure


class _ReadOnlyView:
    """A kernel view that lends a rewrite exactly what ``KernelView`` declares, and refuses writes."""

    __slots__ = ("_norm",)

    def __init__(self, norm) -> None:
        object.__setattr__(self, "_norm", norm)

    def __getattr__(self, name: str):
        if name not in ("tr", "options", "normalized", "expand_body"):
            raise AttributeError(f"a rewrite read {name!r}, which KernelView does not lend")
        return getattr(self._norm, name)

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError(f"a rewrite assigned {name!r}")


def test_every_rewrite_reads_only_the_kernel_view_and_changes_nothing() -> None:
    import sympy as sp

    from pgverify.kernel import trusted_rewrites
    from pgverify.kernel.normalize import NODE_CLASSES, Normalizer, all_switches
    from pgverify.kernel.translate import Translator

    tried = set()
    for path in sorted((ROOT / "proofs" / "good").glob("*.pgv"))[:8]:
        for _, step, ctx, *_ in _steps(path):
            tr = Translator(ctx)
            try:
                sides = [tr.side(step.previous), tr.side(step.expr)]
            except Exception:  # noqa: BLE001 - a side the kernel does not translate has nothing to rewrite
                continue
            norm = Normalizer(tr, all_switches())
            view = _ReadOnlyView(norm)
            for side in sides + [norm.run(s) for s in sides]:
                for node in sp.preorder_traversal(side):
                    for rewrite in trusted_rewrites():
                        if isinstance(node, NODE_CLASSES[rewrite.node]):
                            before = (dict(tr.defs), dict(tr.dists), set(norm.used))
                            rewrite(node, view)
                            assert before == (dict(tr.defs), dict(tr.dists), set(norm.used)), rewrite.name
                            tried.add(rewrite.name)
    assert len(tried) >= 12, sorted(tried)


# --------------------------------------------------------------------------- one door


def test_only_the_kernel_makes_a_proof_and_only_the_checker_asks_for_one() -> None:
    import ast

    package = ROOT / "pgverify"
    builders, askers = set(), set()
    for path in sorted(package.rglob("*.py")):
        where = path.relative_to(package).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Proof":
                builders.add(where)
            if isinstance(node, ast.Attribute) and node.attr == "prove" and \
                    isinstance(node.value, ast.Name) and node.value.id == "kernel":
                askers.add(where)
            if isinstance(node, ast.ImportFrom) and node.module and node.module.endswith("kernel") and \
                    any(a.name in ("prove", "normal_form") for a in node.names):
                askers.add(where)
    assert builders and all(b.startswith("kernel/") for b in builders), builders
    assert askers == {"checker.py"}, askers
