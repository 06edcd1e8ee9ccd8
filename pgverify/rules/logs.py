"""Logarithm rules: products become sums, and log undoes exp."""

from __future__ import annotations

from typing import Any

from pgverify.rules.base import KernelView, LazyModule, Rule, pgv, rewrite

# sympy and the kernel's node types, loaded the first time a rewrite runs (reading the catalogue does not)
sp = LazyModule("sympy")
kt = LazyModule("pgverify.kernel.terms")

FAMILY = "logs"


# ------------------------------------------------------------------ rewrites


@rewrite("log", priority=150, credits="log-product")
def log_of_product(e: Any, kernel: KernelView) -> Any:
    """``log(a b) -> log a + log b``, ``log(a^k) -> k log a``, ``log prod_t f -> sum_t log f``   [a, b, f > 0];
    ``log exp u -> u``"""
    u = e.args[0]
    if isinstance(u, sp.exp):
        return u.args[0]          # every value of the language is real
    if isinstance(u, sp.Mul) and all(kt.is_positive(f) for f in u.args):
        return sp.Add(*[sp.log(f) for f in u.args])
    if isinstance(u, sp.Pow) and kt.is_positive(u.base) and u.exp.is_real:
        return u.exp * sp.log(u.base)
    if isinstance(u, sp.Product):
        body, i, lo, hi = kt.outer(u)
        if kt.is_positive(body):
            return kt.Sum(sp.log(body), (i, lo, hi))
    return None


# ------------------------------------------------------------------ rules

LOG_PRODUCT = Rule(
    name="log-product",
    aliases=(
        "log of a product",
        "log-of-product",
        "log rules",
        "sum of logs",
        "log turns products into sums",
        "log of a quotient",
    ),
    family=FAMILY,
    statement=(
        "log(a b) -> log a + log b;  log prod_{t} x_t -> sum_{t} log x_t;"
        "  log(a / b) -> log a - log b"
    ),
    conditions=("the factors are positive",),
    purpose=(
        "Turns the log-probability of a trajectory, a product of initial-state, "
        "policy and dynamics probabilities, into a sum with one term per factor, "
        "so that the θ-independent terms can be separated from the policy terms."
    ),
    valid_example=pgv(
        """
        use rl
        claim log(π_θ(a | s) P(s' | s, a)) = log π_θ(a | s) + log P(s' | s, a)   by log-product
        """
    ),
    flawed_example=pgv(
        """
        use rl
        claim log(π_θ(a | s) P(s' | s, a)) = log π_θ(a | s) log P(s' | s, a)   by log-product
        """
    ),
    rewrites=("log_of_product",),
)

LOG_EXP = Rule(
    name="log-exp",
    aliases=(
        "log of a reciprocal",
        "log of an inverse",
        "log of a power",
        "power rule for logs",
        "exp and log are inverse",
        "log and exp are inverse",
        "log of exp",
        "exp of log",
        "log-reciprocal",
        "log-power",
    ),
    family=FAMILY,
    statement="log exp x -> x;  exp log x -> x;  log(1/x) -> -log x;  log(x^k) -> k log x",
    conditions=("x > 0 wherever log x appears",),
    purpose=(
        "Handles the logs and exponentials that surround policy gradients: "
        "softmax and Boltzmann policies (log exp), KL and entropy terms "
        "(log 1/p), and powers of probabilities (log x^k)."
    ),
    valid_example=pgv(
        """
        use rl
        claim log(1 / π_θ(a | s)) = -log π_θ(a | s)   by log-exp
        claim log exp(r(s, a)) = r(s, a)   by log-exp
        """
    ),
    flawed_example=pgv(
        """
        use rl
        claim log(π_θ(a | s)^2) = (log π_θ(a | s))^2   by log-exp
        """
    ),
    rewrites=("log_of_product",),
)

RULES: tuple[Rule, ...] = (LOG_PRODUCT, LOG_EXP)

REWRITES = (log_of_product,)
