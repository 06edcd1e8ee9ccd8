"""Policy-gradient losses with one bug each, PyTorch style."""
import torch
import torch.nn.functional as F


# expect: biased mistake=baseline-gradient-not-stopped
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: values[n, t] = V_θ(s_t)
# pgverify: depends V on θ
# pgverify: gamma = γ
def baseline_not_detached(log_probs, rewards, values, gamma):
    """A value head on the policy's network, subtracted without .detach()."""
    T = rewards.shape[1]
    discount = gamma ** torch.arange(T)
    rtg = torch.flip(torch.cumsum(torch.flip(discount * rewards, dims=[1]), dim=1), dims=[1])
    advantages = rtg - discount * values
    return -(log_probs * advantages).sum(dim=1).mean()


# expect: biased mistake=probabilities-for-log-probs
# pgverify: logits[n, t, a] = logits π_θ(a | s_t)
# pgverify: actions[n, t] = a_t
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: gamma = γ
def softmax_instead_of_log_softmax(logits, actions, rewards, gamma):
    probs = F.softmax(logits, dim=-1).gather(-1, actions.unsqueeze(-1)).squeeze(-1)
    T = rewards.shape[1]
    returns = (gamma ** torch.arange(T) * rewards).sum(dim=1, keepdim=True)
    return -(probs * returns).sum(dim=1).mean()


# expect: biased mistake=dynamics-or-reward-differentiated
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: depends r on θ
# pgverify: gamma = γ
def reward_model_differentiated(log_probs, rewards, gamma):
    """Rewards from a learned reward model that shares θ, used without .detach()."""
    T = rewards.shape[1]
    returns = (gamma ** torch.arange(T) * rewards).sum(dim=1)
    return -(log_probs.sum(dim=1) * returns).mean()


# expect: biased mistake=normalized-advantages
# pgverify: logits[n, t, a] = logits π_θ(a | s_t)
# pgverify: actions[n, t] = a_t
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: values[n, t] = V^π(s_t)
# pgverify: gamma = γ
def normalized_advantages(logits, actions, rewards, values, gamma):
    log_probs = torch.log_softmax(logits, dim=-1).gather(-1, actions.unsqueeze(-1)).squeeze(-1)
    T = rewards.shape[1]
    discount = gamma ** torch.arange(T)
    returns = []
    G = torch.zeros(rewards.shape[0])
    for t in reversed(range(T)):
        G = rewards[:, t] + gamma * G
        returns.insert(0, G)
    adv = torch.stack(returns, dim=1) - values
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    return -(discount * log_probs * adv.detach()).sum(dim=1).mean()


# expect: biased mistake=baseline-gradient-not-stopped
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: values[n, t] = V_φ(s_t)
# pgverify: param φ
# pgverify: gamma = γ
def critic_trained_by_policy_loss(log_probs, rewards, values, gamma):
    """The policy gradient is right, but the critic's parameters also follow the policy loss."""
    T = rewards.shape[1]
    discount = gamma ** torch.arange(T)
    rtg = torch.flip(torch.cumsum(torch.flip(discount * rewards, dims=[1]), dim=1), dims=[1])
    advantages = rtg - discount * values
    policy_loss = -(log_probs * advantages).sum(dim=1).mean()
    critic_loss = ((discount * values - rtg) ** 2).mean()
    return policy_loss + critic_loss
