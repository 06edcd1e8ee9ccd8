"""Random finite MDPs for checking an implementation, built on the derivation models' shapes and ranges.

A world takes its sizes (states, actions, horizon T, batch size N), its
discount and its parameter values from ``falsify.models`` (the same design
space as the derivation checks), and draws its tables from the same hash of
the seed: an initial distribution, transitions, rewards, and a softmax
policy whose logits are smooth in two policy parameters θ1, θ2 (with a cross
term, so the gradient's two components are not proportional by accident).
Functions bound to the model (V_φ, Q_φ, a learned r or p declared to depend
on θ) carry the value of their table and, when declared, a derivative in θ
that the true objective does not have.  ``V^π`` and ``Q^π`` are the policy's
exact (time-dependent) values.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

from ..falsify import jets
from ..falsify.models import (
    FIXED_REAL_RANGE,
    GAMMA_RANGE,
    MODEL_SHAPES,
    PARAM_DIGITS,
    SAMPLE_COUNTS,
    THETA_RANGE,
    VALUE_DIGITS,
    between,
    unit,
)
from .bindings import Binding, Bindings
from .tensor import Tensor

N_THETA = 2
# λ of GAE lies in [0.5, 0.9]: away from 0 and 1, where GAE reduces to a TD or Monte-Carlo advantage
LAMBDA_RANGE = (0.5, 0.4)
# logit coefficients of the parameters lie in [-1.5, 1.5]
COEF_RANGE = (-1.5, 3.0)


def _r(*key: Any, rng: tuple[float, float] = FIXED_REAL_RANGE) -> float:
    return round(between(rng, unit(*key)), VALUE_DIGITS)


@dataclass(frozen=True)
class Traj:
    states: tuple[int, ...]
    actions: tuple[int, ...]

    def __str__(self) -> str:
        return " ".join(f"s{s} a{a}" for s, a in zip(self.states, self.actions)) + \
            (f" s{self.states[-1]}" if len(self.states) > len(self.actions) else "")


class World:
    """One random finite MDP with a batch size: ``World.make(seed, index)``."""

    def __init__(self, seed: int, index: int, next_state: bool):
        self.seed, self.index = seed, index
        self.S, self.A, self.T = MODEL_SHAPES[index % len(MODEL_SHAPES)]
        self.N = SAMPLE_COUNTS[index % len(SAMPLE_COUNTS)]
        self.gamma = round(between(GAMMA_RANGE, unit(seed, index, "γ")), PARAM_DIGITS)
        self.lam = round(between(LAMBDA_RANGE, unit(seed, index, "λ")), PARAM_DIGITS)
        self.theta = [round(between(THETA_RANGE, unit(seed, index, "θ", k)), PARAM_DIGITS) for k in range(N_THETA)]
        self.phi = round(between(THETA_RANGE, unit(seed, index, "φ")), PARAM_DIGITS)
        self.next_state = next_state
        key = (seed, index)
        raw_rho = [math.exp(_r(*key, "ρ", s)) for s in range(self.S)]
        self.rho = [x / sum(raw_rho) for x in raw_rho]
        self.trans = []
        for s in range(self.S):
            row = []
            for a in range(self.A):
                raw = [math.exp(_r(*key, "P", s, a, s2)) for s2 in range(self.S)]
                row.append([x / sum(raw) for x in raw])
            self.trans.append(row)
        self.reward = [[_r(*key, "r", s, a) for a in range(self.A)] for s in range(self.S)]
        self.coef = [[[_r(*key, "c", s, a, k, rng=COEF_RANGE) for k in range(N_THETA + 2)] for a in range(self.A)]
                     for s in range(self.S)]

    def describe(self) -> dict[str, Any]:
        """The world as a counterexample reports it."""
        return {"states": self.S, "actions": self.A, "horizon": self.T, "trajectories": self.N, "γ": self.gamma,
                **{f"θ{k + 1}": v for k, v in enumerate(self.theta)}}

    # ------------------------------------------------------------ the policy, as jets in one θ component

    def thetas(self, k: int | None) -> list[jets.Value]:
        """θ with component ``k`` a jet (None: plain numbers)."""
        return [jets.make(0, v, 1) if j == k else v for j, v in enumerate(self.theta)]

    def logits(self, th: list[jets.Value]) -> list[list[jets.Value]]:
        out = []
        for s in range(self.S):
            row = []
            for a in range(self.A):
                c = self.coef[s][a]
                v = jets.add(jets.add(jets.mul(c[0], th[0]), jets.mul(c[1], th[1])),
                             jets.add(jets.scale(jets.mul(th[0], th[1]), c[2] / 2), c[3]))
                row.append(v)
            out.append(row)
        return out

    def log_policy(self, logits: list[list[jets.Value]]) -> list[list[jets.Value]]:
        out = []
        for row in logits:
            top = max(jets.value(x) for x in row)
            total: jets.Value = 0.0
            for x in row:
                total = jets.add(total, jets.exp(jets.sub(x, top)))
            lz = jets.add(jets.log(total), top)
            out.append([jets.sub(x, lz) for x in row])
        return out

    # ------------------------------------------------------------ trajectories

    def trajectories(self) -> list[Traj]:
        n_states = self.T + 1 if self.next_state else self.T
        out = []
        for states in itertools.product(range(self.S), repeat=n_states):
            for actions in itertools.product(range(self.A), repeat=self.T):
                out.append(Traj(states, actions))
        return out

    def probability(self, tr: Traj, logp: list[list[jets.Value]]) -> jets.Value:
        p: jets.Value = self.rho[tr.states[0]]
        for t, a in enumerate(tr.actions):
            s = tr.states[t]
            p = jets.mul(p, jets.exp(logp[s][a]))
            if t + 1 < len(tr.states):
                p = jets.mul(p, self.trans[s][a][tr.states[t + 1]])
        return p

    def discounted_return(self, tr: Traj, gamma: float) -> float:
        return sum(gamma ** t * self.reward[s][a] for t, (s, a) in enumerate(zip(tr.states, tr.actions)))

    def values(self, logp: list[list[float]], gamma: float) -> tuple[list[list[float]], list[list[list[float]]]]:
        """V^π_t(s) for t = 0..T (V^π_T = 0) and Q^π_t(s, a) for t < T, by backward induction."""
        V = [[0.0] * self.S for _ in range(self.T + 1)]
        Q = [[[0.0] * self.A for _ in range(self.S)] for _ in range(self.T)]
        for t in range(self.T - 1, -1, -1):
            for s in range(self.S):
                for a in range(self.A):
                    nxt = sum(self.trans[s][a][s2] * V[t + 1][s2] for s2 in range(self.S)) if t + 1 < self.T else 0.0
                    Q[t][s][a] = self.reward[s][a] + gamma * nxt
                V[t][s] = sum(math.exp(jets.value(logp[s][a])) * Q[t][s][a] for a in range(self.A))
        return V, Q

    # ------------------------------------------------------------ the arguments of the function

    def drift(self, th: list[jets.Value], *key: Any) -> jets.Value:
        """A quantity that is 0 at this world's θ but has a derivative: a learned function's dependence on θ."""
        acc: jets.Value = 0.0
        for k in range(N_THETA):
            acc = jets.add(acc, jets.mul(_r(self.seed, self.index, "drift", *key, k),
                                         jets.sub(th[k], self.theta[k])))
        return acc


class Inputs:
    """Builds the function's arguments for a batch of trajectories, for one θ component's jets."""

    def __init__(self, world: World, bindings: Bindings, k: int | None, gamma: float, critic: bool = False):
        self.world, self.bindings = world, bindings
        # with ``critic``, a learned V_φ or Q_φ also varies with its own parameter (a jet of rank 1)
        self.phi = jets.make(1, world.phi, 1) if critic else None
        self.th = world.thetas(k)
        self.logits = world.logits(self.th)
        self.logp = world.log_policy(self.logits)
        plain = world.log_policy(world.logits(world.thetas(None)))
        self.V, self.Q = world.values(plain, gamma)
        self.gamma = gamma

    def arguments(self, batch: list[Traj], overrides: dict[str, Binding] | None = None) -> dict[str, Any]:
        out = {}
        for name, b in self.bindings.args.items():
            b = (overrides or {}).get(name, b)
            out[name] = self.argument(b, batch)
        return out

    def argument(self, b: Binding, batch: list[Traj]) -> Any:
        w = self.world
        if b.kind == "gamma":
            return self.gamma
        if b.kind == "lambda":
            return w.lam
        if b.kind == "horizon":
            return w.T
        if b.kind == "count":
            return len(batch)
        if b.kind == "number":
            return b.number
        sizes = {"n": len(batch), "t": w.T, "a": w.A}
        shape = tuple(sizes[a] for a in b.axes)
        data = []
        for idx in itertools.product(*[range(sizes[a]) for a in b.axes]):
            pos = dict(zip(b.axes, idx))
            data.append(self._element(b, batch[pos.get("n", 0)], pos["t"], pos.get("a")))
        return Tensor(shape, data)

    def _element(self, b: Binding, tr: Traj, t: int, a: int | None) -> Any:
        v = self._raw(b, tr, t, a)
        if b.stopped:
            v = jets.value(v) if isinstance(v, jets.Jet) else v
        if b.discounted:
            v = jets.mul(v, self.gamma ** t)
        return v

    def _critic(self, base: float, b: Binding, *key: Any) -> jets.Value:
        if self.phi is None or b.stopped or not is_critic(b, self.bindings):
            return base
        slope = _r(self.world.seed, self.world.index, "φ-slope", *key)
        return jets.add(base, jets.mul(slope, jets.sub(self.phi, self.world.phi)))

    def _raw(self, b: Binding, tr: Traj, t: int, a: int | None) -> Any:
        w = self.world
        s, act = tr.states[t], tr.actions[t]
        kind = b.kind
        if kind == "logp":
            return self.logp[s][act if a is None else a]
        if kind == "prob":
            return jets.exp(self.logp[s][act if a is None else a])
        if kind == "logits":
            return self.logits[s][a]
        if kind == "action":
            return act
        if kind == "state":
            return s
        if kind == "reward":
            r = w.reward[s][act]
            return jets.add(r, w.drift(self.th, "r", s, act)) if "r" in self.bindings.depends else r
        if kind == "value":
            tt, ss = (t + 1, tr.states[t + 1]) if b.next_state else (t, s)
            if b.sub == "π":
                return self.V[tt][ss]
            base = self._critic(_r(w.seed, w.index, "V", b.func, b.sub, ss), b, "V", ss)
            return jets.add(base, w.drift(self.th, "V", ss)) if "V" in self.bindings.depends else base
        if kind == "qvalue":
            if b.sub == "π":
                return self.Q[t][s][act]
            base = self._critic(_r(w.seed, w.index, "Q", b.sub, s, act), b, "Q", s, act)
            return jets.add(base, w.drift(self.th, "Q", s, act)) if "Q" in self.bindings.depends else base
        if kind == "logtrans":
            s2 = tr.states[t + 1]
            lp = math.log(w.trans[s][act][s2])
            return jets.add(lp, w.drift(self.th, "p", s, act, s2)) if "p" in self.bindings.depends else lp
        raise AssertionError(kind)


def is_critic(b: Binding, bindings: Bindings) -> bool:
    """A learned value whose own parameters the loss trains (V_φ with ``param φ``), not shared with the policy."""
    return b.kind in ("value", "qvalue") and b.sub in bindings.params and b.sub not in ("π", "θ") \
        and b.func not in bindings.depends


def needs_next_state(bindings: Bindings) -> bool:
    return any(b.next_state or b.kind == "logtrans" for b in bindings.args.values())
