"""The named mistakes of a policy-gradient implementation: one entry each (name, title, hint, example).

Names are stable kebab-case; two are shared with the derivation catalogue
(the same misconception, met in code).  ``pgverify explain NAME`` shows them.
This module is data only, so the renderers may import it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImplMistake:
    """A recognisable bug in a policy-gradient loss."""

    name: str
    title: str
    hint: str
    example: str
    fault: bool = True   # False: worth saying, but the gradient is still right


IMPL_MISTAKES: tuple[ImplMistake, ...] = (
    ImplMistake("sign-flipped", "the loss is the objective itself, so gradient descent lowers the return",
                "An optimizer minimises the loss; for it to raise J, the loss must be minus the surrogate.",
                "return (log_probs * returns).sum()"),
    ImplMistake("probabilities-for-log-probs", "probabilities are used where the score needs log-probabilities",
                "The gradient of a surrogate is the score function only when the policy enters through its log.",
                "return -(probs * returns).sum()"),
    ImplMistake("reward-to-go-reversed", "the reward-to-go sequence is built in reverse time order",
                "A list filled by a backward loop is in reverse order until it is turned around; check which step"
                " each weight lands on.",
                "for t in reversed(range(T)):\n    running = rewards[t] + gamma * running\n    rtg.append(running)"),
    ImplMistake("past-rewards-included", "each step is weighed by rewards received before it",
                "An action cannot change rewards that came before it; the weight of step t should sum from t on.",
                "rtg = np.cumsum(rewards, axis=1)"),
    ImplMistake("discount-wrong-index", "the discount is raised to the wrong time index",
                "Inside the reward-to-go from t the reward at t' is discounted by γ^(t'-t), and the term of step t"
                " carries γ^t of its own (together γ^t'); check which exponent each factor uses.",
                "G[t] = (gamma ** t * rewards[t:]).sum()"),
    ImplMistake("full-return", "every step is weighed by the whole return where a reward-to-go was declared",
                "This is still unbiased (past rewards average out), only noisier: sum each step's rewards from that"
                " step on to lower the variance.",
                "returns = rewards.sum(axis=1, keepdims=True)", fault=False),
    ImplMistake("baseline-gradient-not-stopped", "the baseline or advantage still carries a gradient into the"
                " policy loss",
                "A baseline must enter the policy loss as a constant: stop its gradient (.detach(),"
                " stop_gradient) where it is subtracted.",
                "advantages = returns - values   # values from a network that shares θ"),
    ImplMistake("action-dependent-baseline", "the baseline depends on the action taken",
                "A baseline keeps the gradient unbiased only when it depends on the state alone.",
                "advantages = returns - q_values"),
    ImplMistake("mean-wrong-axis", "the loss is averaged over an axis that changes its scale",
                "Averaging over time (or summing over the batch) multiplies the gradient by a constant: the"
                " direction is right, the effective learning rate is not.",
                "return -(log_probs * rtg).mean()"),
    ImplMistake("normalized-advantages", "the advantages are normalised by batch statistics (a common biased"
                " choice)",
                "Dividing by the batch's standard deviation couples the trajectories of the batch, so the"
                " estimate is biased (slightly, for large batches); say so, or leave it out when checking.",
                "adv = (adv - adv.mean()) / (adv.std() + 1e-8)"),
    ImplMistake("dynamics-or-reward-differentiated", "the gradient flows through the environment's dynamics or"
                " reward",
                "The policy gradient needs no derivative of the dynamics or the reward; through a learned model"
                " such a derivative is wrong: stop it.",
                "loss = -(log_probs * returns).sum()   # returns from a learned reward model, not detached"),
)

BY_NAME = {m.name: m for m in IMPL_MISTAKES}


def lookup(name: str) -> ImplMistake | None:
    """The implementation mistake called ``name``, if any."""
    return BY_NAME.get(name.strip())
