"""The search for a counterexample: both sides of a step on several random models.

``compare`` evaluates both sides on ``n_models`` models, ``draws`` draws of
the free variables each.  A clear difference anywhere is ``differ`` (with the
model as counterexample); agreement on at least one model and no difference is
``agree``; otherwise ``unknown``, with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .. import model as m
from ..semantics import Context
from . import jets
from .tolerances import holds
from .estimators import mean_over_samples
from .evaluate import Evaluator, grad_orders, time_indices
from .models import MAX_EVALUATIONS, Env, Model, TooLarge, show_value

# an expensive step (over WORK_BUDGET elementary operations so far) stops adding models once at least
# MIN_MODELS agree: more of the same evidence costs time a grader does not have
WORK_BUDGET = 150_000
MIN_MODELS = 3


@dataclass
class Outcome:
    """What the models said about a step."""

    status: str                         # "agree" | "differ" | "unknown"
    models: int = 0                     # models (× draws) where both sides were compared
    reason: str = ""
    counterexample: dict[str, Any] | None = None
    evaluator: Evaluator | None = None  # the evaluator of the counterexample, to locate the difference



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
            verdict = holds(relation, va, vb)
            if verdict is False:
                cex = model.describe()
                cex["assignments"] = {k: show_value(v) for k, v in sorted(ev.free.items())}
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
