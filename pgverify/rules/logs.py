"""Logarithm rules: products become sums, and log undoes exp."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from pgverify import model as m
from pgverify.model import nodes, transform
from pgverify.rules.base import Condition, KernelView, LazyModule, Misconception, Rule, pgv, rewrite
from pgverify.rules.mistakes import Candidate, num, variants
from pgverify.rules.predicates import logs_of_positive_values
from pgverify.semantics import Context

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
    conditions=(
        Condition(
            "the factors are positive",
            logs_of_positive_values,
        ),
    ),
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
    conditions=(
        Condition(
            "x > 0 wherever log x appears",
            logs_of_positive_values,
        ),
    ),
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


# ------------------------------------------------------------------ misconceptions and their detectors
# A detector yields (left, right, context) claims; the first that holds names the mistake
# (pgverify/rules/mistakes.py). rank orders the detectors of the whole catalogue: most specific first.


def _log_of_product(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                    ctx: Context) -> Iterator[Candidate]:
    def logs(arg: m.Expr, deep: bool) -> m.Expr:
        """log(a b) -> log a · log b, log prod f -> prod log f (the mistake, applied all the way down)."""
        if isinstance(arg, m.Mul):
            return m.Mul(logs(arg.left, deep), logs(arg.right, deep))
        if isinstance(arg, m.BigOp) and arg.kind == "prod":
            return replace(arg, body=logs(arg.body, deep) if deep else m.Func("log", arg.body))
        return m.Func("log", arg)

    for deep in (False, True):
        def rewrite(n: m.Expr, deep: bool = deep) -> m.Expr | None:
            if isinstance(n, m.Func) and n.name == "log" and isinstance(n.arg, (m.Mul, m.BigOp)):
                return logs(n.arg, deep)
            return None
        yield from variants((unfolded,), rewrite, rhs, ctx)


def _off_by_one(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                ctx: Context) -> Iterator[Candidate]:
    def shifts(n: m.Expr) -> list[m.Expr]:
        if not isinstance(n, m.BigOp):
            return []
        if n.lower is None:
            if n.over is None and n.index.base == "t":
                return [replace(n, lower=num(0), upper=m.Name("T")), replace(n, lower=num(1), upper=m.Name("T"))]
            return []
        out = []
        if n.upper is not None:
            out += [replace(n, upper=m.Add(n.upper, num(1))), replace(n, upper=m.Sub(n.upper, num(1)))]
        out += [replace(n, lower=m.Add(n.lower, num(1))), replace(n, lower=m.Sub(n.lower, num(1)))]
        if n.upper is not None:  # the index shifted without shifting the body
            out += [replace(n, lower=m.Sub(n.lower, num(1)), upper=m.Sub(n.upper, num(1))),
                    replace(n, lower=m.Add(n.lower, num(1)), upper=m.Add(n.upper, num(1)))]
        return out
    sites = [n for n in nodes(rhs) if shifts(n)][:4]
    for site in sites:
        for shifted in shifts(site):
            yield lhs, transform(rhs, lambda n, site=site, shifted=shifted: shifted if n is site else None), ctx


def _sign_slip(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
               ctx: Context) -> Iterator[Candidate]:
    def slip(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Func) and n.name == "log" and isinstance(n.arg, m.Div) and \
                n.arg.left == num(1):
            return m.Func("log", n.arg.right)
        if isinstance(n, m.Func) and n.name == "log" and isinstance(n.arg, m.Pow) and n.arg.exponent == m.Neg(num(1)):
            return m.Func("log", n.arg.base)
        return None
    yield from variants((lhs, unfolded), slip, rhs, ctx)


def _sign_slip_quotient(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                        ctx: Context) -> Iterator[Candidate]:
    def slip(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Func) and n.name == "log" and isinstance(n.arg, m.Div):
            return m.Add(m.Func("log", n.arg.left), m.Func("log", n.arg.right))
        return None
    yield from variants((lhs, unfolded), slip, rhs, ctx)


MISCONCEPTIONS: tuple[Misconception, ...] = (
    Misconception(
        name="log-of-product-as-product-of-logs",
        title="The log of a product was written as a product of logs",
        hint="A logarithm turns multiplication into another operation: which one?",
        rules=("log-product",),
        example=pgv(
            """
            use rl
            claim log(π_θ(a | s) P(s' | s, a)) = log π_θ(a | s) log P(s' | s, a)   by log-product
            """
        ),
        detectors=(_log_of_product,),
        rank=10,
    ),
    Misconception(
        name="off-by-one-in-bounds",
        title="The bounds of a sum or product are off by one",
        hint=(
            "Compare the range of the index before and after the step: does "
            "every factor become exactly one term?"
        ),
        rules=("log-product", "definition", "reward-to-go", "monte-carlo"),
        example=pgv(
            """
            use rl
            def Pr_θ(τ) = ρ0(s_0) prod_{t=0}^{T-1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)
            claim log Pr_θ(τ) = log ρ0(s_0) + sum_{t=0}^{T} (log π_θ(a_t | s_t) + log P(s_{t+1} | s_t, a_t))   by definition, log-product
            """
        ),
        detectors=(_off_by_one,),
        rank=240,
    ),
    Misconception(
        name="sign-slip-in-log-of-reciprocal",
        title="The sign was lost in the log of a reciprocal",
        hint="Try a number: is the log of 1/2 the same as the log of 2?",
        rules=("log-exp",),
        example=pgv(
            """
            use rl
            claim log(1 / π_θ(a | s)) = log π_θ(a | s)   by log-exp
            """
        ),
        detectors=(_sign_slip, _sign_slip_quotient),
        rank=20,
    ),
)
