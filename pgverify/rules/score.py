"""Score-function rules: the log-derivative trick and what the score satisfies."""

from __future__ import annotations

from pgverify.rules.base import Rule, pgv

FAMILY = "score"

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
    conditions=("p > 0", "the support of p does not depend on θ"),
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
    conditions=("p_θ is a normalized distribution whose support does not depend on θ",),
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
    conditions=("π_θ is a softmax policy, linear in θ with features φ",),
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
)

RULES: tuple[Rule, ...] = (LOG_DERIVATIVE, EGLP, SOFTMAX_SCORE)
