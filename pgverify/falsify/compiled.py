"""The evaluator compiled: each expression node turned once into a Python closure.

A tree walk pays at every node of every evaluation for finding the node's handler, for checking
its children's types and for working out again what a name or a call stands for.  A step's sides
are evaluated thousands of times (every trajectory, every model, every draw), so here each node is
compiled once per context into a closure ``fn(evaluator, env)`` that has all of that settled:
arithmetic calls its children's closures directly, a parameter is one dictionary read, a call has
its definition (or distribution, or function) resolved and its arguments' closures at hand.

What depends on the model or on the draw (sizes, parameter values, free variables, tables) is
still read from the evaluator at run time, so one compilation serves every model of a step and
every step of a derivation.  The closures do exactly what the tree walk (``Evaluator.walk``, kept as
the reference and as the fallback for nodes compiled here by delegation only) does, operation by
operation and in the same order, and charge the same evaluation budget (one unit per node), so a
report does not change by a bit: ``tests/test_compiled.py`` compares the two over proofs/.

High precision (``jets.precise``) swaps functions of the ``jets`` module; the closures look those up
in the module at every call, so a near tie re-evaluated in mpmath goes through the same closures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import model as m
from ..semantics import ACTION, REAL, STATE, TRAJ, Context
from . import jets
from .jets import Jet
from .reuse import note
from .models import FIXED_REAL_RANGE, VALUE_DIGITS, Elem, Env, Model, NameProblem, Traj, Unsupported, between

Fn = Callable[[Any, Env], Any]

# the key of the compiled closures in ``Context.memo`` (which a declaration clears): node ids are never
# negative, so it cannot meet a resolved call's entry
_TABLE = -1


def _held(ctx: Context) -> tuple[dict[int, Any], dict[Any, Any]]:
    """What a context keeps for the evaluator: the compiled closures, and the tables of each model."""
    holder = ctx.memo.get(_TABLE)
    if holder is None:
        holder = ctx.memo[_TABLE] = ({}, {})
    return holder  # type: ignore[return-value]


def model_tables(ctx: Context, model: Model, orders: dict[str, int]) -> dict[Any, Any]:
    """The tables of ``model`` (distributions, functions, the trajectories' shape), shared by every step
    of the context that uses the same model with parameters of the same jet orders.

    What goes into them depends on the context, the model and the jet orders only (never on a draw
    of the free variables), so each is computed once per model instead of once per step and draw.
    Not for high precision: its tables hold mpmath numbers and are built apart.
    """
    key = (model.seed, model.n_states, model.n_actions, model.horizon, model.n_samples, model.gamma,
           model.dataset_size, model.logit_scale, tuple(sorted(model.theta.items())), tuple(sorted(orders.items())))
    per_model = _held(ctx)[1]
    tables = per_model.get(key)
    if tables is None:
        tables = per_model[key] = {}
    return tables


def closures(e: m.Expr, ctx: Context) -> tuple[Fn, Fn]:
    """The closures of ``e`` in ``ctx``: its value, and its value as a number (``Evaluator.real``)."""
    table = _held(ctx)[0]
    hit = table.get(id(e))
    if hit is not None and hit[0] is e:  # the node itself is kept in the entry, so its id is not reused
        return hit[1], hit[2]
    builder = _BUILDERS.get(type(e))
    fn, numeric = builder(e, ctx) if builder is not None else (_delegate(e), False)
    real = fn if numeric else _as_real(fn, e)
    table[id(e)] = (e, fn, real)
    return fn, real


def as_number(ev: Any, v: Any, e: m.Expr) -> jets.Value:
    """``v`` (the value of ``e``) used as a number: an element of a finite space stands for a fixed random
    real; a trajectory or a function is not a number."""
    if isinstance(v, (int, float, Jet)):
        return v
    if isinstance(v, Elem):
        return round(between(FIXED_REAL_RANGE, ev._u("elem", v.domain, v.index)) * ev.model.value_scale,
                     VALUE_DIGITS)
    if jets.is_precise_number(v):  # a high-precision number (a near tie evaluated again)
        return v
    what = "a trajectory" if isinstance(v, Traj) else "a function"
    raise Unsupported(f"'{m.show(e)}' is {what}, not a number")


def _exhausted() -> None:
    raise Unsupported("the finite models grew too large to enumerate")


def _as_real(fn: Fn, e: m.Expr) -> Fn:
    def real(ev: Any, env: Env) -> Any:
        v = fn(ev, env)
        t = type(v)
        if t is float or t is Jet or t is int:
            return v
        return as_number(ev, v, e)
    return real


def _delegate(e: m.Expr) -> Fn:
    """A node without a closure of its own: the tree walk evaluates it (and charges its budget)."""
    def walk(ev: Any, env: Env) -> Any:
        return ev.walk(e, env)
    return walk


# --------------------------------------------------------------------------- arithmetic

def _num(e: m.Num, ctx: Context) -> tuple[Fn, bool]:
    v = e.value
    value = int(v) if v.denominator == 1 else float(v)

    def num(ev: Any, env: Env) -> Any:
        b = ev.budget - 1
        ev.budget = b
        if b < 0:
            _exhausted()
        return value
    return num, True


def _add(e: m.Add, ctx: Context) -> tuple[Fn, bool]:
    left, right = closures(e.left, ctx)[1], closures(e.right, ctx)[1]

    def add(ev: Any, env: Env) -> Any:
        b = ev.budget - 1
        ev.budget = b
        if b < 0:
            _exhausted()
        x = left(ev, env)
        y = right(ev, env)
        if type(x) is not Jet and type(y) is not Jet:
            return x + y           # what jets.add does with two plain numbers
        return jets.add(x, y)
    return add, True


def _sub(e: m.Sub, ctx: Context) -> tuple[Fn, bool]:
    left, right = closures(e.left, ctx)[1], closures(e.right, ctx)[1]

    def sub(ev: Any, env: Env) -> Any:
        b = ev.budget - 1
        ev.budget = b
        if b < 0:
            _exhausted()
        x = left(ev, env)
        y = right(ev, env)
        if type(x) is not Jet and type(y) is not Jet:
            return x + (-y)        # jets.sub is add(a, neg(b)): the same operations
        return jets.sub(x, y)
    return sub, True


def _mul(e: m.Mul, ctx: Context) -> tuple[Fn, bool]:
    left, right = closures(e.left, ctx)[1], closures(e.right, ctx)[1]

    def mul(ev: Any, env: Env) -> Any:
        b = ev.budget - 1
        ev.budget = b
        if b < 0:
            _exhausted()
        x = left(ev, env)
        y = right(ev, env)
        if type(x) is not Jet and type(y) is not Jet:
            return x * y
        return jets.mul(x, y)
    return mul, True


def _div(e: m.Div, ctx: Context) -> tuple[Fn, bool]:
    left, right = closures(e.left, ctx)[1], closures(e.right, ctx)[1]

    def div(ev: Any, env: Env) -> Any:
        b = ev.budget - 1
        ev.budget = b
        if b < 0:
            _exhausted()
        x = left(ev, env)
        return jets.div(x, right(ev, env))   # looked up at each call: high precision swaps it
    return div, True


def _neg(e: m.Neg, ctx: Context) -> tuple[Fn, bool]:
    operand = closures(e.operand, ctx)[1]

    def neg(ev: Any, env: Env) -> Any:
        b = ev.budget - 1
        ev.budget = b
        if b < 0:
            _exhausted()
        x = operand(ev, env)
        return -x if type(x) is not Jet else jets.neg(x)
    return neg, True


def _pow(e: m.Pow, ctx: Context) -> tuple[Fn, bool]:
    base, exponent = closures(e.base, ctx)[1], closures(e.exponent, ctx)[1]

    def power(ev: Any, env: Env) -> Any:
        b = ev.budget - 1
        ev.budget = b
        if b < 0:
            _exhausted()
        x = base(ev, env)
        return jets.power(x, exponent(ev, env))
    return power, True


def _func(e: m.Func, ctx: Context) -> tuple[Fn, bool]:
    arg = closures(e.arg, ctx)[1]
    name = e.name

    def func(ev: Any, env: Env) -> Any:
        b = ev.budget - 1
        ev.budget = b
        if b < 0:
            _exhausted()
        v = arg(ev, env)
        if name == "log":
            return jets.log(v)
        if name == "exp":
            return jets.exp(v)
        return jets.power(v, 0.5)
    return func, True


def _grad(e: m.Grad, ctx: Context) -> tuple[Fn, bool]:
    p = e.param
    rank = {q: i for i, q in enumerate(ctx.params)}
    operand = closures(e.operand, ctx)[1]
    if p not in rank:
        hint = "add `param θ` or `use rl`" if p in ("θ", "") else f"declare it with `param {p}`"
        what = f"'{p}'" if p else "(none given)"
        message = f"the gradient is taken in {what}, which is not a declared parameter: {hint}"

        def undeclared(ev: Any, env: Env) -> Any:
            b = ev.budget - 1
            ev.budget = b
            if b < 0:
                _exhausted()
            raise NameProblem(message, e.span)
        return undeclared, True
    var = rank[p]

    def grad(ev: Any, env: Env) -> Any:
        b = ev.budget - 1
        ev.budget = b
        if b < 0:
            _exhausted()
        return jets.derivative(operand(ev, env), var)
    return grad, True


def _size(e: m.Size, ctx: Context) -> tuple[Fn, bool]:
    key = e.name.key()

    def size(ev: Any, env: Env) -> Any:
        b = ev.budget - 1
        ev.budget = b
        if b < 0:
            _exhausted()
        return len(ev.dataset(key))
    return size, True


# --------------------------------------------------------------------------- names and calls

def _name(n: m.Name, ctx: Context) -> tuple[Fn, bool]:
    """A name: a bound variable first; then what the context says it is, settled here where the
    context alone decides (a constant, a parameter, a step variable), else ``Evaluator.unbound_name``."""
    key = n.key()
    plain = not n.sub and n.sample is None and not n.primes
    rest: Fn
    if key in ctx.constants:
        def rest(ev: Any, env: Env) -> Any:
            return ev._constant(key)
    elif key in ctx.params:
        def name_or_param(ev: Any, env: Env) -> Any:
            b = ev.budget - 1
            ev.budget = b
            if b < 0:
                _exhausted()
            bindings = env.bindings
            if key in bindings:
                return bindings[key]
            return ev.param_values[key]
        return name_or_param, False
    elif plain and (key in ("T", "N") or key == "γ" and ctx.rl):
        # the horizon, the sample count, the discount (``unbound_name`` reads these off the model right
        # after constants and parameters, which this name is neither of)
        attribute = {"T": "horizon", "N": "n_samples", "γ": "gamma"}[key]

        def model_constant(ev: Any, env: Env) -> Any:
            b = ev.budget - 1
            ev.budget = b
            if b < 0:
                _exhausted()
            bindings = env.bindings
            if key in bindings:
                return bindings[key]
            return getattr(ev.model, attribute)
        return model_constant, False
    elif (domain := ctx.domain_of_base(n.base)) in (STATE, ACTION):
        base = n.base
        maybe_sample = len(n.sub) == 1 and n.sample is None

        step = _step_variable(n, ctx, domain)

        def step_name(ev: Any, env: Env) -> Any:   # ``name`` below with ``rest`` inline: the hottest name
            b = ev.budget - 1
            ev.budget = b
            if b < 0:
                _exhausted()
            bindings = env.bindings
            if key in bindings:
                return bindings[key]
            if maybe_sample and base in ev.sample_bases:
                return ev.unbound_name(n, env)
            return step(ev, env)
        return step_name, False
    elif domain == TRAJ:
        # ``unbound_name``'s trajectory case: the current trajectory, or a free (sampled) one such as τ_i
        resolved = _resolved_key(n, ctx)

        def trajectory(ev: Any, env: Env) -> Any:
            b = ev.budget - 1
            ev.budget = b
            if b < 0:
                _exhausted()
            bindings = env.bindings
            if key in bindings:
                return bindings[key]
            if plain:
                return env.traj if env.traj is not None and "τ" in bindings else ev.free_traj("τ")
            return ev.free_traj(resolved(ev, env))
        return trajectory, False
    else:
        def rest(ev: Any, env: Env) -> Any:
            return ev.unbound_name(n, env)

    def name(ev: Any, env: Env) -> Any:
        b = ev.budget - 1
        ev.budget = b
        if b < 0:
            _exhausted()
        bindings = env.bindings
        if key in bindings:
            return bindings[key]
        return rest(ev, env)
    return name, False


def _step_variable(n: m.Name, ctx: Context, domain: str) -> Fn:
    """``Evaluator._step_variable`` compiled: ``s_t`` a component of the current (or sampled) trajectory,
    ``s``, ``s'`` free values."""
    attr = "states" if domain == STATE else "actions"
    resolved = _resolved_key(n, ctx)
    if not n.sub or n.primes:
        def free(ev: Any, env: Env) -> Any:
            size = ev.model.n_states if domain == STATE else ev.model.n_actions
            rk = resolved(ev, env)
            return ev._free(rk, lambda: Elem(domain, int(ev._u(ev.trial, rk, domain) * size)))
        return free
    index = closures(n.sub[-1], ctx)[0]
    sample = n.sub[0] if len(n.sub) == 2 else n.sample
    sample_part = _key_part(sample, ctx) if sample is not None else None
    is_state = domain == STATE
    elems: list[Elem] = []   # Elem(domain, k) made once per k: the same value, without building it again

    def step(ev: Any, env: Env) -> Any:
        if sample_part is not None:
            traj = ev.free_traj("τ_" + sample_part(ev, env))
        else:
            traj = env.traj
            if traj is None:
                traj = ev.free_traj("τ")
        v = index(ev, env)
        if type(v) is not int:
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            if not isinstance(v, int):
                size = ev.model.n_states if is_state else ev.model.n_actions
                rk = resolved(ev, env)
                return ev._free(rk, lambda: Elem(domain, int(ev._u(ev.trial, rk, domain) * size)))
        # Traj.component, inline (a time outside the trajectory goes through it, for its message)
        seq = traj.states if is_state else traj.actions
        k = v - traj.start
        if not 0 <= k < len(seq):
            traj.component(attr, v)
        value = seq[k]
        if value < len(elems):
            return elems[value]
        while len(elems) <= value:
            elems.append(Elem(domain, len(elems)))
        return elems[value]
    return step


def _resolved_key(n: m.Name, ctx: Context) -> Callable[[Any, Env], str]:
    """``Evaluator._resolved_key`` compiled: the name with its subscripts evaluated (x_i with i = 2 is x_2)."""
    if not n.sub and n.sample is None:
        key = n.key()
        return lambda ev, env: key
    prefix = n.base + "'" * n.primes
    parts = tuple(_key_part(x, ctx) for x in n.sub)
    if n.sample is None and len(parts) == 1:
        (only,) = parts
        return lambda ev, env: prefix + "_" + only(ev, env)
    sample_part = _key_part(n.sample, ctx) if n.sample is not None else None
    wrap = bool(n.sub)

    def resolved(ev: Any, env: Env) -> str:
        out = [prefix]
        for part in parts:
            out.append(part(ev, env))
        if sample_part is not None:  # x^{(i)} is x_i (LANGUAGE.md: samples are written either way)
            text = sample_part(ev, env)
            out.append("(" + text + ")" if wrap else text)
        return "_".join(out)
    return resolved


_EXACT = 2 ** 53   # every integer up to this magnitude is a float exactly


def _key_part(s: m.Expr, ctx: Context) -> Callable[[Any, Env], str]:
    """``Evaluator._key_part`` compiled: a free real index stays a letter, anything else is its value."""
    fn = closures(s, ctx)[0]
    shown = m.show(s)
    letter = s.key() if isinstance(s, m.Name) and ctx.domain_of_base(s.base) == REAL and \
        s.key() not in ctx.constants else None

    def part(ev: Any, env: Env) -> str:
        if letter is not None and letter not in env.bindings:
            return letter
        try:
            v = fn(ev, env)
        except (Unsupported, jets.Undefined):
            return shown
        if type(v) is int and -_EXACT <= v <= _EXACT:
            return str(v)          # what the float round trip below gives for an integer a float holds exactly
        if isinstance(v, (int, float, Jet)):
            number = jets.value(v)
            return str(int(number)) if number.is_integer() else str(number)
        return str(v)
    return part


def _call(c: m.Call, ctx: Context) -> tuple[Fn, bool]:
    canon, info = ctx.resolve_call(c)
    fns = tuple(closures(a, ctx)[0] for a in canon.all_args)
    kind = info.kind
    arguments = _arguments(fns)

    if kind == "def":
        head = ("def", info.key, info.arity)

        def call(ev: Any, env: Env) -> Any:
            b = ev.budget - 1
            ev.budget = b
            if b < 0:
                _exhausted()
            args = arguments(ev, env)
            key = head + (_cache_key(args), env.traj)   # Calls.apply_definition's key
            hit = ev.cache.get(key, _MISSING)
            if hit is not _MISSING and hit is not None:
                if ev.trace is not None:   # what is being noted (``reuse``) read this cached value
                    note(ev, key, hit, True)
                return hit
            return ev.apply_definition(info, args, env)
        return call, False
    if kind == "dist":
        n_vars = info.n_vars
        head = ("dist", info.key, info.arity)

        if n_vars == 1 and len(fns) <= 3:   # p(x), p(x | y), p(x | y, z): the common shapes, without slicing
            count = len(fns)
            f0 = fns[0]
            f1 = fns[1] if count > 1 else None
            f2 = fns[2] if count > 2 else None

            def conditional(ev: Any, env: Env) -> Any:
                b = ev.budget - 1
                ev.budget = b
                if b < 0:
                    _exhausted()
                x = f0(ev, env)
                if count == 2:
                    y = f1(ev, env)   # type: ignore[misc]
                    given: tuple = (y,) if type(y) is not Jet else (("jet", id(y)),)
                elif count == 3:
                    y = f1(ev, env)   # type: ignore[misc]
                    z = f2(ev, env)   # type: ignore[misc]
                    given = (y, z) if type(y) is not Jet and type(z) is not Jet else _cache_key([y, z])
                else:
                    given = ()
                table = ev.tables.get(head + (given,))
                if table is not None:
                    value = table.get((x,) if type(x) is not Jet else (("jet", id(x)),), _MISSING)
                    if value is not _MISSING:
                        return value
                return ev._probability(info, [x, y] if count == 2 else [x, y, z] if count == 3 else [x])
            return conditional, True

        def probability(ev: Any, env: Env) -> Any:
            b = ev.budget - 1
            ev.budget = b
            if b < 0:
                _exhausted()
            args = arguments(ev, env)
            # Calls._probability with its table found directly (the same keys as Calls._dist_table's)
            table = ev.tables.get(head + (_cache_key(args[n_vars:]),))
            if table is not None:
                value = table.get(_cache_key(args[:n_vars]), _MISSING)
                if value is not _MISSING:
                    return value
            return ev._probability(info, args)
        return probability, True

    fun_head = ("fun", info.key, info.arity)
    depends = sorted(info.depends)

    def function(ev: Any, env: Env) -> Any:
        b = ev.budget - 1
        ev.budget = b
        if b < 0:
            _exhausted()
        args = arguments(ev, env)
        # Calls._function's table, found directly when every argument is an element or a trajectory (its
        # only real inputs are then the parameters it depends on, so its key is the arguments)
        for a in args:
            if type(a) is not Elem and type(a) is not Traj:
                return ev._function(info, args, canon)
        values = ev.param_values
        if all(p in values for p in depends):
            key = fun_head + (tuple(args),)
            hit = ev.tables.get(key, _MISSING)
            if hit is not _MISSING:
                return hit
            shared = ev.shared
            if shared is not None:
                hit = shared.get(key, _MISSING)
                if hit is not _MISSING:
                    ev.tables[key] = hit
                    return hit
        return ev._function(info, args, canon)
    return function, True


def _arguments(fns: tuple[Fn, ...]) -> Callable[[Any, Env], list[Any]]:
    """The arguments' values, left to right (the common arities without a comprehension's frame)."""
    if len(fns) == 1:
        (f0,) = fns
        return lambda ev, env: [f0(ev, env)]
    if len(fns) == 2:
        f0, f1 = fns
        return lambda ev, env: [f0(ev, env), f1(ev, env)]
    if len(fns) == 3:
        f0, f1, f2 = fns
        return lambda ev, env: [f0(ev, env), f1(ev, env), f2(ev, env)]
    return lambda ev, env: [f(ev, env) for f in fns]


_MISSING = object()


def _cache_key(values: list[Any]) -> tuple:
    """``tuple(hashable(v) for v in values)``: a jet by identity."""
    for v in values:
        if type(v) is Jet:
            return tuple(("jet", id(x)) if type(x) is Jet else x for x in values)
    return tuple(values)


def _enumerated(method: str) -> Callable[[Any, Context], tuple[Fn, bool]]:
    """A sum, product or expectation: ``Evaluator.bigop`` / ``expect``, which use the body's closure."""
    def build(e: Any, ctx: Context) -> tuple[Fn, bool]:
        def enumerate_(ev: Any, env: Env) -> Any:
            b = ev.budget - 1
            ev.budget = b
            if b < 0:
                _exhausted()
            return getattr(ev, method)(e, env)
        return enumerate_, True
    return build


def _lazy(e: m.Expr | None, ctx: Context, which: int) -> Callable[[], Fn]:
    """``closures(e, ctx)[which]``, compiled at the first call: the tree walk reaches a bound or a body
    only when it evaluates it, so an error in compiling one is met no earlier here."""
    held: list[Fn] = []

    def get() -> Fn:
        if not held:
            assert e is not None
            held.append(closures(e, ctx)[which])
        return held[0]
    return get


def _bigop(b: m.BigOp, ctx: Context) -> tuple[Fn, bool]:
    """A sum or product: ``Evaluator.bigop`` with its bounds' and body's closures and its index's trajectory
    component settled here, once (``Enumeration._component`` reads the context and the node only)."""
    parts: list[Any] = []

    def enumerate_(ev: Any, env: Env) -> Any:
        b_ = ev.budget - 1
        ev.budget = b_
        if b_ < 0:
            _exhausted()
        if not parts:
            parts.extend((_lazy(b.lower, ctx, 0), _lazy(b.upper, ctx, 0), _lazy(b.body, ctx, 1),
                          ev._component(b.index, env)))
        return ev.bigop(b, env, parts)
    return enumerate_, True


_BUILDERS: dict[type, Callable[[Any, Context], tuple[Fn, bool]]] = {
    m.Num: _num, m.Add: _add, m.Sub: _sub, m.Mul: _mul, m.Div: _div, m.Neg: _neg, m.Pow: _pow, m.Func: _func,
    m.Grad: _grad, m.Size: _size, m.Name: _name, m.Call: _call, m.BigOp: _bigop,
    m.Expect: _enumerated("expect"),
}
