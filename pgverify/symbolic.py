"""The symbolic engine behind the verdict ``proved``: normalize both sides with sympy and compare.

A step ``A = B`` is proved when both sides, translated to sympy and rewritten
to a normal form, come out the same.  Three layers, each small:

* **translation** (:class:`Translator`) turns the typed AST into sympy
  objects *exactly as* ``falsify`` evaluates it, never by parsing text:
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
* **normalization** (:class:`Normalizer`): small rewrites, each a pure function
  from a node to a node (or None), applied bottom-up to a fixpoint.  Each
  rewrite belongs to one *capability*; the rules a step cites switch
  capabilities on (``_CAPABILITIES``).  ``rules=None`` switches all on.
* **comparison** (:func:`_same`): structural equality after renaming bound
  variables canonically; with ``algebra``, also ``expand`` and
  ``cancel(together(…))`` of the difference (``exp(-x)`` read as
  ``1/exp(x)``), with every sum, product and gradient frozen into an opaque
  symbol so sympy never evaluates a sum with its own reversed-range
  convention; last, sums whose ranges differ by a few terms are aligned by
  peeling those terms off.

Soundness: every rewrite is an equivalence under the semantics of
``falsify`` (finite domains, empty ranges sum to 0, distributions positive
and normalized), so ``proved`` only ever means "equal in every finite model,
wherever both sides are defined".  Log rules need positivity, known only for
distributions, ``fun … positive``, ``exp``, and sums/products/powers of those.

Always on (BASE): sympy's own evaluation (flattening, constant folding,
ordering, ``x*1``, ``x+0``), canonical names for bound variables, sums with
number bounds written out, a range ``sum_{i=a}^{b}`` shifted to start at 0,
``Sum(0) = 0``, ``Prod(1) = 1``, ``∇ c = 0`` for a number, ``∇_θ θ = 1``, and
``∇_θ f(…, θ, …)`` read as the partial derivative of an opaque function.

Rule scopes (what citing a rule switches on):

``definition``
    unfold user ``def``s (functions and constants) and the rl defaults
    ``Pr_θ(τ) = ρ0(s_0) prod_t π_θ(a_t|s_t) P(s_{t+1}|s_t,a_t)`` and
    ``J(θ) = E_{τ~π_θ}[R(τ)]``; when ``Pr_θ``'s definition lays a trajectory
    out step by step (``s_0 … s_2``, ``a_0, a_1``), a sum over trajectories
    becomes nested sums over those components.
``expectation``
    ``E_{x~p}[f] -> sum_x p(x) f`` (drop the expectation marker).
``linearity``
    split sums, products, gradients (and so expectations) over ``+``/``*``,
    pull factors free of the index (of θ, for ∇) out, count constant sums,
    and move ∇ through a finite sum (a finite sum is a repeated ``+``).
``algebra``
    sum linearity and counting, splitting products of products, and the
    algebraic comparison above.
``log-product`` / ``log-exp``
    ``log(a b) -> log a + log b``, ``log(a^k) -> k log a``,
    ``log prod_t f -> sum_t log f`` (all for positive factors), ``log exp u -> u``.
``log-derivative``
    ``∇ log u -> ∇u / u`` (so ``p ∇ log p`` and ``∇p`` meet).
``theta-independence``
    ``∇_θ X -> 0`` when X does not depend on θ, plus moving ∇ through finite
    sums and over ``+`` (the step cannot be stated otherwise).
``exchange``
    ``∇ sum_x f -> sum_x ∇ f`` (the range never depends on θ), including an
    expectation written as a sum, plus ∇ over ``+`` and θ-free factors.
``chain-rule`` / ``product-rule``
    differentiate composites and products: ``∇ exp u``, ``∇ u^k``,
    ``∇ log u``, ``∇ (f g)``, ``∇ prod_t f = prod_t f · sum_t ∇f / f``
    (f positive), ``∇ f(g(θ))`` for opaque f.
``normalization``
    ``sum_x c p(x|…) -> c`` for a declared distribution summed over its own
    variable (and ``Pr_θ`` when it is the rl default), with or without the
    expectation marker, ``sum_x c ∂p(x|…) -> 0``, counting constant sums.
``eglp``
    ``sum_x c p(x) ∇ log p(x) -> 0`` (hence ``E_{x~p}[c ∇ log p(x)] = 0``), and
    everything ``normalization`` does.
``tower``, ``baseline``, ``advantage``, ``reward-to-go``, ``discount``, ``kl``, …
    the catalogue's composite rules are small theorems: each switches on the
    rules it rests on (see ``_CAPABILITIES``), e.g. ``baseline`` = definition,
    expectation, linearity, normalization, eglp, log-derivative, exchange.
a cited lemma ``name: L = R``
    rewrite ``L -> R`` (or ``R -> L``) wherever L occurs (up to a constant
    factor) in a normalized side, its free variables matching anything but a
    variable bound inside the match; sums are split linearly to expose it.
    Lemmas are used only when cited (they are assumptions, not proofs), and
    only ``=`` lemmas.

Relations ``≤ ≥ ∝`` are not supported.  ``≈`` is proved like ``=``: a side that
equals the other identically is an unbiased estimate of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import sympy as sp  # type: ignore[import-untyped]
from sympy.core.function import AppliedUndef, UndefinedFunction  # type: ignore[import-untyped]

from . import model as m
from .semantics import (
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
    objective_definition,
    trajectory_definition,
)

__all__ = ["RULE_NAMES", "Proof", "Unsupported", "normal_form", "prove"]

MAX_REWRITES = 4000     # rewrites per normalization before giving up
MAX_UNROLL = 30         # terms of a sum with number bounds that are written out


@dataclass(frozen=True)
class Proof:
    """The outcome of :func:`prove`."""

    proved: bool
    reason: str = ""                    # when not proved: why
    rules_used: tuple[str, ...] = ()    # rule families the successful normalization used


class Unsupported(Exception):
    """A construct the symbolic engine does not translate."""


# --------------------------------------------------------------------------- sympy node types


class Grad(sp.Function):
    """``∇_θ X``, unevaluated: ``Grad(X, θ)``.  Only the normalizer moves it inward."""

    nargs = 2

    @classmethod
    def eval(cls, *args):
        return None

    def _eval_is_real(self):
        return True

    def _sympystr(self, printer):
        return f"∇_{printer._print(self.args[1])}({printer._print(self.args[0])})"


class Weight(sp.Function):
    """``E(p)``: the identity, marking a probability that came from ``E_{x~p}[…]``."""

    nargs = 1

    @classmethod
    def eval(cls, *args):
        return None

    def _eval_is_real(self):
        return True

    def _eval_is_positive(self):
        return _is_pos(self.args[0]) or None

    def _sympystr(self, printer):
        return f"𝔼w({printer._print(self.args[0])})"


class Sum(sp.Sum):
    """sympy's ``Sum`` without the ``piecewise_fold`` its constructor runs (the language has no
    Piecewise); nested sums are merged into one with several limits, as sympy does."""

    def __new__(cls, function, *limits):
        return _lean_bigop(cls, function, limits)


class Product(sp.Product):
    """sympy's ``Product``, built like :class:`Sum`."""

    def __new__(cls, function, *limits):
        return _lean_bigop(cls, function, limits)


