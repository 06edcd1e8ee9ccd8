"""The search for a counterexample: both sides of a step on several random models.

``compare`` evaluates both sides on ``n_models`` models, ``draws`` draws of
the free variables each.  A clear difference anywhere is ``differ`` (with the
model as counterexample); agreement on at least one model and no difference is
``agree``; otherwise ``unknown``, with the reason.
"""

from __future__ import annotations

import gc
import math
from typing import Any

from .. import model as m
from ..model.records import finish, record
from ..semantics import Context
from . import evaluate, jets
from .compiled import model_tables
from .estimators import mean_over_samples
from .reuse import reused
from .evaluate import Evaluator, grad_orders, time_indices
from .models import (
    MAX_EVALUATIONS,
    STEP_SHAPES,
    Env,
    Model,
    TooLarge,
    Unsupported,
    show_value,
)
from .tolerances import holds, holds_precisely

# an expensive step (over WORK_BUDGET elementary operations so far) stops adding models once at least
# MIN_MODELS agree: more of the same evidence costs time a grader does not have.  The first models
# already reach 5 states, 5 actions, N from 1 to 6 and far-out parameters; a cheap step sees them all.
WORK_BUDGET = 150_000
MIN_MODELS = 4
# the reasons of jets.Undefined that mean "undefined in mathematics" (not merely beyond floating point)
_MATHEMATICALLY_UNDEFINED = ("division by zero", "log of a non-positive number", "a power of a negative number",
                             "a power of a non-positive number")


@record(frozen=False, slots=False)
class Outcome:
    """What the models said about a step."""

    status: str                         # "agree" | "differ" | "unknown"
    models: int = 0                     # models (× draws) where both sides were compared
    reason: str = ""
    counterexample: dict[str, Any] | None = None
    evaluator: Evaluator | None = None  # the evaluator of the counterexample, to locate the difference
    coverage: str = ""                  # what the agreeing models covered ("up to 5 states, …")


def literal_bounds(exprs: list[m.Expr]) -> tuple[int, int]:
    """The step's largest literal integer, and its largest literal time index or sum bound (``s_10``)."""
    beyond = long = 0
    for e in exprs:
        for node in m.nodes(e):
            if isinstance(node, m.Num) and node.value.denominator == 1:
                beyond = max(beyond, min(abs(int(node.value)), 10**6))
            if isinstance(node, m.BigOp):
                if isinstance(node.upper, m.Num) and node.upper.value.denominator == 1:
                    long = max(long, min(int(node.upper.value), 10**6))
            if isinstance(node, m.Name):
                for sub in node.sub:
                    if isinstance(sub, m.Num) and sub.value.denominator == 1:
                        long = max(long, min(int(sub.value), 10**6))
    return beyond, long


def model_indices(n_models: int) -> list[int]:
    """Which models ``n_models`` asks for: the first shapes, and past all of them the step's extra ones."""
    k = len(STEP_SHAPES)
    return list(range(min(n_models, k))) + ([k, k + 1] if n_models > k else [])


