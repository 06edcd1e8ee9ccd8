"""Random finite models: evaluate both sides of a step exactly and compare.

A model fixes small state/action/sample spaces, a horizon, a discount, a
value for each parameter, and random tables for every distribution and
function (θ-dependent ones vary smoothly in θ, with curvature).  Trajectory
sums and expectations are enumerated exactly; gradients come from jets
(``jets.py``).  Every random number comes from a hash of the seed and the
thing it is for, so a report is the same on every run and every machine.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import struct
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from . import jets
from . import model as m
from .semantics import (ACTION, REAL, STATE, TIME, TRAJ, TRAJECTORY_DIST, Context, FunctionInfo,
                        objective_definition, trajectory_definition)

MAX_TERMS = 5000          # terms a single sum may enumerate
MAX_EVALUATIONS = 400_000  # elementary operations before a model gives up
WORK_BUDGET = 150_000      # operations after which an expensive step stops adding models ...
MIN_MODELS = 3             # ... once at least this many agree


class Unsupported(Exception):
    """A construct the numeric models cannot evaluate; the step becomes ``unknown``."""


class TooLarge(Unsupported):
    """This model is too large for an exact average; a smaller model may still decide."""


class NameProblem(Exception):
    """A user mistake found while evaluating (e.g. ∇ in an undeclared parameter)."""

    def __init__(self, message: str, span: m.Span):
        super().__init__(message)
        self.span = span


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
    key: str


# --------------------------------------------------------------------------- the model


def _unit(*key: Any) -> float:
    """A reproducible number in [0, 1) for ``key``."""
    digest = hashlib.blake2b(repr(key).encode(), digest_size=8).digest()
    return struct.unpack("<Q", digest)[0] / 2.0**64


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
        # (states, actions, horizon): small enough to enumerate every trajectory, varied enough that
        # a claim true only for two actions or a short horizon fails on another shape; the first two are the cheapest (a proof's cross-check)
        shapes = [(2, 2, 2), (3, 3, 1), (2, 2, 3), (3, 2, 2), (2, 3, 2), (3, 2, 1), (2, 2, 4), (2, 3, 3)]
        n_states, n_actions, horizon = shapes[index % len(shapes)]
        theta = {p: round(-1.2 + 2.4 * _unit(seed, index, "param", p), 4) for p in params}
        return Model(seed=seed * 1000 + index, n_states=n_states, n_actions=n_actions, horizon=horizon,
                     n_samples=2 + index % 2, gamma=round(0.3 + 0.6 * _unit(seed, index, "γ"), 4), theta=theta)

    def size(self, domain: str) -> int:
        if domain == STATE:
            return self.n_states
        if domain == ACTION:
            return self.n_actions
        if domain not in self.domain_sizes:
            self.domain_sizes[domain] = 2 + int(_unit(self.seed, "size", domain) * 2)
        return self.domain_sizes[domain]

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"states": self.n_states, "actions": self.n_actions, "horizon": self.horizon}
        out.update({f"|{d}|": n for d, n in sorted(self.domain_sizes.items())})
        out.update(self.theta)
        return out


# --------------------------------------------------------------------------- evaluation


class Env:
    """Bound variables and the current trajectory (what ``s_t`` refers to)."""

    __slots__ = ("bindings", "traj")

    def __init__(self, bindings: dict[str, Any] | None = None, traj: Traj | None = None):
        self.bindings = bindings or {}
        self.traj = traj

    def bind(self, key: str, val: Any) -> Env:
        b = dict(self.bindings)
        b[key] = val
        return Env(b, val if isinstance(val, Traj) else self.traj)


def grad_orders(exprs: list[m.Expr], ctx: Context) -> dict[str, int]:
    """How deep gradients nest, per parameter (the jet order each parameter needs)."""
    orders: dict[str, int] = {}

    def walk(e: Any, depth: dict[str, int]) -> None:
        if isinstance(e, m.Grad):
            d = dict(depth)
            d[e.param] = d.get(e.param, 0) + 1
            orders[e.param] = max(orders.get(e.param, 0), d[e.param])
            walk(e.operand, d)
            return
        if isinstance(e, m.Expr):
            for child in _children(e):
                walk(child, depth)

    for e in exprs:
        walk(e, {})
    for info in ctx.functions.values():
        if info.body is not None:
            walk(info.body, {})
    return orders


def time_indices(exprs: list[m.Expr], ctx: Context) -> frozenset[str]:
    """Letters that index states or actions (``s_k``, ``a_{k+1}``): a free one stands for a time step."""
    found: set[str] = set()

    def walk(e: m.Expr) -> None:
        if isinstance(e, m.Name) and ctx.domain_of_base(e.base) in (STATE, ACTION) and len(e.sub) == 1:
            for n in _names(e.sub[0]):
                if ctx.domain_of_base(n.base) == REAL and n.key() not in ctx.constants and n.base not in ("T", "N"):
                    found.add(n.base)
        for child in _children(e):
            walk(child)

    for e in exprs:
        walk(e)
    return frozenset(found)


def _names(e: m.Expr) -> list[m.Name]:
    out = [e] if isinstance(e, m.Name) else []
    for child in _children(e):
        out.extend(_names(child))
    return out


def _children(e: m.Expr) -> list[m.Expr]:
    out = []
    for name in e.__dataclass_fields__:
        if name == "span":
            continue
        v = getattr(e, name)
        if isinstance(v, m.Expr):
            out.append(v)
        elif isinstance(v, tuple):
            out.extend(x for x in v if isinstance(x, m.Expr))
    return out


class Evaluator:
    """Evaluates expressions in one model, with one draw of the free variables."""

    def __init__(self, ctx: Context, model: Model, trial: int, orders: dict[str, int],
                 tables: dict[Any, Any] | None = None):
        self.ctx = ctx
        self.model = model
        self.trial = trial
        self.rank = {p: i for i, p in enumerate(ctx.params)}
        self.param_values = {p: jets.make(self.rank[p], model.theta.get(p, 0.3), orders.get(p, 0))
                             for p in ctx.params}
        self.free: dict[str, Any] = {}
        self.cache: dict[Any, Any] = {}
        # tables of distributions and functions do not depend on the draw of free variables
        self.tables: dict[Any, Any] = {} if tables is None else tables
        self.budget = MAX_EVALUATIONS
        self._schema: tuple[int, int] | None = None
        # in a Monte-Carlo step, the letters of the left side's expectation variables: there `a_i` is the
        # i-th sample of a, not the action at time i
        self.sample_bases: frozenset[str] = frozenset()
        # letters used as the time index of a state or action (s_k, a_k): free ones are time steps too
        self.time_bases: frozenset[str] = frozenset()

    # ------------------------------------------------------------ random draws

    def _u(self, *key: Any) -> float:
        return _unit(self.model.seed, *key)

    def _free(self, key: str, make) -> Any:
        if key not in self.free:
            self.free[key] = make()
        return self.free[key]

    def free_traj(self, key: str) -> Traj:
        def make() -> Traj:
            # as long as the trajectory distribution's, plus one step (so an off-by-one index has a value)
            n_states, n_actions = self.trajectory_schema()
            return Traj(tuple(int(self._u(self.trial, key, "s", t) * self.model.n_states)
                              for t in range(n_states + 1)),
                        tuple(int(self._u(self.trial, key, "a", t) * self.model.n_actions)
                              for t in range(n_actions + 1)))
        return self._free(key, make)

    # ------------------------------------------------------------ expressions

    def eval(self, e: m.Expr, env: Env) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise Unsupported("the finite models grew too large to enumerate")
        handler = _HANDLERS.get(type(e))
        if handler is None:
            raise Unsupported(f"cannot evaluate {type(e).__name__}")
        return handler(self, e, env)

    def _num(self, e: m.Num, env: Env) -> Any:
        v = e.value
        return int(v) if v.denominator == 1 else float(v)

    def _add(self, e: m.Add, env: Env) -> Any:
        return jets.add(self.real(e.left, env), self.real(e.right, env))

    def _sub(self, e: m.Sub, env: Env) -> Any:
        return jets.sub(self.real(e.left, env), self.real(e.right, env))

    def _mul(self, e: m.Mul, env: Env) -> Any:
        return jets.mul(self.real(e.left, env), self.real(e.right, env))

    def _div(self, e: m.Div, env: Env) -> Any:
        return jets.div(self.real(e.left, env), self.real(e.right, env))

    def _neg(self, e: m.Neg, env: Env) -> Any:
        return jets.neg(self.real(e.operand, env))

    def _pow(self, e: m.Pow, env: Env) -> Any:
        return jets.power(self.real(e.base, env), self.real(e.exponent, env))

    def _func(self, e: m.Func, env: Env) -> Any:
        v = self.real(e.arg, env)
        if e.name == "log":
            return jets.log(v)
        if e.name == "exp":
            return jets.exp(v)
        return jets.power(v, 0.5)

    def _grad(self, e: m.Grad, env: Env) -> Any:
        p = e.param
        if p not in self.rank:
            hint = "add `param θ` or `use rl`" if p in ("θ", "") else f"declare it with `param {p}`"
            what = f"'{p}'" if p else "(none given)"
            raise NameProblem(f"the gradient is taken in {what}, which is not a declared parameter: {hint}", e.span)
        return jets.derivative(self.real(e.operand, env), self.rank[p])

    def _size(self, e: m.Size, env: Env) -> Any:
        return len(self.dataset(e.name.key()))

    def _placeholder(self, e: m.Placeholder, env: Env) -> Any:
        raise Unsupported("a '·' placeholder outside an expectation's distribution")

    def real(self, e: m.Expr, env: Env) -> jets.Value:
        v = self.eval(e, env)
        if isinstance(v, (int, float, jets.Jet)):
            return v
        if isinstance(v, Elem):
            # a value of a finite space used as a number: each element stands for a fixed random real
            return round(4.0 * self._u("elem", v.domain, v.index) - 2.0, 6)
        what = "a trajectory" if isinstance(v, Traj) else "a function"
        raise Unsupported(f"'{m.show(e)}' is {what}, not a number")

    def index(self, e: m.Expr, env: Env) -> int:
        v = self.eval(e, env)
        if isinstance(v, jets.Jet):
            v = jets.value(v)
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if not isinstance(v, int):
            raise Unsupported(f"the index '{m.show(e)}' is not a whole number")
        return v

    # ------------------------------------------------------------ names

    def name(self, n: m.Name, env: Env) -> Any:
        key = n.key()
        if key in env.bindings:
            return env.bindings[key]
        ctx = self.ctx
        if key in ctx.constants:
            return self._constant(key)
        if key in self.param_values:
            return self.param_values[key]
        if not n.sub and n.sample is None and not n.primes:
            if key == "T":
                return self.model.horizon
            if key == "N":
                return self.model.n_samples
            if key == "γ" and ctx.rl:
                return self.model.gamma
        domain = ctx.domain_of_base(n.base)
        if n.base in self.sample_bases and len(n.sub) == 1 and n.sample is None and domain in (STATE, ACTION):
            rk = self._resolved_key(n, env)
            size = self.model.size(domain)
            return self._free(rk, lambda: Elem(domain, int(self._u(self.trial, rk, domain) * size)))
        if domain in (STATE, ACTION):
            return self._step_variable(n, env, domain)
        if domain == TRAJ:
            if not n.sub and n.sample is None and not n.primes:
                return env.traj if env.traj is not None and "τ" in env.bindings else self.free_traj("τ")
            return self.free_traj(self._resolved_key(n, env))
        if domain == TIME or n.base in self.time_bases:
            return self._free(self._resolved_key(n, env),
                              lambda: int(self._u(self.trial, key, "t") * self.model.horizon))
        if domain != REAL:
            rk = self._resolved_key(n, env)
            size = self.model.size(domain)
            return self._free(rk, lambda: Elem(domain, int(self._u(self.trial, rk) * size)))
        if any(info_key == key for info_key, _ in ctx.functions):
            return FunctionRef(key)
        rk = self._resolved_key(n, env)
        return self._free(rk, lambda: self._random_real(rk))

    def _random_real(self, key: str) -> float:
        u = self._u(self.trial, key, "real")
        magnitude = 0.3 + 1.7 * ((u * 2) % 1.0)
        return round(magnitude if u < 0.6 else -magnitude, 6)

    def _resolved_key(self, n: m.Name, env: Env) -> str:
        """The name with its subscripts evaluated: x_i with i = 2 is x_2."""
        if not n.sub and n.sample is None:
            return n.key()
        parts = [n.base + "'" * n.primes]
        for s in n.sub:
            parts.append(self._key_part(s, env))
        if n.sample is not None:  # x^{(i)} is x_i (LANGUAGE.md: samples are written either way)
            parts.append(self._key_part(n.sample, env) if not n.sub else "(" + self._key_part(n.sample, env) + ")")
        return "_".join(parts)

    def _key_part(self, s: m.Expr, env: Env) -> str:
        if isinstance(s, m.Name) and s.key() not in env.bindings and self.ctx.domain_of_base(s.base) == REAL \
                and s.key() not in self.ctx.constants:
            return s.key()
        try:
            v = self.eval(s, env)
        except (Unsupported, jets.Undefined):
            return m.show(s)
        if isinstance(v, (int, float, jets.Jet)):
            number = jets.value(v)
            return str(int(number)) if number.is_integer() else str(number)
        return str(v)

    def _step_variable(self, n: m.Name, env: Env, domain: str) -> Any:
        """``s_t``, ``a_t``: a component of the current (or sampled) trajectory; ``s``, ``s'``: free values."""
        attr = "states" if domain == STATE else "actions"
        size = self.model.n_states if domain == STATE else self.model.n_actions
        if n.sub and not n.primes:
            traj = env.traj
            index_expr = n.sub[-1]
            if len(n.sub) == 2 or n.sample is not None:
                sample = n.sub[0] if len(n.sub) == 2 else n.sample
                assert sample is not None
                traj = self.free_traj("τ_" + self._key_part(sample, env))
            elif traj is None:
                traj = self.free_traj("τ")
            v = self.eval(index_expr, env)
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            if isinstance(v, int):
                seq = getattr(traj, attr)
                if not 0 <= v < len(seq):
                    raise Unsupported(f"the trajectory has no {n.base}_{v} (time steps run from 0 to"
                                      f" {len(seq) - 1} in this model)")
                return Elem(domain, seq[v])
        rk = self._resolved_key(n, env)
        return self._free(rk, lambda: Elem(domain, int(self._u(self.trial, rk, domain) * size)))

    def _constant(self, key: str) -> Any:
        ck = ("const", key)
        if ck not in self.cache:
            self.cache[ck] = None  # guards against a definition that refers to itself
            self.cache[ck] = self.eval(self.ctx.constants[key], Env())
        if self.cache[ck] is None:
            raise Unsupported(f"the definition of {key} refers to itself")
        return self.cache[ck]

    # ------------------------------------------------------------ calls

    def _resolve(self, c: m.Call) -> tuple[m.Call, FunctionInfo]:
        memo = self.ctx.memo
        hit = memo.get(id(c))
        if hit is not None and hit[0] is c:
            return hit[1], hit[2]
        canon = self.ctx.canonical_call(c)
        key = canon.func.key()
        arity = len(canon.all_args)
        info = self.ctx.function(key, arity)
        if self.ctx.rl and key == TRAJECTORY_DIST and arity == 1:
            info = trajectory_definition(self.ctx)
        elif key == "J" and arity == 1 and info.kind != "def":
            info = objective_definition(self.ctx) or info
        memo[id(c)] = (c, canon, info)
        return canon, info

    def call(self, c: m.Call, env: Env) -> Any:
        c, info = self._resolve(c)
        args = [self.eval(a, env) for a in c.all_args]
        if info.kind == "def":
            return self._apply_definition(info, args, env)
        if info.kind == "dist":
            return self._probability(info, args)
        return self._function(info, args, c)

    def _apply_definition(self, info: FunctionInfo, args: list[Any], env: Env) -> Any:
        key = ("def", info.key, info.arity, tuple(_hashable(a) for a in args), env.traj)
        if key in self.cache:
            if self.cache[key] is None:
                raise Unsupported(f"the definition of {info.key} refers to itself")
            return self.cache[key]
        self.cache[key] = None
        inner = Env({}, env.traj)
        for p, a in zip(info.params, args):
            inner = inner.bind(p.key(), a)
        assert info.body is not None
        result = self.eval(info.body, inner)
        self.cache[key] = result
        return result

    def _real_inputs(self, info: FunctionInfo, args: list[Any]) -> tuple[tuple, list[jets.Value]]:
        discrete: list[Any] = []
        reals: list[jets.Value] = []
        for a in args:
            if isinstance(a, (Elem, Traj)):
                discrete.append(a)
            elif isinstance(a, FunctionRef):
                discrete.append(a.key)
                for p in self.ctx.params:
                    if a.key.endswith("_" + p):
                        reals.append(self.param_values[p])
            else:
                reals.append(a)
        for p in sorted(info.depends):
            if p in self.param_values:
                reals.append(self.param_values[p])
        return tuple(discrete), reals

    def _smooth(self, tag: tuple, reals: list[jets.Value]) -> jets.Value:
        """A random smooth function of the real inputs, with curvature: c0 + Σ(c1 u + c2 u²) + c3 exp(c4 Σu)."""
        u = self._u
        acc: jets.Value = 2.0 * u(*tag, "c0") - 1.0
        total: jets.Value = 0.0
        for j, x in enumerate(reals):
            acc = jets.add(acc, jets.mul(x, 2.0 * u(*tag, j, "c1") - 1.0))
            acc = jets.add(acc, jets.mul(jets.mul(x, x), 0.8 * u(*tag, j, "c2") - 0.4))
            total = jets.add(total, x)
        if reals:
            acc = jets.add(acc, jets.mul(jets.exp(jets.mul(total, 1.6 * u(*tag, "c4") - 0.8)),
                                         0.6 * u(*tag, "c3") - 0.3))
        return acc

    def _function(self, info: FunctionInfo, args: list[Any], c: m.Call) -> jets.Value:
        discrete, reals = self._real_inputs(info, args)
        cache_key = ("fun", info.key, info.arity, discrete) if all(not isinstance(r, jets.Jet) or
                                                                     any(r is pv for pv in self.param_values.values())
                                                                     for r in reals) and \
            len(reals) == len(info.depends) else None
        if cache_key is not None and cache_key in self.tables:
            return self.tables[cache_key]
        tag = ("f", info.key, info.arity, tuple(str(d) for d in discrete))
        v = self._smooth(tag, reals)
        if info.positive:
            v = jets.exp(v)
        elif not reals:
            v = round(4.0 * self._u(*tag, "v") - 2.0, 6)
        if cache_key is not None:
            self.tables[cache_key] = v
        return v

    def domain_values(self, domain: str) -> list[Any]:
        if domain == TRAJ:
            return self.trajectories()
        if domain == TIME:
            return list(range(self.model.horizon))
        if domain == REAL:
            raise Unsupported("a sum or distribution over a real variable: declare its domain, e.g. `dist p(x)`")
        return [Elem(domain, i) for i in range(self.model.size(domain))]

    def _probability(self, info: FunctionInfo, args: list[Any]) -> jets.Value:
        var_args = args[:info.n_vars]
        given = args[info.n_vars:]
        table = self._dist_table(info, tuple(_hashable(g) for g in given), given)
        key = tuple(_hashable(a) for a in var_args)
        if key not in table:
            raise Unsupported(f"{info.key} is a distribution over {', '.join(info.var_domains[:info.n_vars])};"
                              f" it cannot be applied to {', '.join(str(a) for a in var_args)}")
        return table[key]

    def _dist_table(self, info: FunctionInfo, given_key: tuple, given: list[Any]) -> dict[tuple, jets.Value]:
        ck = ("dist", info.key, info.arity, given_key)
        if ck in self.tables:
            return self.tables[ck]
        domains = info.var_domains[:info.n_vars]
        spaces = [self.domain_values(d) for d in domains]
        combos = list(itertools.product(*spaces))
        if len(combos) > MAX_TERMS:
            raise Unsupported("a distribution over too many values to enumerate")
        discrete, reals = self._real_inputs(info, given)
        logits = []
        for combo in combos:
            tag = ("d", info.key, info.arity, tuple(str(d) for d in discrete), tuple(str(x) for x in combo))
            logits.append(self._smooth(tag, reals))
        top = max(jets.value(x) for x in logits)
        weights = [jets.exp(jets.sub(x, top)) for x in logits]
        total: jets.Value = 0.0
        for w in weights:
            total = jets.add(total, w)
        table = {tuple(_hashable(x) for x in combo): jets.div(w, total) for combo, w in zip(combos, weights)}
        if all(not isinstance(g, jets.Jet) for g in given):
            self.tables[ck] = table
        return table

    # ------------------------------------------------------------ trajectories

    def trajectory_schema(self) -> tuple[int, int]:
        """How many states and actions a trajectory has: read off the trajectory distribution's definition."""
        if self._schema is None:
            info = trajectory_definition(self.ctx)
            probe = _Probe()
            saved = self.budget
            try:
                self._apply_probe(info, probe)
            except (Unsupported, jets.Undefined, NameProblem, RecursionError):
                pass
            self.budget = saved
            n_states = max(probe.states, default=self.model.horizon) + 1
            n_actions = max(probe.actions, default=self.model.horizon - 1) + 1
            self._schema = (n_states, n_actions)
        return self._schema

    def _apply_probe(self, info: FunctionInfo, probe: _Probe) -> None:
        sub = Evaluator(self.ctx, self.model, self.trial, {})
        long = Traj(tuple([0] * (self.model.horizon + 8)), tuple([0] * (self.model.horizon + 8)))
        sub._probe = probe  # type: ignore[attr-defined]
        original = sub._step_variable

        def recording(n: m.Name, env: Env, domain: str) -> Any:
            if n.sub and not n.primes and len(n.sub) == 1 and n.sample is None:
                v = sub.eval(n.sub[0], env)
                if isinstance(v, int):
                    (probe.states if domain == STATE else probe.actions).append(v)
            return original(n, env, domain)

        sub._step_variable = recording  # type: ignore[method-assign]
        env = Env({}, long)
        for p in info.params:
            env = env.bind(p.key(), long)
        assert info.body is not None
        sub.eval(info.body, env)

    def trajectories(self) -> list[Traj]:
        if "trajectories" not in self.cache:
            n_states, n_actions = self.trajectory_schema()
            count = self.model.n_states ** n_states * self.model.n_actions ** n_actions
            if count > MAX_TERMS:
                raise Unsupported(f"{count} trajectories are too many to enumerate")
            out = []
            for states in itertools.product(range(self.model.n_states), repeat=n_states):
                for actions in itertools.product(range(self.model.n_actions), repeat=n_actions):
                    out.append(Traj(states, actions))
            self.cache["trajectories"] = out
        return self.cache["trajectories"]

    def dataset(self, key: str) -> list[Traj]:
        ck = ("dataset", key)
        if ck not in self.cache:
            n = 2  # small, so that a Monte-Carlo average over every draw of the data set stays exact
            self.cache[ck] = [self.free_traj(f"{key}[{i}]") for i in range(n)]
        return self.cache[ck]

    # ------------------------------------------------------------ big operators

    def bigop(self, b: m.BigOp, env: Env) -> jets.Value:
        index = b.index.key()
        if b.lower is not None:
            lo = self.index(b.lower, env)
            hi = self.index(b.upper, env) if b.upper is not None else lo
            if hi - lo + 1 > MAX_TERMS:
                raise Unsupported(f"a sum of {hi - lo + 1} terms is too long to enumerate")
            values: list[Any] = list(range(lo, hi + 1))
        elif b.over is not None:
            values = list(self.dataset(b.over.key()))
        else:
            domain = self.ctx.domain_of_base(b.index.base)
            if domain == REAL and b.index.base == "τ":
                domain = TRAJ
            values = self.domain_values(domain)
        if len(values) > MAX_TERMS:
            raise Unsupported("too many terms to enumerate")
        acc: jets.Value = 0.0 if b.kind == "sum" else 1.0
        component = self._component(b.index, env)
        for v in values:
            inner = env.bind(index, v)
            if component is not None:  # sum_{s_0}: the trajectory whose state 0 is v
                inner = self._with_component(inner, component, v)
            term = self.real(b.body, inner)
            acc = jets.add(acc, term) if b.kind == "sum" else jets.mul(acc, term)
        return acc

    def _component(self, index: m.Name, env: Env) -> tuple[str, int] | None:
        """``s_0`` or ``a_1`` as a summation index: which component of the trajectory it is."""
        domain = self.ctx.domain_of_base(index.base)
        if domain not in (STATE, ACTION) or len(index.sub) != 1 or index.sample is not None or index.primes:
            return None
        sub = index.sub[0]
        if not isinstance(sub, m.Num) or sub.value.denominator != 1:
            return None
        return ("states" if domain == STATE else "actions"), int(sub.value)

    def _with_component(self, env: Env, component: tuple[str, int], value: Any) -> Env:
        attr, t = component
        traj = env.traj if env.traj is not None else self.free_traj("τ")
        n_states, n_actions = self.trajectory_schema()
        if len(traj.states) > n_states or len(traj.actions) > n_actions:
            # summing over the components of τ: τ is a trajectory of the distribution's own length
            traj = Traj(traj.states[:n_states], traj.actions[:n_actions])
        seq = list(getattr(traj, attr))
        if not 0 <= t < len(seq) or not isinstance(value, Elem):
            return env
        seq[t] = value.index
        changed = traj._replace(**{attr: tuple(seq)})
        bindings = dict(env.bindings)
        bindings["τ"] = changed
        return Env(bindings, changed)

    def expect(self, e: m.Expect, env: Env) -> jets.Value:
        ctx = self.ctx
        variables = [v.key() for v in e.variables]
        if ctx.is_trajectory_dist(e.dist):
            weights = [(t,) for t in self.trajectories()]
            info = trajectory_definition(ctx)
            pairs = [(w, self._apply_definition(info, [w[0]], env)) for w in weights]
        else:
            pairs = self._weights(e, env)
        acc: jets.Value = 0.0
        for values, weight in pairs:
            if len(values) != len(variables):
                raise Unsupported("the expectation lists a different number of variables than its distribution")
            inner = env
            for k, v in zip(variables, values):
                inner = inner.bind(k, v)
            acc = jets.add(acc, jets.mul(weight, self.real(e.body, inner)))
        return acc

    def _defined_weights(self, info: FunctionInfo, given: list[Any], env: Env,
                  n_vars: int | None = None) -> list[tuple[tuple, jets.Value]]:
        """Weights of a distribution written as a definition (``def π_θ(a|s) = softmax …``), as defined."""
        n = info.n_vars if n_vars is None else n_vars
        n = n or (len(info.params) - len(given))
        domains = []
        for p in info.params[:n]:
            domain = self.ctx.domain_of_base(p.base)
            if domain == REAL and p.base == "τ":
                domain = TRAJ
            domains.append(domain)
        out = []
        for combo in itertools.product(*[self.domain_values(d) for d in domains]):
            out.append((tuple(combo), self._apply_definition(info, list(combo) + list(given), env)))
        return out

    def _weights(self, e: m.Expect, env: Env) -> list[tuple[tuple, jets.Value]]:
        ctx = self.ctx
        dist = e.dist
        if isinstance(dist, m.Name):
            key = dist.key()
            candidates = [i for (k, _), i in ctx.functions.items() if k == key and i.kind in ("dist", "def")]
            info = next((i for i in candidates if i.kind == "dist" and i.n_vars == i.arity), None) or \
                next((i for i in candidates if i.kind == "dist"), None)
            if info is None:
                defined = next((i for i in candidates if i.kind == "def"), None)
                if defined is not None:
                    return self._defined_weights(defined, [], env)
                raise Unsupported(f"'{key}' is not a declared distribution (declare it with `dist {key}(x)`)")
            if info.arity != info.n_vars:
                raise Unsupported(f"{key} is conditional: write its condition, as in E_{{x ~ {key}(·|y)}}[…]")
            table = self._dist_table(info, (), [])
            return list(table.items())
        if isinstance(dist, m.Call):
            dist = ctx.canonical_call(dist)
            info = ctx.function(dist.func.key(), len(dist.all_args))
            holes = [i for i, a in enumerate(dist.all_args) if isinstance(a, m.Placeholder)]
            if info.kind == "def" and holes == list(range(len(holes))) and holes:
                given = [self.eval(a, env) for a in dist.all_args[len(holes):]]
                return self._defined_weights(info, given, env, len(holes))
            if info.kind != "dist":
                raise Unsupported(f"'{dist.func.key()}' is not a declared distribution")
            if holes != list(range(len(holes))) or len(holes) != info.n_vars:
                raise Unsupported("write the expectation's distribution with '·' for its variables,"
                                  " as in E_{a ~ π_θ(·|s)}[…]")
            given = [self.eval(a, env) for a in dist.all_args[len(holes):]]
            table = self._dist_table(info, tuple(_hashable(g) for g in given), given)
            return list(table.items())
        raise Unsupported("cannot read the expectation's distribution")


