"""Meaning of names: declarations, the ``rl`` vocabulary, θ-dependence, aliases.

A :class:`Context` is built per derivation from the file-wide declarations
followed by the derivation's own.  It answers: which names are parameters,
which functions are distributions (and over what), which are defined, what a
call depends on, and which spellings name the same object (``P(τ | θ)`` is
``Pr_θ(τ)`` under ``use rl``).  The falsifier, the kernel and the diagnosis
ask the same questions here, once each, so they agree on what a name means:
:meth:`Context.resolve_call` (a call's canonical spelling and what it stands
for, the ``Pr_θ``/``J`` defaults included), :meth:`Context.variable_domain`
(what a bound variable ranges over: a ``τ`` is a trajectory),
:meth:`Context.is_distribution_call`.  Positivity is the kernel's one test,
``kernel.positive_by_declaration``.
"""

from __future__ import annotations

from dataclasses import field, replace
from functools import cache

from . import model as m
from .model.conventions import LetterRoles, OpenConventions
from .model.records import finish, record

TRAJECTORY_DIST = "Pr_θ"
STATE, ACTION, TRAJ, TIME, SAMPLE_INDEX, REAL = "state", "action", "trajectory", "time", "sample", "real"


class DeclarationError(Exception):
    """A malformed declaration; carries the span and the worded message."""

    def __init__(self, span: m.Span, message: str):
        super().__init__(message)
        self.span = span
        self.message = message


@record(frozen=False, slots=False)
class FunctionInfo:
    """What a function name (with its arity) stands for."""

    key: str
    arity: int
    kind: str                                  # "dist" | "fun" | "def" | "undeclared"
    n_vars: int = 0                            # dist: variables left of the bar
    positive: bool = False
    depends: frozenset[str] = frozenset()      # parameters it depends on by name, `depends`, or its def
    params: tuple[m.Name, ...] = ()            # def: formal parameters
    body: m.Expr | None = None                 # def: right side
    var_domains: tuple[str, ...] = ()          # dist: domain of each argument


MEMO_STEPS = 256   # steps a context's memo serves before it is emptied (Context.count_step)
_STEPS_KEY = -2    # where the memo counts them (node ids are never negative; -1 is the evaluator's)


