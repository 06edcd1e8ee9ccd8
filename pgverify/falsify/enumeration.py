"""Evaluating what ranges over a finite space: trajectories, sums and products, expectations.

Everything is enumerated exactly (no sampling), within ``MAX_TERMS`` terms;
a trajectory has as many states and actions as the trajectory distribution's
definition reads, found by evaluating it once on a long probe trajectory.
"""

from __future__ import annotations

import itertools
from typing import Any

from .. import model as m
from ..semantics import ACTION, STATE, Context, FunctionInfo, trajectory_definition
from . import jets
from .jets import Jet
from .reuse import env_key, note, reused
from .models import MAX_TERMS, Elem, Env, Model, NameProblem, Shape, Traj, Unsupported, hashable


class _Probe:
    """The time indices a trajectory distribution's definition reads."""

    def __init__(self) -> None:
        self.states: list[int] = []
        self.actions: list[int] = []
        self.trace: dict[Any, Any] = {}


class Enumeration:
    """The enumeration family of ``Evaluator`` (a mixin: the state it reads is set up by ``Evaluator``)."""

    ctx: Context
    model: Model
    trial: int
    cache: dict[Any, Any]
    budget: int
    _schema: Shape | None

    # ------------------------------------------------------------ trajectories

    def trajectory_schema(self) -> Shape:
        """Where a trajectory starts and how many states and actions it has: read off the trajectory
        distribution's definition (``Shape.read_off``)."""
        if self._schema is None:
            # the probe depends on the context, the model and the draw only: one per model and draw
            key = ("schema", self.trial)
            known = self.tables.get(key)  # type: ignore[attr-defined]
            if known is None and self.shared is not None and key in self.shared:  # type: ignore[attr-defined]
                known, touched = self.shared[key]  # type: ignore[attr-defined]
                for domain in touched:  # the sizes the probe gave the model's other spaces
                    self.model.size(domain)
            if known is None:
                info = trajectory_definition(self.ctx)
                probe = _Probe()
                saved = self.budget
                try:
                    self._apply_probe(info, probe)
                except (Unsupported, jets.Undefined, NameProblem, RecursionError):
                    pass
                self.budget = saved
                known = Shape.read_off(probe.states, probe.actions, self.model.horizon)
                if self.shared is not None:  # type: ignore[attr-defined]
                    touched = [k[1] for k in probe.trace if type(k) is tuple and k[0] == "size"]
                    self.shared[key] = (known, touched)  # type: ignore[attr-defined]
            self.tables[key] = known  # type: ignore[attr-defined]
            self._schema = known
        return self._schema

    def _apply_probe(self, info: FunctionInfo, probe: _Probe) -> None:
        sub = type(self)(self.ctx, self.model, self.trial, {})  # type: ignore[call-arg]
        long = Traj(tuple([0] * (self.model.horizon + 8)), tuple([0] * (self.model.horizon + 8)))
        sub._probe = probe  # type: ignore[attr-defined]
        sub.compiled = False  # type: ignore[attr-defined]  # the tree walk goes through the recording below
        sub.trace = probe.trace  # type: ignore[attr-defined]  # which spaces' sizes the probe fixes
        # the probe's own time steps (a `prod_t` in the definition) are the default ones: asking the probe
        # for its shape would probe again, without end, and what the runaway recursion left would depend
        # on how deep the stack already was
        sub._schema = Shape.read_off([], [], self.model.horizon)
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
            shape = self.trajectory_schema()
            count = self.model.n_states ** shape.n_states * self.model.n_actions ** shape.n_actions
            if count > MAX_TERMS:
                raise Unsupported(f"{count} trajectories are too many to enumerate")
            self.cache["trajectories"] = shape.trajectories(self.model.n_states, self.model.n_actions)
        return self.cache["trajectories"]

    def dataset(self, key: str) -> list[Traj]:
        ck = ("dataset", key)
        present = ck in self.cache
        if not present:
            self.cache[ck] = [self.free_traj(f"{key}[{i}]") for i in range(self.model.dataset_size)]
        if self.trace is not None:  # type: ignore[attr-defined]
            note(self, ck, tuple(self.cache[ck]) if present else None, present)
        return self.cache[ck]

    # ------------------------------------------------------------ big operators

    def bigop(self, b: m.BigOp, env: Env, compiled: Any = None) -> jets.Value:
        """A sum or product, term by term.  ``compiled`` (from ``compiled``): the closures of its bounds and
        body and the index's trajectory component, settled once per node instead of at every evaluation."""
        index = b.index.key()
        if compiled is not None:
            lower, upper, body_of, component = compiled
        else:
            lower = upper = body_of = None
            component = self._component(b.index, env)
        if b.lower is not None:
            if lower is None:
                lo = self.index(b.lower, env)
                hi = self.index(b.upper, env) if b.upper is not None else lo
            else:
                lo = self.whole(lower()(self, env), b.lower)   # type: ignore[attr-defined]
                hi = self.whole(upper()(self, env), b.upper) if b.upper is not None else lo  # type: ignore[attr-defined]
            if hi - lo + 1 > MAX_TERMS:
                raise Unsupported(f"a sum of {hi - lo + 1} terms is too long to enumerate")
            values: list[Any] = list(range(lo, hi + 1))
        elif b.over is not None:
            values = list(self.dataset(b.over.key()))
        else:
            domain = self.ctx.variable_domain(b.index.base)
            values = self.domain_values(domain)
        if len(values) > MAX_TERMS:
            raise Unsupported("too many terms to enumerate")
        acc: jets.Value = 0.0 if b.kind == "sum" else 1.0
        body = self.real_fn(b.body) if body_of is None else body_of()  # type: ignore[attr-defined]
        is_sum = b.kind == "sum"
        # (the outermost sums only: a term inside a term being noted changes with it; a term's own trace
        # is closed again by the time it returns, so this holds for every term)
        memo = self.term_memo if self.trace is None else None  # type: ignore[attr-defined]
        bindings, traj = env.bindings, env.traj
        for v in values:
            inner_bindings = dict(bindings)   # env.bind(index, v), inline
            inner_bindings[index] = v
            inner = Env(inner_bindings, v if type(v) is Traj else traj)
            if component is not None:  # sum_{s_0}: the trajectory whose state 0 is v
                inner = self._with_component(inner, component, v)
            ek = env_key(inner) if memo is not None else None
            if ek is None:
                term = body(self, inner)
            else:  # an estimate's average: this term may be the same as for another value of the samples
                term = reused(self, memo, (id(b), ek), lambda: body(self, inner))  # noqa: B023 - called now
            if type(acc) is not Jet and type(term) is not Jet:  # what jets.add / jets.mul do with plain numbers
                acc = acc + term if is_sum else acc * term
            else:
                acc = jets.add(acc, term) if is_sum else jets.mul(acc, term)
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
        shape = self.trajectory_schema()
        if len(traj.states) > shape.n_states or len(traj.actions) > shape.n_actions:
            # summing over the components of τ: τ is a trajectory of the distribution's own length
            traj = Traj(traj.states[:shape.n_states], traj.actions[:shape.n_actions], traj.start)
        changed = traj.with_component(attr, t, value.index) if isinstance(value, Elem) else None
        if changed is None:
            return env
        bindings = dict(env.bindings)
        bindings["τ"] = changed
        return Env(bindings, changed)

    def expect(self, e: m.Expect, env: Env) -> jets.Value:
        ctx = self.ctx
        variables = [v.key() for v in e.variables]
        if ctx.is_trajectory_dist(e.dist):
            weights = [(t,) for t in self.trajectories()]
            info = trajectory_definition(ctx)
            pairs = [(w, self.apply_definition(info, [w[0]], env)) for w in weights]
        else:
            pairs = self.weights(e, env)
        acc: jets.Value = 0.0
        body = self.real_fn(e.body)  # type: ignore[attr-defined]
        for values, weight in pairs:
            if len(values) != len(variables):
                raise Unsupported("the expectation lists a different number of variables than its distribution")
            inner = env
            for k, v in zip(variables, values):
                inner = inner.bind(k, v)
            term = body(self, inner)
            if type(acc) is not Jet and type(weight) is not Jet and type(term) is not Jet:
                acc = acc + weight * term   # what jets.add(acc, jets.mul(weight, term)) does with plain numbers
            else:
                acc = jets.add(acc, jets.mul(weight, term))
        return acc

    def _defined_weights(self, info: FunctionInfo, given: list[Any], env: Env,
                  n_vars: int | None = None) -> list[tuple[tuple, jets.Value]]:
        """Weights of a distribution written as a definition (``def π_θ(a|s) = softmax …``), as defined."""
        n = info.n_vars if n_vars is None else n_vars
        n = n or (len(info.params) - len(given))
        domains = []
        for p in info.params[:n]:
            domain = self.ctx.variable_domain(p.base)
            domains.append(domain)
        out = []
        for combo in itertools.product(*[self.domain_values(d) for d in domains]):
            out.append((tuple(combo), self.apply_definition(info, list(combo) + list(given), env)))
        return out

    def weights(self, e: m.Expect, env: Env) -> list[tuple[tuple, jets.Value]]:
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
            dist = self._resolve(dist)[0]  # type: ignore[attr-defined]  # canonical, once per node
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
            table = self._dist_table(info, tuple(hashable(g) for g in given), given)
            return list(table.items())
        raise Unsupported("cannot read the expectation's distribution")