_HANDLERS: dict[type, Any] = {
    m.Num: Evaluator._num, m.Name: Evaluator.name, m.Call: Evaluator.call, m.Add: Evaluator._add,
    m.Sub: Evaluator._sub, m.Mul: Evaluator._mul, m.Div: Evaluator._div, m.Neg: Evaluator._neg,
    m.Pow: Evaluator._pow, m.Func: Evaluator._func, m.Grad: Evaluator._grad, m.BigOp: Evaluator.bigop,
    m.Expect: Evaluator.expect, m.Size: Evaluator._size, m.Placeholder: Evaluator._placeholder,
}




class _Probe:
    def __init__(self) -> None:
        self.states: list[int] = []
        self.actions: list[int] = []


def _hashable(v: Any) -> Any:
    if isinstance(v, jets.Jet):
        return ("jet", id(v))
    return v


# --------------------------------------------------------------------------- comparing two sides


@dataclass
class Outcome:
    """What the models said about a step."""

    status: str                         # "agree" | "differ" | "unknown"
    models: int = 0                     # models (× draws) where both sides were compared
    reason: str = ""
    counterexample: dict[str, Any] | None = None
    evaluator: Evaluator | None = None  # the evaluator of the counterexample, to locate the difference


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-8 * (1.0 + abs(a) + abs(b))


