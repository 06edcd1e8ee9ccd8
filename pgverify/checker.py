"""Step → verdict, goal → reached or not, file → results: the loop that composes the parts.

This module proves and evaluates nothing itself; it asks the parts that do.
For a step ``A rel B``:

* the numeric falsifier (``falsify``) evaluates both sides on random finite
  models; a clear mismatch is ``refuted``, with the model as counterexample
  (``diagnose`` then names the mistake, ``locate_difference`` the innermost
  sub-expressions that differ);
* the symbolic kernel (``kernel``, reached only through ``prove_step``)
  normalizes both sides with sympy; a proof is ``proved`` (and only a proof is);
* agreement on every model tried, without a proof, is ``checked``; anything
  else is ``unknown`` with the reason.

A concrete counterexample always wins: a step the models refute is refuted
whatever the kernel says.  The rules a step cites are then judged against
what was shown (``ok``, ``mismatch``, ``unknown-rule``) and their side
conditions listed (``conditions``); neither changes the verdict.  A goal is
reached when a chain of valid steps, none weaker than the goal's relation,
runs from one of its sides to the other (``goal_status``).  Each step runs
in a worker with a time limit (``limits``), so a step that makes sympy hang
becomes ``unknown``.  The sections below: citations, one step, goals, files.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import time

from . import falsify, rules
from .falsify import jets
from .conditions import VIOLATED, ledger
from .diagnose import diagnose
from . import model as m
from .limits import DIAGNOSIS_SHARE, Crashed, TimedOut, run_inline, run_jobs
from .results import CHECKED, MISMATCH, OK, PROVED, REFUTED, UNKNOWN, UNKNOWN_RULE, DerivationResult, FileResult, \
    StepResult
from .semantics import Context, build_context

CROSS_CHECK_MODELS = 2  # random models that double-check a symbolic proof


@dataclass(frozen=True)
class Options:
    """How to check: the seed of the random models, the time limit per step, strictness."""

    seed: int = 0
    time_limit: float = 5.0
    strict: bool = False
    models: int = 6
    # run the steps one after another in this process, without per-step limits (the caller already runs
    # in a limited worker, as `pgverify grade` does for each submission); running out of memory propagates
    in_process: bool = False


# --------------------------------------------------------------------------- citations


@dataclass(frozen=True)
class Citation:
    rules: tuple[str, ...]          # canonical rule names and lemma names
    unknown: tuple[str, ...]        # items that name nothing
    suggestions: tuple[str, ...]


def read_citation(justification: m.Justification, lemmas: dict[str, Any]) -> Citation:
    """Resolve ``by …`` items to canonical rule names and lemma names."""
    found: list[str] = []
    unknown: list[str] = []
    suggestions: list[str] = []
    for item in justification.items:
        if item in lemmas:
            found.append(item)
            continue
        pieces = rules.split_justification(item)
        for piece in pieces:
            rule = rules.lookup(piece)
            if rule is not None:
                found.append(rule.name)
            elif piece in lemmas:
                found.append(piece)
            else:
                unknown.append(piece)
                suggestions.extend(rules.suggest(piece) + [n for n in lemmas if _close_name(n, piece)])
    return Citation(tuple(dict.fromkeys(found)), tuple(unknown), tuple(dict.fromkeys(suggestions)))


def _close_name(a: str, b: str) -> bool:
    import difflib

    return difflib.SequenceMatcher(None, a.lower(), b.lower()).ratio() > 0.7


# --------------------------------------------------------------------------- one step


def prove_step(lhs: m.Expr, rhs: m.Expr, relation: str, ctx: Context, rules: frozenset[str] | None = None) -> Any:
    """The kernel's one door: a symbolic proof of ``lhs relation rhs`` with every rule or only ``rules``.

    Returns the kernel's ``Proof`` (``proved``, ``reason``, ``rules_used``).  Whoever needs a proof
    (the step loop here, ``grading.order``) asks here, so the kernel has a single caller to audit.
    """
    from . import kernel  # imported lazily: sympy is the slow part of start-up

    return kernel.prove(lhs, rhs, relation, ctx, rules)


def load_kernel() -> None:
    """Load sympy and the kernel now (before worker processes fork, so none pays for it in its time limit)."""
    from . import kernel  # noqa: F401


def check_step(step: m.Step, ctx: Context, options: Options) -> StepResult:
    """Decide one step and fill in its side-condition ledger (runs inside the worker)."""
    started = time.monotonic()
    result = _decide(step, ctx, options)
    if result.rules and step.previous is not None and step.expr is not None:
        entries = ledger(result.rules, step, ctx, result.verdict, result.diagnosis)
        result.conditions = [{"rule": c.rule, "text": c.text, "status": c.status, "note": c.note} for c in entries]
        violated = [c for c in entries if c.status == VIOLATED]
        if violated and result.verdict == REFUTED:
            c = violated[0]
            result.message = f"a side condition of {c.rule} is violated: {c.text}" + (f" ({c.note})" if c.note else "")
    result.elapsed = time.monotonic() - started
    return result


def _decide(step: m.Step, ctx: Context, options: Options) -> StepResult:
    started = time.monotonic()
    result = StepResult(step.span.line, step.span.column, step.relation, UNKNOWN, text=step.text)
    citation = read_citation(step.justification, ctx.lemmas) if step.justification else None
    if citation is not None:
        result.rules = list(citation.rules)
        result.cited = list(step.justification.items) if step.justification else []
    if step.previous is None or step.expr is None:
        result.message = ("this line could not be read (see the error above)" if step.expr is None
                          else "the line before could not be read, so this step has nothing to relate to")
        return result
    result.lhs, result.rhs = m.show(step.previous), m.show(step.expr)
    # The cheapest model first (most wrong steps fall there, and need no proof attempt); then a symbolic
    # proof, which a few cheap models cross-check (a disagreement would be a bug: the counterexample wins);
    # without a proof, every model is tried.
    proof = None
    proved = False
    try:
        outcome = falsify.compare(step.previous, step.expr, step.relation, ctx, options.seed, 1)
        if outcome.status != "differ":
            proof = _try_prove(step.previous, step.expr, step.relation, ctx, None)
            proved = proof is not None and proof.proved
            outcome = falsify.compare(step.previous, step.expr, step.relation, ctx, options.seed,
                                      CROSS_CHECK_MODELS if proved else options.models)
    except falsify.NameProblem as problem:
        result.message = str(problem)
        return result
    except falsify.Unsupported as why:
        outcome = falsify.Outcome("unknown", reason=str(why))
        if proof is None:
            proof = _try_prove(step.previous, step.expr, step.relation, ctx, None)
            proved = proof is not None and proof.proved
    if outcome.status == "differ":
        result.verdict = REFUTED
        result.counterexample = outcome.counterexample
        result.message = "the two sides differ in a finite model"
        if proved:
            result.message += " (the symbolic engine claimed a proof: please report this as a bug)"
        if outcome.evaluator is not None:
            result.difference = locate_difference(step.previous, step.expr, outcome.evaluator)
        result.diagnosis = diagnose(step.previous, step.expr, step.relation, ctx, options.seed,
                                    deadline=started + DIAGNOSIS_SHARE * options.time_limit,
                                    cited=tuple(citation.rules) if citation else ())
        _judge_citation(result, citation, step, ctx, valid=False)
        return result
    if proved:
        result.verdict = PROVED
        result.models = outcome.models
        result.message = "proved symbolically" + (f"; agrees on {_models(outcome.models)}"
                                                  if outcome.status == "agree" else "")
    elif outcome.status == "agree":
        result.verdict = CHECKED
        result.models = outcome.models
        why = f" ({proof.reason})" if proof is not None and proof.reason else ""
        result.message = f"holds on {_models(outcome.models)}; no symbolic proof{why}"
    else:
        result.message = outcome.reason or (proof.reason if proof is not None else "")
    if result.verdict in (PROVED, CHECKED):
        _judge_citation(result, citation, step, ctx, valid=True, proved=result.verdict == PROVED)
    elif citation is not None:
        _judge_citation(result, citation, step, ctx, valid=None)
    return result


def _models(n: int) -> str:
    return f"{n} random finite model" + ("" if n == 1 else "s")


def _try_prove(lhs: m.Expr, rhs: m.Expr, relation: str, ctx: Context, allowed: frozenset[str] | None) -> Any:
    try:
        return prove_step(lhs, rhs, relation, ctx, allowed)
    except (RecursionError, MemoryError):
        raise
    except Exception as err:  # noqa: BLE001 - sympy can fail in many ways; a failed proof is no proof
        return _NoProof(f"the symbolic engine failed: {type(err).__name__}")


@dataclass(frozen=True)
class _NoProof:
    reason: str
    proved: bool = False


def _judge_citation(result: StepResult, citation: Citation | None, step: m.Step, ctx: Context,
                    valid: bool | None, proved: bool = False) -> None:
    if citation is None:
        return
    if citation.unknown:
        result.justification = UNKNOWN_RULE
        result.suggestions = list(citation.suggestions)
        names = ", ".join(f"'{u}'" for u in citation.unknown)
        hint = f"; did you mean {', '.join(citation.suggestions[:3])}?" if citation.suggestions else ""
        result.message += f"; no rule named {names}{hint}"
        return
    if valid is False:
        result.justification = MISMATCH
        return
    if valid is None:
        return
    assert step.previous is not None and step.expr is not None
    if not citation.rules:
        return
    if not proved:
        # no proof with every rule: the cited rules cannot be confirmed either way; accept them as given
        result.justification = OK
        result.message += "; the cited rules were not verified symbolically"
        return
    by_cited = _try_prove(step.previous, step.expr, step.relation, ctx, frozenset(citation.rules))
    if by_cited is not None and by_cited.proved:
        result.justification = OK
    else:
        result.justification = MISMATCH
        result.message += "; the step holds, but not by the rules cited"


def locate_difference(lhs: m.Expr, rhs: m.Expr, ev: falsify.Evaluator) -> tuple[str, str]:
    """The deepest pair of corresponding sub-expressions that still differ in the counterexample."""
    a, b = lhs, rhs
    for _ in range(50):
        pair = _differing_child(a, b, ev)
        if pair is None:
            break
        a, b = pair
    return m.show(a), m.show(b)


def _differing_child(a: m.Expr, b: m.Expr, ev: falsify.Evaluator) -> tuple[m.Expr, m.Expr] | None:
    if type(a) is not type(b):
        return None
    if isinstance(a, m.Func) and isinstance(b, m.Func) and a.name != b.name:
        return None
    if isinstance(a, m.Grad) and isinstance(b, m.Grad) and a.param != b.param:
        return None
    if isinstance(a, m.BigOp) and isinstance(b, m.BigOp) and (a.kind, m.show(a.index)) != (b.kind, m.show(b.index)):
        return None
    if isinstance(a, (m.Call, m.Name, m.Num, m.Size, m.Placeholder)):
        return None
    children_a, children_b = m.children(a), m.children(b)
    if len(children_a) != len(children_b):
        return None
    pairs = list(zip(children_a, children_b))
    differing = [(x, y) for x, y in pairs if not _same(x, y, ev)]
    return differing[0] if len(differing) == 1 else None


def _same(x: m.Expr, y: m.Expr, ev: falsify.Evaluator) -> bool:
    if m.show(x) == m.show(y):
        return True
    try:
        vx, vy = ev.real(x, falsify.Env()), ev.real(y, falsify.Env())
    except Exception:  # noqa: BLE001 - not evaluable on its own (bound variables): compare as text
        return False
    return falsify.close(jets.value(vx), jets.value(vy))


# --------------------------------------------------------------------------- goals


def goal_status(derivation: m.Derivation, steps: list[StepResult], ctx: Context,
                options: Options, quick: bool = False) -> tuple[str | None, str] | None:
    """``reached`` when a chain runs from one side of the goal to the other through valid steps.

    With ``quick``, decide only what needs no proof (the chain's ends written exactly as the goal's
    sides, or a faulty step); return None when a comparison would be needed.
    """
    goal = derivation.goal
    if goal is None:
        return None, ""
    if not derivation.chains:
        return "not-reached", "no chain follows the goal"
    faulty = [s for s in steps if s.verdict not in (PROVED, CHECKED)]
    if faulty:
        return "not-reached", f"the step at line {faulty[0].line} is {faulty[0].verdict}"
    relations = {s.relation for s in steps}
    if goal.relation == "=" and relations - {"="}:
        return "not-reached", "the chain has steps weaker than '=' but the goal is an equality"
    for first, last in derivation.chains:
        if (first, last) == (goal.lhs, goal.rhs) or goal.relation == "=" and (first, last) == (goal.rhs, goal.lhs):
            return "reached", ""
    if quick:
        return None
    for first, last in derivation.chains:
        if _same_value(first, goal.lhs, ctx, options) and _same_value(last, goal.rhs, ctx, options):
            return "reached", ""
        if goal.relation == "=" and _same_value(first, goal.rhs, ctx, options) and \
                _same_value(last, goal.lhs, ctx, options):
            return "reached", ""
    return "not-reached", "the chain does not start and end at the two sides of the goal"


def _same_value(a: m.Expr, b: m.Expr, ctx: Context, options: Options) -> bool:
    if a == b:
        return True
    proof = _try_prove(a, b, "=", ctx, None)
    if proof is not None and proof.proved:
        return True
    try:
        return falsify.compare(a, b, "=", ctx, options.seed, options.models).status == "agree"
    except (falsify.Unsupported, falsify.NameProblem):
        return False


# --------------------------------------------------------------------------- files


def check_source(source: m.SourceFile, options: Options) -> FileResult:
    """Check every derivation of a parsed file; steps run in time-limited workers."""
    errors = list(source.errors)
    lemmas: dict[str, tuple[m.Expr, str, m.Expr]] = {}
    contexts: list[Context] = []
    for d in source.derivations:
        ctx = build_context(source.declarations, d.declarations, dict(lemmas), errors)
        contexts.append(ctx)
        if d.lemma and d.goal is not None:
            lemmas[d.lemma] = (d.goal.lhs, d.goal.relation, d.goal.rhs)
    errors = _unique(errors)

    jobs = []
    for d, ctx in zip(source.derivations, contexts):
        for step in d.steps:
            jobs.append(lambda step=step, ctx=ctx: check_step(step, ctx, options))
    if jobs:
        load_kernel()  # once, before the workers fork, not inside each step's limit
    outputs = [run_inline(job) for job in jobs] if options.in_process else run_jobs(jobs, options.time_limit)

    results: list[DerivationResult] = []
    cursor = 0
    goal_jobs = []
    for d, ctx in zip(source.derivations, contexts):
        steps: list[StepResult] = []
        for step in d.steps:
            steps.append(_as_result(outputs[cursor], step, options))
            cursor += 1
        result = DerivationResult(d.title, d.span.line, None, "", steps, d.lemma)
        results.append(result)
        try:
            quick = goal_status(d, steps, ctx, options, quick=True)
        except RecursionError:
            quick = "not-reached", "the goal nests too deeply to compare"
        if quick is not None:
            result.goal, result.goal_message = quick
        else:
            goal_jobs.append((result, lambda d=d, ctx=ctx, steps=steps: goal_status(d, steps, ctx, options)))
    goal_runs = [job for _, job in goal_jobs]
    statuses = [run_inline(job) for job in goal_runs] if options.in_process else run_jobs(goal_runs, options.time_limit)
    for (result, _), status in zip(goal_jobs, statuses):
        if isinstance(status, (TimedOut, Crashed)):
            result.goal, result.goal_message = "not-reached", "the goal could not be compared in time"
        else:
            result.goal, result.goal_message = status
    return FileResult(source.path, errors, results, source.lines, cells=source.cells)


def _as_result(output: Any, step: m.Step, options: Options) -> StepResult:
    if isinstance(output, StepResult):
        return output
    result = StepResult(step.span.line, step.span.column, step.relation, UNKNOWN, text=step.text)
    if step.previous is not None:
        result.lhs = m.show(step.previous)
    if step.expr is not None:
        result.rhs = m.show(step.expr)
    if step.justification is not None:
        result.cited = list(step.justification.items)
    if isinstance(output, TimedOut):
        result.message = f"time limit of {options.time_limit:g} s per step exceeded"
        result.elapsed = options.time_limit
    else:
        result.message = f"the check stopped: {getattr(output, 'message', output)}"
    return result


def _unique(errors: list[m.SyntaxIssue]) -> list[m.SyntaxIssue]:
    seen = set()
    out = []
    for e in errors:
        if (e.span, e.message) not in seen:
            seen.add((e.span, e.message))
            out.append(e)
    return sorted(out, key=lambda e: (e.span.line, e.span.column))