@record(frozen=False, slots=False)
class Context:
    """Declarations in force for one derivation."""

    params: list[str] = field(default_factory=list)
    rl: bool = False
    functions: dict[tuple[str, int], FunctionInfo] = field(default_factory=dict)
    constants: dict[str, m.Expr] = field(default_factory=dict)
    domains: dict[str, str] = field(default_factory=dict)      # variable base → domain name
    depends: dict[str, set[str]] = field(default_factory=dict)  # function key → extra parameters
    lemmas: dict[str, tuple[m.Expr, str, m.Expr]] = field(default_factory=dict)
    user_defined: set[str] = field(default_factory=set)
    # the trajectory conventions a notes file leaves open (none: the file's definitions, or the default,
    # decide alone); each step is then decided under every one of them (``open_conventions``)
    conventions: OpenConventions | None = None
    # resolved calls, by node identity (the evaluator's hot path)
    memo: dict[int, tuple] = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------------------ building

    def copy(self) -> Context:
        return Context(list(self.params), self.rl, dict(self.functions), dict(self.constants), dict(self.domains),
                       {k: set(v) for k, v in self.depends.items()}, dict(self.lemmas), set(self.user_defined),
                       self.conventions)

    def under(self, convention: int) -> Context:
        """This context with open convention ``convention``'s definitions in force, and no convention open."""
        assert self.conventions is not None
        out = self.copy()
        out.conventions = None
        for definition in self.conventions.alternatives[convention]:
            out.declare(definition)
        return out

    def count_step(self) -> None:
        """Count a step about to be checked in this context, emptying the memo after ``MEMO_STEPS`` of them.

        The memo (the evaluator's compiled nodes, resolved calls and per-model tables, each holding the nodes
        it is keyed by, so that no id is reused) grows with every step: 70x a note's size in its worker.  It
        is emptied all at once, as a declaration empties it; what it keeps saves time only (a value reused is
        charged as if computed: the same report, cached or not)."""
        (seen,) = self.memo.get(_STEPS_KEY, (0,))
        if seen >= MEMO_STEPS:
            self.memo.clear()
            seen = 0
        self.memo[_STEPS_KEY] = (seen + 1,)

    def declare(self, stmt: m.Declaration) -> None:
        """Add one declaration (raises DeclarationError when it is malformed)."""
        self.memo.clear()
        match stmt:
            case m.Use(vocabulary=v):
                if v != "rl":
                    raise DeclarationError(stmt.span, f"unknown vocabulary '{v}': the only one is `use rl`")
                self._use_rl()
            case m.Param(names=names):
                for n in names:
                    self._add_param(n.key(), stmt.span)
            case m.DistDecl(call=call):
                self._declare_function(call, "dist", stmt.span)
            case m.FunDecl(call=call, positive=pos):
                self._declare_function(call, "fun", stmt.span, positive=pos)
            case m.Depends(names=names, param=p):
                if p.key() not in self.params:
                    raise DeclarationError(p.span, f"'{p.key()}' is not a parameter: declare it first with"
                                                   f" `param {p.key()}` (or `use rl` for θ)")
                for n in names:
                    self.depends.setdefault(n.key(), set()).add(p.key())
                    for (key, arity), info in list(self.functions.items()):
                        if key == n.key():
                            self.functions[(key, arity)] = replace(info, depends=info.depends | {p.key()})
            case m.Definition(lhs=lhs, rhs=rhs):
                self._define(lhs, rhs, stmt.span)
            case OpenConventions():
                self.conventions = stmt
            case LetterRoles(roles=roles):
                for letter, role in roles:   # y for actions, x for states (notes mode, under rl)
                    self.domains.setdefault(letter, ACTION if role == "a" else STATE)

    def _add_param(self, key: str, span: m.Span) -> None:
        if key not in self.params:
            self.params.append(key)

    def _use_rl(self) -> None:
        self.rl = True
        self.memo.clear()
        self._add_param("θ", m.NOWHERE)
        for base in ("s",):
            self.domains[base] = STATE
        self.domains["a"] = ACTION
        self.domains["τ"] = TRAJ
        for text in _RL_DECLARATIONS:
            self.declare(_builtin(text))
        self.user_defined.clear()

    def _declare_function(self, call: m.Call, kind: str, span: m.Span, positive: bool = False) -> None:
        for arg in call.all_args:
            if not isinstance(arg, m.Name):
                raise DeclarationError(arg.span, "a declaration lists plain variable names as arguments,"
                                                 f" as in `{kind} f(x, y)`")
        if kind == "dist" and not call.args:
            raise DeclarationError(call.span, "a distribution needs at least one variable: `dist p(x)`")
        domains = []
        for arg in call.all_args:
            assert isinstance(arg, m.Name)
            domains.append(self.domain_of_base(arg.base, create=kind == "dist"))
        key = call.func.key()
        info = FunctionInfo(key, len(call.all_args), kind, n_vars=len(call.args), positive=positive or kind == "dist",
                            depends=self._name_depends(call.func), var_domains=tuple(domains))
        self.functions[(key, info.arity)] = info

    def _name_depends(self, func: m.Name) -> frozenset[str]:
        found = {p for p in self.params if any(isinstance(s, m.Name) and s.key() == p for s in func.sub)}
        found |= self.depends.get(func.key(), set())
        return frozenset(found)

    def _define(self, lhs: m.Expr, rhs: m.Expr, span: m.Span) -> None:
        if isinstance(lhs, m.Name):
            self.constants[lhs.key()] = rhs
            self.user_defined.add(lhs.key())
            return
        if not isinstance(lhs, m.Call):
            raise DeclarationError(lhs.span, "a definition names what it defines: `def f(x) = …` or `def c = …`")
        for arg in lhs.all_args:
            if not isinstance(arg, m.Name):
                raise DeclarationError(arg.span, "the parameters of a definition are plain names: `def f(x, y) = …`")
        call = self.canonical_call(lhs) if self.rl else lhs
        key = call.func.key()
        params = tuple(a for a in call.all_args if isinstance(a, m.Name))
        if self.rl and key == TRAJECTORY_DIST and lhs.func.key() != TRAJECTORY_DIST:
            params = tuple(a for a in lhs.all_args if isinstance(a, m.Name) and a.base == "τ")[:1]
        info = self.functions.get((key, len(params)))
        kind_positive = info.positive if info else False
        self.functions[(key, len(params))] = FunctionInfo(
            key, len(params), "def", positive=kind_positive, params=params, body=rhs,
            depends=self._name_depends(call.func), n_vars=len(call.args) if call.given else 0)
        self.user_defined.add(key)

    # ------------------------------------------------------------------ questions

    def domain_of_base(self, base: str, create: bool = False) -> str:
        """The domain of a variable by its base letter (``s`` → states); REAL when none."""
        if base in self.domains:
            return self.domains[base]
        if base in ("t",):
            return TIME
        if create:
            self.domains[base] = base
            return base
        return REAL

    def variable_domain(self, base: str) -> str:
        """The domain a bound variable ranges over, by its base letter: a ``τ`` is a trajectory even
        where no declaration says so (``sum_τ``, ``def Pr_β(τ) = …``); the one place that says it."""
        domain = self.domain_of_base(base)
        return TRAJ if domain == REAL and base == "τ" else domain

    def resolve_call(self, call: m.Call) -> tuple[m.Call, FunctionInfo]:
        """A call in its canonical spelling, and what it stands for: the one place a call is resolved.

        Under ``use rl``, ``Pr_θ(τ)`` is the file's definition of the trajectory distribution or
        the default ``ρ0(s_0) prod_t π_θ(a_t|s_t) P(s_{t+1}|s_t,a_t)``, and ``J(θ)`` is the file's
        ``def J`` or the default expected return; any other call is what :meth:`function` says.
        """
        canon = self.canonical_call(call)
        key, arity = canon.func.key(), len(canon.all_args)
        info = self.function(key, arity)
        if self.rl and key == TRAJECTORY_DIST and arity == 1:
            info = trajectory_definition(self)
        elif key == "J" and arity == 1 and info.kind != "def":
            info = objective_definition(self) or info
        return canon, info

    def function(self, key: str, arity: int) -> FunctionInfo:
        """What ``key`` with ``arity`` arguments is; undeclared names are arbitrary functions."""
        info = self.functions.get((key, arity))
        if info is not None:
            return info
        extra = frozenset(self.depends.get(key, set()))
        return FunctionInfo(key, arity, "undeclared", depends=extra | _subscript_params(key, self.params))

    def is_param(self, name: m.Expr) -> bool:
        return isinstance(name, m.Name) and name.key() in self.params

    def canonical_call(self, call: m.Call) -> m.Call:
        """Map the rl spellings of the trajectory distribution and of J to one form."""
        if not self.rl:
            return call
        key = call.func.key()
        args = call.all_args
        if len(args) == 1 and isinstance(args[0], m.Name) and args[0].base == "τ" and key in ("Pr_θ", "p_θ", "P_θ"):
            return m.Call(m.Name("Pr", (m.Name("θ"),), span=call.func.span), (args[0],), span=call.span)
        if (key in ("P", "p", "Pr") and len(call.args) == 1 and len(call.given) == 1
                and isinstance(call.args[0], m.Name) and call.args[0].base == "τ" and _is_theta_ref(call.given[0])):
            return m.Call(m.Name("Pr", (m.Name("θ"),), span=call.func.span), call.args, span=call.span)
        if key == "J" and len(args) == 1 and isinstance(args[0], m.Name) and args[0].key() == "π_θ":
            return m.Call(call.func, (m.Name("θ", span=args[0].span),), span=call.span)
        return call

    def is_distribution_call(self, e: m.Expr) -> bool:
        """Whether ``e`` is a probability of a declared distribution (``π_θ(a|s)``, ``Pr_θ(τ)``)."""
        if not isinstance(e, m.Call):
            return False
        c = self.canonical_call(e)
        return self.function(c.func.key(), len(c.all_args)).kind == "dist" or c.func.key() == TRAJECTORY_DIST

    def is_trajectory_dist(self, dist: m.Expr) -> bool:
        """``π_θ``, ``Pr_θ``, ``p_θ``, ``P(·|θ)`` as an expectation's distribution over τ."""
        if not self.rl:
            return False
        if isinstance(dist, m.Name):
            own = self.functions.get((dist.key(), 1))
            if own is not None and own.kind == "dist" and own.var_domains and own.var_domains[0] != TRAJ:
                return False  # the file's own `dist p_θ(x)` over something other than trajectories
            return dist.key() in ("π_θ", "Pr_θ", "p_θ", "P_θ")
        if isinstance(dist, m.Call) and len(dist.args) == 1 and isinstance(dist.args[0], m.Placeholder):
            return dist.func.key() in ("P", "p", "Pr") and len(dist.given) == 1 and _is_theta_ref(dist.given[0])
        return False


