"""The misconception catalogue: common wrong steps, named as an instructor would.

Each entry names the rule(s) it misuses, gives a hint that points towards the
fix without writing the corrected expression, and shows a small ``.pgv`` file
whose one flawed step exhibits it.
"""

from __future__ import annotations

from pgverify.rules.base import Misconception, pgv

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
    ),
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
    ),
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
    ),
    Misconception(
        name="policy-term-dropped-instead-of-dynamics",
        title="The policy term was dropped and the dynamics term kept",
        hint=(
            "Look at which of the two terms carries θ: which one has a zero gradient?"
        ),
        rules=("theta-independence",),
        example=pgv(
            """
            use rl
            claim ∇_θ (log π_θ(a | s) + log P(s' | s, a)) = ∇_θ log P(s' | s, a)   by theta-independence
            """
        ),
    ),
    Misconception(
        name="theta-dependent-term-treated-as-independent",
        title=(
            "A term that depends on θ (learned dynamics, a θ-dependent reward) "
            "was treated as independent of θ"
        ),
        hint=(
            "Check the declarations: does every term you dropped really not "
            "depend on θ, directly or through a definition?"
        ),
        rules=("theta-independence",),
        example=pgv(
            """
            use rl
            depends P on θ
            claim ∇_θ (log π_θ(a | s) + log P(s' | s, a)) = ∇_θ log π_θ(a | s)   by theta-independence
            """
        ),
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
    ),
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
    ),
    Misconception(
        name="importance-weight-inverted",
        title="The importance weight was written upside down",
        hint=(
            "The weight must turn samples from the policy you have into the "
            "policy you want: which density belongs in the numerator?"
        ),
        rules=("importance-sampling",),
        example=pgv(
            """
            use rl
            dist π_old(a | s)
            claim E_{a ~ π_θ(·|s)}[Q(s, a)] = E_{a ~ π_old(·|s)}[π_old(a | s) / π_θ(a | s) Q(s, a)]   by importance-sampling
            """
        ),
    ),
    Misconception(
        name="importance-weight-missing",
        title="The sampling distribution was changed without an importance weight",
        hint=(
            "Samples from another policy average to a different value: what "
            "corrects for where they came from?"
        ),
        rules=("importance-sampling",),
        example=pgv(
            """
            use rl
            dist π_old(a | s)
            claim E_{a ~ π_θ(·|s)}[Q(s, a)] = E_{a ~ π_old(·|s)}[Q(s, a)]   by importance-sampling
            """
        ),
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
    ),
    Misconception(
        name="missing-sample-mean-normalization",
        title="The sample estimate sums the samples without dividing by their number",
        hint=(
            "A sum of N samples grows with N while the expectation does not: "
            "what turns the sum into an average?"
        ),
        rules=("monte-carlo",),
        example=pgv(
            """
            use rl
                E_{τ ~ π_θ}[R(τ)]
              ≈ sum_{i=1}^{N} R(τ_i)   by monte-carlo
            """
        ),
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
    ),
    Misconception(
        name="conditional-instead-of-joint",
        title=(
            "A conditional probability was used where the joint probability "
            "of the variables is needed"
        ),
        hint=(
            "The outer variable is random too: which probability weights a "
            "pair of values, rather than the inner value given the outer one?"
        ),
        rules=("expectation", "tower"),
        example=pgv(
            """
            use rl
            claim E_{s ~ ρ0}[E_{a ~ π_θ(·|s)}[Q(s, a)]] = sum_{s} sum_{a} π_θ(a | s) Q(s, a)   by expectation
            """
        ),
    ),
    Misconception(
        name="later-state-drawn-from-initial-distribution",
        title="A later state was treated as if it were drawn from the initial distribution",
        hint=(
            "A later state is reached through the policy and the dynamics: is "
            "it still distributed like the first state?"
        ),
        rules=("tower",),
        example=pgv(
            """
            use rl
            def Pr_θ(τ) = ρ0(s_0) prod_{t=0}^{1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)
            claim E_{τ ~ Pr_θ}[r(s_1, a_1)] = E_{s_1 ~ ρ0}[E_{a_1 ~ π_θ(·|s_1)}[r(s_1, a_1)]]   by tower
            """
        ),
    ),
    Misconception(
        name="expectation-without-weights",
        title="The expectation was expanded into a sum without its probabilities",
        hint=(
            "Does your sum still know which distribution the expectation was "
            "taken over?"
        ),
        rules=("expectation",),
        example=pgv(
            """
            use rl
            claim E_{a ~ π_θ(·|s)}[Q(s, a)] = sum_{a} Q(s, a)   by expectation
            """
        ),
    ),
    Misconception(
        name="initial-state-distribution-dropped",
        title="The initial-state probability was left out of the trajectory probability",
        hint=(
            "The first state of a trajectory is random too: which factor gives "
            "its probability?"
        ),
        rules=("definition",),
        example=pgv(
            """
            use rl
            def Pr_θ(τ) = ρ0(s_0) prod_{t=0}^{T-1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)
            claim Pr_θ(τ) = prod_{t=0}^{T-1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)   by definition
            """
        ),
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
    ),
    Misconception(
        name="kl-arguments-swapped",
        title="The two distributions of a KL divergence were swapped",
        hint=(
            "KL divergence is not symmetric: which distribution is the "
            "expectation taken over in your definition?"
        ),
        rules=("kl",),
        example=pgv(
            """
            use rl
            dist π_ref(a | s)
            def KL(s) = sum_{a} π_θ(a | s) log(π_θ(a | s) / π_ref(a | s))
            claim KL(s) = E_{a ~ π_ref(·|s)}[log π_ref(a | s) - log π_θ(a | s)]   by kl
            """
        ),
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
    ),
    Misconception(
        name="normalized-over-the-wrong-variable",
        title="A conditional distribution was summed over its conditioning variable",
        hint=(
            "A conditional distribution sums to one over the variable left of "
            "the bar: which variable did you sum over?"
        ),
        rules=("normalization",),
        example=pgv(
            """
            use rl
            claim sum_{s} π_θ(a | s) = 1   by normalization
            """
        ),
    ),
    Misconception(
        name="partition-function-dropped",
        title="The normalizing constant (partition function) was dropped",
        hint=(
            "The optimal policy is normalized by a sum over all responses: "
            "where did that normalizer go when you took the log?"
        ),
        rules=("definition", "log-product"),
        example=pgv(
            """
            use rl
            dist π_ref(y | x)
            def β = 0.5
            def Z(x) = sum_{y} π_ref(y | x) exp(r(x, y) / β)
            def π_star(y | x) = π_ref(y | x) exp(r(x, y) / β) / Z(x)
            claim β log(π_star(y | x) / π_ref(y | x)) = r(x, y)   by definition, log-product
            """
        ),
    ),
)
