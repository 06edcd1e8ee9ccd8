"""Logarithm rules: products become sums, and log undoes exp."""

from __future__ import annotations

from pgverify.rules.base import Rule, pgv

FAMILY = "logs"

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
)

RULES: tuple[Rule, ...] = (LOG_PRODUCT, LOG_EXP)
