"""Translation: the typed AST to sympy, exactly as ``falsify`` evaluates it, never by parsing text.

``s_t``/``a_t`` become ``s(τ, t)``/``a(τ, t)`` of the *current* trajectory
(the innermost bound one, else the free ``τ``); ``sum_t`` is
``Sum(body, (t, 0, T-1))``; ``sum_τ``, ``int_τ`` and ``sum_x`` are sums over
a finite domain, ``(i, 1, |𝒯|)``, ``(i, 1, #x)``; ``E_{x~p}[f]`` is
``Sum(𝔼w(p(x)) f, (x, 1, #x))`` where ``𝔼w`` (:class:`Weight`) is an
identity marker that remembers the sum was written as an expectation; a
call gets the parameters it depends on appended as arguments
(``π_θ(a|s)`` → ``π_θ(a, s, θ)``), so ``∂/∂θ`` of anything else is zero;
a ``def`` call (and the rl defaults ``Pr_θ(τ)``, ``J(θ)``) stays an opaque
function of its arguments and of every free symbol of its body until the
rule ``definition`` unfolds it; ``∇_θ X`` is the unevaluated :class:`Grad`.
An expectation under a distribution given by a ``def`` (``E_{τ~Pr_β}``)
weighs by that definition (``falsify`` does not evaluate these yet).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import sympy as sp  # type: ignore[import-untyped]
from sympy.core.function import AppliedUndef, UndefinedFunction  # type: ignore[import-untyped]

from .. import model as m
from ..model.records import finish, record
from ..semantics import (
    ACTION,
    DEFAULT_TRAJECTORY,
    REAL,
    STATE,
    TIME,
    TRAJ,
    TRAJECTORY_DIST,
    Context,
    FunctionInfo,
    builtin_expr,
    trajectory_definition,
)
from .terms import Grad, Product, Sum, Unsupported, Weight, canon, is_positive

__all__ = ["DefTemplate", "Scope", "Translator", "positive_by_declaration"]


class _Function(UndefinedFunction):
    """sympy's undefined function (what ``sp.Function(name, **assumptions)`` makes), its hash computed once.

    sympy computes an undefined function's hash from its class key at every use, about 3 µs: every
    expression built over an application looks its type's postprocessors up, hashing the function twice,
    about 150,000 times for the steps of proofs/ (a tenth of their time).  The hash is sympy's own value,
    kept, and equality is sympy's own test, made symmetric: a function ``sp.Function`` makes with the same
    name and assumptions is equal to this one, either way round, and has the same hash.
    """

    def __new__(mcl, name, bases=(AppliedUndef,), __dict__=None, **kwargs):  # noqa: N804 - sympy's signature
        function = super().__new__(mcl, name, bases, __dict__, **kwargs)
        function._pgverify_hash = UndefinedFunction.__hash__(function)
        return function

    def __hash__(self) -> int:
        return self._pgverify_hash

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, UndefinedFunction) and self.class_key() == other.class_key()
                and self._kwargs == other._kwargs)

    def __ne__(self, other: object) -> bool:
        return not self == other


@lru_cache(maxsize=4096)
def _function(name: str, assumptions: tuple[tuple[str, bool], ...]) -> _Function:
    """The kernel's function ``name`` with ``assumptions`` (sorted pairs), made once per process.

    Making one costs about 150 µs (sympy works out its assumptions), and each step's translator made its
    own: seven per step of the seed.  sympy takes two functions of the same name and assumptions for the
    same function (they are equal, with the same hash), so the one made before serves every later step.
    """
    return _Function(name, **dict(assumptions))


@record(slots=False)
class Scope:
    """Bound names (key → (sympy value, domain)) and the current trajectory."""

    bindings: dict[str, tuple[sp.Expr, str]]
    traj: sp.Expr

    def bind(self, key: str, value: sp.Expr, domain: str) -> Scope:
        b = dict(self.bindings)
        b[key] = (value, domain)
        return Scope(b, value if domain == TRAJ else self.traj)


@record(frozen=False, slots=False)
class DefTemplate:
    """A definition translated once: ``func(*args, *extras)`` stands for ``body``."""

    func: UndefinedFunction
    params: tuple[sp.Symbol, ...]
    extras: tuple[sp.Symbol, ...]        # free symbols of the body, in argument order
    body: sp.Expr
    normalized_over: str | None = None   # a distribution over this domain (the rl trajectory default)

    def unfold(self, call: sp.Expr) -> sp.Expr:
        """``f(a, e) -> body[params := a, extras := e]``."""
        mapping = dict(zip(self.params + self.extras, call.args))
        return self.body.xreplace(mapping)


_SENTINEL = sp.Dummy("τ⋆")  # the caller's current trajectory, inside a definition's body


class _Symbols:
    """The symbols of one translation: parameters, the horizon, domain sizes, opaque functions."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.params = {p: sp.Symbol(p, real=True) for p in ctx.params}
        self.horizon = sp.Symbol("T" if ctx.rl else "T⋆", positive=True, integer=True)
        self.globals: set[sp.Symbol] = set(self.params.values()) | {self.horizon}
        self.free_traj = sp.Symbol("τ")
        self.templates: dict[tuple, DefTemplate] = {}
        self.defs: dict[UndefinedFunction, DefTemplate] = {}
        self.dists: dict[UndefinedFunction, FunctionInfo] = {}
        self.sizes: dict[str, sp.Symbol] = {}
        self._building: set[tuple] = set()
        # calls of declared functions and distributions on plain arguments, translated once per scope: the
        # same π_θ(a_t | s_t) on both sides of a step (hundreds of times in a long product) is one sympy
        # object, built once, however small sympy's own cache is
        self._calls: dict[tuple, sp.Expr] = {}

    def top(self) -> Scope:
        return Scope({}, self.free_traj)

    def size(self, domain: str) -> sp.Symbol:
        """The number of values of a finite domain (always ≥ 1)."""
        if domain not in self.sizes:
            # distinct from the size |D| of a data set D, whatever a domain is called
            label = {STATE: "|𝒮|", ACTION: "|𝒜|", TRAJ: "|𝒯|"}.get(domain, f"#{domain}")
            self.sizes[domain] = sp.Symbol(label, positive=True, integer=True)
            self.globals.add(self.sizes[domain])
        return self.sizes[domain]

    def _global(self, name: str, **assumptions) -> sp.Symbol:
        sym = sp.Symbol(name, **assumptions)
        self.globals.add(sym)
        return sym

    def function(self, name: str, **assumptions) -> UndefinedFunction:
        return _function(name, tuple(sorted(assumptions.items())))

    @staticmethod
    def _assumptions(domain: str) -> dict:
        if domain == REAL:
            return {"real": True}
        if domain == TIME:
            return {"integer": True, "nonnegative": True}
        return {}

    def step_functions(self) -> tuple[UndefinedFunction, UndefinedFunction]:
        """The functions ``s(τ, t)`` and ``a(τ, t)``: the state and action of trajectory τ at time t."""
        return self.function("s"), self.function("a")


