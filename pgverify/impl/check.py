"""The check: is the expected gradient of the function's loss the negative policy gradient?

The function's value is a surrogate loss L(θ) of a batch of N trajectories.
On each random world, E[∇_θ L] is computed exactly: the sum over every batch
of trajectories of its probability times ∇_θ L (the probabilities themselves
are not differentiated: they are how the batch was sampled).  A loss that is
a sum of one-trajectory terms (every batch mean is) is averaged one trajectory
at a time, after that shape is verified at random batches; anything else is
enumerated jointly.  The target is -∇_θ J(θ) with J(θ) = E[Σ_t γ^t r(s_t, a_t)]
(γ = 1 when no argument is bound to γ), computed from the trajectory
probabilities' own derivatives: an independent route to the same number.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from ..falsify import jets
from ..falsify.models import unit
from ..falsify.tolerances import clearly_differ, close
from .bindings import Binding, Bindings
from .interpret import ImplError, Interpreter
from .tensor import Tensor
from .worlds import N_THETA, Inputs, Traj, World, needs_next_state

# worlds tried, in order; a verdict needs DECISIVE of them (a world is skipped when too large to enumerate)
MAX_WORLDS = 6
DECISIVE = 4
# batches a loss that is not a sum of one-trajectory terms may enumerate jointly
MAX_JOINT = 1500
SEPARABILITY_PROBES = 3
# a world whose true gradient is this small (relative to 1) decides nothing
TINY_GRADIENT = 1e-9


class TooLarge(Exception):
    """This world has too many batches to average the loss exactly."""


@dataclass
class WorldResult:
    world: World
    got: list[float]
    expected: list[float]
    n: int = 1     # trajectories per batch (1 for a function of one trajectory)


@dataclass
class Judgement:
    verdict: str                   # unbiased, scaled, biased, ascent, unknown
    scale: str | None = None       # the factor, for scaled and ascent
    witness: WorldResult | None = None
    reason: str = ""
    worlds: list[WorldResult] = field(default_factory=list)

    @property
    def fine(self) -> bool:
        return self.verdict in ("unbiased", "scaled")


class Checker:
    """Evaluates one function on the random worlds (the file parsed once, the function interpreted per batch)."""

    def __init__(self, interp: Interpreter, fdef: ast.FunctionDef, bindings: Bindings, seed: int = 0):
        self.interp, self.fdef, self.bindings, self.seed = interp, fdef, bindings, seed
        self.batched = any("n" in b.axes for b in bindings.args.values())
        self.discounted = any(b.kind == "gamma" for b in bindings.args.values())

    def worlds(self) -> list[World]:
        nxt = needs_next_state(self.bindings)
        return [World(self.seed, i, nxt) for i in range(MAX_WORLDS)]

    # ------------------------------------------------------------ one world

    def loss(self, fdef: ast.FunctionDef, inputs: Inputs, batch: list[Traj],
             overrides: dict[str, Binding] | None) -> tuple[float, float]:
        """The loss's value and its derivative in the jet's θ component on one batch."""
        args = inputs.arguments(batch, overrides)
        v = self.interp.run(fdef, [], args)
        if isinstance(v, Tensor):
            if v.shape and len(v.data) != 1:
                raise ImplError(f"{fdef.name}() returns an array of shape {v.shape}: a loss is one number"
                                " (sum or average it)", fdef.lineno, fdef.col_offset + 1)
            v = v.data[0]
        if isinstance(v, bool) or not isinstance(v, (int, float, jets.Jet)):
            raise ImplError(f"{fdef.name}() returns {type(v).__name__ if v is not None else 'None'}, not a number:"
                            " the loss must be one number", fdef.lineno, fdef.col_offset + 1)
        return jets.value(v), jets.value(jets.derivative(v, 0))

    def on_world(self, world: World, fdef: ast.FunctionDef | None = None,
                 overrides: dict[str, Binding] | None = None) -> WorldResult:
        """E[∇L] and -∇J on one world."""
        fdef = fdef or self.fdef
        gamma = world.gamma if self.discounted else 1.0
        trajs = world.trajectories()
        n = world.N if self.batched else 1
        plain = world.log_policy(world.logits(world.thetas(None)))
        weights = [jets.value(world.probability(tr, plain)) for tr in trajs]
        got = []
        separable: bool | None = None
        for k in range(N_THETA):
            inputs = Inputs(world, self.bindings, k, gamma)

            def g(batch: list[Traj], inputs: Inputs = inputs) -> tuple[float, float]:
                return self.loss(fdef, inputs, batch, overrides)
            if separable is None:
                separable = n == 1 or self._separable(g, trajs, n, world)
            got.append(self._mean(g, trajs, weights, n, separable))
        expected = self.target(world, trajs, gamma)
        return WorldResult(world, got, expected, n)

    def _separable(self, g: Any, trajs: list[Traj], n: int, world: World) -> bool:
        base = [trajs[0]] * n
        g0 = g(base)
        for probe in range(SEPARABILITY_PROBES):
            choice = [trajs[int(unit(world.seed, world.index, "probe", probe, i) * len(trajs))] for i in range(n)]
            whole = g(choice)
            parts = [-(n - 1) * x for x in g0]
            for i in range(n):
                gi = g(base[:i] + [choice[i]] + base[i + 1:])
                parts = [p + x for p, x in zip(parts, gi)]
            if not all(close(a, b) for a, b in zip(whole, parts)):
                return False
        return True

    def _mean(self, g: Any, trajs: list[Traj], weights: list[float], n: int, separable: bool) -> float:
        if separable:
            base = [trajs[0]] * n
            total = -(n - 1) * g(base)[1]
            for i in range(n):
                for tr, w in zip(trajs, weights):
                    if w:
                        total += w * g(base[:i] + [tr] + base[i + 1:])[1]
            return total
        if len(trajs) ** n > MAX_JOINT:
            raise TooLarge()
        total = 0.0
        for combo in itertools.product(range(len(trajs)), repeat=n):
            w = 1.0
            for c in combo:
                w *= weights[c]
            if w:
                total += w * g([trajs[c] for c in combo])[1]
        return total

    @staticmethod
    def target(world: World, trajs: list[Traj], gamma: float) -> list[float]:
        """-∇_θ J(θ), J = Σ_τ p_θ(τ) Σ_t γ^t r(s_t, a_t), from the derivatives of p_θ(τ)."""
        out = []
        for k in range(N_THETA):
            logp = world.log_policy(world.logits(world.thetas(k)))
            total: jets.Value = 0.0
            for tr in trajs:
                total = jets.add(total, jets.mul(world.probability(tr, logp), world.discounted_return(tr, gamma)))
            out.append(-jets.value(jets.derivative(total, 0)))
        return out

    # ------------------------------------------------------------ all worlds

    def evaluate(self, fdef: ast.FunctionDef | None = None, overrides: dict[str, Binding] | None = None,
                 worlds: list[World] | None = None) -> tuple[list[WorldResult], int]:
        """Results on the worlds (up to DECISIVE decided ones) and how many were skipped as too large."""
        results, skipped = [], 0
        for world in worlds or self.worlds():
            try:
                r = self.on_world(world, fdef, overrides)
            except TooLarge:
                skipped += 1
                continue
            if max(abs(x) for x in r.expected) <= TINY_GRADIENT:
                continue
            results.append(r)
            if len(results) >= DECISIVE:
                break
        return results, skipped


def judge(results: list[WorldResult], skipped: int = 0) -> Judgement:
    """The verdict from E[∇L] and -∇J on every world."""
    if len(results) < 2:
        why = "too few worlds were small enough to average the loss exactly" if skipped else \
            "the true gradient vanishes on the worlds tried"
        return Judgement("unknown", reason=why, worlds=results)
    factors: list[float | None] = []
    for r in results:
        if all(close(a, b) for a, b in zip(r.got, r.expected)):
            factors.append(1.0)
            continue
        ee = sum(x * x for x in r.expected)
        c = sum(a * b for a, b in zip(r.got, r.expected)) / ee
        proportional = all(not clearly_differ(a, c * b) for a, b in zip(r.got, r.expected))
        factors.append(c if proportional and abs(c) > 1e-9 else None)
    if all(f == 1.0 for f in factors):
        return Judgement("unbiased", worlds=results)
    for r, f in zip(results, factors):
        if f is None:
            return Judgement("biased", witness=r, worlds=results)
    signs = {f > 0 for f in factors if f is not None}
    witness = next(r for r, f in zip(results, factors) if f != 1.0)
    if len(signs) > 1:
        return Judgement("biased", witness=witness, worlds=results)
    positive = signs.pop()
    formula = factor_formula([abs(f) for f in factors if f is not None], results)
    if positive and formula == "1":
        return Judgement("unbiased", worlds=results)
    if formula is None:
        shown = ", ".join(f"{abs(f):.4g}" for f in factors if f is not None)
        return Judgement("unknown" if positive else "ascent", witness=witness, worlds=results,
                         scale=None,
                         reason=f"a {'positive' if positive else 'negative'} multiple of the policy gradient on every"
                                f" world, by factors ({shown}) that follow no formula in N and T")
    if not positive:
        formula = "-" + formula
    return Judgement("scaled" if positive else "ascent", scale=formula, witness=witness, worlds=results)


def _nice(x: float) -> str | None:
    fr = Fraction(x).limit_denominator(24)
    if not close(float(fr), x):
        return None
    return str(fr.numerator) if fr.denominator == 1 else f"{fr.numerator}/{fr.denominator}"


def factor_formula(factors: list[float], results: list[WorldResult]) -> str | None:
    """The factor as κ·N^a·T^b, the simplest that fits every world (None when none does)."""
    candidates = [(0, 0), (0, -1), (-1, 0), (1, 0), (0, 1), (-1, -1), (1, -1), (-1, 1), (1, 1)]
    for a, b in candidates:
        kappas = [f / (r.n ** a * r.world.T ** b) for f, r in zip(factors, results)]
        if not all(close(k, kappas[0]) for k in kappas):
            continue
        kappa = _nice(kappas[0])
        if kappa is None:
            continue
        num = [p for p, e in (("N", a), ("T", b)) if e > 0]
        den = [p for p, e in (("N", a), ("T", b)) if e < 0]
        head = "·".join(([kappa] if kappa != "1" or not num else []) + num)
        if "/" in head and den:
            n_, d_ = kappa.split("/")
            head, den = n_, [d_] + den
        if not den:
            return head
        return f"{head}/{den[0] if len(den) == 1 else '(' + '·'.join(den) + ')'}"
    return None
