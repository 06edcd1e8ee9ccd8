"""Correct policy-gradient losses in PyTorch style."""
import torch
import torch.nn.functional as F
from torch.distributions import Categorical


# expect: unbiased
# pgverify: use rl
# pgverify: logits[n, t, a] = logits π_θ(a | s_t)
# pgverify: actions[n, t] = a_t
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: gamma = γ
def reinforce_loss(logits, actions, rewards, gamma):
    """REINFORCE through a Categorical distribution, the return built with a Python loop."""
    log_probs = Categorical(logits=logits).log_prob(actions)
    N, T = rewards.shape
    ret = torch.zeros(N)
    for t in range(T):
        ret += gamma ** t * rewards[:, t]
    return -(log_probs.sum(dim=1) * ret).mean()


# expect: unbiased
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: gamma = γ
# pgverify: returns reward-to-go
def reward_to_go_loss(log_probs, rewards, gamma):
    """Reward-to-go built backwards into a list, turned into a tensor with torch.stack."""
    T = rewards.shape[1]
    returns = []
    G = torch.zeros(rewards.shape[0])
    for t in reversed(range(T)):
        G = rewards[:, t] + gamma * G
        returns.insert(0, G)
    rtg = torch.stack(returns, dim=1)
    discount = gamma ** torch.arange(T)
    return -(discount * log_probs * rtg).sum(dim=1).mean()


# expect: unbiased
# pgverify: logits[n, t, a] = logits π_θ(a | s_t)
# pgverify: actions[n, t] = a_t
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: values[n, t] = V_θ(s_t)
# pgverify: depends V on θ
# pgverify: gamma = γ
def baseline_shared_network_loss(logits, actions, rewards, values, gamma):
    """A value head sharing the policy's network: its output is detached where it is subtracted."""
    log_probs = F.log_softmax(logits, dim=-1).gather(-1, actions.unsqueeze(-1)).squeeze(-1)
    T = rewards.shape[1]
    discount = torch.pow(gamma, torch.arange(T))
    rtg = torch.flip(torch.cumsum(torch.flip(discount * rewards, dims=[1]), dim=1), dims=[1])
    advantages = rtg - discount * values.detach()
    return -(log_probs * advantages).sum(1).mean()


# expect: unbiased
# pgverify: logits[n, t, a] = logits π_θ(a | s_t)
# pgverify: actions[n, t] = a_t
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: values[n, t] = V^π(s_t)
# pgverify: next_values[n, t] = V^π(s_{t+1})
# pgverify: gamma = γ
def actor_critic_loss(logits, actions, rewards, values, next_values, gamma):
    """One-step actor-critic with the policy's own values (a perfect critic), plus a critic loss."""
    dist = Categorical(logits=logits)
    log_probs = dist.log_prob(actions)
    with torch.no_grad():
        td_target = rewards + gamma * next_values
        advantages = td_target - values
    T = rewards.shape[1]
    discount = torch.tensor([gamma ** t for t in range(T)])
    policy_loss = -(discount * log_probs * advantages).sum(dim=1).mean()
    value_loss = F.mse_loss(values, td_target)
    return policy_loss + 0.5 * value_loss


# expect: unbiased
# pgverify: logits[n, t, a] = logits π_θ(a | s_t)
# pgverify: actions[n, t] = a_t
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: values[n, t] = V^π(s_t)
# pgverify: next_values[n, t] = V^π(s_{t+1})
# pgverify: gamma = γ
# pgverify: lam = λ
def gae_loss(logits, actions, rewards, values, next_values, gamma, lam):
    """GAE(γ, λ) with torch.gather on log_softmax, advantages written into a tensor."""
    log_probs = torch.log_softmax(logits, dim=2).gather(2, actions.unsqueeze(2)).squeeze(2)
    N, T = rewards.shape
    advantages = torch.zeros_like(rewards)
    last = torch.zeros(N)
    for t in reversed(range(T)):
        delta = rewards[:, t] + gamma * next_values[:, t] - values[:, t]
        last = delta + gamma * lam * last
        advantages[:, t] = last
    discount = gamma ** torch.arange(T).float()
    return -(discount * log_probs * advantages.detach()).sum(-1).mean()


# expect: unbiased
# pgverify: log_probs[n, t] = log π_θ(a_t | s_t)
# pgverify: rewards[n, t] = r(s_t, a_t)
# pgverify: values[n, t] = V_φ(s_t)
# pgverify: param φ
# pgverify: gamma = γ
def baseline_with_critic_loss(log_probs, rewards, values, gamma):
    """A separate critic: detached as the baseline, trained by its own regression loss in the same total."""
    T = rewards.shape[1]
    discount = gamma ** torch.arange(T)
    rtg = torch.flip(torch.cumsum(torch.flip(discount * rewards, dims=[1]), dim=1), dims=[1])
    advantages = rtg - discount * values.detach()
    policy_loss = -(log_probs * advantages).sum(dim=1).mean()
    critic_loss = ((discount * values - rtg) ** 2).mean()
    return policy_loss + critic_loss