def _is_theta_ref(e: m.Expr) -> bool:
    return isinstance(e, m.Name) and e.key() in ("θ", "π_θ")


def _subscript_params(key: str, params: list[str]) -> frozenset[str]:
    return frozenset(p for p in params if key.endswith("_" + p) or f"_{p}," in key or f",{p}" in key)


_RL_DECLARATIONS = (
    "dist π_θ(a | s)",
    "dist P(s' | s, a)",
    "dist ρ0(s)",
    "dist Pr_θ(τ)",
    "fun r(s, a)",
    "fun R(τ)",
    "fun b(s)",
    "fun V(s)",
    "fun Q(s, a)",
    "fun A(s, a)",
)

# The defaults of the rl vocabulary, used unless a file defines its own.
DEFAULT_TRAJECTORY = "ρ0(s_0) prod_{t=0}^{T-1} π_θ(a_t | s_t) P(s_{t+1} | s_t, a_t)"
DEFAULT_OBJECTIVE = "E_{τ ~ π_θ}[R(τ)]"


@cache
def _builtin(text: str) -> m.Statement:
    """Parse one of our own built-in lines (never user text)."""
    from .syntax import LogicalLine, parse_line

    return parse_line(LogicalLine(text, 0, 0))


@cache
def builtin_expr(text: str) -> m.Expr:
    stmt = _builtin(text)
    assert isinstance(stmt, m.ChainStart)
    return stmt.expr


