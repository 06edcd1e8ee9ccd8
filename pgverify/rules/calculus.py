"""Calculus rules: linearity, exchanging ∇ with sums, chain and product rules."""

from __future__ import annotations

from typing import Any

from pgverify.rules.base import KernelView, LazyModule, Rule, pgv, rewrite

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
