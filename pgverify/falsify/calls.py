"""Evaluating calls: definitions, declared functions (random smooth tables) and distributions.

A declared function is a random smooth function of its real inputs (with
curvature, so that a wrong derivative shows); a distribution is a softmax of
such functions over its variables' values, so it is positive and sums to one.
Tables do not depend on the draw of free variables and are shared across draws.
"""

from __future__ import annotations

import itertools
from typing import Any

from .. import model as m
from ..semantics import REAL, TIME, TRAJ, Context, FunctionInfo
from . import jets
from .models import FIXED_REAL_RANGE, MAX_TERMS, VALUE_DIGITS, Elem, Env, FunctionRef, Model, Traj, Unsupported, \
    between, hashable, smooth
from .reuse import note, reused


class Calls:
    """The call family of ``Evaluator`` (a mixin: the state it reads is set up by ``Evaluator``)."""

    ctx: Context
    model: Model
    cache: dict[Any, Any]
    tables: dict[Any, Any]
    shared: dict[Any, Any] | None
    trace: dict[Any, Any] | None
    trial: int
    sample_bases: frozenset[str]
    time_bases: frozenset[str]
    alive: list[Any]
    param_values: dict[str, jets.Value]

    def _resolve(self, c: m.Call) -> tuple[m.Call, FunctionInfo]:
        memo = self.ctx.memo
        hit = memo.get(id(c))
        if hit is not None and hit[0] is c:
            return hit[1], hit[2]
        canon, info = self.ctx.resolve_call(c)
        memo[id(c)] = (c, canon, info)
        return canon, info

    def call(self, c: m.Call, env: Env) -> Any:
        c, info = self._resolve(c)
        args = [self.eval(a, env) for a in c.all_args]
        if info.kind == "def":
            return self.apply_definition(info, args, env)
        if info.kind == "dist":
            return self._probability(info, args)
        return self._function(info, args, c)

    def apply_definition(self, info: FunctionInfo, args: list[Any], env: Env) -> Any:
        key = ("def", info.key, info.arity, tuple(hashable(a) for a in args), env.traj)
        cache = self.cache
        if key in cache:
            hit = cache[key]
            if self.trace is not None:
                note(self, key, hit, True)
            if hit is None:
                raise Unsupported(f"the definition of {info.key} refers to itself")
            return hit
        if self.trace is not None:
            note(self, key, None, False)
        cache[key] = None
        inner = Env({}, env.traj)
        for p, a in zip(info.params, args):
            inner = inner.bind(p.key(), a)
        assert info.body is not None
        body = info.body
        if any(type(a) is jets.Jet for a in args):
            self.alive.append(args)   # the key holds these jets by identity: keep them, so no id is reused
            result = self.eval(body, inner)
        elif self.shared is not None:  # unfolded once per model and draw, reused wherever that still holds
            result = reused(self, self.shared, ("defv", key, self.trial, self.sample_bases, self.time_bases),
                            lambda: self.eval(body, inner))
        else:
            result = self.eval(body, inner)
        cache[key] = result
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
        """A random smooth function of the real inputs (the family is ``models.smooth``)."""
        return smooth(self._u, tag, reals)

    def _function(self, info: FunctionInfo, args: list[Any], c: m.Call) -> jets.Value:
        discrete, reals = self._real_inputs(info, args)
        cache_key = ("fun", info.key, info.arity, discrete) if all(not isinstance(r, jets.Jet) or
                                                                     any(r is pv for pv in self.param_values.values())
                                                                     for r in reals) and \
            len(reals) == len(info.depends) else None
        if cache_key is not None:
            if cache_key in self.tables:
                return self.tables[cache_key]
            if self.shared is not None and cache_key in self.shared:
                v = self.tables[cache_key] = self.shared[cache_key]
                return v
        tag = ("f", info.key, info.arity, tuple(str(d) for d in discrete))
        if info.positive:
            v = jets.exp(self._smooth(tag, reals))
        elif not reals:   # a fixed real (its smooth function of no inputs would go unused)
            v = round(between(FIXED_REAL_RANGE, self._u(*tag, "v")) * self.model.value_scale, VALUE_DIGITS)
        else:
            v = self._smooth(tag, reals)
        if cache_key is not None:
            self.tables[cache_key] = v
            if self.shared is not None:
                self.shared[cache_key] = v
        return v

    def domain_values(self, domain: str) -> list[Any]:
        if domain == TRAJ:
            return self.trajectories()
        if domain == TIME:   # the trajectory's time steps, its actions' times (t = 1 … T in notes counting from 1)
            shape = self.trajectory_schema()  # type: ignore[attr-defined]
            return list(range(shape.start, shape.start + shape.n_actions))
        if domain == REAL:
            raise Unsupported("a sum or distribution over a real variable: declare its domain, e.g. `dist p(x)`")
        return [Elem(domain, i) for i in range(self.space_size(domain))]

    def space_size(self, domain: str) -> int:
        """The size of a space of the model (noted in an open trace: it may fix the size for good)."""
        if self.trace is not None:
            note(self, ("size", domain), None, True)
        return self.model.size(domain)

    def _probability(self, info: FunctionInfo, args: list[Any]) -> jets.Value:
        var_args = args[:info.n_vars]
        given = args[info.n_vars:]
        table = self._dist_table(info, tuple(hashable(g) for g in given), given)
        key = tuple(hashable(a) for a in var_args)
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
        if self.shared is not None and ck in self.shared:  # computed for another step of the same model
            table = self.tables[ck] = self.shared[ck]
            return table
        combos = list(itertools.product(*spaces))
        if len(combos) > MAX_TERMS:
            raise Unsupported("a distribution over too many values to enumerate")
        discrete, reals = self._real_inputs(info, given)
        logits = []
        for combo in combos:
            tag = ("d", info.key, info.arity, tuple(str(d) for d in discrete), tuple(str(x) for x in combo))
            logits.append(jets.mul(self._smooth(tag, reals), self.model.logit_scale))
        top = max(jets.value(x) for x in logits)
        weights = [jets.exp(jets.sub(x, top)) for x in logits]
        total: jets.Value = 0.0
        for w in weights:
            total = jets.add(total, w)
        table = {tuple(hashable(x) for x in combo): jets.div(w, total) for combo, w in zip(combos, weights)}
        if all(not isinstance(g, jets.Jet) for g in given):
            self.tables[ck] = table
            if self.shared is not None:
                self.shared[ck] = table
        return table