class _Definitions(_Symbols):
    """Definitions (``def`` and the rl defaults) as opaque functions that ``definition`` unfolds."""

    def expr(self, e: m.Expr, scope: Scope) -> sp.Expr:
        """Translate one expression (the case analysis is :meth:`Translator.expr`)."""
        raise NotImplementedError

    def value(self, e: m.Expr, scope: Scope) -> tuple[sp.Expr, str]:
        """An argument's value and domain (see :meth:`Translator.value`)."""
        raise NotImplementedError

    def constant(self, key: str) -> sp.Expr:
        """``def c = …``: an opaque constant, evaluated without bindings (free τ)."""
        template = self._template(("const", key), (), self.ctx.constants[key], (), self.free_traj, key)
        return template.func(*template.extras)

    def apply_definition(self, info: FunctionInfo, args: list[tuple[sp.Expr, str]], scope: Scope) -> sp.Expr:
        """A def call: opaque ``f(args, extras)``; the body sees the caller's trajectory unless given one."""
        assert info.body is not None
        if len(args) != len(info.params):
            raise Unsupported(f"{info.key} is defined with {len(info.params)} arguments")
        domains = tuple(TRAJ if d == TRAJ else REAL if d in (REAL, TIME, "function") else d for _, d in args)
        traj = scope.traj
        for value, d in args:
            if d == TRAJ:
                traj = value
        key = (info.key, info.arity, id(info.body), domains)
        template = self._template(key, info.params, info.body, domains, _SENTINEL, info.key)
        extras = [traj if s == _SENTINEL else s for s in template.extras]
        return template.func(*[a for a, _ in args], *extras)

    def _template(self, key: tuple, params: tuple[m.Name, ...], body: m.Expr, domains: tuple[str, ...],
                  traj: sp.Expr, name: str) -> DefTemplate:
        if key in self.templates:
            return self.templates[key]
        if key in self._building:
            raise Unsupported(f"the definition of {name} refers to itself")
        self._building.add(key)
        try:
            dummies = tuple(sp.Dummy(p.key(), **self._assumptions(d)) for p, d in zip(params, domains))
            scope = Scope({}, traj)
            for p, dummy, d in zip(params, dummies, domains):
                scope = scope.bind(p.key(), dummy, d)
            translated = self.expr(body, scope)
        finally:
            self._building.discard(key)
        extras = tuple(sorted(translated.free_symbols - set(dummies), key=lambda s: (str(s), s.dummy_index
                                                                                       if isinstance(s, sp.Dummy)
                                                                                       else 0)))
        assumptions = {"positive": True} if is_positive(translated) else {"real": True}
        label = name if len(params) <= 1 else f"{name}/{len(params)}"
        while any(f.__name__ == label for f in self.defs):
            label += "′"
        func = _function(label, tuple(sorted(assumptions.items())))
        template = DefTemplate(func, dummies, extras, translated)
        if name == TRAJECTORY_DIST and self.ctx.rl and domains == (TRAJ,) and self._is_default_trajectory(template):
            template.normalized_over = TRAJ
        self.templates[key] = template
        self.defs[func] = template
        return template

    def trajectory_schema(self) -> tuple[int, int] | None:
        """How many states and actions a trajectory has, when ``Pr_θ``'s definition names them all.

        Mirrors ``Evaluator.trajectory_schema``: the highest ``s_k``/``a_k`` the
        definition mentions, plus one; None when an index is not a number
        (``prod_t`` over a symbolic horizon).
        """
        if not self.ctx.rl:
            return None
        index = sp.Dummy("τ")
        call = self.apply_definition(trajectory_definition(self.ctx), [(index, TRAJ)], self.top())
        template = self.defs.get(call.func)
        if template is None:
            return None
        body = template.unfold(call)
        state, action = self.step_functions()
        highest = {state: -1, action: -1}
        for atom in body.atoms(AppliedUndef):
            if atom.func in highest and atom.args[0] == index:
                if not atom.args[1].is_Integer:
                    return None
                highest[atom.func] = max(highest[atom.func], int(atom.args[1]))
        if highest[state] < 0 or highest[action] < 0:
            return None
        return highest[state] + 1, highest[action] + 1

    def _is_default_trajectory(self, template: DefTemplate) -> bool:
        """Is this ``Pr_θ`` the normalized default ``ρ0(s_0) prod_t π_θ P``, with those three distributions?"""
        ctx = self.ctx
        for key, arity, over in (("ρ_0", 1, STATE), ("π_θ", 2, ACTION), ("P", 3, STATE)):
            info = ctx.function(key, arity)
            if info.kind != "dist" or info.n_vars != 1 or info.var_domains[:1] != (over,):
                return False
        (param,) = template.params
        default = self.expr(builtin_expr(DEFAULT_TRAJECTORY), Scope({"τ": (param, TRAJ)}, param))
        return canon(default) == canon(template.body)


