"""Correct policy-gradient losses in NumPy style (read as the functions they compute)."""
import numpy as np


# expect: unbiased
# pgverify: use rl
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: gamma = γ
def reinforce_loss(log_probs, rewards, gamma):
    """REINFORCE: every log-probability weighed by the whole discounted return."""
    T = rewards.shape[1]
    returns = (gamma ** np.arange(T) * rewards).sum(axis=1)
    return -(log_probs.sum(axis=1) * returns).mean()


# expect: unbiased
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: gamma = γ
# pgverify: returns reward-to-go
def reward_to_go_loss(log_probs, rewards, gamma):
    """Each step weighed by the discounted rewards from that step on (and γ^t for the step itself)."""
    N, T = rewards.shape
    rtg = np.zeros_like(rewards)
    running = np.zeros(N)
    for t in reversed(range(T)):
        running = rewards[:, t] + gamma * running
        rtg[:, t] = running
    weights = gamma ** np.arange(T)
    return -(weights * log_probs * rtg).sum(axis=1).mean()


# expect: unbiased
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: values[n, t] = V_φ(s_t)
# pgverify: gamma = γ
def baseline_loss(log_probs, rewards, values, gamma):
    """Reward-to-go minus a learned state-value baseline (a separate network: no gradient in θ)."""
    T = rewards.shape[1]
    rtg = np.flip(np.cumsum(np.flip(gamma ** np.arange(T) * rewards, axis=1), axis=1), axis=1)
    advantages = rtg - gamma ** np.arange(T) * values
    return -np.sum(log_probs * advantages, axis=1).mean()


# expect: unbiased
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: values[n, t] = V^π(s_t)
# pgverify: next_values[n, t] = V^π(s_{t+1})
# pgverify: gamma = γ
# pgverify: lam = λ
def gae_loss(log_probs, rewards, values, next_values, gamma, lam):
    """Generalised advantage estimation with the policy's own value function, any λ."""
    T = rewards.shape[1]
    deltas = rewards + gamma * next_values - values
    advantages = []
    running = 0.0
    for t in range(T - 1, -1, -1):
        running = deltas[:, t] + gamma * lam * running
        advantages.insert(0, running)
    adv = np.stack(advantages, axis=1)
    discount = np.array([gamma ** t for t in range(T)])
    return -np.mean(np.sum(discount * log_probs * adv, axis=1))


# expect: unbiased
# pgverify: logp[t] = log π_θ(a_t | s_t)
# pgverify: r[t] = r(s_t, a_t)
# pgverify: gamma = γ
def one_trajectory_loss(logp, r, gamma):
    """A function of one trajectory, with a helper and a generator expression."""
    total = 0.0
    for t, lp in enumerate(logp):
        total = total + gamma ** t * lp * discounted_sum(r[t:], gamma)
    return -total


def discounted_sum(rs, gamma):
    return sum(gamma ** k * x for k, x in enumerate(rs))


# expect: unbiased
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: values[n, t] = V^π(s_t)
# pgverify: next_values[n, t] = V^π(s_{t+1})
# pgverify: gamma = γ
def actor_critic_loss(log_probs, rewards, values, next_values, gamma):
    """One-step actor-critic: the TD error of the policy's own values as the advantage."""
    T = rewards.shape[1]
    td_error = rewards + gamma * next_values - values
    weighted = np.power(gamma, np.arange(T)) * log_probs * td_error
    return -weighted.sum(axis=1).mean()
