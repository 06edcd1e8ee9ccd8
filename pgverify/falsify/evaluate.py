"""The evaluator: one expression's value in one model, for one draw of its free variables.

Values are numbers or jets (``jets``: exact derivatives), elements of finite
domains, trajectories and function references (``models``).  The node
families are split by what they need: arithmetic and names here, calls and
distributions in ``calls``, trajectories, sums and expectations in
``enumeration``; ``Evaluator`` combines them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import model as m
from ..semantics import ACTION, REAL, STATE, TIME, TRAJ, Context
from . import jets, opaque
from .calls import Calls
from .compiled import as_number, closures
from .reuse import note
from .enumeration import Enumeration
from .models import (DEFAULT_THETA, FREE_REAL_MAGNITUDE, FREE_REAL_POSITIVE, MAX_EVALUATIONS,
                     VALUE_DIGITS, Elem, Env, FunctionRef, Model, NameProblem, Shape, Traj, Unsupported, between,
                     unit)


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
            for child in m.children(e):
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
            for n in (x for x in m.nodes(e.sub[0]) if isinstance(x, m.Name)):
                if ctx.domain_of_base(n.base) == REAL and n.key() not in ctx.constants and n.base not in ("T", "N"):
                    found.add(n.base)
        for child in m.children(e):
            walk(child)

    for e in exprs:
        walk(e)
    return frozenset(found)


# whether new evaluators use the compiled closures (the tests switch it off to compare with the tree walk)
COMPILED = True


class Evaluator(Calls, Enumeration):
    """Evaluates expressions in one model, with one draw of the free variables."""

    def __init__(self, ctx: Context, model: Model, trial: int, orders: dict[str, int],
                 tables: dict[Any, Any] | None = None, shared: dict[Any, Any] | None = None):
        self.ctx = ctx
        self.model = model
        self.trial = trial
        self.rank = {p: i for i, p in enumerate(ctx.params)}
        self.param_values = {p: jets.make(self.rank[p], model.theta.get(p, DEFAULT_THETA), orders.get(p, 0))
                             for p in ctx.params}
        self.free: dict[str, Any] = {}
        self.cache: dict[Any, Any] = {}
        # tables of distributions and functions do not depend on the draw of free variables
        self.tables: dict[Any, Any] = {} if tables is None else tables
        # the same tables kept across the steps of a context (``compiled.model_tables``): a table missing
        # from ``tables`` is taken from there, with what computing it would have done to the model
        self.shared = shared
        self.budget = MAX_EVALUATIONS
        self._schema: Shape | None = None
        # in a Monte-Carlo step, the letters of the left side's expectation variables: there `a_i` is the
        # i-th sample of a, not the action at time i
        self.sample_bases: frozenset[str] = frozenset()
        # letters used as the time index of a state or action (s_k, a_k): free ones are time steps too
        self.time_bases: frozenset[str] = frozenset()
        # evaluate through the compiled closures (``compiled``); False: the tree walk, their reference
        self.compiled = COMPILED
        # what the value being computed reads and leaves behind, while one is noted (``reuse``)
        self.trace: dict[Any, Any] | None = None
        # in an estimate's exact average: the terms of sums already computed for other sample values
        self.term_memo: dict[Any, Any] | None = None
        # arguments whose jets a cache key holds by identity
        self.alive: list[Any] = []

    # ------------------------------------------------------------ random draws

    def _u(self, *key: Any) -> float:
        return unit(self.model.seed, *key)

    def _free(self, key: str, make) -> Any:
        free = self.free
        present = key in free
        if present:
            v = free[key]
        else:
            v = free[key] = make()
        if self.trace is not None:
            note(self, key, v, present)
        return v

    def free_traj(self, key: str) -> Traj:
        free = self.free
        if key in free:   # ``_free`` on a drawn trajectory, without making the function that draws one
            v = free[key]
            if self.trace is not None:
                note(self, key, v, True)
            return v

        def make() -> Traj:
            # as long as the trajectory distribution's, plus one step (so an off-by-one index has a value)
            shape = self.trajectory_schema()
            return Traj(tuple(int(self._u(self.trial, key, "s", t) * self.model.n_states)
                              for t in range(shape.n_states + 1)),
                        tuple(int(self._u(self.trial, key, "a", t) * self.model.n_actions)
                              for t in range(shape.n_actions + 1)), shape.start)
        return self._free(key, make)

    # ------------------------------------------------------------ expressions

    def eval(self, e: m.Expr, env: Env) -> Any:
        """The value of ``e`` (a number, an element of a finite space, a trajectory or a function)."""
        if not self.compiled:
            return self.walk(e, env)
        return closures(e, self.ctx)[0](self, env)

    def real(self, e: m.Expr, env: Env) -> jets.Value:
        """The value of ``e`` as a number (an element of a finite space stands for a fixed random real)."""
        if not self.compiled:
            return as_number(self, self.walk(e, env), e)
        return closures(e, self.ctx)[1](self, env)

    def real_fn(self, e: m.Expr) -> Callable[[Any, Env], jets.Value]:
        """``real`` of ``e`` as a function of (evaluator, env): the loops of sums and expectations call it
        once per term."""
        if not self.compiled:
            return lambda ev, env: ev.real(e, env)
        return closures(e, self.ctx)[1]

    def walk(self, e: m.Expr, env: Env) -> Any:
        """The tree walk: one node's handler, its children evaluated through ``eval``.  The reference
        the compiled closures are tested against, and the evaluation of nodes they delegate."""
        self.budget -= 1
        if self.budget < 0:
            raise Unsupported("the finite models grew too large to enumerate")
        handler = _HANDLERS.get(type(e))
        if handler is None:
            raise Unsupported(f"cannot evaluate {type(e).__name__}")
        return handler(self, e, env)

    def index(self, e: m.Expr, env: Env) -> int:
        return self.whole(self.eval(e, env), e)

    def whole(self, v: Any, e: m.Expr) -> int:
        """``v``, the value of ``e``, as a whole number (a bound or an index), else Unsupported."""
        if type(v) is int:
            return v
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
        return self.unbound_name(n, env)

    def unbound_name(self, n: m.Name, env: Env) -> Any:
        """What a name not bound in ``env`` stands for: a constant, a parameter, T, N or γ, a step or
        sample variable, a trajectory, a time step, a free value or a function."""
        key = n.key()
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
            size = self.space_size(domain)
            return self._free(rk, lambda: Elem(domain, int(self._u(self.trial, rk, domain) * size)))
        if domain in (STATE, ACTION):
            return self._step_variable(n, env, domain)
        if domain == TRAJ:
            if not n.sub and n.sample is None and not n.primes:
                return env.traj if env.traj is not None and "τ" in env.bindings else self.free_traj("τ")
            return self.free_traj(self._resolved_key(n, env))
        if domain == TIME or n.base in self.time_bases:
            # a time step of the trajectory, one of its actions' times (t = 1 … T in notes counting from 1)
            shape = self.trajectory_schema()
            return self._free(self._resolved_key(n, env),
                              lambda: shape.start + int(self._u(self.trial, key, "t") * shape.n_actions))
        if domain != REAL:
            rk = self._resolved_key(n, env)
            size = self.space_size(domain)
            return self._free(rk, lambda: Elem(domain, int(self._u(self.trial, rk) * size)))
        if any(info_key == key for info_key, _ in ctx.functions):
            return FunctionRef(key)
        rk = self._resolved_key(n, env)
        return self._free(rk, lambda: self._random_real(rk))

    def _random_real(self, key: str) -> float:
        u = self._u(self.trial, key, "real")
        # the low bits of u pick the magnitude, its high bits the sign
        magnitude = between(FREE_REAL_MAGNITUDE, (u * 2) % 1.0)
        return round(magnitude if u < FREE_REAL_POSITIVE else -magnitude, VALUE_DIGITS)

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
                return Elem(domain, traj.component(attr, v))
        rk = self._resolved_key(n, env)
        return self._free(rk, lambda: Elem(domain, int(self._u(self.trial, rk, domain) * size)))

    def _constant(self, key: str) -> Any:
        ck = ("const", key)
        if self.trace is not None:
            note(self, ck, self.cache.get(ck), ck in self.cache)
        if ck not in self.cache:
            self.cache[ck] = None  # guards against a definition that refers to itself
            self.cache[ck] = self.eval(self.ctx.constants[key], Env())
        if self.cache[ck] is None:
            raise Unsupported(f"the definition of {key} refers to itself")
        return self.cache[ck]



# --------------------------------------------------------------------------- the tree walk's handlers
# (the reference the compiled closures are tested against: compiled.py does the same per node)


def _walk_num(self: Evaluator, e: m.Num, env: Env) -> Any:
    v = e.value
    return int(v) if v.denominator == 1 else float(v)


def _walk_add(self: Evaluator, e: m.Add, env: Env) -> Any:
    return jets.add(self.real(e.left, env), self.real(e.right, env))


def _walk_sub(self: Evaluator, e: m.Sub, env: Env) -> Any:
    return jets.sub(self.real(e.left, env), self.real(e.right, env))


def _walk_mul(self: Evaluator, e: m.Mul, env: Env) -> Any:
    return jets.mul(self.real(e.left, env), self.real(e.right, env))


def _walk_div(self: Evaluator, e: m.Div, env: Env) -> Any:
    return jets.div(self.real(e.left, env), self.real(e.right, env))


def _walk_neg(self: Evaluator, e: m.Neg, env: Env) -> Any:
    return jets.neg(self.real(e.operand, env))


def _walk_pow(self: Evaluator, e: m.Pow, env: Env) -> Any:
    return jets.power(self.real(e.base, env), self.real(e.exponent, env))


def _walk_func(self: Evaluator, e: m.Func, env: Env) -> Any:
    v = self.real(e.arg, env)
    if e.name == "log":
        return jets.log(v)
    if e.name == "exp":
        return jets.exp(v)
    return jets.power(v, 0.5)


def _walk_grad(self: Evaluator, e: m.Grad, env: Env) -> Any:
    p = e.param
    if p not in self.rank:
        hint = "add `param θ` or `use rl`" if p in ("θ", "") else f"declare it with `param {p}`"
        what = f"'{p}'" if p else "(none given)"
        raise NameProblem(f"the gradient is taken in {what}, which is not a declared parameter: {hint}", e.span)
    return jets.derivative(self.real(e.operand, env), self.rank[p])


def _walk_size(self: Evaluator, e: m.Size, env: Env) -> Any:
    return len(self.dataset(e.name.key()))


def _walk_placeholder(self: Evaluator, e: m.Placeholder, env: Env) -> Any:
    raise Unsupported("a '·' placeholder outside an expectation's distribution")


_HANDLERS: dict[type, Any] = {
    m.Num: _walk_num, m.Name: Evaluator.name, m.Call: Evaluator.call, m.Add: _walk_add,
    m.Sub: _walk_sub, m.Mul: _walk_mul, m.Div: _walk_div, m.Neg: _walk_neg,
    m.Pow: _walk_pow, m.Func: _walk_func, m.Grad: _walk_grad, m.BigOp: Evaluator.bigop,
    m.Expect: Evaluator.expect, m.Size: _walk_size, m.Placeholder: _walk_placeholder,
    m.Opaque: opaque.value,     # a construct with a conditional meaning (falsify/opaque.py)
}