def _lean_bigop(cls: type, function, limits: tuple) -> sp.Expr:
    function = sp.sympify(function)
    bounds = [sp.Tuple(*limit) for limit in limits]
    if any(len(b) != 3 for b in bounds):
        raise ValueError("a sum needs an index, a lower and an upper bound")
    while type(function) is cls:
        nested: sp.Sum = function
        bounds = list(nested.limits) + bounds
        function = nested.function
    obj = sp.Expr.__new__(cls)
    obj._args = (function, *bounds)
    obj.is_commutative = function.is_commutative
    return obj


# --------------------------------------------------------------------------- translation


@dataclass(frozen=True)
class Scope:
    """Bound names (key → (sympy value, domain)) and the current trajectory."""

    bindings: dict[str, tuple[sp.Expr, str]]
    traj: sp.Expr

    def bind(self, key: str, value: sp.Expr, domain: str) -> Scope:
        b = dict(self.bindings)
        b[key] = (value, domain)
        return Scope(b, value if domain == TRAJ else self.traj)


@dataclass
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


class Translator:
    """AST → sympy, mirroring ``falsify.Evaluator`` case by case."""

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
        self._functions: dict[tuple, UndefinedFunction] = {}
        self._building: set[tuple] = set()

    def top(self) -> Scope:
        return Scope({}, self.free_traj)

    def side(self, e: m.Expr) -> sp.Expr:
        """One side of a step, at the top level; a value sympy finds undefined or complex is refused."""
        result = self.expr(e, self.top())
        if result.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I):
            raise Unsupported("a value is undefined (a division by zero, or the log or root of a negative number)")
        return result

    # ------------------------------------------------------------ symbols

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
        key = (name, tuple(sorted(assumptions.items())))
        if key not in self._functions:
            self._functions[key] = sp.Function(name, **assumptions)
        return self._functions[key]

    @staticmethod
    def _assumptions(domain: str) -> dict:
        if domain == REAL:
            return {"real": True}
        if domain == TIME:
            return {"integer": True, "nonnegative": True}
        return {}

    # ------------------------------------------------------------ expressions

    def expr(self, e: m.Expr, scope: Scope) -> sp.Expr:
        match e:
            case m.Num(value=v):
                return sp.Rational(v.numerator, v.denominator)
            case m.Name():
                return self.name(e, scope)[0]
            case m.Call():
                return self.call(e, scope)
            case m.Add(left=l, right=r):
                return self.expr(l, scope) + self.expr(r, scope)
            case m.Sub(left=l, right=r):
                return self.expr(l, scope) - self.expr(r, scope)
            case m.Mul(left=l, right=r):
                return self.expr(l, scope) * self.expr(r, scope)
            case m.Div(left=l, right=r):
                return self.expr(l, scope) / self.expr(r, scope)
            case m.Neg(operand=o):
                return -self.expr(o, scope)
            case m.Pow(base=b, exponent=x):
                return sp.Pow(self.expr(b, scope), self.expr(x, scope))
            case m.Func(name=f, arg=a):
                inner = self.expr(a, scope)
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

    # ------------------------------------------------------------ names

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

    def constant(self, key: str) -> sp.Expr:
        """``def c = …``: an opaque constant, evaluated without bindings (free τ)."""
        template = self._template(("const", key), (), self.ctx.constants[key], (), self.free_traj, key)
        return template.func(*template.extras)

    # ------------------------------------------------------------ calls

    def call(self, c: m.Call, scope: Scope) -> sp.Expr:
        ctx = self.ctx
        canon = ctx.canonical_call(c)
        key, arity = canon.func.key(), len(canon.all_args)
        info = ctx.function(key, arity)
        if ctx.rl and key == TRAJECTORY_DIST and arity == 1:
            info = trajectory_definition(ctx)
        elif key == "J" and arity == 1 and info.kind != "def":
            info = objective_definition(ctx) or info
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
        assumptions = {"positive": True} if _is_pos(translated) else {"real": True}
        label = name if len(params) <= 1 else f"{name}/{len(params)}"
        while any(f.__name__ == label for f in self.defs):
            label += "′"
        func = sp.Function(label, **assumptions)
        template = DefTemplate(func, dummies, extras, translated)
        if name == TRAJECTORY_DIST and self.ctx.rl and domains == (TRAJ,) and self._is_default_trajectory(template):
            template.normalized_over = TRAJ
        self.templates[key] = template
        self.defs[func] = template
        return template

    def step_functions(self) -> tuple[UndefinedFunction, UndefinedFunction]:
        """The functions ``s(τ, t)`` and ``a(τ, t)``: the state and action of trajectory τ at time t."""
        return self.function("s"), self.function("a")

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
        return _canon(default) == _canon(template.body)

    # ------------------------------------------------------------ big operators

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
            domain = self.ctx.domain_of_base(b.index.base)
            if domain == REAL and b.index.base == "τ":
                domain = TRAJ
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
            domain = self.ctx.domain_of_base(p.base)
            if domain == REAL and p.base == "τ":
                domain = TRAJ
            if domain in (REAL, TIME):
                raise Unsupported(f"the variable {p.key()} of {info.key} has no finite domain")
            domains.append(domain)
        return domains, lambda values: self.apply_definition(info, list(values) + list(given), scope)