class _BigOperators(_Definitions):
    """Sums, products and expectations, each a finite ``Sum`` over its index's domain."""

    def bigop(self, b: m.BigOp, scope: Scope) -> sp.Expr:
        key = b.index.key()
        if b.lower is not None:
            lo = self.expr(b.lower, scope)
            hi = self.expr(b.upper, scope) if b.upper is not None else lo
            if not (lo.is_integer and hi.is_integer):
                raise Unsupported("the bounds of a sum are not whole numbers")
            index = sp.Dummy(key, integer=True)
            limits, value, domain = (index, lo, hi), index, TIME
        elif b.over is not None:
            index = sp.Dummy(key, integer=True)
            count = self._global(f"|{b.over.key()}|", positive=True, integer=True)
            value = self.function(f"{b.over.key()}[·]")(index)
            limits, domain = (index, 1, count), TRAJ
        else:
            domain = self.ctx.variable_domain(b.index.base)
            if domain == TIME:
                index = sp.Dummy(key, integer=True)
                limits = (index, 0, self.horizon - 1)
            else:
                if domain == REAL:
                    domain = "real:" + b.index.base   # an abstract finite set of values
                index = sp.Dummy(key)
                limits = (index, 1, self.size(domain))
            value = index
        body = self.expr(b.body, scope.bind(key, value, domain))
        return (Sum if b.kind == "sum" else Product)(body, limits)

    def expect(self, e: m.Expect, scope: Scope) -> sp.Expr:
        """``E_{x~p}[f] = Sum(E(p(x)) f)`` over the distribution's variables."""
        ctx = self.ctx
        keys = [v.key() for v in e.variables]
        if ctx.is_trajectory_dist(e.dist):
            if len(keys) != 1:
                raise Unsupported("an expectation over trajectories has one variable")
            index = sp.Dummy(keys[0])
            weight = self.apply_definition(trajectory_definition(ctx), [(index, TRAJ)], scope)
            body = self.expr(e.body, scope.bind(keys[0], index, TRAJ))
            return Sum(Weight(weight) * body, (index, 1, self.size(TRAJ)))
        domains, weigh = self._expectation_weight(e.dist, scope)
        if len(domains) != len(keys):
            raise Unsupported("the expectation lists a different number of variables than its distribution")
        inner = scope
        indices = []
        for k, domain in zip(keys, domains):
            index = sp.Dummy(k)
            indices.append((index, domain))
            inner = inner.bind(k, index, domain)
        result = Weight(weigh(indices)) * self.expr(e.body, inner)
        for index, domain in reversed(indices):
            result = Sum(result, (index, 1, self.size(domain)))
        return result

    def _expectation_weight(self, dist: m.Expr, scope: Scope
                            ) -> tuple[list[str], Callable[[list[tuple[sp.Expr, str]]], sp.Expr]]:
        """The domains of an expectation's variables, and its weight as a function of their values.

        ``p`` and ``π_θ(·|s)`` name a declared distribution (as ``falsify`` reads them); a
        distribution given by a ``def`` (``def Pr_β(τ) = …``) weighs by its definition.
        """
        ctx = self.ctx
        if isinstance(dist, m.Name):
            key = dist.key()
            candidates = [i for (k, _), i in ctx.functions.items() if k == key and i.kind == "dist"]
            info = next((i for i in candidates if i.n_vars == i.arity), None) or next(iter(candidates), None)
            if info is None:
                defined = [i for (k, _), i in ctx.functions.items() if k == key and i.kind == "def"]
                if len(defined) != 1:
                    raise Unsupported(f"'{key}' is not a declared distribution")
                return self._defined_weight(defined[0], [], scope)
            if info.arity != info.n_vars:
                raise Unsupported(f"{key} is conditional: write its condition")
            return list(info.var_domains[:info.n_vars]), lambda values: self._probability(info, values, [])
        if isinstance(dist, m.Call):
            canon = ctx.canonical_call(dist)
            info = ctx.function(canon.func.key(), len(canon.all_args))
            holes = [i for i, a in enumerate(canon.all_args) if isinstance(a, m.Placeholder)]
            if holes != list(range(len(holes))) or not holes:
                raise Unsupported("write the expectation's distribution with '·' for its variables")
            given = [self.value(a, scope) for a in canon.all_args[len(holes):]]
            if info.kind == "def":
                return self._defined_weight(info, given, scope, len(holes))
            if info.kind != "dist" or len(holes) != info.n_vars:
                raise Unsupported("cannot read the expectation's distribution")
            return (list(info.var_domains[:info.n_vars]),
                    lambda values: self._probability(info, values, [g for g, _ in given]))
        raise Unsupported("cannot read the expectation's distribution")

    def _probability(self, info: FunctionInfo, values: list[tuple[sp.Expr, str]], given: list[sp.Expr]) -> sp.Expr:
        deps = [self.params[p] for p in sorted(info.depends) if p in self.params]
        func = self.function(info.key if info.arity == 1 else f"{info.key}/{info.arity}", positive=True)
        self.dists[func] = info
        return func(*[v for v, _ in values], *given, *deps)

    def _defined_weight(self, info: FunctionInfo, given: list[tuple[sp.Expr, str]], scope: Scope,
                        holes: int | None = None):
        """A ``def``'d distribution: its variables are its first parameters, over their names' domains."""
        count = len(info.params) - len(given) if holes is None else holes
        if count < 1 or count + len(given) != len(info.params):
            raise Unsupported(f"cannot read the expectation's distribution {info.key}")
        domains = []
        for p in info.params[:count]:
            domain = self.ctx.variable_domain(p.base)
            if domain in (REAL, TIME):
                raise Unsupported(f"the variable {p.key()} of {info.key} has no finite domain")
            domains.append(domain)
        return domains, lambda values: self.apply_definition(info, list(values) + list(given), scope)