def _clearly_differ(a: float, b: float) -> bool:
    return abs(a - b) > 1e-6 * (1.0 + abs(a) + abs(b))


def _holds(relation: str, a: float, b: float) -> bool | None:
    """True/False when clear; None when the comparison is too close to call."""
    if relation in ("=", "≈"):
        return True if _close(a, b) else False if _clearly_differ(a, b) else None
    if relation == "≤":
        return True if a <= b or _close(a, b) else False if _clearly_differ(a, b) else None
    if relation == "≥":
        return True if a >= b or _close(a, b) else False if _clearly_differ(a, b) else None
    return None


def compare(lhs: m.Expr, rhs: m.Expr, relation: str, ctx: Context, seed: int, n_models: int = 6,
            draws: int = 2) -> Outcome:
    """Evaluate both sides on ``n_models`` random models, ``draws`` free-variable draws each."""
    if relation == "∝":
        return Outcome("unknown", reason="∝ steps are not supported yet")
    orders = grad_orders([lhs, rhs], ctx)
    time_bases = time_indices([lhs, rhs], ctx)
    agreed = 0
    undefined = 0
    last_reason = ""
    work = 0
    for index in range(n_models):
        if agreed >= MIN_MODELS and work > WORK_BUDGET:
            break  # enough evidence for an expensive step; the count is deterministic, so is the report
        model = Model.random(seed, index, ctx.params)
        tables: dict[Any, Any] = {}
        for trial in range(draws):
            ev = Evaluator(ctx, model, trial, orders, tables)
            ev.time_bases = time_bases
            try:
                a = ev.real(lhs, Env())
                b = ev.real(rhs, Env()) if relation != "≈" else mean_over_samples(lhs, rhs, ev, tables)
            except jets.Undefined as err:
                undefined += 1
                last_reason = str(err)
                continue
            except TooLarge as err:
                last_reason = str(err)
                break
            except RecursionError:
                return Outcome("unknown", reason="the expression nests too deeply to evaluate")
            except (OverflowError, ZeroDivisionError) as err:
                undefined += 1
                last_reason = str(err)
                continue
            va, vb = jets.value(a), jets.value(b)
            if not (math.isfinite(va) and math.isfinite(vb)):
                undefined += 1
                last_reason = "a value overflows"
                continue
            verdict = _holds(relation, va, vb)
            if verdict is False:
                cex = model.describe()
                cex["assignments"] = {k: _show_value(v) for k, v in sorted(ev.free.items())}
                cex["lhs"] = va
                cex["rhs"] = vb
                return Outcome("differ", agreed, counterexample=cex, evaluator=ev)
            if verdict is True:
                agreed += 1
            work += MAX_EVALUATIONS - ev.budget
            if not ev.free:
                break  # nothing was drawn: another draw would compute the same numbers
    if agreed == 0:
        reason = f"both sides are undefined in every model tried ({last_reason})" if undefined else \
            (last_reason or "the models could not compare the two sides")
        return Outcome("unknown", reason=reason)
    return Outcome("agree", agreed)


