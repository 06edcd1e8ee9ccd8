"""The random finite models and the values that live in them.

A model fixes small state/action/sample spaces, a horizon, a discount and a
value for each parameter.  Every random number comes from a hash of the seed
and the thing it is for (``unit``), so a report is the same on every run and
every machine.  The shapes and ranges below are the whole design space of the
models: change them here and nowhere else.
"""

from __future__ import annotations

import hashlib
import itertools
import struct
from dataclasses import field
from typing import Any, NamedTuple

from .. import model as m
from ..model.records import finish, record
from ..semantics import ACTION, STATE
from . import jets

# (states, actions, horizon) of the implementation worlds (``impl``) and of a derivation step's first two
# models: the cheapest, so a symbolic proof's cross-check uses only those.
MODEL_SHAPES: tuple[tuple[int, int, int], ...] = (
    (2, 2, 2), (3, 3, 1), (2, 2, 3), (3, 2, 2), (2, 3, 2), (3, 2, 1), (2, 2, 4), (2, 3, 3),
)
# the shapes of a derivation step's models, tried in this order: after the two cheap ones, up to 5 states,
# 5 actions and a horizon of 5, so that a claim true only for few actions, a short horizon or a small
# space fails on another shape (every one small enough to enumerate every trajectory; the cheaper first,
# since an expensive step stops adding models once enough agree)
STEP_SHAPES: tuple[tuple[int, int, int], ...] = (
    (2, 2, 2), (3, 3, 1), (5, 5, 1), (4, 4, 2), (2, 5, 2), (5, 2, 2), (3, 2, 3), (2, 2, 5), (3, 3, 3), (2, 3, 4),
)
# Ranges are written (low, width), so a draw is exactly ``low + width * u`` for a uniform u in [0, 1).
# The implementation worlds draw parameters in [-1.2, 1.2]; a derivation step's models draw them from
# the ranges of STEP_THETA_RANGES in turn: moderate, wide, and far out (where a softmax policy is close
# to deterministic), so that a claim true only for small parameters fails.
THETA_RANGE = (-1.2, 2.4)
STEP_THETA_RANGES: tuple[tuple[float, float], ...] = ((-1.5, 3.0), (-1.5, 3.0), (-4.0, 8.0), (-8.0, 16.0))
# the logits of a distribution are multiplied by one of these (in turn): at 4 a policy's logits reach
# about ±8, nearly deterministic; at 1 it is close to uniform
LOGIT_SCALES = (1.0, 1.0, 1.0, 1.0, 4.0, 1.0, 2.5, 1.0, 4.0, 1.0)
# the discount lies in [0.1, 0.95]: away from 0 (which would hide a missing γ^t) and from 1
GAMMA_RANGE = (0.1, 0.85)
# a value that depends on nothing real (an element of a finite space used as a number, a function of
# discrete arguments only) is a fixed real in [-2, 2]
FIXED_REAL_RANGE = (-2.0, 4.0)
# the fixed reals of a model (functions of discrete arguments only, elements used as numbers) are scaled
# by VALUE_SCALES[index] in turn: one model keeps them small (|v| ≤ 0.08), so a claim true only for values
# of about 1 or more (Σ f h ≤ Σ f² Σ h², x ≤ x²) fails there; the others leave them in FIXED_REAL_RANGE
VALUE_SCALES = (1.0, 1.0, 1.0, 0.02, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
# a free real's magnitude lies in [0.1, 6.0] (never near 0, so a dropped factor shows; on both sides of
# 1, so x ≤ x² is not taken for granted); it is positive with probability FREE_REAL_POSITIVE
FREE_REAL_MAGNITUDE = (0.1, 5.9)
FREE_REAL_POSITIVE = 0.6
# a parameter the model did not draw (never expected: every declared parameter is drawn) takes this value
DEFAULT_THETA = 0.3
# sample counts N of the implementation worlds; a derivation step's models take N, and the size of a data
# set D, from STEP_SAMPLE_COUNTS in turn (1 to 6: an estimate right only for some N fails on another)
SAMPLE_COUNTS = (2, 3)
STEP_SAMPLE_COUNTS = (2, 3, 1, 6, 4, 5, 2, 3, 1, 6)
STEP_DATASET_SIZES = (2, 3, 6, 1, 5, 4, 3, 2, 6, 1)
DATASET_SIZE = 2
# a domain other than states and actions has 2 to 5 elements
DOMAIN_SIZES = (2, 5)
# a random function is a polynomial of degree 2 to MAX_DEGREE in each real argument, plus an exponential
# of each argument and a product of each pair (so no two arguments play symmetric roles)
MAX_DEGREE = 5
# a step's extra models have spaces and a horizon beyond its literal integers, up to this far (so that
# one model stays small)
MAX_BEYOND = 40
# limits that keep one model's evaluation small: past them the step is unknown, never guessed
MAX_TERMS = 5000           # terms a single sum or distribution may enumerate
# trajectories of a model's shape at most (its spaces shrink to fit): an expectation over trajectories
# is enumerated in every model, and a few hundred keep a step well inside its time limit
MAX_TRAJECTORIES = 700
MAX_EVALUATIONS = 400_000  # elementary operations before a model gives up
# random constants are rounded so a counterexample reads well (and prints the same everywhere)
PARAM_DIGITS = 4
VALUE_DIGITS = 6


class Unsupported(Exception):
    """A construct the numeric models cannot evaluate; the step becomes ``unknown``."""


class TooLarge(Unsupported):
    """This model is too large for an exact average; a smaller model may still decide."""


class NameProblem(Exception):
    """A user mistake found while evaluating (e.g. ∇ in an undeclared parameter)."""

    def __init__(self, message: str, span: m.Span):
        super().__init__(message)
        self.span = span


def unit(*key: Any) -> float:
    """A reproducible number in [0, 1) for ``key``."""
    digest = hashlib.blake2b(repr(key).encode(), digest_size=8).digest()
    return struct.unpack("<Q", digest)[0] / 2.0**64


def between(low_width: tuple[float, float], u: float) -> float:
    """The point a fraction ``u`` of the way across the range ``(low, width)``."""
    low, width = low_width
    return low + width * u


# --------------------------------------------------------------------------- values


class Elem(NamedTuple):
    """A value of a finite domain: state 2, action 0, x 1 (a tuple: hashing is on the hot path)."""

    domain: str
    index: int

    def __str__(self) -> str:
        return f"{self.domain[0] if self.domain in (STATE, ACTION) else self.domain}{self.index}"


class Traj(NamedTuple):
    """A trajectory: its states and actions from time ``start`` on.

    ``start`` is the first time step of the trajectory distribution's definition: 0 by default
    (``ρ0(s_0) prod_{t=0}^{T-1} …``), 1 in notes that count from one (``p(s_1) prod_{t=1}^{T} …``), so
    that a trajectory has exactly the components its distribution weighs and no unweighted ``s_0``.
    """

    states: tuple[int, ...]
    actions: tuple[int, ...]
    start: int = 0

    def component(self, attr: str, t: int) -> int:
        """State or action (``attr``) at time ``t``; a time outside the trajectory is unsupported, never
        a guess (in notes that count from one, ``s_0`` does not exist)."""
        seq = self.states if attr == "states" else self.actions
        if not 0 <= t - self.start < len(seq):
            letter = "s" if attr == "states" else "a"
            raise Unsupported(f"the trajectory has no {letter}_{t} (time steps run from {self.start} to"
                              f" {self.start + len(seq) - 1} in this model)")
        return seq[t - self.start]

    def with_component(self, attr: str, t: int, value: int) -> Traj | None:
        """This trajectory with its state or action at time ``t`` replaced (None: no such time)."""
        seq = list(self.states if attr == "states" else self.actions)
        if not 0 <= t - self.start < len(seq):
            return None
        seq[t - self.start] = value
        return self._replace(**{attr: tuple(seq)})

    def __str__(self) -> str:
        parts = []
        for t in range(max(len(self.states), len(self.actions))):
            if t < len(self.states):
                parts.append(f"s{self.states[t]}")
            if t < len(self.actions):
                parts.append(f"a{self.actions[t]}")
        # a trajectory from time 1 says so: its first state is s_1, not s_0
        return ("(" if not self.start else f"(from t={self.start}: ") + " ".join(parts) + ")"


class Shape(NamedTuple):
    """How the trajectories of a model are laid out: first time step, number of states and of actions."""

    start: int
    n_states: int
    n_actions: int

    @staticmethod
    def read_off(states: list[int], actions: list[int], horizon: int) -> Shape:
        """The shape of the times a trajectory distribution's definition reads (``states``, ``actions``):
        from the first of them to the last; without any, the default ``s_0 … s_T``, ``a_0 … a_{T-1}``."""
        start = max(min(states + actions, default=0), 0)
        return Shape(start, max(states, default=horizon) + 1 - start, max(actions, default=horizon - 1) + 1 - start)

    def trajectories(self, n_state_values: int, n_action_values: int) -> list[Traj]:
        """Every trajectory of this shape over spaces of the given sizes."""
        return [Traj(states, actions, self.start)
                for states in itertools.product(range(n_state_values), repeat=self.n_states)
                for actions in itertools.product(range(n_action_values), repeat=self.n_actions)]


@record
class FunctionRef:
    """A function named without arguments (passed to another function as a value)."""

    key: str


def hashable(v: Any) -> Any:
    """``v`` as a cache key: a jet by identity (jets are not hashable by value)."""
    if isinstance(v, jets.Jet):
        return ("jet", id(v))
    return v


def show_value(v: Any) -> str:
    """A value as a counterexample prints it."""
    if isinstance(v, (int, float, jets.Jet)):
        return f"{jets.value(v):.6g}"
    return str(v)


# --------------------------------------------------------------------------- the model


@record(frozen=False, slots=False)
class Model:
    """The sizes and constants of one random finite model."""

    seed: int
    n_states: int
    n_actions: int
    horizon: int
    n_samples: int
    gamma: float
    theta: dict[str, float]
    domain_sizes: dict[str, int] = field(default_factory=dict)
    dataset_size: int = DATASET_SIZE
    logit_scale: float = 1.0
    value_scale: float = 1.0     # VALUE_SCALES: how large the model's fixed reals are

    @staticmethod
    def random(seed: int, index: int, params: list[str], beyond: int = 0, long: int = 0) -> Model:
        """The ``index``-th model for ``seed``, with a value for each parameter in ``params``.

        Past the STEP_SHAPES come the step's extra models, beyond ``beyond`` (its largest literal
        integer): one with spaces of ``beyond + 1`` values (at most 8) and horizon 1, one with a horizon
        of ``beyond + 1``.  ``long`` is the largest literal time index or sum bound (``s_10``,
        ``sum_{t=0}^{10}``): every model is long enough for it.
        """
        k = len(STEP_SHAPES)
        wide = min(max(beyond + 1, 6), MAX_BEYOND)
        if index == k:
            n_states, n_actions, horizon = min(wide, 8), min(wide, 8), 1
        elif index > k:
            n_states, n_actions, horizon = 2, 2, wide
        else:
            n_states, n_actions, horizon = STEP_SHAPES[index]
        if horizon <= long < MAX_BEYOND:
            horizon = long + 1   # a literal time index s_10 must exist in every model
        n_states, n_actions = _enumerable(n_states, n_actions, horizon)
        theta_range = STEP_THETA_RANGES[index % len(STEP_THETA_RANGES)]
        theta = {p: round(between(theta_range, unit(seed, index, "param", p)), PARAM_DIGITS) for p in params}
        return Model(seed=seed * 1000 + index, n_states=n_states, n_actions=n_actions, horizon=horizon,
                     n_samples=STEP_SAMPLE_COUNTS[index % len(STEP_SAMPLE_COUNTS)],
                     gamma=round(between(GAMMA_RANGE, unit(seed, index, "γ")), PARAM_DIGITS), theta=theta,
                     dataset_size=STEP_DATASET_SIZES[index % len(STEP_DATASET_SIZES)],
                     logit_scale=LOGIT_SCALES[index % len(LOGIT_SCALES)],
                     value_scale=VALUE_SCALES[index % len(VALUE_SCALES)] if index < k else 1.0)

    def covered(self) -> dict[str, Any]:
        """What this model contributes to a ``checked`` verdict's coverage (sizes, horizon, N, |D|)."""
        return {"states": self.n_states, "actions": self.n_actions, "horizon": self.horizon,
                "N": self.n_samples, "|D|": self.dataset_size,
                "theta": [min(self.theta.values(), default=0.0), max(self.theta.values(), default=0.0)]}

    def size(self, domain: str) -> int:
        """How many elements ``domain`` has in this model."""
        if domain == STATE:
            return self.n_states
        if domain == ACTION:
            return self.n_actions
        if domain not in self.domain_sizes:
            low, high = DOMAIN_SIZES
            # the sizes of the first models cycle through the whole range, the rest are random in it
            turn = self.seed % 1000
            self.domain_sizes[domain] = low + (turn % (high - low + 1) if turn < 8 else
                                               int(unit(self.seed, "size", domain) * (high - low + 1)))
        return self.domain_sizes[domain]

    def describe(self) -> dict[str, Any]:
        """The model as a counterexample reports it."""
        out: dict[str, Any] = {"states": self.n_states, "actions": self.n_actions, "horizon": self.horizon}
        out.update({f"|{d}|": n for d, n in sorted(self.domain_sizes.items())})
        out.update(self.theta)
        return out


def _enumerable(n_states: int, n_actions: int, horizon: int) -> tuple[int, int]:
    """Spaces shrunk (the larger first) until every trajectory of the horizon can be enumerated cheaply."""
    while n_states ** (horizon + 1) * n_actions ** horizon > MAX_TRAJECTORIES and max(n_states, n_actions) > 1:
        if n_states >= n_actions:
            n_states -= 1
        else:
            n_actions -= 1
    return n_states, n_actions


def smooth(u: Any, tag: tuple, reals: list[jets.Value]) -> jets.Value:
    """A random smooth function of the real inputs, drawn from ``u(*tag, …)``.

    c0 + Σ_j p_j(x_j) + Σ_j a_j exp(b_j x_j) + Σ_{j<k} c_jk x_j x_k, with p_j a polynomial of degree 2 to
    MAX_DEGREE (coefficients shrinking as 1/k!, so wide parameter ranges stay finite).  Each argument
    has its own coefficients and rate, so no two arguments play symmetric roles, and no derivative of
    order ≤ MAX_DEGREE vanishes identically.
    """
    acc: jets.Value = 2.0 * u(*tag, "c0") - 1.0
    factorial = (1.0, 1.0, 2.0, 6.0, 24.0, 120.0, 720.0)
    for j, x in enumerate(reals):
        degree = 2 + int(u(*tag, j, "deg") * (MAX_DEGREE - 1))
        poly: jets.Value = (2.0 * u(*tag, j, "c", degree) - 1.0) / factorial[degree]
        for k in range(degree - 1, 0, -1):     # Horner: (((c_d x + c_{d-1}) x + …) x + c_1) x
            poly = jets.add(jets.mul(poly, x), (2.0 * u(*tag, j, "c", k) - 1.0) / factorial[k])
        acc = jets.add(acc, jets.mul(poly, x))
        rate = 1.2 * u(*tag, j, "b") - 0.6
        acc = jets.add(acc, jets.mul(jets.exp(jets.mul(x, rate)), 0.8 * u(*tag, j, "a") - 0.4))
        for i in range(j):
            acc = jets.add(acc, jets.mul(jets.mul(reals[i], x), 1.2 * u(*tag, i, j, "x") - 0.6))
    return acc


class Env:
    """Bound variables and the current trajectory (what ``s_t`` refers to)."""

    __slots__ = ("bindings", "traj")

    def __init__(self, bindings: dict[str, Any] | None = None, traj: Traj | None = None):
        self.bindings = bindings or {}
        self.traj = traj

    def bind(self, key: str, val: Any) -> Env:
        """A new environment with ``key`` bound to ``val`` (a trajectory also becomes the current one)."""
        b = dict(self.bindings)
        b[key] = val
        return Env(b, val if isinstance(val, Traj) else self.traj)


finish(__name__)   # the methods of this module's records, made at once (see model/records.py)
