"""A step decided under every trajectory convention a notes file leaves open.

Notes mode learns where a file's time steps start and end (``t = 0 … T-1``, ``t = 1 … T``,
``t = 0 … T``) from the file itself (:mod:`pgverify.readers.time_convention`).  When the file's
evidence conflicts, several conventions stay open (``Context.conventions``), and the rule is:

* a step that holds under every open convention is valid (the weakest of its verdicts: ``checked``
  if one of them is only checked);
* a step refuted under every open convention is refuted (the counterexample of the first);
* anything else -- valid under one layout and refuted or undecided under another, or refuted under
  one and undecided under another -- is ``unknown``, with a reason that names the layouts and asks
  the author to define ``τ`` or ``p_θ(τ)`` (undecided under all: the reason of the first).

So a correct step is never refuted because pgverify guessed the wrong convention, and a step is
never accepted because of a convention the notes might not use.  A step that mentions nothing whose
meaning depends on the convention (no trajectory, expectation, sum, time index or horizon) is
decided once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from . import model as m
from .results import CHECKED, PROVED, REFUTED, UNKNOWN, UNVERIFIED, StepResult
from .semantics import ACTION, STATE, Context


def decide_under_each(step: m.Step, ctx: Context, decide: Callable[[m.Step, Context], StepResult]) -> StepResult:
    """``decide(step, ctx)`` under each open convention of ``ctx``, combined by the module's rule."""
    open_ = ctx.conventions
    if open_ is None:
        return decide(step, ctx)
    if not depends_on_convention(step, ctx):
        return decide(step, ctx.under(0))
    results = [decide(step, ctx.under(k)) for k in range(len(open_.alternatives))]
    valid = [r.verdict in (PROVED, CHECKED) for r in results]
    readings = ", ".join(open_.names)
    if all(valid):
        weakest = next((r for r in results if r.verdict == CHECKED), results[0])
        weakest.message += f"; it holds for each layout the notes leave open ({readings})"
        return weakest
    if all(r.verdict == REFUTED for r in results):
        first = results[0]
        first.message += f" (for each layout the notes leave open: {readings})"
        return first
    if all(r.verdict == UNKNOWN for r in results):
        return results[0]          # undecided whatever the layout: its own reason, not the layout, says why
    holds = [open_.names[k] for k, ok in enumerate(valid) if ok]
    fails = [open_.names[k] for k, r in enumerate(results) if r.verdict == REFUTED]
    undecided = [open_.names[k] for k, r in enumerate(results) if r.verdict == UNKNOWN]
    parts = []
    if holds:
        parts.append("it holds for " + " and ".join(holds))
    if fails:
        parts.append("fails for " + " and ".join(fails))
    if undecided:
        parts.append("is undecided for " + " and ".join(undecided))
    message = (f"this step depends on where the notes' time steps start and end: {', '.join(parts)}; {open_.reason}."
               " Define τ (as in τ = (s_1, a_1, …, s_T, a_T)) or p_θ(τ) in the notes")
    return dataclasses.replace(results[0], verdict=UNKNOWN, message=message, counterexample=None, difference=None,
                               models=0, diagnosis=None, conditions=[],
                               justification=UNVERIFIED if step.justification is not None else None)


def depends_on_convention(step: m.Step, ctx: Context) -> bool:
    """Whether the step mentions anything whose meaning depends on the time convention: a trajectory
    (``τ``, ``p_θ(τ)``, ``R(τ)``, ``J``), an expectation, a sum or product, a defined function, a state or
    action at a time, or the horizon ``T`` (erring on the side of deciding under every convention)."""
    for expr in (step.previous, step.expr):
        if expr is None:
            continue
        for node in m.nodes(expr):
            if isinstance(node, (m.Expect, m.BigOp)):
                return True
            if isinstance(node, m.Name) and (node.base in ("τ", "T") or
                                             ctx.domain_of_base(node.base) in (STATE, ACTION) and node.sub):
                return True
            if isinstance(node, m.Call) and (node.func.key() in ("J", "R") or
                                             ctx.function(node.func.key(), len(node.all_args)).kind == "def"):
                return True
    return False