# --------------------------------------------------------------------------- small predicates


def _is_pos(e: sp.Expr) -> bool:
    """Is ``e`` positive wherever it is defined (known from declarations, not from values)?"""
    if e.is_Number:
        return bool(e > 0)
    if isinstance(e, (sp.Symbol, AppliedUndef)):
        return e.is_positive is True
    if isinstance(e, Weight):
        return _is_pos(e.args[0])
    if isinstance(e, sp.exp):
        return True   # every value of the language is real
    if isinstance(e, (sp.Mul, sp.Add)):
        return all(_is_pos(a) for a in e.args)
    if isinstance(e, sp.Pow):
        return _is_pos(e.base)
    if isinstance(e, sp.Sum):
        body, _, lo, hi = _outer(e)
        return _is_pos(body) and (hi - lo + 1).is_positive is True
    if isinstance(e, sp.Product):
        return _is_pos(e.function)
    return False


def _free_of(e: sp.Expr, sym: sp.Symbol) -> bool:
    return sym not in e.free_symbols


def _outer(e: sp.Expr) -> tuple[sp.Expr, sp.Symbol, sp.Expr, sp.Expr]:
    """A sum or product as ``(body, index, lo, hi)`` of its outermost limit.

    sympy merges nested sums into one with several limits (innermost first);
    every rule reads such a sum as nested sums through this view.
    """
    *inner, (i, lo, hi) = e.limits
    body = type(e)(e.function, *inner) if inner else e.function
    return body, i, lo, hi


def _range_length(lo: sp.Expr, hi: sp.Expr) -> sp.Expr | None:
    """``hi - lo + 1`` when it is known to be ≥ 0 (the number of terms), else None."""
    n = hi - lo + 1
    return n if n.is_nonnegative is True else None


def _rebuild_bigop(e: sp.Expr, body: sp.Expr, limits: tuple) -> sp.Expr:
    return type(e)(body, limits)


@lru_cache(maxsize=8192)
def _canon(e: sp.Expr, prefix: str = "ι") -> sp.Expr:
    """Rename bound variables by nesting depth (``ι0``, ``ι1`` …) so equal sums compare equal."""
    if not e.has(sp.Sum, sp.Product):
        return e
    return _rename_depth(e, 0, prefix)


def _rename_depth(e: sp.Expr, depth: int, prefix: str) -> sp.Expr:
    if not e.args or isinstance(e, (sp.Derivative, sp.Subs)):
        return e
    if isinstance(e, (sp.Sum, sp.Product)):
        body, i, lo, hi = _outer(e)
        new = sp.Symbol(f"{prefix}{depth}", integer=True) if i.is_integer else sp.Symbol(f"{prefix}{depth}")
        if new != i:
            if body.has(new):      # a stale name inside: step through a fresh one, so nothing is captured
                fresh = sp.Dummy(integer=True) if i.is_integer else sp.Dummy()
                body = _rename_depth(body.xreplace({i: fresh}), depth + 1, prefix).xreplace({fresh: new})
            else:
                body = _rename_depth(body.xreplace({i: new}), depth + 1, prefix)
        else:
            body = _rename_depth(body, depth + 1, prefix)
        return type(e)(body, (new, _rename_depth(lo, depth, prefix), _rename_depth(hi, depth, prefix)))
    return e.func(*[_rename_depth(a, depth, prefix) for a in e.args])


# --------------------------------------------------------------------------- capabilities

RULE_NAMES = ("definition", "algebra", "linearity", "log-product", "log-exp", "log-derivative",
              "theta-independence", "exchange", "expectation", "chain-rule", "product-rule",
              "normalization", "eglp", "tower", "baseline", "advantage", "reward-to-go", "discount",
              "importance-sampling", "kl", "softmax-score")

# what the score-function theorems (baseline, advantage, reward-to-go) rest on: expectations written
# out (over a trajectory's components too), linearity, and the zero mean of the score
_SCORE_THEOREM = frozenset({"unfold", "unfold-dist", "expectation", "sum-linear", "count", "normalize", "eglp",
                            "log-derivative", "grad-linear", "grad-sum"})