def load_vocabulary() -> None:
    """Parse the rl vocabulary's own lines now (they are kept), in a process about to fork the workers that
    read files and check steps: each worker inherits them, and with them the parts of the parser they built
    (lark builds its lexer for each parser state on first use, and these lines reach most of the states a
    file reaches), instead of building them again in every worker."""
    for text in _RL_DECLARATIONS:
        _builtin(text)
    builtin_expr(DEFAULT_TRAJECTORY)
    builtin_expr(DEFAULT_OBJECTIVE)


def build_context(file_declarations: tuple[m.Declaration, ...], local: tuple[m.Declaration, ...],
                  lemmas: dict[str, tuple[m.Expr, str, m.Expr]] | None = None,
                  errors: list[m.SyntaxIssue] | None = None) -> Context:
    """The context of one derivation; malformed declarations are collected into ``errors``."""
    ctx = Context()
    for stmt in file_declarations + local:
        try:
            ctx.declare(stmt)
        except DeclarationError as err:
            if errors is not None:
                errors.append(m.SyntaxIssue(err.span, err.message))
    if lemmas:
        ctx.lemmas.update(lemmas)
    return ctx


def trajectory_definition(ctx: Context) -> FunctionInfo:
    """The definition of Pr_θ(τ): the file's own, or the rl default."""
    info = ctx.functions.get((TRAJECTORY_DIST, 1))
    if info is not None and info.kind == "def":
        return info
    return FunctionInfo(TRAJECTORY_DIST, 1, "def", positive=True, params=(m.Name("τ"),),
                        body=builtin_expr(DEFAULT_TRAJECTORY), depends=frozenset({"θ"}))


def objective_definition(ctx: Context) -> FunctionInfo | None:
    """J(θ) = E_{τ~π_θ}[R(τ)] unless the file defines J."""
    info = ctx.functions.get(("J", 1))
    if info is not None and info.kind == "def":
        return info
    if not ctx.rl:
        return None
    return FunctionInfo("J", 1, "def", params=(m.Name("θ"),), body=builtin_expr(DEFAULT_OBJECTIVE),
                        depends=frozenset({"θ"}))


finish(__name__)   # the methods of this module's records, made at once (see model/records.py)
