"""Policy-gradient losses with one bug each, NumPy style."""
import numpy as np


# expect: ascent mistake=sign-flipped
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: gamma = γ
def sign_flipped(log_probs, rewards, gamma):
    T = rewards.shape[1]
    returns = (gamma ** np.arange(T) * rewards).sum(axis=1)
    return (log_probs.sum(axis=1) * returns).mean()


# expect: biased mistake=probabilities-for-log-probs
# pgverify: probs[n, t] = π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: gamma = γ
def probabilities_for_log_probs(probs, rewards, gamma):
    T = rewards.shape[1]
    returns = (gamma ** np.arange(T) * rewards).sum(axis=1, keepdims=True)
    return -(probs * returns).sum(axis=1).mean()


# expect: biased mistake=reward-to-go-reversed
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: gamma = γ
def reward_to_go_reversed(log_probs, rewards, gamma):
    N, T = rewards.shape
    rtg = []
    running = np.zeros(N)
    for t in reversed(range(T)):
        running = rewards[:, t] + gamma * running
        rtg.append(running)
    rtg = np.stack(rtg, axis=1)
    return -(gamma ** np.arange(T) * log_probs * rtg).sum(axis=1).mean()


# expect: biased mistake=past-rewards-included
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: gamma = γ
def past_rewards_included(log_probs, rewards, gamma):
    T = rewards.shape[1]
    discount = gamma ** np.arange(T)
    rtg = np.cumsum(discount * rewards, axis=1)
    return -(log_probs * rtg).sum(axis=1).mean()


# expect: biased mistake=discount-wrong-index
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: gamma = γ
def discount_wrong_index(log_probs, rewards, gamma):
    N, T = rewards.shape
    loss = 0.0
    for t in range(T):
        G = np.zeros(N)
        for k in range(t, T):
            G = G + gamma ** t * rewards[:, k]
        loss = loss - gamma ** t * log_probs[:, t] * G
    return loss.mean()


# expect: biased mistake=discount-wrong-index
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: gamma = γ
def step_discount_missing(log_probs, rewards, gamma):
    """The common practical estimator: γ^(t'-t) inside the reward-to-go, but no γ^t on step t."""
    N, T = rewards.shape
    rtg = np.zeros_like(rewards)
    running = np.zeros(N)
    for t in reversed(range(T)):
        running = rewards[:, t] + gamma * running
        rtg[:, t] = running
    return -(log_probs * rtg).sum(axis=1).mean()


# expect: unbiased mistake=full-return
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: gamma = γ
# pgverify: returns reward-to-go
def full_return_declared_reward_to_go(log_probs, rewards, gamma):
    T = rewards.shape[1]
    returns = (gamma ** np.arange(T) * rewards).sum(axis=1, keepdims=True)
    return -(log_probs * returns).sum(axis=1).mean()


# expect: biased mistake=action-dependent-baseline
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: q_values[n, t] = Q_φ(s_t, a_t)
# pgverify: gamma = γ
def action_dependent_baseline(log_probs, rewards, q_values, gamma):
    T = rewards.shape[1]
    discount = gamma ** np.arange(T)
    rtg = np.flip(np.cumsum(np.flip(discount * rewards, axis=1), axis=1), axis=1)
    advantages = rtg - discount * q_values
    return -(log_probs * advantages).sum(axis=1).mean()


# expect: scaled mistake=mean-wrong-axis
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: gamma = γ
def mean_over_time(log_probs, rewards, gamma):
    T = rewards.shape[1]
    discount = gamma ** np.arange(T)
    rtg = np.flip(np.cumsum(np.flip(discount * rewards, axis=1), axis=1), axis=1)
    return -(log_probs * rtg).mean()


# expect: biased mistake=normalized-advantages
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: gamma = γ
def normalized_advantages(log_probs, rewards, gamma):
    T = rewards.shape[1]
    discount = gamma ** np.arange(T)
    returns = (discount * rewards).sum(axis=1, keepdims=True)
    adv = (returns - returns.mean()) / (returns.std() + 1e-8)
    return -(log_probs * adv).sum(axis=1).mean()


# expect: biased mistake=dynamics-or-reward-differentiated
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: log_trans[n, t] = log p(s_{t+1} | s_t, a_t)
# pgverify: depends p on θ
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: gamma = γ
def dynamics_differentiated(log_probs, log_trans, rewards, gamma):
    """A learned dynamics model's log-likelihood added to the score (its gradient is not wanted)."""
    T = rewards.shape[1]
    returns = (gamma ** np.arange(T) * rewards).sum(axis=1)
    log_p_tau = (log_probs + log_trans).sum(axis=1)
    return -(log_p_tau * returns).mean()


# expect: scaled scale=N mistake=mean-wrong-axis
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: gamma = γ
def summed_over_the_batch(log_probs, rewards, gamma):
    """A sum over the batch where the mean belongs: the step grows with the batch size."""
    T = rewards.shape[1]
    returns = (gamma ** np.arange(T) * rewards).sum(axis=1)
    return -(log_probs.sum(axis=1) * returns).sum()