# which internal capabilities each rule switches on (see the module docstring)
_CAPABILITIES: dict[str, frozenset[str]] = {
    "definition": frozenset({"unfold", "unfold-dist"}),
    "expectation": frozenset({"expectation"}),
    "linearity": frozenset({"sum-linear", "prod-split", "count", "grad-linear", "grad-sum"}),
    "algebra": frozenset({"sum-linear", "prod-split", "count", "expand"}),
    "log-product": frozenset({"log-split"}),
    "log-exp": frozenset({"log-split"}),
    "log-derivative": frozenset({"log-derivative"}),
    "theta-independence": frozenset({"grad-zero", "grad-sum", "grad-linear"}),
    "exchange": frozenset({"grad-sum", "grad-linear"}),
    "chain-rule": frozenset({"calculus", "grad-linear", "log-derivative"}),
    "product-rule": frozenset({"calculus", "grad-linear"}),
    "normalization": frozenset({"normalize", "count"}),
    "eglp": frozenset({"normalize", "eglp"}),
    # the catalogue's composite rules: each is a small theorem, proved with the rules it rests on
    "tower": frozenset({"unfold", "unfold-dist", "expectation", "sum-linear", "normalize", "count"}),
    "baseline": _SCORE_THEOREM,
    "advantage": _SCORE_THEOREM,
    "reward-to-go": _SCORE_THEOREM,
    "discount": frozenset({"sum-linear", "count", "expand"}),
    "importance-sampling": frozenset({"expectation", "sum-linear"}),
    "kl": frozenset({"unfold", "unfold-dist", "expectation", "log-split", "sum-linear"}),
    "softmax-score": frozenset({"unfold", "expectation", "log-split", "sum-linear", "grad-linear", "grad-sum",
                                "calculus", "log-derivative"}),
}
ALL_CAPABILITIES = frozenset().union(*_CAPABILITIES.values())


def capabilities(rules: Iterable[str]) -> frozenset[str]:
    """The capabilities switched on by citing ``rules`` (unknown names add nothing)."""
    return frozenset().union(*(_CAPABILITIES.get(r, frozenset()) for r in rules))


# --------------------------------------------------------------------------- rewrites

Rewrite = Callable[["Normalizer", sp.Expr], "sp.Expr | None"]


@dataclass(frozen=True)
class RewriteSpec:
    node: type
    capability: str | None      # None: always on (BASE)
    rule: str | None            # the rule family reported in rules_used
    apply: Rewrite


_REWRITES: list[RewriteSpec] = []


def rewrite(node: type, capability: str | None, rule: str | None):
    """Register a rewrite of ``node`` enabled by ``capability`` (None = BASE)."""
    def register(fn: Rewrite) -> Rewrite:
        _REWRITES.append(RewriteSpec(node, capability, rule, fn))
        return fn
    return register


# ---- definitions and expectations