class Translator(_BigOperators):
    """AST → sympy, mirroring ``falsify.Evaluator`` case by case.

    The parts live in three bases (symbols, definitions, big operators); this class
    holds the entry point :meth:`side` and the case analysis of expressions, names and calls.
    """

    def side(self, e: m.Expr) -> sp.Expr:
        """One side of a step, at the top level; a value sympy finds undefined or complex is refused."""
        result = self.expr(e, self.top())
        if result.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I):
            raise Unsupported("a value is undefined (a division by zero, or the log or root of a negative number)")
        return result

    def expr(self, e: m.Expr, scope: Scope) -> sp.Expr:
        match e:
            case m.Num(value=v):
                return sp.Rational(v.numerator, v.denominator)
            case m.Name():
                return self.name(e, scope)[0]
            case m.Call():
                return self.call(e, scope)
            case m.Add() | m.Sub():
                # a chain of n terms is built with one sympy call: adding them two at a time re-sorts the
                # growing sum each time (quadratic in n, and worse with sympy's comparisons)
                return sp.Add(*[self.expr(t, scope) if sign > 0 else -self.expr(t, scope)
                                for sign, t in _terms(e)])
            case m.Mul():
                return sp.Mul(*[self.expr(f, scope) for f in m.factors(e)])
            case m.Div(left=l, right=r):
                return self.expr(l, scope) / self.expr(r, scope)
            case m.Neg(operand=o):
                return -self.expr(o, scope)
            case m.Pow(base=b, exponent=x):
                return sp.Pow(self.expr(b, scope), self.expr(x, scope))
            case m.Func(name=f, arg=a):
                inner = self.expr(a, scope)
                if f == "log" and isinstance(inner, AppliedUndef):
                    # what sympy's log would evaluate to (nothing simplifies the log of an opaque function's
                    # value), without its search for a factor of i in the argument, which was most of the
                    # cost of translating a sum of hundreds of log-probabilities
                    return sp.log(inner, evaluate=False)
                return {"log": sp.log, "exp": sp.exp}.get(f, sp.sqrt)(inner)
            case m.Grad(param=p, operand=o):
                if p not in self.params:
                    raise Unsupported(f"the gradient is taken in '{p}', which is not a declared parameter")
                return Grad(self.expr(o, scope), self.params[p])
            case m.BigOp():
                return self.bigop(e, scope)
            case m.Expect():
                return self.expect(e, scope)
            case m.Size(name=n):
                return self._global(f"|{n.key()}|", positive=True, integer=True)
            case m.Placeholder():
                raise Unsupported("a '·' placeholder outside an expectation's distribution")
        raise Unsupported(f"cannot translate {type(e).__name__}")

    def name(self, n: m.Name, scope: Scope) -> tuple[sp.Expr, str]:
        """A name's value and domain, as ``Evaluator.name`` resolves it."""
        ctx = self.ctx
        key = n.key()
        if key in scope.bindings:
            return scope.bindings[key]
        if key in ctx.constants:
            return self.constant(key), REAL
        if key in self.params:
            return self.params[key], REAL
        plain = not n.sub and n.sample is None and not n.primes
        if ctx.rl and plain:
            if key == "T":
                return self.horizon, TIME
            if key == "N":
                return self._global("N", positive=True, integer=True), REAL
            if key == "γ":
                return self._global("γ", positive=True), REAL
        domain = ctx.domain_of_base(n.base)
        if domain in (STATE, ACTION):
            return self.step_variable(n, scope, domain), domain
        if domain == TRAJ:
            return (self.free_traj if plain else self.indexed(n, scope, domain)), TRAJ
        if domain == REAL and any(k == key for k, _ in ctx.functions):
            deps = [self.params[p] for p in self.params if key.endswith("_" + p)]
            return self.function(f"⟨{key}⟩")(*deps), "function"
        return self.indexed(n, scope, domain), domain

    def indexed(self, n: m.Name, scope: Scope, domain: str) -> sp.Expr:
        """A free variable; ``x_i``, ``x^{(i)}`` with an evaluated index become ``x_(i)``."""
        if not n.sub and n.sample is None:
            return sp.Symbol(n.key(), **self._assumptions(domain))
        parts = list(n.sub) + ([n.sample] if n.sample is not None else [])
        values: list[sp.Expr] = []
        literal = True
        for part in parts:
            if isinstance(part, m.Name) and part.key() not in scope.bindings and \
                    self.ctx.domain_of_base(part.base) == REAL and part.key() not in self.ctx.constants:
                values.append(sp.Symbol(part.key()))      # written literally into the key
            else:
                values.append(self.expr(part, scope))
                literal = False
        if literal:
            return sp.Symbol(n.key(), **self._assumptions(domain))
        label = f"{n.base}{chr(39) * n.primes}_[{len(n.sub)}{'s' if n.sample is not None else ''}]"
        return self.function(label, **self._assumptions(domain))(*values)

    def step_variable(self, n: m.Name, scope: Scope, domain: str) -> sp.Expr:
        """``s_t``/``a_t``: a component of the current trajectory (or of the sample ``τ_i``)."""
        if n.sub and not n.primes:
            traj = scope.traj
            if len(n.sub) == 2 or n.sample is not None:
                sample = n.sub[0] if len(n.sub) == 2 else n.sample
                assert sample is not None
                traj = self.indexed(m.Name("τ", (sample,)), scope, TRAJ)
            index = self.expr(n.sub[-1], scope)
            if index.is_integer:
                return self.step_functions()[0 if domain == STATE else 1](traj, index)
            raise Unsupported(f"the time index of '{n.key()}' is not a whole number")
        return self.indexed(n, scope, domain)

    def call(self, c: m.Call, scope: Scope) -> sp.Expr:
        canon, info = self.ctx.resolve_call(c)
        if info.kind == "def" or not all(_plain(a) for a in canon.all_args):
            return self._call(canon, info, scope)
        # a plain call's translation depends on the call and the scope's bindings only (no fresh dummy, no
        # definition's template), so one translation serves every occurrence under the same bindings
        memo = (canon, tuple(scope.bindings.items()), scope.traj)
        hit = self._calls.get(memo)
        if hit is None:
            hit = self._calls[memo] = self._call(canon, info, scope)
        return hit

    def _call(self, canon: m.Call, info: FunctionInfo, scope: Scope) -> sp.Expr:
        key, arity = canon.func.key(), len(canon.all_args)
        if any(isinstance(a, m.Placeholder) for a in canon.all_args):
            raise Unsupported("a '·' placeholder outside an expectation's distribution")
        args = [self.value(a, scope) for a in canon.all_args]
        if info.kind == "def":
            return self.apply_definition(info, args, scope)
        deps = [self.params[p] for p in sorted(info.depends) if p in self.params]
        assumptions = {"positive": True} if info.positive else {"real": True}
        func = self.function(f"{key}" if arity == 1 else f"{key}/{arity}", **assumptions)
        if info.kind == "dist":
            self.dists[func] = info
        return func(*[a for a, _ in args], *deps)

    def value(self, e: m.Expr, scope: Scope) -> tuple[sp.Expr, str]:
        if isinstance(e, m.Name):
            return self.name(e, scope)
        return self.expr(e, scope), REAL