def compare(lhs: m.Expr, rhs: m.Expr, relation: str, ctx: Context, seed: int, n_models: int = 6,
            draws: int = 2) -> Outcome:
    """Evaluate both sides on ``n_models`` random models, ``draws`` free-variable draws each (``_compare``).

    The cyclic garbage collector is paused meanwhile: an evaluation allocates millions of short-lived
    numbers, tuples and environments, which reference counting frees (the evaluator makes no cycles),
    and each collection the allocations trigger would scan the whole heap (sympy's caches, the compiled
    closures) for nothing; that scanning was a quarter of the slowest step's time.  It runs again as
    before when the comparison ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _compare(lhs, rhs, relation, ctx, seed, n_models, draws)
    finally:
        if enabled:
            gc.enable()


def _compare(lhs: m.Expr, rhs: m.Expr, relation: str, ctx: Context, seed: int, n_models: int,
             draws: int) -> Outcome:
    """Evaluate both sides on ``n_models`` random models, ``draws`` free-variable draws each.

    The first clear difference is the counterexample.  A near tie (relative difference between
    rounding and DIFFER_TOLERANCE) is evaluated again in high precision and decided there.  A side
    undefined (division by zero, log of a non-positive number) in every model tried is refuted with
    the reason ``undefined``.
    """
    if relation == "∝":
        return Outcome("unknown", reason="∝ steps are not supported yet")
    orders = grad_orders([lhs, rhs], ctx)
    time_bases = time_indices([lhs, rhs], ctx)
    beyond, long = literal_bounds([lhs, rhs])
    agreed = 0
    undefined = 0
    side_defined = [False, False]
    undefined_example: tuple[Model, Evaluator, str] | None = None
    last_reason = ""
    work = 0
    covered: list[Model] = []
    attempts = 0
    for index in model_indices(n_models):
        if agreed >= MIN_MODELS and work > WORK_BUDGET or agreed >= 2 and work > 8 * WORK_BUDGET:
            break  # enough evidence for an expensive step; the count is deterministic, so is the report
        model = Model.random(seed, index, ctx.params, beyond, long)
        tables: dict[Any, Any] = {}
        shared = model_tables(ctx, model, orders) if evaluate.COMPILED else None  # (not in the reference walk)
        for trial in range(draws):
            ev = Evaluator(ctx, model, trial, orders, tables, shared)
            ev.time_bases = time_bases
            attempts += 1
            try:
                a, b = _sides(lhs, rhs, relation, ev, tables, side_defined)
            except _SideUndefined as err:
                undefined += 1
                last_reason = str(err)
                if err.mathematical and undefined_example is None:
                    undefined_example = (model, ev, str(err))
                continue
            except TooLarge as err:
                last_reason = str(err)
                break
            except Unsupported as err:
                if not agreed:
                    raise
                last_reason = str(err)   # a larger model past the evaluation budget: the smaller ones decided
                break
            except RecursionError:
                return Outcome("unknown", reason="the expression nests too deeply to evaluate")
            if _beyond_floats(a, b):
                # integers too large for a float (10^5000): compared exactly, never as an overflow
                verdict = _exact_holds(relation, a, b)
                if verdict is False:
                    cex = model.describe()
                    cex["assignments"] = {k: show_value(v) for k, v in sorted(ev.free.items())}
                    cex["lhs"], cex["rhs"] = _show_integer(a), _show_integer(b)
                    return Outcome("differ", agreed, counterexample=cex, evaluator=ev)
                agreed += verdict is True
                undefined += verdict is None
                last_reason = "a value overflows" if verdict is None else last_reason
                continue
            va, vb = jets.value(a), jets.value(b)
            if not (math.isfinite(va) and math.isfinite(vb)):
                undefined += 1
                last_reason = "a value overflows"
                continue
            verdict = holds(relation, va, vb)
            if verdict is None:
                verdict = _precisely(lhs, rhs, relation, ctx, model, trial, orders, time_bases)
            if verdict is False:
                cex = model.describe()
                cex["assignments"] = {k: show_value(v) for k, v in sorted(ev.free.items())}
                cex["lhs"] = va
                cex["rhs"] = vb
                return Outcome("differ", agreed, counterexample=cex, evaluator=ev)
            if verdict is True:
                agreed += 1
                covered.append(model)
            work += MAX_EVALUATIONS - ev.budget + getattr(ev, "extra_work", 0)
            if not ev.free:
                break  # nothing was drawn: another draw would compute the same numbers
    if agreed == 0:
        if undefined_example is not None and not all(side_defined) and undefined == attempts and \
                len(model_indices(n_models)) >= MIN_MODELS:   # "every model" needs more than a first look
            model, ev, why = undefined_example
            cex = model.describe()
            cex["assignments"] = {k: show_value(v) for k, v in sorted(ev.free.items())}
            side = "left" if not side_defined[0] else "right"
            cex[side + "_undefined"] = why
            return Outcome("differ", 0, reason="undefined", counterexample=cex, evaluator=None)
        reason = f"both sides are undefined in every model tried ({last_reason})" if undefined else \
            (last_reason or "the models could not compare the two sides")
        return Outcome("unknown", reason=reason)
    return Outcome("agree", agreed, coverage=_coverage(covered))


class _SideUndefined(Exception):
    """One side has no value in this model (``mathematical``: not merely beyond floating point)."""

    def __init__(self, why: str, mathematical: bool):
        super().__init__(why)
        self.mathematical = mathematical


def _sides(lhs: m.Expr, rhs: m.Expr, relation: str, ev: Evaluator, tables: dict[Any, Any],
           side_defined: list[bool]) -> tuple[Any, Any]:
    """Both sides' values; which of them had a value is recorded in ``side_defined``."""
    values: list[Any] = []
    failure: _SideUndefined | None = None
    for k, side in enumerate((lhs, rhs)):
        try:
            if k == 0:
                values.append(_side_value(ev, lhs))
            else:
                values.append(_side_value(ev, rhs) if relation != "≈" else mean_over_samples(lhs, rhs, ev, tables))
            side_defined[k] = True
        except jets.Undefined as err:
            failure = failure or _SideUndefined(str(err), str(err) in _MATHEMATICALLY_UNDEFINED)
        except (OverflowError, ZeroDivisionError) as err:
            failure = failure or _SideUndefined(str(err), isinstance(err, ZeroDivisionError))
    if failure is not None:
        raise failure
    return values[0], values[1]


