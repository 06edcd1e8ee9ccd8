"""Score-function rules: the log-derivative trick and what the score satisfies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pgverify import model as m
from pgverify.model import nodes
from pgverify.rules.base import Condition, KernelView, LazyModule, Misconception, Rule, pgv, rewrite
from pgverify.rules.mistakes import Candidate, differentiates, num, unfold, variants, with_theta
from pgverify.rules.predicates import by_verdict, finite_spaces, logs_of_positive_values, unless_diagnosed
from pgverify.semantics import Context

# sympy and the kernel's node types, loaded the first time a rewrite runs (reading the catalogue does not)
sp = LazyModule("sympy")
kt = LazyModule("pgverify.kernel.terms")

FAMILY = "score"


# ------------------------------------------------------------------ rewrites


@rewrite("Sum", priority=110, credits="eglp")
def score_has_zero_mean(e: Any, kernel: KernelView) -> Any:
    """``sum_x c p(x) ∇_θ log p(x) -> 0``   [p a distribution over x's domain; c free of x]"""
    body, i, lo, hi = kt.outer(e)
    _, dependent = kt.split_factors(body, i)
    if len(dependent) != 2:
        return None
    weights = [f for f in dependent if not isinstance(f, kt.Grad)]
    scores = [f for f in dependent if isinstance(f, kt.Grad)]
    if len(weights) != 1 or len(scores) != 1:
        return None
    p = weights[0].args[0] if isinstance(weights[0], kt.Weight) else weights[0]
    score = scores[0]
    if score.args[0] == sp.log(p) and kernel.normalized(p, i, lo, hi):
        return sp.Integer(0)
    return None


@rewrite("Grad", priority=200, credits="log-derivative")
def grad_of_log(e: Any, kernel: KernelView) -> Any:
    """``∇ log u -> ∇u / u``   (so ``p ∇ log p`` and ``∇ p`` meet)"""
    x, theta = e.args
    if isinstance(x, sp.log):
        u = x.args[0]
        return kt.Grad(u, theta) / u
    return None


# ------------------------------------------------------------------ rules

LOG_DERIVATIVE = Rule(
    name="log-derivative",
    aliases=(
        "likelihood-ratio trick",
        "likelihood ratio",
        "log-derivative trick",
        "log trick",
        "grad-log trick",
        "score function",
        "score-function trick",
        "REINFORCE trick",
        "REINFORCE",
        "gradient of the log",
        "derivative of the log",
    ),
    family=FAMILY,
    statement=(
        "∇_θ p_θ(x) -> p_θ(x) ∇_θ log p_θ(x);  ∇_θ log p_θ(x) -> ∇_θ p_θ(x) / p_θ(x)"
    ),
    conditions=(
        Condition(
            "p > 0",
            logs_of_positive_values,
        ),
        Condition(
            "the support of p does not depend on θ",
            finite_spaces,
        ),
    ),
    purpose=(
        "Turns the gradient of a probability into the probability times the "
        "gradient of its log, so that a sum over trajectories becomes an "
        "expectation again and can be estimated from samples: the central step "
        "of REINFORCE."
    ),
    valid_example=pgv(
        """
        use rl
        claim ∇_θ π_θ(a | s) = π_θ(a | s) ∇_θ log π_θ(a | s)   by log-derivative
        claim ∇_θ log π_θ(a | s) = ∇_θ π_θ(a | s) / π_θ(a | s)   by log-derivative
        """
    ),
    flawed_example=pgv(
        """
        use rl
        claim sum_{a} ∇_θ π_θ(a | s) Q(s, a) = sum_{a} ∇_θ log π_θ(a | s) Q(s, a)   by log-derivative
        """
    ),
    rewrites=("grad_of_log",),
)

EGLP = Rule(
    name="eglp",
    aliases=(
        "expected grad-log-prob",
        "EGLP lemma",
        "score has zero mean",
        "expected score is zero",
        "zero-mean score",
        "score function has zero mean",
        "mean of the score is zero",
    ),
    family=FAMILY,
    statement="E_{x ~ p_θ}[∇_θ log p_θ(x)] -> 0",
    conditions=(
        Condition(
            "p_θ is a normalized distribution whose support does not depend on θ",
            unless_diagnosed({"eglp-applied-pointwise"}, finite_spaces),
        ),
    ),
    purpose=(
        "The score has zero mean, so any term that multiplies it by something "
        "independent of the sampled variable vanishes in expectation. This is "
        "what justifies baselines and reward-to-go."
    ),
    valid_example=pgv(
        """
        use rl
        claim E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s)] = 0   by eglp
        """
    ),
    flawed_example=pgv(
        """
        use rl
        claim E_{a ~ π_θ(·|s)}[Q(s, a) ∇_θ log π_θ(a | s)] = 0   by eglp
        """
    ),
    rewrites=("sums_to_one", "score_has_zero_mean"),
)

SOFTMAX_SCORE = Rule(
    name="softmax-score",
    aliases=(
        "score of a softmax policy",
        "gradient of log softmax",
        "grad log softmax",
        "log-softmax gradient",
        "softmax policy gradient",
    ),
    family=FAMILY,
    statement=(
        "∇_θ log π_θ(a | s) -> φ(s, a) - E_{a' ~ π_θ(·|s)}[φ(s, a')]"
        "   [π_θ(a | s) = exp(θ φ(s, a)) / sum_{a'} exp(θ φ(s, a'))]"
    ),
    conditions=(
        Condition(
            "π_θ is a softmax policy, linear in θ with features φ",
            by_verdict,
        ),
    ),
    purpose=(
        "Gives the score of a linear softmax policy in closed form: the features "
        "of the chosen action minus their mean under the policy. It turns the "
        "generic policy-gradient formula into one that can be computed."
    ),
    valid_example=pgv(
        """
        use rl
        def π_θ(a | s) = exp(θ φ(s, a)) / sum_{a'} exp(θ φ(s, a'))
        claim ∇_θ log π_θ(a | s) = φ(s, a) - E_{a' ~ π_θ(·|s)}[φ(s, a')]   by softmax-score
        """
    ),
    flawed_example=pgv(
        """
        use rl
        def π_θ(a | s) = exp(θ φ(s, a)) / sum_{a'} exp(θ φ(s, a'))
        claim ∇_θ log π_θ(a | s) = φ(s, a)   by softmax-score
        """
    ),
    rewrites=(
        "unfold_definition", "drop_expectation_marker", "trajectory_components", "split_sum",
        "log_of_product", "grad_is_linear", "grad_through_sum", "grad_of_log",
        "differentiate_product", "differentiate_composite",
    ),
    names_its_one_mistake=True,
)

RULES: tuple[Rule, ...] = (LOG_DERIVATIVE, EGLP, SOFTMAX_SCORE)

REWRITES = (score_has_zero_mean, grad_of_log)


# ------------------------------------------------------------------ misconceptions and their detectors
# A detector yields (left, right, context) claims; the first that holds names the mistake
# (pgverify/rules/mistakes.py). rank orders the detectors of the whole catalogue: most specific first.


def _likelihood_ratio_without_probability(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                                          ctx: Context) -> Iterator[Candidate]:
    def rewrite(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Grad) and ctx.is_distribution_call(n.operand):
            return m.Grad(n.param, m.Func("log", n.operand))
        return None
    yield from variants((lhs,), rewrite, rhs, ctx)


def _grad_log_as_reciprocal(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                            ctx: Context) -> Iterator[Candidate]:
    def to_reciprocal(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Grad) and isinstance(n.operand, m.Func) and n.operand.name == "log":
            return m.Div(num(1), m.Grad(n.param, n.operand.arg))
        return None
    yield from variants((lhs,), to_reciprocal, rhs, ctx)
    # the same slip made while applying the log-derivative trick: p ∇log p written as p / ∇p
    def from_grad(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Grad) and ctx.is_distribution_call(n.operand):
            return m.Mul(n.operand, m.Div(num(1), m.Grad(n.param, n.operand)))
        return None
    yield from variants((lhs,), from_grad, rhs, ctx)


def _eglp_pointwise(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                    ctx: Context) -> Iterator[Candidate]:
    if not ctx.rl or differentiates(unfold(rhs, ctx), "π_θ"):
        return
    yield lhs, rhs, with_theta(ctx, independent={"π_θ"})


def _softmax_missing_mean(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                          ctx: Context) -> Iterator[Candidate]:
    if not any(isinstance(n, m.Grad) for n in nodes(lhs)):
        return
    def drop_normalizer(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Func) and n.name == "log" and isinstance(n.arg, m.Div) and isinstance(n.arg.right, m.BigOp):
            return m.Func("log", n.arg.left)
        if isinstance(n, m.Sub) and isinstance(n.right, m.Func) and n.right.name == "log" and \
                isinstance(n.right.arg, m.BigOp):
            return n.left
        return None
    yield from variants((lhs, unfolded), drop_normalizer, rhs, ctx)


MISCONCEPTIONS: tuple[Misconception, ...] = (
    Misconception(
        name="likelihood-ratio-without-probability",
        title=(
            "The gradient of a probability was replaced by the gradient of its "
            "log, without the probability"
        ),
        hint=(
            "Differentiate the log of p with the chain rule: what is missing to "
            "get back the gradient of p itself?"
        ),
        rules=("log-derivative",),
        example=pgv(
            """
            use rl
            claim sum_{a} ∇_θ π_θ(a | s) Q(s, a) = sum_{a} ∇_θ log π_θ(a | s) Q(s, a)   by log-derivative
            """
        ),
        detectors=(_likelihood_ratio_without_probability,),
        rank=100,
    ),
    Misconception(
        name="grad-log-as-reciprocal-of-grad",
        title="The gradient of log p was written as one over the gradient of p",
        hint=(
            "Apply the chain rule to the log of p: at which quantity is the "
            "derivative of the log evaluated, and where does the inner gradient go?"
        ),
        rules=("log-derivative", "chain-rule"),
        example=pgv(
            """
            use rl
            claim ∇_θ log π_θ(a | s) = 1 / ∇_θ π_θ(a | s)   by log-derivative
            """
        ),
        detectors=(_grad_log_as_reciprocal,),
        rank=110,
    ),
    Misconception(
        name="eglp-applied-pointwise",
        title=(
            "The score of a single action was set to zero, although only its "
            "expectation vanishes"
        ),
        hint=(
            "The score vanishes only on average: is there still an expectation "
            "around the term you set to zero?"
        ),
        rules=("eglp",),
        example=pgv(
            """
            use rl
            claim ∇_θ log π_θ(a | s) = 0   by eglp
            """
        ),
        detectors=(_eglp_pointwise,),
        rank=160,
    ),
    Misconception(
        name="softmax-score-missing-mean",
        title="The score of a softmax policy lost the expected-feature term",
        hint=(
            "The normalizer of a softmax depends on θ as well: what does its log "
            "contribute to the gradient?"
        ),
        rules=("softmax-score",),
        example=pgv(
            """
            use rl
            def π_θ(a | s) = exp(θ φ(s, a)) / sum_{a'} exp(θ φ(s, a'))
            claim ∇_θ log π_θ(a | s) = φ(s, a)   by softmax-score
            """
        ),
        detectors=(_softmax_missing_mean,),
        rank=40,
    ),
)