# --------------------------------------------------------------------------- Monte-Carlo estimates

_SAMPLE_KEY = re.compile(r"^(?P<base>[^\W\d_][^\W_]*)'*_\(?(?P<index>-?\d+)\)?$")
MAX_SAMPLE_COMBINATIONS = 4096


def mean_over_samples(lhs: m.Expr, rhs: m.Expr, ev: Evaluator, tables: dict[Any, Any]) -> jets.Value:
    """The expected value of the right side of ``≈`` over its i.i.d. samples, exactly.

    Samples are the free variables written ``x_i``, ``x^{(i)}``, ``τ_i``, ``s_t^{(i)}`` (trajectory i) and
    the members of a data set ``D``.  Each is drawn from the left side's distribution of that variable:
    the ``E_{x ~ p}`` over the same letter, or the trajectory distribution for trajectories.
    A right side without samples is compared as it stands.

    An estimate that is a sum of one-sample terms (a sample mean) is averaged one sample at a time:
    E[f] = Σ_k E[f(x⁰ with x_k drawn)] − (K−1)·f(x⁰), which is exact for such an f.  That shape is
    verified first at random draws of all the samples; anything else is enumerated jointly.
    """
    ev.sample_bases = frozenset(v.base for node in _expectations(lhs) for v in node.variables
                                if ev.ctx.domain_of_base(v.base) != TRAJ)
    before = set(ev.free)
    ev.real(rhs, Env())
    slots: list[tuple[Any, int]] = [(k, -1) for k in sorted(set(ev.free) - before) if _SAMPLE_KEY.match(k)]
    for key in sorted(k for k in ev.cache if isinstance(k, tuple) and k[0] == "dataset"):  # type: ignore[misc]
        slots += [(key, i) for i in range(len(ev.cache[key]))]
    if not slots:
        return ev.real(rhs, Env())
    spaces = [_sample_space(key, lhs, ev) for key, _ in slots]
    shared = {k: v for k, v in ev.free.items() if k in before}

    def value_at(choice: list[Any]) -> jets.Value:
        inner = Evaluator(ev.ctx, ev.model, ev.trial, {}, tables)
        inner.param_values = ev.param_values
        inner.sample_bases = ev.sample_bases
        inner.time_bases = ev.time_bases
        inner._schema = ev.trajectory_schema()
        if "trajectories" in ev.cache:
            inner.cache["trajectories"] = ev.cache["trajectories"]
        inner.free.update(shared)
        for (key, index), value in zip(slots, choice):
            if index < 0:
                inner.free[key] = value
            else:
                members = inner.cache.setdefault(key, [None] * len([s for s in slots if s[0] == key]))
                members[index] = value
        return inner.real(rhs, Env())

    base = [space[0][0] for space in spaces]
    f0 = value_at(base)
    separable = len(slots) > 1
    for probe in range(3 if separable else 0):
        # every sample away from its base value, so that any interaction between samples shows
        choice = [space[1 + int(_unit(ev.model.seed, "probe", probe, k) * (len(space) - 1))][0] if len(space) > 1
                  else space[0][0] for k, space in enumerate(spaces)]
        parts: jets.Value = jets.scale(f0, -(len(slots) - 1))
        for k, value in enumerate(choice):
            parts = jets.add(parts, value_at(base[:k] + [value] + base[k + 1:]))
        if not _close(jets.value(value_at(choice)), jets.value(parts)):
            separable = False
    for key, index in slots:  # the samples are averaged over, not drawn: forget the draw
        ev.free.pop(key if index < 0 else f"{key[1]}[{index}]", None)
    if separable:
        total: jets.Value = jets.scale(f0, -(len(slots) - 1))
        for k, space in enumerate(spaces):
            for value, weight in space:
                total = jets.add(total, jets.mul(weight, value_at(base[:k] + [value] + base[k + 1:])))
        return total
    count = 1
    for space in spaces:
        count *= len(space)
    if count > MAX_SAMPLE_COMBINATIONS:
        raise TooLarge("too many sample combinations to average the estimate exactly")
    total = 0.0
    for combo in itertools.product(*spaces):
        weight: jets.Value = 1.0
        for _, probability in combo:
            weight = jets.mul(weight, probability)
        total = jets.add(total, jets.mul(weight, value_at([value for value, _ in combo])))
    return total