def _side_value(ev: Evaluator, side: m.Expr) -> Any:
    """One side's value in ``ev``; where the model's tables are kept (``ev.shared``), a side already
    evaluated in this model and draw (the first comparison of a step and the next, or the last line of
    one step and the first of the next) is reused when its trace still holds (``reuse``)."""
    if ev.shared is None:
        return ev.real(side, Env())
    alive = ev.shared.setdefault(("sides",), {})
    alive[id(side)] = side  # the key holds the node by identity: keep it, so that no id is reused
    return reused(ev, ev.shared, ("side", id(side), ev.trial, ev.sample_bases, ev.time_bases),
                  lambda: ev.real(side, Env()))


def _precisely(lhs: m.Expr, rhs: m.Expr, relation: str, ctx: Context, model: Model, trial: int,
               orders: dict[str, int], time_bases: frozenset[str]) -> bool | None:
    """A near tie decided again in high precision (None: still undecided, or not evaluable so)."""
    with jets.precise():
        tables: dict[Any, Any] = {}
        ev = Evaluator(ctx, model, trial, orders, tables)
        ev.time_bases = time_bases
        try:
            a = ev.real(lhs, Env())
            b = ev.real(rhs, Env()) if relation != "≈" else mean_over_samples(lhs, rhs, ev, tables)
            return holds_precisely(relation, jets.precise_value(a), jets.precise_value(b))
        except (jets.Undefined, OverflowError, ZeroDivisionError, TooLarge):
            return None


def _coverage(models: list[Model]) -> str:
    """What the agreeing models spanned, in words: "up to 5 states, 5 actions, horizon 5, N 1–6"."""
    if not models:
        return ""
    parts = [f"up to {max(x.n_states for x in models)} states", f"{max(x.n_actions for x in models)} actions",
             f"horizon {min(x.horizon for x in models)}–{max(x.horizon for x in models)}"]
    ns = sorted({x.n_samples for x in models})
    parts.append(f"N {ns[0]}–{ns[-1]}" if len(ns) > 1 else f"N {ns[0]}")
    thetas = [v for x in models for v in x.theta.values()]
    if thetas:
        parts.append(f"parameters in [{min(thetas):.3g}, {max(thetas):.3g}]")
    return ", ".join(parts)


_FLOAT_RANGE = 2 ** 1023


def _beyond_floats(a: object, b: object) -> bool:
    """Both sides exact integers, one of them too large for a float."""
    return type(a) is int and type(b) is int and max(abs(a), abs(b)) >= _FLOAT_RANGE


def _exact_holds(relation: str, a: int, b: int) -> bool | None:
    """``a relation b`` for exact integers (None for ≈ and ∝ between different integers: left undecided)."""
    if relation == "=":
        return a == b
    if relation == "≤":
        return a <= b
    if relation == "≥":
        return a >= b
    return True if a == b else None


def _show_integer(v: int) -> str | int:
    """An integer as a counterexample keeps it: itself (a JSON number) up to 1000 digits, else its magnitude as
    text (Python cannot even write an integer of more than 4300 digits)."""
    if abs(v) < 10 ** 1000:
        return v
    exponent = math.log10(abs(v))
    return f"{'-' if v < 0 else ''}{10 ** (exponent % 1):.6f}e+{int(exponent)}"


finish(__name__)   # the methods of this module's records, made at once (see model/records.py)