@rewrite(AppliedUndef, "unfold", "definition")
def unfold_definition(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``f(a) -> body[x := a]``   [``def f(x) = body``; rl defaults Pr_θ, J]"""
    template = n.tr.defs.get(e.func)
    if template is None:
        return None
    if template.normalized_over and "unfold-dist" not in n.caps:
        return None
    return template.unfold(e)


@rewrite(Weight, "expectation", "expectation")
def drop_expectation_marker(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``E_{x~p}[f] -> sum_x p(x) f``   (the marker E(p) is the identity)"""
    return e.args[0]


@rewrite(sp.Sum, "unfold", "definition")
def trajectory_components(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``sum_τ f(s_0, a_0, …, s_K) -> sum_{s_0} sum_{a_0} … sum_{s_K} f``   [τ laid out by Pr_θ's definition]"""
    body, i, lo, hi = _outer(e)
    if lo != 1 or hi != n.tr.size(TRAJ) or i not in body.free_symbols:
        return None
    schema = n.tr.trajectory_schema()
    if schema is None:
        return None
    state, action = n.tr.step_functions()
    layout = [(state, t) for t in range(schema[0])] + [(action, t) for t in range(schema[1])]
    layout.sort(key=lambda c: (c[1], c[0] != state))      # s_0, a_0, s_1, a_1, …: time order
    components = {f(i, sp.Integer(t)): sp.Dummy(f"{'s' if f == state else 'a'}{t}") for f, t in layout}
    replaced = body.xreplace(components)
    if i in replaced.free_symbols:
        return None                                       # τ is used as a whole (R(τ)) or beyond its length
    for (f, t), dummy in reversed(list(zip(layout, components.values()))):
        replaced = Sum(replaced, (dummy, 1, n.tr.size(STATE if f == state else ACTION)))
    return replaced


# ---- sums and products: always on

@rewrite(sp.Sum, None, None)
def empty_body(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``sum_i 0 -> 0``"""
    return sp.Integer(0) if _outer(e)[0] == 0 else None


@rewrite(sp.Product, None, None)
def unit_body(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``prod_i 1 -> 1``"""
    return sp.Integer(1) if _outer(e)[0] == 1 else None


def _unroll(e: sp.Expr) -> sp.Expr | None:
    body, i, lo, hi = _outer(e)
    if not (lo.is_Integer and hi.is_Integer) or hi - lo + 1 > MAX_UNROLL:
        return None
    terms = [body.xreplace({i: sp.Integer(k)}) for k in range(int(lo), int(hi) + 1)]
    return sp.Add(*terms) if isinstance(e, sp.Sum) else sp.Mul(*terms)


@rewrite(sp.Sum, None, None)
def unroll_sum(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``sum_{i=1}^{3} f(i) -> f(1) + f(2) + f(3)``   [number bounds; an empty range is 0]"""
    return _unroll(e)


@rewrite(sp.Product, None, None)
def unroll_product(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``prod_{i=1}^{3} f(i) -> f(1) f(2) f(3)``   [number bounds; an empty range is 1]"""
    return _unroll(e)


def _shift(e: sp.Expr) -> sp.Expr | None:
    body, i, lo, hi = _outer(e)
    if lo == 0 or not i.is_integer:
        return None
    return _rebuild_bigop(e, body.xreplace({i: i + lo}), (i, 0, hi - lo))


@rewrite(sp.Sum, None, None)
def shift_sum(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``sum_{i=a}^{b} f(i) -> sum_{i=0}^{b-a} f(i+a)``   (the same terms)"""
    return _shift(e)


@rewrite(sp.Product, None, None)
def shift_product(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``prod_{i=a}^{b} f(i) -> prod_{i=0}^{b-a} f(i+a)``"""
    return _shift(e)


# ---- normalization and eglp

@rewrite(sp.Sum, "normalize", "normalization")
def sums_to_one(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``sum_x c p(x|y) -> c``, ``sum_x c ∂p(x|y)/∂θ -> 0``   [p a distribution over x's domain; c free of x]"""
    body, i, lo, hi = _outer(e)
    const, dependent = _split_factors(body, i)
    if len(dependent) != 1:
        return None
    (w,) = dependent
    if isinstance(w, Weight):
        w = w.args[0]
    if n.normalized(w, i, lo, hi):
        return const
    if isinstance(w, sp.Derivative) and n.normalized(w.expr, i, lo, hi) and \
            all(v in n.tr.params.values() for v in w.variables):
        return sp.Integer(0)
    return None


@rewrite(sp.Sum, "eglp", "eglp")
def score_has_zero_mean(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``sum_x c p(x) ∇_θ log p(x) -> 0``   [p a distribution over x's domain; c free of x]"""
    body, i, lo, hi = _outer(e)
    _, dependent = _split_factors(body, i)
    if len(dependent) != 2:
        return None
    weights = [f for f in dependent if not isinstance(f, Grad)]
    scores = [f for f in dependent if isinstance(f, Grad)]
    if len(weights) != 1 or len(scores) != 1:
        return None
    p = weights[0].args[0] if isinstance(weights[0], Weight) else weights[0]
    score = scores[0]
    if score.args[0] == sp.log(p) and n.normalized(p, i, lo, hi):
        return sp.Integer(0)
    return None


def _distribute(body: sp.Expr, powers: bool) -> sp.Expr:
    """``a (b + c) -> a b + a c`` at the top of ``body``; with ``powers`` also ``x^(a+b) -> x^a x^b``."""
    if powers:
        body = sp.Mul(*[sp.expand_power_exp(f, deep=False) for f in sp.Mul.make_args(body)])
        return sp.expand(body, deep=False, mul=True, multinomial=True, power_exp=False, power_base=False,
                         log=False, basic=False)
    return sp.expand_mul(body, deep=False)


def _split_factors(body: sp.Expr, index: sp.Symbol) -> tuple[sp.Expr, list[sp.Expr]]:
    """A product as (the factors free of ``index``, multiplied; the others)."""
    const: list[sp.Expr] = []
    dependent: list[sp.Expr] = []
    for f in sp.Mul.make_args(body):
        (dependent if index in f.free_symbols else const).append(f)
    return sp.Mul(*const), dependent


# ---- linearity of sums and products

@rewrite(sp.Sum, "sum-linear", "linearity")
def split_sum(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``sum_i (c f(i) + g(i)) -> c sum_i f(i) + sum_i g(i)``   [c free of i]"""
    original, i, lo, hi = _outer(e)
    body = n.expand_body(original)
    terms = sp.Add.make_args(body)
    if len(terms) > 1:
        return sp.Add(*[Sum(t, (i, lo, hi)) for t in terms])
    const, dependent = _split_factors(body, i)
    if const != 1 and dependent:
        return const * Sum(sp.Mul(*dependent), (i, lo, hi))
    if body != original:
        return Sum(body, (i, lo, hi))
    return None


@rewrite(sp.Sum, "count", "algebra")
def count_terms(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``sum_{i=a}^{b} c -> (b - a + 1) c``   [c free of i; b - a + 1 ≥ 0]"""
    body, i, lo, hi = _outer(e)
    if i in body.free_symbols:
        return None
    length = _range_length(lo, hi)
    return None if length is None else length * body


@rewrite(sp.Product, "prod-split", "algebra")
def split_product(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``prod_i c f(i) g(i) -> c^len prod_i f(i) prod_i g(i)``   [c free of i]"""
    body, i, lo, hi = _outer(e)
    factors = sp.Mul.make_args(body)
    if i not in body.free_symbols:
        length = _range_length(lo, hi)
        return None if length is None else body ** length
    if len(factors) == 1:
        f = factors[0]
        if isinstance(f, sp.Pow) and i not in f.exp.free_symbols and (f.exp.is_integer or _is_pos(f.base)):
            return Product(f.base, (i, lo, hi)) ** f.exp
        return None
    const, dependent = _split_factors(body, i)
    if const != 1:
        length = _range_length(lo, hi)
        if length is None:
            return None
        return const ** length * sp.Mul(*[Product(f, (i, lo, hi)) for f in dependent])
    return sp.Mul(*[Product(f, (i, lo, hi)) for f in dependent])


# ---- logarithms

@rewrite(sp.log, "log-split", "log-product")
def log_of_product(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``log(a b) -> log a + log b``, ``log(a^k) -> k log a``, ``log prod_t f -> sum_t log f``   [a, b, f > 0];
    ``log exp u -> u``"""
    u = e.args[0]
    if isinstance(u, sp.exp):
        return u.args[0]          # every value of the language is real
    if isinstance(u, sp.Mul) and all(_is_pos(f) for f in u.args):
        return sp.Add(*[sp.log(f) for f in u.args])
    if isinstance(u, sp.Pow) and _is_pos(u.base) and u.exp.is_real:
        return u.exp * sp.log(u.base)
    if isinstance(u, sp.Product):
        body, i, lo, hi = _outer(u)
        if _is_pos(body):
            return Sum(sp.log(body), (i, lo, hi))
    return None


# ---- gradients

@rewrite(Grad, None, None)
def grad_basics(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``∇_θ c -> 0`` (c a number), ``∇_θ θ -> 1``, ``∇_θ f(…, θ, …) -> ∂f/∂θ``, ``∇ ∂f -> ∂²f``"""
    x, theta = e.args
    if x.is_Number:
        return sp.Integer(0)
    if x == theta:
        return sp.Integer(1)
    if isinstance(x, AppliedUndef) and x.args.count(theta) == 1 and \
            all(a == theta or _free_of(a, theta) for a in x.args):
        return sp.Derivative(x, theta)
    if isinstance(x, sp.Derivative) and isinstance(x.expr, AppliedUndef) and theta in x.expr.args:
        return sp.Derivative(x.expr, *x.variables, theta)
    return None


@rewrite(Grad, "grad-zero", "theta-independence")
def grad_of_constant(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``∇_θ X -> 0``   [X does not depend on θ]"""
    x, theta = e.args
    return sp.Integer(0) if _free_of(x, theta) else None


@rewrite(Grad, "grad-linear", "linearity")
def grad_is_linear(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``∇(c f + g) -> c ∇f + ∇g``   [c free of θ]"""
    x, theta = e.args
    if isinstance(x, sp.Add):
        return sp.Add(*[Grad(t, theta) for t in x.args])
    if isinstance(x, sp.Mul):
        const, dependent = _split_factors(x, theta)
        if const != 1 and dependent:
            return const * Grad(sp.Mul(*dependent), theta)
    return None


@rewrite(Grad, "grad-sum", "exchange")
def grad_through_sum(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``∇ sum_i f(i) -> sum_i ∇ f(i)``   [a finite range that does not depend on θ]"""
    x, theta = e.args
    if isinstance(x, sp.Sum):
        body, i, lo, hi = _outer(x)
        if _free_of(lo, theta) and _free_of(hi, theta):
            return Sum(Grad(body, theta), (i, lo, hi))
    return None


@rewrite(Grad, "log-derivative", "log-derivative")
def grad_of_log(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``∇ log u -> ∇u / u``   (so ``p ∇ log p`` and ``∇ p`` meet)"""
    x, theta = e.args
    if isinstance(x, sp.log):
        u = x.args[0]
        return Grad(u, theta) / u
    return None


@rewrite(Grad, "calculus", "chain-rule")
def differentiate(n: Normalizer, e: sp.Expr) -> sp.Expr | None:
    """``∇(f g) -> ∇f g + f ∇g``, ``∇ u^k -> k u^(k-1) ∇u``, ``∇ exp u -> exp u ∇u``   (chain and product rules)

    also ``∇ prod_i f -> (prod_i f) sum_i ∇f / f`` [f > 0] and ``∇ f(g(θ)) -> f'(g) ∇g`` for an opaque f.
    """
    x, theta = e.args
    if _free_of(x, theta):
        return None
    if isinstance(x, sp.Mul):
        const, dependent = _split_factors(x, theta)
        if len(dependent) < 2:
            return None
        n.used.add("product-rule")
        return const * sp.Add(*[Grad(f, theta) * sp.Mul(*(dependent[:k] + dependent[k + 1:]))
                                for k, f in enumerate(dependent)])
    if isinstance(x, sp.Pow):
        if _free_of(x.exp, theta):
            return x.exp * x.base ** (x.exp - 1) * Grad(x.base, theta)
        if _is_pos(x.base):
            return x * Grad(x.exp * sp.log(x.base), theta)
        return None
    if isinstance(x, sp.exp):
        return x * Grad(x.args[0], theta)
    if isinstance(x, sp.log):
        return Grad(x.args[0], theta) / x.args[0]
    if isinstance(x, sp.Product):
        body, i, lo, hi = _outer(x)
        if _is_pos(body) and _free_of(lo, theta) and _free_of(hi, theta):
            n.used.add("product-rule")
            return x * Sum(Grad(body, theta) / body, (i, lo, hi))
        return None
    if isinstance(x, AppliedUndef) and not any(a.has(Grad, sp.Sum, sp.Product, Weight) for a in x.args):
        return x.diff(theta)
    return None


# --------------------------------------------------------------------------- the normalizer


class Normalizer:
    """Applies the enabled rewrites bottom-up until nothing changes."""

    def __init__(self, tr: Translator, caps: frozenset[str]):
        self.tr = tr
        self.caps = caps
        self.used: set[str] = set()
        self.memo: dict[sp.Expr, sp.Expr] = {}
        self.budget = MAX_REWRITES
        self.by_node: list[tuple[type, RewriteSpec]] = [
            (spec.node, spec) for spec in _REWRITES if spec.capability is None or spec.capability in caps]

    def run(self, e: sp.Expr) -> sp.Expr:
        hit = self.memo.get(e)
        if hit is not None:
            return hit
        result = self._normalize(e)
        self.memo[e] = result
        self.memo[result] = result
        return result

    def _normalize(self, e: sp.Expr) -> sp.Expr:
        if isinstance(e, (sp.Derivative, sp.Subs)) or (not e.args and not isinstance(e, AppliedUndef)):
            return e
        if isinstance(e, (sp.Sum, sp.Product)):
            body, i, lo, hi = _outer(e)
            e = type(e)(self.run(body), (i, self.run(lo), self.run(hi)))
        else:
            args = tuple(self.run(a) for a in e.args)
            if args != e.args:
                e = e.func(*args)
        if not isinstance(e, sp.Basic) or (not e.args and not isinstance(e, AppliedUndef)):
            return e
        for node, spec in self.by_node:
            if isinstance(e, node):
                result = spec.apply(self, e)
                if result is not None and result != e:
                    self.budget -= 1
                    if self.budget < 0:
                        raise Unsupported("the normalization did not terminate")
                    if spec.rule:
                        self.used.add(spec.rule)
                    return self.run(result)
        return e

    def expand_body(self, body: sp.Expr) -> sp.Expr:
        """Distribute a sum's body over ``+`` (with ``algebra``, also ``x^(a+b)`` and ``exp(a+b)``)."""
        return _distribute(body, "expand" in self.caps)

    def normalized(self, w: sp.Expr, i: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> bool:
        """Does ``sum_{i=lo}^{hi} w`` sum a normalized distribution over its own variable?"""
        if not isinstance(w, AppliedUndef) or not w.args or w.args[0] != i or lo != 1:
            return False
        if any(i in a.free_symbols for a in w.args[1:]):
            return False
        info = self.tr.dists.get(w.func)
        if info is not None:
            return info.n_vars == 1 and hi == self.tr.size(info.var_domains[0])
        template = self.tr.defs.get(w.func)
        return template is not None and template.normalized_over is not None and \
            hi == self.tr.size(template.normalized_over)


# --------------------------------------------------------------------------- comparison


def _freeze(e: sp.Expr, table: dict[sp.Expr, sp.Symbol]) -> sp.Expr:
    """Replace sums, products, gradients and markers by opaque symbols (equal ones by the same)."""
    if isinstance(e, (sp.Sum, sp.Product, Grad, Weight, sp.Subs)):
        if e not in table:
            table[e] = sp.Symbol(f"⟦{len(table)}⟧", positive=True) if _is_pos(e) else \
                sp.Symbol(f"⟦{len(table)}⟧", real=True)
        return table[e]
    if not e.args or isinstance(e, sp.Derivative):
        return e
    return e.func(*[_freeze(a, table) for a in e.args])


def _same(a: sp.Expr, b: sp.Expr, caps: frozenset[str]) -> bool:
    """Are the two normal forms equal (structurally, or with ``algebra`` up to sympy's algebra)?"""
    if a == b:
        return True
    difference = a - b
    if difference == 0:
        return True
    if "expand" not in caps:
        return False
    frozen = _freeze(difference, {})
    expanded = sp.expand(frozen, power_base=False, log=False)
    if expanded == 0:
        return True
    try:
        rational = sp.expand(_positive_exponents(expanded), power_base=False, log=False)
        if rational == 0 or sp.cancel(sp.together(rational)) == 0:
            return True
    except (sp.PolynomialError, TypeError, ValueError, NotImplementedError):
        return False
    return _aligned_ranges(difference)


def _positive_exponents(e: sp.Expr) -> sp.Expr:
    """``exp(-x) -> 1/exp(x)``   so that ``exp(x)`` and ``exp(-x)`` are one generator for ``cancel``."""
    def flip(arg: sp.Expr) -> sp.Expr:
        return 1 / sp.exp(-arg) if arg.could_extract_minus_sign() else sp.exp(arg)
    return e.replace(lambda x: isinstance(x, sp.exp), lambda x: flip(x.args[0]))


def _aligned_ranges(difference: sp.Expr) -> bool:
    """``sum_{i=0}^{U} f = f(0) + sum_{i=0}^{U-1} f(i+1)``   [U ≥ 0]: peel first terms to match ranges."""
    sums = [s for s in difference.atoms(sp.Sum) if len(s.limits) == 1 and s.limits[0][0].is_integer
            and s.limits[0][1] == 0]
    if len(sums) < 2:
        return False
    uppers = {s.limits[0][2] for s in sums}
    lowest = None
    for u in uppers:
        if all((v - u).is_Integer and v - u >= 0 for v in uppers):
            lowest = u
    if lowest is None or (lowest + 1).is_nonnegative is not True:
        return False
    mapping = {}
    for s in sums:
        i, _, hi = s.limits[0]
        k = int(hi - lowest)
        if k == 0 or k > MAX_UNROLL:
            continue
        head = sp.Add(*[s.function.xreplace({i: sp.Integer(j)}) for j in range(k)])
        mapping[s] = head + Sum(s.function.xreplace({i: i + k}), (i, 0, lowest))
    if not mapping:
        return False
    peeled = difference.xreplace(mapping)
    table: dict[sp.Expr, sp.Symbol] = {}
    expanded = sp.expand(_freeze(_canon(_linear_sums(peeled)), table), power_base=False, log=False)
    return expanded == 0


def _linear_sums(e: sp.Expr) -> sp.Expr:
    """Split every sum over ``+`` and pull out factors free of its index (for range alignment)."""
    if not e.args or isinstance(e, (sp.Derivative, sp.Subs)):
        return e
    e = e.func(*[_linear_sums(a) for a in e.args])
    if isinstance(e, sp.Sum):
        body, i, lo, hi = _outer(e)
        body = _distribute(body, powers=True)
        out = []
        for term in sp.Add.make_args(body):
            const, dependent = _split_factors(term, i)
            length = None if dependent else _range_length(lo, hi)
            out.append(const * (length if length is not None else Sum(sp.Mul(*dependent), (i, lo, hi))))
        return sp.Add(*out)
    return e


# --------------------------------------------------------------------------- lemmas


Rewriting = tuple[sp.Expr, sp.Expr]   # (pattern, replacement)


def _lemma_rewrites(tr: Translator, ctx: Context, names: Iterable[str], norm: Normalizer
                    ) -> list[tuple[Rewriting | None, Rewriting | None]]:
    """Each cited lemma as (L -> R, R -> L) pattern pairs, its free variables as wildcards."""
    out: list[tuple[Rewriting | None, Rewriting | None]] = []
    for name in names:
        lhs, relation, rhs = ctx.lemmas[name]
        if relation != "=":
            continue                      # an estimate (≈) is not an equality to rewrite with
        try:
            left = norm.run(tr.side(lhs))
            right = norm.run(tr.side(rhs))
        except Unsupported:
            continue
        left, right = _canon(left, "κ"), _canon(right, "κ")
        out.append((_as_pattern(left, right, tr), _as_pattern(right, left, tr)))
    return out


def _as_pattern(pattern: sp.Expr, replacement: sp.Expr, tr: Translator) -> Rewriting | None:
    """``pattern -> replacement`` with the pattern's free variables as wildcards (None for an atom).

    A lemma holds for every value of its free variables, so any instance of it may be used;
    a variable only on the replacement's side keeps its own value.
    """
    if pattern.is_Atom:
        return None
    wilds = {s: sp.Wild(f"w{k}") for k, s in enumerate(sorted(pattern.free_symbols - tr.globals, key=str))}
    return pattern.xreplace(wilds), replacement.xreplace(wilds)


def _rewrite_with(e: sp.Expr, pattern: sp.Expr, replacement: sp.Expr) -> sp.Expr:
    """Replace every sub-expression matching ``pattern`` (bound variables renamed locally)."""
    needed = {f.func for f in pattern.atoms(AppliedUndef)}
    heads = (type(pattern), sp.Mul) if not isinstance(pattern, sp.Add) else (sp.Add,)

    def walk(x: sp.Expr) -> sp.Expr:
        if not x.args or isinstance(x, (sp.Derivative, sp.Subs)):
            return x
        if not needed <= {f.func for f in x.atoms(AppliedUndef)}:
            return x                      # the pattern's functions are not all in here
        if isinstance(x, heads):
            local = _canon(x, "κ")
            bound = {limit[0] for big in local.atoms(sp.Sum, sp.Product) for limit in big.limits}
            found = _instance(local.match(pattern), bound)
            if found is not None:
                return replacement.xreplace(found)
            if isinstance(x, sp.Mul) and not isinstance(pattern, sp.Add):
                found = _instance(local.match(_COEFFICIENT * pattern), bound)
                if found is not None and found.get(_COEFFICIENT, 0) != 0:
                    return (_COEFFICIENT * replacement).xreplace(found)
        return x.func(*[walk(a) for a in x.args])

    return walk(e)


_COEFFICIENT = sp.Wild("coefficient")


def _instance(found: dict | None, bound: set[sp.Symbol]) -> dict | None:
    """A match is an instance of the lemma only if no wildcard took a variable bound inside the match."""
    if found is None or any(value.has(*bound) for value in found.values() if bound):
        return None
    return found


# --------------------------------------------------------------------------- the entry point


def _strategies(caps: frozenset[str]) -> list[frozenset[str]]:
    """Normal forms to try: keep normalized distributions folded first, then unfold them too."""
    if "unfold-dist" in caps:
        return [caps - {"unfold-dist"}, caps]
    return [caps]


def prove(lhs: m.Expr, rhs: m.Expr, relation: str, ctx: Context, rules: frozenset[str] | None = None) -> Proof:
    """Show ``lhs relation rhs`` symbolically, with every rule (``rules=None``) or only the cited ones.

    ``proved=True`` means the two sides are equal in every finite model of the
    declarations.  With ``rules`` given, only those rules' rewrites (plus the
    always-on BASE) are used, and a cited lemma may rewrite one side.
    """
    if relation not in ("=", "≈"):
        return Proof(False, "unsupported relation")
    tr = Translator(ctx)
    try:
        left, right = tr.side(lhs), tr.side(rhs)
    except Unsupported as why:
        return Proof(False, f"unsupported: {why}")
    if _canon(left) == _canon(right):
        return Proof(True)
    if rules is None:
        caps, lemma_names = ALL_CAPABILITIES, []
    else:
        caps = capabilities(rules)
        lemma_names = sorted(r for r in rules if r in ctx.lemmas)
        if lemma_names:
            caps |= {"sum-linear"}
    remaining = ""
    for attempt in _strategies(caps):
        norm = Normalizer(tr, attempt)
        try:
            a, b = _canon(norm.run(left)), _canon(norm.run(right))
            if _same(a, b, attempt):
                return Proof(True, rules_used=_used(norm, a, b))
            if lemma_names and _by_lemmas(tr, ctx, lemma_names, norm, a, b, attempt):
                return Proof(True, rules_used=tuple(sorted(norm.used | set(lemma_names))))
        except Unsupported as why:
            return Proof(False, f"unsupported: {why}")
        remaining = str(a - b)
    reason = "sympy could not show the difference is zero"
    if remaining:
        reason += f" (remaining: {remaining[:160]}{'…' if len(remaining) > 160 else ''})"
    return Proof(False, reason)


def _used(norm: Normalizer, a: sp.Expr, b: sp.Expr) -> tuple[str, ...]:
    used = set(norm.used)
    if a != b and (a - b) != 0:
        used.add("algebra")
    return tuple(sorted(used))


def _by_lemmas(tr: Translator, ctx: Context, names: list[str], norm: Normalizer, a: sp.Expr, b: sp.Expr,
               caps: frozenset[str]) -> bool:
    """Rewrite both sides with the cited lemmas (all forward, all backward, then one at a time)."""
    pairs = _lemma_rewrites(tr, ctx, names, norm)
    forward = [f for f, _ in pairs if f is not None]
    backward = [r for _, r in pairs if r is not None]
    attempts = [forward, backward] + ([[x] for x in forward + backward] if len(pairs) > 1 else [])
    for rewritings in attempts:
        a2, b2 = a, b
        for pattern, replacement in rewritings:
            a2, b2 = _rewrite_with(a2, pattern, replacement), _rewrite_with(b2, pattern, replacement)
        if (a2, b2) == (a, b):
            continue
        if _same(_canon(norm.run(a2)), _canon(norm.run(b2)), caps):
            return True
    return False


def normal_form(expr: m.Expr, ctx: Context, rules: frozenset[str] | None = None) -> sp.Expr:
    """The normal form the engine compares (for debugging and reports)."""
    tr = Translator(ctx)
    caps = ALL_CAPABILITIES if rules is None else capabilities(rules)
    return _canon(Normalizer(tr, caps).run(tr.side(expr)))

