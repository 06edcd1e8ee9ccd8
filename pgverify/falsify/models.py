"""The random finite models and the values that live in them.

A model fixes small state/action/sample spaces, a horizon, a discount and a
value for each parameter.  Every random number comes from a hash of the seed
and the thing it is for (``unit``), so a report is the same on every run and
every machine.  The shapes and ranges below are the whole design space of the
models: change them here and nowhere else.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .. import model as m
from ..semantics import ACTION, STATE
from . import jets

# (states, actions, horizon) of the models, tried in this order: small enough to enumerate every
# trajectory, varied enough that a claim true only for two actions or a short horizon fails on another
# shape.  The first two are the cheapest: a symbolic proof's cross-check uses only those.
MODEL_SHAPES: tuple[tuple[int, int, int], ...] = (
    (2, 2, 2), (3, 3, 1), (2, 2, 3), (3, 2, 2), (2, 3, 2), (3, 2, 1), (2, 2, 4), (2, 3, 3),
)
# Ranges are written (low, width), so a draw is exactly ``low + width * u`` for a uniform u in [0, 1).
# Parameters lie in [-1.2, 1.2]: both signs, and small enough that exp() of a smooth function of them
# stays well inside floating point.
THETA_RANGE = (-1.2, 2.4)
# the discount lies in [0.3, 0.9]: away from 0 (which would hide a missing γ^t) and from 1
GAMMA_RANGE = (0.3, 0.6)
# a value that depends on nothing real (an element of a finite space used as a number, a function of
# discrete arguments only) is a fixed real in [-2, 2]
FIXED_REAL_RANGE = (-2.0, 4.0)
# a free real's magnitude lies in [0.3, 2.0] (never near 0, so a dropped factor shows); it is
# positive with probability FREE_REAL_POSITIVE
FREE_REAL_MAGNITUDE = (0.3, 1.7)
FREE_REAL_POSITIVE = 0.6
# a parameter the model did not draw (never expected: every declared parameter is drawn) takes this value
DEFAULT_THETA = 0.3
# sample counts N alternate between these two, and a data set D has DATASET_SIZE members: small, so
# that a Monte-Carlo average over every draw stays exact
SAMPLE_COUNTS = (2, 3)
DATASET_SIZE = 2
# a domain other than states and actions has 2 or 3 elements
DOMAIN_SIZES = (2, 3)
# limits that keep one model's evaluation small: past them the step is unknown, never guessed
MAX_TERMS = 5000           # terms a single sum or distribution may enumerate
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
    """A trajectory: states and actions from time 0."""

    states: tuple[int, ...]
    actions: tuple[int, ...]

    def __str__(self) -> str:
        parts = []
        for t in range(max(len(self.states), len(self.actions))):
            if t < len(self.states):
                parts.append(f"s{self.states[t]}")
            if t < len(self.actions):
                parts.append(f"a{self.actions[t]}")
        return "(" + " ".join(parts) + ")"


@dataclass(frozen=True, slots=True)
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


@dataclass
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

    @staticmethod
    def random(seed: int, index: int, params: list[str]) -> Model:
        """The ``index``-th model for ``seed``, with a value for each parameter in ``params``."""
        n_states, n_actions, horizon = MODEL_SHAPES[index % len(MODEL_SHAPES)]
        theta = {p: round(between(THETA_RANGE, unit(seed, index, "param", p)), PARAM_DIGITS) for p in params}
        return Model(seed=seed * 1000 + index, n_states=n_states, n_actions=n_actions, horizon=horizon,
                     n_samples=SAMPLE_COUNTS[index % len(SAMPLE_COUNTS)],
                     gamma=round(between(GAMMA_RANGE, unit(seed, index, "γ")), PARAM_DIGITS), theta=theta)

    def size(self, domain: str) -> int:
        """How many elements ``domain`` has in this model."""
        if domain == STATE:
            return self.n_states
        if domain == ACTION:
            return self.n_actions
        if domain not in self.domain_sizes:
            low, high = DOMAIN_SIZES
            self.domain_sizes[domain] = low + int(unit(self.seed, "size", domain) * (high - low + 1))
        return self.domain_sizes[domain]

    def describe(self) -> dict[str, Any]:
        """The model as a counterexample reports it."""
        out: dict[str, Any] = {"states": self.n_states, "actions": self.n_actions, "horizon": self.horizon}
        out.update({f"|{d}|": n for d, n in sorted(self.domain_sizes.items())})
        out.update(self.theta)
        return out


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
