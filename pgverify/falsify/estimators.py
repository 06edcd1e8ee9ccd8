"""Monte-Carlo estimates (``≈`` steps): the exact expected value of an estimator over its samples.

An estimator is unbiased when its expectation over the i.i.d. samples equals
the left side; the models compute that expectation exactly, by enumeration,
rather than by drawing samples, so the comparison stays exact and seeded.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from .. import model as m
from ..semantics import TRAJ, trajectory_definition
from . import jets
from .tolerances import close
from .evaluate import Evaluator
from .models import MAX_EVALUATIONS, Env, TooLarge, Unsupported, unit

_SAMPLE_KEY = re.compile(r"^(?P<base>[^\W\d_][^\W_]*)'*_\(?(?P<index>-?\d+)\)?$")
# a sample indexed by any other index expression (x_N, x_{i+1}, x^{(N)}, τ_N): a draw too, when its letter
# is an expectation variable of the left side or a trajectory
_INDEXED_KEY = re.compile(r"^(?P<base>[^\W\d_][^\W_]*)'*_\(?(?P<index>[\w.+\-]+)\)?$")
# joint sample values an estimate that is not a sum of one-sample terms may enumerate
MAX_SAMPLE_COMBINATIONS = 4096
# evaluations of the estimate a sample mean's exact average may take (samples × values of one sample);
# past it this model is too large for the estimate, and a smaller model decides
MAX_SAMPLE_EVALUATIONS = 1500
# random draws of all samples at which a sample mean's separability is verified before it is trusted
SEPARABILITY_PROBES = 3


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
    slots: list[tuple[Any, int]] = [(k, -1) for k in sorted(set(ev.free) - before) if _is_sample(k, ev)]
    for key in sorted(k for k in ev.cache if isinstance(k, tuple) and k[0] == "dataset"):  # type: ignore[misc]
        slots += [(key, i) for i in range(len(ev.cache[key]))]
    if not slots:
        return ev.real(rhs, Env())
    spaces = _sample_spaces([key for key, _ in slots], lhs, ev)
    shared = {k: v for k, v in ev.free.items() if k in before}

    # the terms of the estimate's sums, computed for one choice of the samples and reused for the next where
    # they read only samples that did not change (``reuse``): a sample mean costs one term per choice
    terms: dict[Any, Any] | None = {} if ev.compiled else None

    def value_at(choice: list[Any]) -> jets.Value:
        inner = Evaluator(ev.ctx, ev.model, ev.trial, {}, tables, ev.shared)
        inner.term_memo = terms
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
        try:
            return inner.real(rhs, Env())
        finally:   # the search's work count includes the averaging, so an expensive estimate stops early
            ev.extra_work = getattr(ev, "extra_work", 0) + MAX_EVALUATIONS - inner.budget

    base = [space[0][0] for space in spaces]
    f0 = value_at(base)
    separable = len(slots) > 1
    for probe in range(SEPARABILITY_PROBES if separable else 0):
        # every sample away from its base value, so that any interaction between samples shows
        choice = [space[1 + int(unit(ev.model.seed, "probe", probe, k) * (len(space) - 1))][0] if len(space) > 1
                  else space[0][0] for k, space in enumerate(spaces)]
        parts: jets.Value = jets.scale(f0, -(len(slots) - 1))
        for k, value in enumerate(choice):
            parts = jets.add(parts, value_at(base[:k] + [value] + base[k + 1:]))
        if not close(jets.value(value_at(choice)), jets.value(parts)):
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


def _is_sample(key: str, ev: Evaluator) -> bool:
    """Whether the free name ``key`` is a sample: ``x_2``, or ``x_N`` / ``τ_N`` of a sampled letter."""
    if _SAMPLE_KEY.match(key):
        return True
    match = _INDEXED_KEY.match(key)
    return match is not None and (match.group("base") in ev.sample_bases or
                                  ev.ctx.domain_of_base(match.group("base")) == TRAJ)


def _sample_spaces(keys: list[Any], lhs: m.Expr, ev: Evaluator) -> list[list[tuple[Any, jets.Value]]]:
    """Each sample's values with their probabilities (computed once per distribution); TooLarge when the
    exact average would take more than MAX_SAMPLE_EVALUATIONS evaluations of the estimate."""
    known: dict[Any, list[tuple[Any, jets.Value]]] = {}
    out = []
    for key in keys:
        match = _INDEXED_KEY.match(key) if isinstance(key, str) else None
        kind = "τ" if match is None or ev.ctx.domain_of_base(match.group("base")) == TRAJ else match.group("base")
        if kind == "τ" and kind not in known and len(ev.trajectories()) * len(keys) > MAX_SAMPLE_EVALUATIONS:
            raise TooLarge("too many sample values to average the estimate exactly in this model")
        if kind not in known:
            known[kind] = _sample_space(key, lhs, ev)
        out.append(known[kind])
    if sum(len(space) for space in out) > MAX_SAMPLE_EVALUATIONS:
        raise TooLarge("too many sample values to average the estimate exactly in this model")
    return out


def _sample_space(key: Any, lhs: m.Expr, ev: Evaluator) -> list[tuple[Any, jets.Value]]:
    """The values a sample can take, with their probabilities."""
    if isinstance(key, tuple):  # a member of a data set: a trajectory from the trajectory distribution
        info = trajectory_definition(ev.ctx)
        return [(t, ev.apply_definition(info, [t], Env())) for t in ev.trajectories()]
    match = _INDEXED_KEY.match(key)
    assert match is not None
    base = match.group("base")
    domain = ev.ctx.domain_of_base(base)
    if domain == TRAJ:
        info = trajectory_definition(ev.ctx)
        return [(t, ev.apply_definition(info, [t], Env())) for t in ev.trajectories()]
    for node in _expectations(lhs):
        if any(v.base == base for v in node.variables) and len(node.variables) == 1:
            if ev.ctx.is_trajectory_dist(node.dist):
                info = trajectory_definition(ev.ctx)
                return [(t, ev.apply_definition(info, [t], Env())) for t in ev.trajectories()]
            return [(values[0], w) for values, w in ev.weights(node, Env())]
    raise Unsupported(f"cannot tell which distribution the sample {key} is drawn from: write the left side"
                      f" as an expectation over {base}")


def _expectations(e: m.Expr) -> list[m.Expect]:
    return [n for n in m.nodes(e) if isinstance(n, m.Expect)]