def _sample_space(key: Any, lhs: m.Expr, ev: Evaluator) -> list[tuple[Any, jets.Value]]:
    """The values a sample can take, with their probabilities."""
    if isinstance(key, tuple):  # a member of a data set: a trajectory from the trajectory distribution
        info = trajectory_definition(ev.ctx)
        return [(t, ev._apply_definition(info, [t], Env())) for t in ev.trajectories()]
    match = _SAMPLE_KEY.match(key)
    assert match is not None
    base = match.group("base")
    domain = ev.ctx.domain_of_base(base)
    if domain == TRAJ:
        info = trajectory_definition(ev.ctx)
        return [(t, ev._apply_definition(info, [t], Env())) for t in ev.trajectories()]
    for node in _expectations(lhs):
        if any(v.base == base for v in node.variables) and len(node.variables) == 1:
            if ev.ctx.is_trajectory_dist(node.dist):
                info = trajectory_definition(ev.ctx)
                return [(t, ev._apply_definition(info, [t], Env())) for t in ev.trajectories()]
            return [(values[0], w) for values, w in ev._weights(node, Env())]
    raise Unsupported(f"cannot tell which distribution the sample {key} is drawn from: write the left side"
                      f" as an expectation over {base}")


def _expectations(e: m.Expr) -> list[m.Expect]:
    found = [e] if isinstance(e, m.Expect) else []
    for child in _children(e):
        found.extend(_expectations(child))
    return found


def _show_value(v: Any) -> str:
    if isinstance(v, (int, float, jets.Jet)):
        return f"{jets.value(v):.6g}"
    return str(v)