def _plain(e: m.Expr) -> bool:
    """A name or number, or arithmetic of them (``s_t``, ``s_{t+1}``, ``x^{(i)}``, ``2``): what translates
    without a definition, a call or a bound variable of its own."""
    if isinstance(e, m.Num):
        return True
    if isinstance(e, m.Name):
        return all(_plain(s) for s in e.sub) and (e.sample is None or _plain(e.sample))
    if isinstance(e, (m.Add, m.Sub, m.Mul)):
        return _plain(e.left) and _plain(e.right)
    if isinstance(e, m.Neg):
        return _plain(e.operand)
    return False


def _terms(e: m.Expr) -> list[tuple[int, m.Expr]]:
    """The terms of a sum or difference with their signs, left to right, without recursion: a long sum
    nests along its left spine as written, and in a balanced tree once regrouped (``syntax.pgv.builder``);
    a sum that is itself a term (not subtracted) is opened too, as sympy would flatten it into the outer sum,
    so the whole chain is one ``sp.Add`` call instead of one per subtree."""
    out: list[tuple[int, m.Expr]] = []
    stack: list[tuple[int, m.Expr]] = [(1, e)]
    while stack:
        sign, node = stack.pop()
        if sign > 0 and isinstance(node, (m.Add, m.Sub)):
            stack.append((1 if isinstance(node, m.Add) else -1, node.right))   # popped after the left side
            stack.append((1, node.left))
        else:
            out.append((sign, node))
    return out


def positive_by_declaration(e: m.Expr, ctx: Context) -> bool:
    """Is ``e`` positive wherever it is defined, by the declarations alone?  pgverify's one positivity test.

    Translated, then read by :func:`~pgverify.kernel.terms.is_positive`: probabilities, ``fun … positive``,
    ``exp``, declared-positive symbols (γ, N, sizes), and sums, products, quotients and powers of those.
    The side-condition ledger asks it of each log's argument and each divisor; the kernel's log rules
    ask ``is_positive`` of the same translation.  Anything the kernel cannot translate is not positive.
    """
    try:
        return is_positive(Translator(ctx).side(e))
    except (Unsupported, ValueError, TypeError):
        return False


finish(__name__)   # the methods of this module's records, made at once (see model/records.py)
