"""Calculus rules: linearity, exchanging ∇ with sums, chain and product rules."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from pgverify import model as m
from pgverify.model import nodes
from pgverify.rules.base import Condition, KernelView, LazyModule, Misconception, Rule, pgv, rewrite
from pgverify.rules.mistakes import Candidate, factors_of, num, product, variants
from pgverify.rules.predicates import by_verdict, finite_spaces, integrals_assumed, unless_diagnosed
from pgverify.semantics import Context

# sympy and the kernel's node types, loaded the first time a rewrite runs (reading the catalogue does not)
sp = LazyModule("sympy")
kt = LazyModule("pgverify.kernel.terms")

FAMILY = "calculus"


# ------------------------------------------------------------------ rewrites


@rewrite("Sum", priority=120, credits="linearity")
def split_sum(e: Any, kernel: KernelView) -> Any:
    """``sum_i (c f(i) + g(i)) -> c sum_i f(i) + sum_i g(i)``   [c free of i]"""
    original, i, lo, hi = kt.outer(e)
    body = kernel.expand_body(original)
    terms = sp.Add.make_args(body)
    if len(terms) > 1:
        return sp.Add(*[kt.Sum(t, (i, lo, hi)) for t in terms])
    const, dependent = kt.split_factors(body, i)
    if const != 1 and dependent:
        return const * kt.Sum(sp.Mul(*dependent), (i, lo, hi))
    if body != original:
        return kt.Sum(body, (i, lo, hi))
    return None


@rewrite("Grad", priority=180, credits="linearity")
def grad_is_linear(e: Any, kernel: KernelView) -> Any:
    """``∇(c f + g) -> c ∇f + ∇g``   [c free of θ]"""
    x, theta = e.args
    if isinstance(x, sp.Add):
        return sp.Add(*[kt.Grad(t, theta) for t in x.args])
    if isinstance(x, sp.Mul):
        const, dependent = kt.split_factors(x, theta)
        if const != 1 and dependent:
            return const * kt.Grad(sp.Mul(*dependent), theta)
    return None


@rewrite("Grad", priority=190, credits="exchange")
def grad_through_sum(e: Any, kernel: KernelView) -> Any:
    """``∇ sum_i f(i) -> sum_i ∇ f(i)``   [a finite range that does not depend on θ]"""
    x, theta = e.args
    if isinstance(x, sp.Sum):
        body, i, lo, hi = kt.outer(x)
        if kt.free_of(lo, theta) and kt.free_of(hi, theta):
            return kt.Sum(kt.Grad(body, theta), (i, lo, hi))
    return None


# The product cases are credited to chain-rule too: citing either rule switches both on (they were one
# capability), and `pgverify order` searches the credited rules for the fewest that prove a link.
@rewrite("Grad", priority=210, credits=("chain-rule", "product-rule"))
def differentiate_product(e: Any, kernel: KernelView) -> Any:
    """``∇(f g) -> ∇f g + f ∇g``, ``∇ prod_i f -> (prod_i f) sum_i ∇f / f``   [f > 0]   (the product rule)"""
    x, theta = e.args
    if kt.free_of(x, theta):
        return None
    if isinstance(x, sp.Mul):
        const, dependent = kt.split_factors(x, theta)
        if len(dependent) < 2:
            return None
        return const * sp.Add(*[kt.Grad(f, theta) * sp.Mul(*(dependent[:k] + dependent[k + 1:]))
                                for k, f in enumerate(dependent)])
    if isinstance(x, sp.Product):
        body, i, lo, hi = kt.outer(x)
        if kt.is_positive(body) and kt.free_of(lo, theta) and kt.free_of(hi, theta):
            return x * kt.Sum(kt.Grad(body, theta) / body, (i, lo, hi))
    return None


@rewrite("Grad", priority=211, credits="chain-rule")
def differentiate_composite(e: Any, kernel: KernelView) -> Any:
    """``∇ u^k -> k u^(k-1) ∇u``, ``∇ exp u -> exp u ∇u``, ``∇ log u -> ∇u / u``   (the chain rule)

    also ``∇ u^v -> u^v ∇(v log u)`` [u > 0] and ``∇ f(g(θ)) -> f'(g) ∇g`` for an opaque f.
    """
    x, theta = e.args
    if kt.free_of(x, theta):
        return None
    if isinstance(x, sp.Pow):
        if kt.free_of(x.exp, theta):
            return x.exp * x.base ** (x.exp - 1) * kt.Grad(x.base, theta)
        if kt.is_positive(x.base):
            return x * kt.Grad(x.exp * sp.log(x.base), theta)
        return None
    if isinstance(x, sp.exp):
        return x * kt.Grad(x.args[0], theta)
    if isinstance(x, sp.log):
        return kt.Grad(x.args[0], theta) / x.args[0]
    if isinstance(x, kt.AppliedUndef) and not any(a.has(kt.Grad, sp.Sum, sp.Product, kt.Weight) for a in x.args):
        return x.diff(theta)
    return None


# ------------------------------------------------------------------ rules

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
        Condition(
            (
                "a constant factor that is pulled out does not depend on θ (for ∇_θ) "
                "or on the summed or sampled variable (for a sum or an expectation)"
            ),
            by_verdict,
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
    rewrites=("split_sum", "count_terms", "split_product", "grad_is_linear", "grad_through_sum"),
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
        Condition(
            "the sum is finite and its range (the support) does not depend on θ",
            finite_spaces,
        ),
        Condition(
            "for an infinite sum or an integral, exchanging ∇_θ with it is assumed",
            integrals_assumed,
        ),
        Condition(
            "for an expectation, its distribution does not depend on θ",
            unless_diagnosed(
                {"gradient-inside-theta-dependent-expectation", "gradient-outside-with-log-prob"}, by_verdict
            ),
        ),
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
    rewrites=("grad_is_linear", "grad_through_sum"),
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
    conditions=(
        Condition(
            "the outer function is differentiable at the inner value",
            by_verdict,
        ),
    ),
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
    rewrites=("grad_is_linear", "grad_of_log", "differentiate_product", "differentiate_composite"),
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
    rewrites=("grad_is_linear", "differentiate_product", "differentiate_composite"),
)

RULES: tuple[Rule, ...] = (LINEARITY, EXCHANGE, CHAIN_RULE, PRODUCT_RULE)

REWRITES = (split_sum, grad_is_linear, grad_through_sum, differentiate_product, differentiate_composite)


# ------------------------------------------------------------------ misconceptions and their detectors
# A detector yields (left, right, context) claims; the first that holds names the mistake
# (pgverify/rules/mistakes.py). rank orders the detectors of the whole catalogue: most specific first.


def _gradient_inside_expectation(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                                 ctx: Context) -> Iterator[Candidate]:
    def rewrite(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Grad) and isinstance(n.operand, m.Expect):
            return replace(n.operand, body=m.Grad(n.param, n.operand.body))
        if isinstance(n, m.Grad) and isinstance(n.operand, m.BigOp) and n.operand.kind == "sum":
            body = n.operand.body
            factors = factors_of(body)
            dist = [f for f in factors if ctx.is_distribution_call(f)]
            if dist:
                rest = [f for f in factors if f is not dist[0]]
                inner = m.Grad(n.param, product(rest)) if rest else num(0)
                return replace(n.operand, body=m.Mul(dist[0], inner))
        return None
    yield from variants((lhs, unfolded), rewrite, rhs, ctx)


def _gradient_outside_with_log_prob(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                                    ctx: Context) -> Iterator[Candidate]:
    def rewrite(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Expect):
            grads = [f for f in factors_of(n.body) if isinstance(f, m.Grad)]
            if grads:
                g = grads[0]
                rest = [f if f is not g else g.operand for f in factors_of(n.body)]
                return m.Grad(g.param, replace(n, body=product(rest)))
        return None
    yield from variants((lhs,), rewrite, rhs, ctx)


def _expectation_of_product_split(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                                  ctx: Context) -> Iterator[Candidate]:
    if not any(isinstance(n, m.Mul) and sum(isinstance(f, m.Expect) for f in factors_of(n)) >= 2
               for n in nodes(rhs)):
        return
    def split(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Expect) and isinstance(n.body, m.Mul):
            return m.Mul(replace(n, body=n.body.left), replace(n, body=n.body.right))
        return None
    yield from variants((lhs,), split, rhs, ctx)


def _product_rule_dropped(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                          ctx: Context) -> Iterator[Candidate]:
    def keep_left(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Grad) and isinstance(n.operand, m.Mul):
            return m.Mul(m.Grad(n.param, n.operand.left), n.operand.right)
        if isinstance(n, m.Grad) and isinstance(n.operand, m.Div):  # ∇(e/Z) taken as (∇e)/Z
            return m.Div(m.Grad(n.param, n.operand.left), n.operand.right)
        return None

    def keep_right(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Grad) and isinstance(n.operand, m.Mul):
            return m.Mul(n.operand.left, m.Grad(n.param, n.operand.right))
        return None
    for rewrite in (keep_left, keep_right):
        yield from variants((lhs,), rewrite, rhs, ctx)


def _chain_rule_inner_dropped(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                              ctx: Context) -> Iterator[Candidate]:
    def rewrite(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Grad) and isinstance(n.operand, m.Func):
            if n.operand.name == "log":
                return m.Div(num(1), n.operand.arg)
            if n.operand.name == "exp":
                return n.operand
        return None
    yield from variants((lhs,), rewrite, rhs, ctx)


MISCONCEPTIONS: tuple[Misconception, ...] = (
    Misconception(
        name="gradient-inside-theta-dependent-expectation",
        title=(
            "The gradient was moved inside an expectation whose distribution "
            "depends on θ, and the score term was lost"
        ),
        hint=(
            "The distribution you take the expectation over depends on θ too: "
            "what happens to it when you differentiate?"
        ),
        rules=("exchange",),
        example=pgv(
            """
            use rl
            claim ∇_θ E_{τ ~ π_θ}[R(τ)] = E_{τ ~ π_θ}[∇_θ R(τ)]   by exchange
            """
        ),
        detectors=(_gradient_inside_expectation,),
        rank=130,
    ),
    Misconception(
        name="gradient-outside-with-log-prob",
        title=(
            "The gradient was moved back outside the expectation together with "
            "the log-probability"
        ),
        hint=(
            "Taking the gradient out of an expectation is only allowed when its "
            "distribution does not depend on θ: does it here?"
        ),
        rules=("exchange", "log-derivative"),
        example=pgv(
            """
            use rl
            claim E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) Q(s, a)] = ∇_θ E_{a ~ π_θ(·|s)}[log π_θ(a | s) Q(s, a)]   by exchange
            """
        ),
        detectors=(_gradient_outside_with_log_prob,),
        rank=120,
    ),
    Misconception(
        name="expectation-of-product-split",
        title="The expectation of a product was split into a product of expectations",
        hint=(
            "Linearity splits sums and pulls out constants; does it split a "
            "product of two quantities that both vary with the sample?"
        ),
        rules=("linearity",),
        example=pgv(
            """
            use rl
            claim E_{a ~ π_θ(·|s)}[Q(s, a) A(s, a)] = E_{a ~ π_θ(·|s)}[Q(s, a)] E_{a ~ π_θ(·|s)}[A(s, a)]   by linearity
            """
        ),
        detectors=(_expectation_of_product_split,),
        rank=180,
    ),
    Misconception(
        name="product-rule-dropped-term",
        title="Only one factor of a product was differentiated",
        hint="Both factors depend on θ: has each of them been differentiated in turn?",
        rules=("product-rule",),
        example=pgv(
            """
            use rl
            claim ∇_θ (π_θ(a | s) log π_θ(a | s)) = ∇_θ π_θ(a | s) log π_θ(a | s)   by product-rule
            """
        ),
        detectors=(_product_rule_dropped,),
        rank=280,
    ),
    Misconception(
        name="chain-rule-inner-derivative-dropped",
        title="The derivative of the inner function was left out of the chain rule",
        hint=(
            "After differentiating the outer function, is the derivative of "
            "what was inside it still there?"
        ),
        rules=("chain-rule",),
        example=pgv(
            """
            use rl
            claim ∇_θ exp(log π_θ(a | s) Q(s, a)) = exp(log π_θ(a | s) Q(s, a)) Q(s, a)   by chain-rule
            """
        ),
        detectors=(_chain_rule_inner_dropped,),
        rank=290,
    ),
)
