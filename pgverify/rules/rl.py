"""Reinforcement-learning rules: baselines, reward-to-go, advantages, discounting."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from pgverify import model as m
from pgverify.model import nodes, transform
from pgverify.rules.base import (
    ALGEBRAIC_COMPARISON,
    UNFOLD_DISTRIBUTIONS,
    Condition,
    KernelView,
    LazyModule,
    Misconception,
    Rule,
    pgv,
    rewrite,
)
from pgverify.rules.mistakes import Candidate, factors_of, mentions_action, num, one_site, product, variants
from pgverify.rules.predicates import by_verdict, unless_diagnosed
from pgverify.semantics import Context

# sympy and the kernel's node types, loaded the first time a rewrite runs (reading the catalogue does not)
sp = LazyModule("sympy")
kt = LazyModule("pgverify.kernel.terms")

FAMILY = "rl"

BASELINE = Rule(
    name="baseline",
    aliases=(
        "subtract a baseline",
        "add a baseline",
        "baseline subtraction",
        "state-dependent baseline",
        "baseline trick",
        "control variate",
    ),
    family=FAMILY,
    statement=(
        "E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) (f(s, a) - b(s))]"
        " -> E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) f(s, a)]"
    ),
    conditions=(
        Condition(
            (
                "b does not depend on the action (in a trajectory: not on a_t nor on "
                "anything sampled after it)"
            ),
            unless_diagnosed({"action-dependent-baseline"}, by_verdict),
        ),
    ),
    purpose=(
        "Subtracting a state-dependent baseline from the return leaves the "
        "policy gradient unchanged in expectation, because the score has zero "
        "mean, but can greatly reduce the variance of its sample estimate."
    ),
    valid_example=pgv(
        """
        use rl
        claim E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) (Q(s, a) - b(s))] = E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) Q(s, a)]   by baseline
        """
    ),
    flawed_example=pgv(
        """
        use rl
        claim E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) (Q(s, a) - b(s, a))] = E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) Q(s, a)]   by baseline
        """
    ),
    rewrites=(
        "unfold_definition", "drop_expectation_marker", "trajectory_components", "sums_to_one",
        "score_has_zero_mean", "split_sum", "count_terms", "grad_is_linear", "grad_through_sum",
        "grad_of_log",
    ),
    kernel_options=frozenset({UNFOLD_DISTRIBUTIONS}),
    names_its_one_mistake=True,
)

REWARD_TO_GO = Rule(
    name="reward-to-go",
    aliases=(
        "causality",
        "rewards-to-go",
        "causality trick",
        "drop past rewards",
        "past rewards do not matter",
        "future rewards only",
    ),
    family=FAMILY,
    statement=(
        "E_{τ ~ Pr_θ}[sum_{t=0}^{T} ∇_θ log π_θ(a_t | s_t) sum_{k=0}^{T} r(s_k, a_k)]"
        " -> E_{τ ~ Pr_θ}[sum_{t=0}^{T} ∇_θ log π_θ(a_t | s_t) sum_{k=t}^{T} r(s_k, a_k)]"
    ),
    conditions=(
        Condition(
            (
                "rewards received before time t do not depend on a_t: the trajectory "
                "is sampled forward in time by the policy and the dynamics"
            ),
            by_verdict,
        ),
    ),
    purpose=(
        "An action cannot change rewards that were already received, so their "
        "products with its score have zero mean and can be dropped. Weighting "
        "each score by the reward-to-go keeps the gradient unbiased and lowers "
        "its variance."
    ),
    valid_example=pgv(
        """
        use rl
        def Pr_θ(τ) = ρ0(s_0) prod_{t=0}^{1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)
        claim E_{τ ~ Pr_θ}[sum_{t=0}^{1} ∇_θ log π_θ(a_t | s_t) sum_{k=0}^{1} r(s_k, a_k)] = E_{τ ~ Pr_θ}[sum_{t=0}^{1} ∇_θ log π_θ(a_t | s_t) sum_{k=t}^{1} r(s_k, a_k)]   by reward-to-go
        """
    ),
    flawed_example=pgv(
        """
        use rl
        def Pr_θ(τ) = ρ0(s_0) prod_{t=0}^{1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)
        claim E_{τ ~ Pr_θ}[sum_{t=0}^{1} ∇_θ log π_θ(a_t | s_t) sum_{k=0}^{1} r(s_k, a_k)] = E_{τ ~ Pr_θ}[sum_{t=0}^{1} ∇_θ log π_θ(a_t | s_t) sum_{k=t+1}^{1} r(s_k, a_k)]   by reward-to-go
        """
    ),
    rewrites=(
        "unfold_definition", "drop_expectation_marker", "trajectory_components", "sums_to_one",
        "score_has_zero_mean", "split_sum", "count_terms", "grad_is_linear", "grad_through_sum",
        "grad_of_log",
    ),
    kernel_options=frozenset({UNFOLD_DISTRIBUTIONS}),
    names_its_one_mistake=True,
)

ADVANTAGE = Rule(
    name="advantage",
    aliases=(
        "advantage function",
        "definition of the advantage",
        "replace Q by the advantage",
        "use the advantage",
        "Q minus V",
    ),
    family=FAMILY,
    statement=(
        "E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) Q(s, a)]"
        " -> E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) A(s, a)]   [A(s, a) = Q(s, a) - V(s)]"
    ),
    conditions=(
        Condition(
            "A(s, a) = Q(s, a) - V(s), where V depends on the state only",
            by_verdict,
        ),
        Condition(
            "the term is weighted by the score inside an expectation over the action",
            by_verdict,
        ),
    ),
    purpose=(
        "Replaces the action value by the advantage, which measures how much "
        "better an action is than the policy's average at that state. It is a "
        "baseline subtraction with V as the baseline, and the form used by "
        "actor-critic methods."
    ),
    valid_example=pgv(
        """
        use rl
        def A(s, a) = Q(s, a) - V(s)
        claim E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) Q(s, a)] = E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) A(s, a)]   by advantage
        """
    ),
    flawed_example=pgv(
        """
        use rl
        def A(s, a) = Q(s, a) - V(s)
        claim E_{a ~ π_θ(·|s)}[Q(s, a)] = E_{a ~ π_θ(·|s)}[A(s, a)]   by advantage
        """
    ),
    rewrites=(
        "unfold_definition", "drop_expectation_marker", "trajectory_components", "sums_to_one",
        "score_has_zero_mean", "split_sum", "count_terms", "grad_is_linear", "grad_through_sum",
        "grad_of_log",
    ),
    kernel_options=frozenset({UNFOLD_DISTRIBUTIONS}),
    names_its_one_mistake=True,
)

DISCOUNT = Rule(
    name="discount",
    aliases=(
        "factoring γ^t",
        "factor out γ^t",
        "pull out γ^t",
        "factor out the discount",
        "factor out gamma",
        "discounting",
        "discount factor",
    ),
    family=FAMILY,
    statement="sum_{k=t}^{T} γ^k r(s_k, a_k) -> γ^t sum_{k=t}^{T} γ^(k-t) r(s_k, a_k)",
    conditions=(
        Condition(
            "the factored power γ^t does not depend on the summation index",
            by_verdict,
        ),
    ),
    purpose=(
        "Factors the discount accumulated up to time t out of a discounted "
        "reward-to-go, leaving a sum discounted from time t. It connects the "
        "discounted return of a trajectory with the value of the state s_t."
    ),
    valid_example=pgv(
        """
        use rl
        claim sum_{k=t}^{T} γ^k r(s_k, a_k) = γ^t sum_{k=t}^{T} γ^(k-t) r(s_k, a_k)   by discount
        """
    ),
    flawed_example=pgv(
        """
        use rl
        claim sum_{k=t}^{T} γ^k r(s_k, a_k) = γ^t sum_{k=t}^{T} γ^k r(s_k, a_k)   by discount
        """
    ),
    rewrites=("split_sum", "count_terms"),
    kernel_options=frozenset({ALGEBRAIC_COMPARISON}),
    names_its_one_mistake=True,
)


@rewrite("Sum", priority=115, credits="telescoping")
def telescope(e: Any, kernel: KernelView) -> Any:
    """``sum_{l=a}^{b} (h(l+1) - h(l) + g(l)) -> h(b+1) - h(a) + sum_{l=a}^{b} g(l)``   [b - a + 1 ≥ 0]

    The sum of TD errors of GAE: with ``δ_l = r_l + γ V(s_{l+1}) - V(s_l)``, ``h(l) = γ^l V(s_l)``
    makes ``γ^l δ_l = γ^l r_l + h(l+1) - h(l)``.  Tried before the body is split by linearity,
    which would pull the two halves of the difference into separate sums.
    """
    body, index, lo, hi = kt.outer(e)
    if not index.is_integer or kt.range_length(lo, hi) is None:
        return None      # on an empty range written backwards the sum is 0, not h(b+1) - h(a)
    terms = list(sp.Add.make_args(kernel.expand_body(body)))
    for k, later in enumerate(terms):
        if index not in later.free_symbols:
            continue
        for j, earlier in enumerate(terms):
            h = -earlier
            # compared with powers split (γ γ^l and γ^(l+1) are one term written two ways)
            if j != k and sp.expand_power_exp(h.xreplace({index: index + 1})) == sp.expand_power_exp(later):
                rest = [x for n, x in enumerate(terms) if n not in (j, k)]
                remaining = kt.Sum(sp.Add(*rest), (index, lo, hi)) if rest else sp.Integer(0)
                return h.xreplace({index: hi + 1}) - h.xreplace({index: lo}) + remaining
    return None


TELESCOPING = Rule(
    name="telescoping",
    aliases=(
        "telescope",
        "telescoping sum",
        "telescoping series",
        "sum of TD errors",
        "sum of temporal-difference errors",
        "GAE telescoping",
    ),
    family=FAMILY,
    statement=(
        "sum_{l=0}^{k-1} γ^l (r_{t+l} + γ V(s_{t+l+1}) - V(s_{t+l})) -> "
        "sum_{l=0}^{k-1} γ^l r_{t+l} + γ^k V(s_{t+k}) - V(s_t); "
        "sum_{l=a}^{b} (h(l+1) - h(l)) -> h(b+1) - h(a)"
    ),
    conditions=(
        Condition(
            "the sum's range is not written backwards: it has b - a + 1 ≥ 0 terms",
            by_verdict,
        ),
    ),
    purpose=(
        "Collapses a discounted sum of TD errors δ_l = r_l + γ V(s_{l+1}) - V(s_l) into "
        "the k-step return minus the baseline V(s_t): the identity behind n-step advantage "
        "estimates and generalized advantage estimation, where each estimator is a "
        "weighted sum of these telescoping sums."
    ),
    valid_example=pgv(
        """
        use rl
        claim sum_{l=0}^{T-1} γ^l (r(s_l, a_l) + γ V(s_{l+1}) - V(s_l)) = sum_{l=0}^{T-1} γ^l r(s_l, a_l) + γ^T V(s_T) - V(s_0)   by telescoping
        """
    ),
    flawed_example=pgv(
        """
        use rl
        claim sum_{l=0}^{T-1} γ^l (r(s_l, a_l) + γ V(s_{l+1}) - V(s_l)) = sum_{l=0}^{T-1} γ^l r(s_l, a_l) + γ^(T-1) V(s_T) - V(s_0)   by telescoping
        """
    ),
    rewrites=("telescope", "split_sum"),
)

RULES: tuple[Rule, ...] = (BASELINE, REWARD_TO_GO, ADVANTAGE, DISCOUNT, TELESCOPING)

REWRITES = (telescope,)


# ------------------------------------------------------------------ misconceptions and their detectors
# A detector yields (left, right, context) claims; the first that holds names the mistake
# (pgverify/rules/mistakes.py). rank orders the detectors of the whole catalogue: most specific first.


def _pulled_out(n: m.Expr) -> bool:
    """A product in which an expectation over an action sits beside a factor that mentions that action."""
    if not isinstance(n, m.Mul):
        return False
    factors = factors_of(n)
    for e in factors:
        if isinstance(e, m.Expect):
            letters = {v.key() for v in e.variables}
            if any(f is not e and any(isinstance(x, m.Name) and x.key() in letters for x in nodes(f))
                   for f in factors):
                return True
    return False


def _action_dependent_baseline(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                               ctx: Context) -> Iterator[Candidate]:
    def drop(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Sub) and mentions_action(n.right):
            return n.left
        return None
    yield from variants((lhs,), drop, rhs, ctx)

    if not any(_pulled_out(n) for n in nodes(rhs)):
        return

    def pull_out(n: m.Expr) -> m.Expr | None:
        """E_a[X f(a)] -> f(a) E_a[X]: an action-dependent factor treated as a constant baseline."""
        if isinstance(n, m.Expect):
            movable = [f for f in factors_of(n.body) if mentions_action(f) and not isinstance(f, m.Grad)
                       and not ctx.is_distribution_call(f)]
            if movable and len(factors_of(n.body)) > 1:
                rest = [f for f in factors_of(n.body) if f is not movable[0]]
                return m.Mul(movable[0], replace(n, body=product(rest)))
        return None
    yield from variants((lhs,), pull_out, rhs, ctx)


def _reward_to_go_reversed(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                           ctx: Context) -> Iterator[Candidate]:
    # repair: the student's sum over the past (k = 0 … t) should run over the future (k = t … end)
    ends = [m.Sub(m.Name("T"), num(1)), m.Name("T")]
    ends += [n.upper for n in nodes(lhs) if isinstance(n, m.BigOp) and n.upper is not None][:3]
    for end in ends:
        def repair(n: m.Expr, end: m.Expr = end) -> m.Expr | None:
            if isinstance(n, m.BigOp) and n.lower is not None and n.upper is not None and \
                    isinstance(n.upper, m.Name) and n.upper.base == "t":
                return replace(n, lower=n.upper, upper=end)
            if isinstance(n, m.BigOp) and n.lower is not None and isinstance(n.upper, m.Sub) and \
                    isinstance(n.upper.left, m.Name) and n.upper.left.base == "t":
                return replace(n, lower=n.upper.left, upper=end)
            return None
        for variant in one_site(rhs, repair):
            yield lhs, variant, ctx


def _lost_discount(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                   ctx: Context) -> Iterator[Candidate]:
    def drop(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Pow) and isinstance(n.base, m.Name) and n.base.base == "γ":
            return num(1)
        return None
    yield from variants((lhs,), drop, rhs, ctx)
    starts = [n.lower for n in nodes(lhs) if isinstance(n, m.BigOp) and n.lower is not None
              and not isinstance(n.lower, m.Num)][:2]
    for start in starts:
        def to_start(n: m.Expr, start: m.Expr = start) -> m.Expr | None:
            if isinstance(n, m.Pow) and isinstance(n.base, m.Name) and n.base.base == "γ":
                return m.Pow(n.base, start)
            return None

        def shifted(n: m.Expr, start: m.Expr = start) -> m.Expr | None:
            if isinstance(n, m.Pow) and isinstance(n.base, m.Name) and n.base.base == "γ":
                return m.Pow(n.base, m.Sub(n.exponent, start))
            return None
        for rewrite in (to_start, shifted):
            yield from variants((lhs,), rewrite, rhs, ctx)


def _advantage_without_score(lhs: m.Expr, unfolded: m.Expr, rhs: m.Expr, relation: str,
                             ctx: Context) -> Iterator[Candidate]:
    def swap(n: m.Expr) -> m.Expr | None:
        if isinstance(n, m.Call) and n.func.key() == "Q":
            return replace(n, func=m.Name("A", span=n.func.span))
        return None
    swapped = transform(lhs, swap)
    no_score = not any(isinstance(n, m.Grad) for n in nodes(lhs))
    if no_score and swapped != lhs and m.show(swapped) == m.show(rhs):
        yield rhs, rhs, ctx  # structurally the student's step: Q replaced by A with no score around it


MISCONCEPTIONS: tuple[Misconception, ...] = (
    Misconception(
        name="action-dependent-baseline",
        title="A baseline that depends on the action was subtracted",
        hint=(
            "A baseline leaves the gradient unchanged only when it cannot see "
            "the action: does yours?"
        ),
        rules=("baseline", "eglp"),
        example=pgv(
            """
            use rl
            claim E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) (Q(s, a) - Q(s, a) / 2)] = E_{a ~ π_θ(·|s)}[∇_θ log π_θ(a | s) Q(s, a)]   by baseline
            """
        ),
        detectors=(_action_dependent_baseline,),
        rank=170,
    ),
    Misconception(
        name="reward-to-go-reversed",
        title="Past rewards were kept and future rewards dropped",
        hint=(
            "An action can only influence the rewards that come after it: "
            "which rewards did you keep?"
        ),
        rules=("reward-to-go",),
        example=pgv(
            """
            use rl
            def Pr_θ(τ) = ρ0(s_0) prod_{t=0}^{1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)
            claim E_{τ ~ Pr_θ}[sum_{t=0}^{1} ∇_θ log π_θ(a_t | s_t) sum_{k=0}^{1} r(s_k, a_k)] = E_{τ ~ Pr_θ}[sum_{t=0}^{1} ∇_θ log π_θ(a_t | s_t) sum_{k=0}^{t} r(s_k, a_k)]   by reward-to-go
            """
        ),
        detectors=(_reward_to_go_reversed,),
        rank=190,
    ),
    Misconception(
        name="lost-discount",
        title="The discount disappeared from the later rewards",
        hint=(
            "Pulling a power of γ out of a sum does not undiscount every term: "
            "check one term with k greater than t."
        ),
        rules=("discount",),
        example=pgv(
            """
            use rl
            claim sum_{k=t}^{T} γ^k r(s_k, a_k) = γ^t sum_{k=t}^{T} r(s_k, a_k)   by discount
            """
        ),
        detectors=(_lost_discount,),
        rank=220,
    ),
    Misconception(
        name="advantage-without-score",
        title="Q was replaced by the advantage outside a score-weighted expectation",
        hint=(
            "Swapping Q for the advantage relies on the zero-mean score: is the "
            "score still multiplying the term you changed?"
        ),
        rules=("advantage",),
        example=pgv(
            """
            use rl
            def A(s, a) = Q(s, a) - V(s)
            claim E_{a ~ π_θ(·|s)}[Q(s, a)] = E_{a ~ π_θ(·|s)}[A(s, a)]   by advantage
            """
        ),
        detectors=(_advantage_without_score,),
        rank=70,
    ),
)
