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
what was shown (``ok``, ``mismatch``, ``unknown-rule``, ``unverified``
on a step without a proof, ``unused`` when a cited rule played no role in the
proof by the cited rules) and their side conditions listed
(``conditions``); neither changes the verdict.  A goal is reached when a
chain of valid steps composes to a relation that implies the goal's, between
the goal's two sides up to algebra alone (``goal_status``).  Each step runs
in a worker with a time limit (``limits``), so a step that makes sympy hang
becomes ``unknown``.  The sections below: citations, one step, goals, files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import hashlib
import time

from . import falsify, rules
from .falsify import jets
from .conditions import VIOLATED, ledger
from .rules.base import OPTION_CREDITS
from .diagnose import diagnose
from .mismatch import named
from .open_conventions import decide_under_each
from . import model as m
from .limits import DIAGNOSIS_SHARE, Crashed, TimedOut, run_inline, run_jobs, steady_heap
from .results import CHECKED, MISMATCH, OK, PROVED, REFUTED, UNKNOWN, UNKNOWN_RULE, UNUSED, UNVERIFIED, \
    DerivationResult, FileResult, StepResult
from .semantics import Context, build_context
from .checkcache import GOAL_TIMED_OUT, STOPPED_MESSAGES, CheckCache, canonical, context_key, goal_key, \
    options_key, step_from_record, step_key, step_record
from .checkoptions import Options  # noqa: F401 - defined apart (a cached run needs it without the checker)

CROSS_CHECK_MODELS = 2  # random models that double-check a symbolic proof


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
    ctx.count_step()   # (its memo bounded)
    # notes that leave their trajectory convention open: the step is decided under each (open_conventions)
    result = decide_under_each(step, ctx, lambda step, ctx: _decide(step, ctx, options))
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
        result.message = "the two sides differ in a finite model" if outcome.reason != "undefined" else \
            "undefined: a side has no value (division by zero or a log of a non-positive number) in every model tried"
        if proved:
            result.message += " (the symbolic engine claimed a proof: please report this as a bug)"
        if outcome.evaluator is not None:
            result.difference = locate_difference(step.previous, step.expr, outcome.evaluator)
        result.diagnosis = named("undefined") if outcome.reason == "undefined" else \
            diagnose(step.previous, step.expr, step.relation, ctx, options.seed,
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
        covered = f" ({outcome.coverage})" if outcome.coverage else ""
        result.message = f"holds on {_models(outcome.models)}{covered}; no symbolic proof{why}"
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
        # no proof with every rule: nothing shows that the cited rules produce the step
        result.justification = UNVERIFIED
        result.message += "; the cited rules were not verified symbolically"
        return
    by_cited = _try_prove(step.previous, step.expr, step.relation, ctx, frozenset(citation.rules))
    if by_cited is not None and by_cited.proved:
        result.justification = OK
        used = set(getattr(by_cited, "rules_used", ()) or ())
        unused = [r for r in citation.rules if used and r not in ctx.lemmas and r != "algebra"
                  and not used & _footprint(r) and not _acts(step, ctx, r)]
        if unused:   # the proof with the cited rules never applied these (a proof that used no rule says nothing)
            result.justification = UNUSED
            result.message += f"; {', '.join(unused)} played no role in the proof by the rules cited"
    else:
        result.justification = MISMATCH
        result.message += "; the step holds, but not by the rules cited"


def _acts(step: m.Step, ctx: Context, rule: str) -> bool:
    """Does the rule have something to act on in the step (one of its rewrites changes a side)?"""
    from . import kernel  # imported lazily, as in prove_step

    assert step.previous is not None and step.expr is not None
    try:
        return kernel.acts(step.previous, step.expr, ctx, rule)
    except (RecursionError, MemoryError):
        raise
    except Exception:  # noqa: BLE001 - sympy can fail in many ways; then nothing is said
        return True


def _footprint(name: str) -> set[str]:
    """The credits a proof shows when a cited rule took part: its own, its rewrites' (a rule such as ``tower``
    acts through the rewrites of the rules it rests on) and its kernel options'."""
    if not rules.is_rule(name):
        return {name}
    entry = rules.rule(name)
    found = {name} | {c for r in entry.rewrites for c in rules.rewrite_named(r).credits}
    return found | {OPTION_CREDITS[o] for o in entry.kernel_options if o in OPTION_CREDITS}


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
    """``reached`` when a chain of valid steps composes to the goal's relation between the goal's sides.

    As in a ``calc`` block (LANGUAGE.md, *Goals*): the chain's relations compose (``compose``), the
    composed relation must imply the goal's (``implies``), and the chain's first and last expressions
    must be the goal's two sides up to algebra alone (no definition unfolded, no rule that carries a
    step's content).  A chain read backwards proves the flipped relation.  With ``quick``, decide only
    what needs no proof; return None when a comparison would be needed.
    """
    goal = derivation.goal
    if goal is None:
        return None, ""
    if not derivation.chains:
        return "not-reached", "no chain follows the goal"
    segments = [_chain_segment(derivation, first, last) for first, last in derivation.chains]
    best = "the chain does not start and end at the two sides of the goal"
    pending = False
    for (first, last), segment in zip(derivation.chains, segments):
        chosen = [steps[i] for i in segment]
        if not chosen or first is last:
            best = "the chain has no step: it restates the goal without deriving it"
            continue
        faulty = [s for s in chosen if s.verdict not in (PROVED, CHECKED)]
        if faulty:
            best = f"the step at line {faulty[0].line} is {faulty[0].verdict}"
            continue
        composed = compose(s.relation for s in chosen)
        if composed is None:
            best = "the chain's relations do not compose (a '≤' step and a '≥' step, say)"
            continue
        for start, end, relation in ((goal.lhs, goal.rhs, composed), (goal.rhs, goal.lhs, flip(composed))):
            if relation is None or not implies(relation, goal.relation):
                continue
            if (first, last) == (start, end):
                return "reached", ""
            if quick:
                pending = True
                continue
            ends = [_by_algebra(first, start, ctx), _by_algebra(last, end, ctx)]
            if all(ends):
                return "reached", ""
            if any(ends) and _same_value(first, start, ctx, options) and _same_value(last, end, ctx, options):
                side, expr = ("first", first) if not ends[0] else ("last", last)
                need = _what_is_missing(expr, start if side == "first" else end, ctx)
                best = f"the {side} line still needs {need} to reach the goal"
        if not pending and composed is not None and not any(
                implies(r, goal.relation) for r in (composed, flip(composed)) if r is not None):
            best = f"the chain proves '{composed}', which does not give the goal's '{goal.relation}'"
    if quick and pending:
        return None
    return "not-reached", best


# how two consecutive relations of a chain compose (LANGUAGE.md, Goals); a pair not listed gives nothing
_COMPOSE: dict[tuple[str, str], str] = {
    ("≤", "≤"): "≤", ("≤", "<"): "<", ("<", "≤"): "<", ("<", "<"): "<",
    ("≥", "≥"): "≥", ("≥", ">"): ">", (">", "≥"): ">", (">", ">"): ">",
    ("≈", "≈"): "≈", ("∝", "∝"): "∝",
}
_FLIPPED = {"=": "=", "≤": "≥", "≥": "≤", "<": ">", ">": "<"}
# what a composed relation implies besides itself
_IMPLIES = {"=": {"≤", "≥", "∝", "≈"}, "<": {"≤"}, ">": {"≥"}}


def compose(relations: Any) -> str | None:
    """The relation a chain of steps proves: ``=`` with anything gives that, ``≤`` with ``<`` gives ``<``…"""
    out = "="
    for r in relations:
        if r == "=":
            continue
        out = r if out == "=" else _COMPOSE.get((out, r))  # type: ignore[assignment]
        if out is None:
            return None
    return out


def flip(relation: str | None) -> str | None:
    """The relation read right to left (``a ≤ b`` is ``b ≥ a``); None for one that has no converse here."""
    return _FLIPPED.get(relation) if relation is not None else None


def implies(proved: str, wanted: str) -> bool:
    """Whether a chain that proves ``proved`` proves a goal stated with ``wanted``."""
    return proved == wanted or wanted in _IMPLIES.get(proved, set())


def _chain_segment(derivation: m.Derivation, first: m.Expr, last: m.Expr) -> list[int]:
    """The indices of the steps of the chain that runs from ``first`` to ``last``."""
    start = next((i for i, s in enumerate(derivation.steps) if s.previous is first), None)
    if start is None:
        return list(range(len(derivation.steps)))
    for j in range(start, len(derivation.steps)):
        if derivation.steps[j].expr is last:
            return list(range(start, j + 1))
    return list(range(start, len(derivation.steps)))


_ALGEBRA = frozenset({"algebra"})


def _by_algebra(a: m.Expr, b: m.Expr, ctx: Context) -> bool:
    """``a`` and ``b`` are the same expression up to algebra alone (the kernel with no other rule)."""
    if a == b or m.show(a) == m.show(b):
        return True
    proof = _try_prove(a, b, "=", ctx, _ALGEBRA)
    return proof is not None and proof.proved


def _what_is_missing(a: m.Expr, b: m.Expr, ctx: Context) -> str:
    """The rules a full proof of ``a = b`` used, as the words for what the chain still needs."""
    proof = _try_prove(a, b, "=", ctx, None)
    used = [r for r in getattr(proof, "rules_used", ()) or () if r != "algebra"]
    return ", ".join(used) if used else "another step"


def _same_value(a: m.Expr, b: m.Expr, ctx: Context, options: Options) -> bool:
    if a == b:
        return True
    proof = _try_prove(a, b, "=", ctx, None)
    if proof is not None and proof.proved:
        return True
    try:
        return falsify.compare(a, b, "=", ctx, options.seed, CROSS_CHECK_MODELS).status == "agree"
    except (falsify.Unsupported, falsify.NameProblem):
        return False


# --------------------------------------------------------------------------- files


def check_source(source: m.SourceFile, options: Options, cache: CheckCache | None = None) -> FileResult:
    """Check every derivation of a parsed file; steps run in time-limited workers."""
    return check_sources([source], options, cache)[0]


def check_sources(sources: list[m.SourceFile], options: Options, cache: CheckCache | None = None
                  ) -> list[FileResult]:
    """Check several parsed files with one pool of workers for all their steps (then one for their goals).

    With a ``cache``, a step or goal whose result is kept there is not checked again (see ``checkcache``);
    the results, cached or not, are the same, in input order.  The heap is steady meanwhile
    (``limits.steady_heap``): the cyclic collector's cost stays that of the step at hand, in a file of
    ten derivations as in one of a thousand.
    """
    with steady_heap():
        return _check_sources(sources, options, cache)


def _check_sources(sources: list[m.SourceFile], options: Options, cache: CheckCache | None) -> list[FileResult]:
    """A file's derivations may be packed (``model/packed.py``), never all held unpacked: a job names its step
    by place and unpacks it where it runs (a worker takes a derivation's steps in turn: one unpacking); in this
    process (``in_process``) a job runs as it is made, its derivation unpacked for the loop here; the results
    unpack a derivation again only for its goal or a step that did not finish (see ``_Head``)."""
    okey = options_key(options) if cache is not None else ""
    files: list[tuple[m.SourceFile, list[m.SyntaxIssue], list[Context], list[str], list[_Head]]] = []
    outputs: list[list[Any]] = []
    jobs: list[Any] = []
    ran: list[Any] | None = [] if options.in_process else None   # the jobs' outputs, when run as made
    pending: list[tuple[int, int, str, int, int]] = []   # (file, place, key, derivation, step) of each job
    for f, source in enumerate(sources):
        errors, contexts, ctx_keys, heads, row = list(source.errors), [], [], [], []
        derivations = source.derivations
        for k, (d, ctx, ctx_key) in enumerate(_contexts(source, cache is not None, errors)):
            contexts.append(ctx)
            ctx_keys.append(ctx_key)
            heads.append((d.title, d.span.line, d.lemma, len(d.steps), d.goal is not None))
            for j, step in enumerate(d.steps):
                key = step_key(step, ctx_key, okey) if cache is not None else ""
                kept = step_from_record(cache.get(source.path, key), step) if cache is not None else None
                if kept is None:
                    pending.append((f, len(row), key, k, j))
                    jobs.append(lambda ds=derivations, k=k, j=j, ctx=ctx: check_step(ds[k].steps[j], ctx, options))
                row.append(kept)
            if ran is not None:   # in this process: the derivation's jobs now, while it is unpacked
                ran.extend(run_inline(job) for job in jobs[len(ran):])
        outputs.append(row)
        files.append((source, _unique(errors), contexts, ctx_keys, heads))
    for (f, i, key, k, j), output in zip(pending, ran if ran is not None else _run(jobs, options)):
        # a time-out depends on how busy the machine was, not only on the step: it is never kept, so a
        # re-run on a quieter machine (or with nothing else running) can still decide the step
        decided = not isinstance(output, (TimedOut, Crashed))
        if isinstance(output, TimedOut):
            output = _as_result(output, files[f][0].derivations[k].steps[j], options)
        outputs[f][i] = output
        if cache is not None and decided and isinstance(output, StepResult):
            cache.put(files[f][0].path, key, step_record(output))

    results: list[list[DerivationResult]] = []
    goal_jobs: list[Any] = []
    goal_pending: list[tuple[DerivationResult, str, str]] = []
    for (source, _, contexts, ctx_keys, heads), row in zip(files, outputs):
        cursor = 0
        file_results: list[DerivationResult] = []
        derivations = source.derivations
        for k, (ctx, ctx_key, (title, line, lemma, count, has_goal)) in enumerate(zip(contexts, ctx_keys, heads)):
            done = row[cursor:cursor + count]
            cursor += count
            if not has_goal and all(isinstance(output, StepResult) for output in done):   # nothing to unpack for
                file_results.append(DerivationResult(title, line, None, "", done, lemma))
                continue
            d = derivations[k]
            steps = [_as_result(output, step, options) for output, step in zip(done, d.steps)]
            result = DerivationResult(title, line, None, "", steps, lemma)
            file_results.append(result)
            try:
                quick = goal_status(d, steps, ctx, options, quick=True)
            except RecursionError:
                quick = "not-reached", "the goal nests too deeply to compare"
            if quick is not None:
                result.goal, result.goal_message = quick
                continue
            key = goal_key(d, [(s.verdict, s.relation) for s in steps], ctx_key, okey) if cache is not None else ""
            kept = cache.get(source.path, key) if cache is not None else None
            if isinstance(kept, list) and len(kept) == 2 and all(isinstance(x, str) for x in kept):
                result.goal, result.goal_message = kept
                continue
            goal_pending.append((result, source.path, key))
            goal_jobs.append(lambda ds=derivations, k=k, ctx=ctx, steps=steps:
                             goal_status(ds[k], steps, ctx, options))
        results.append(file_results)
    for (result, name, key), status in zip(goal_pending, _run(goal_jobs, options)):
        if isinstance(status, (TimedOut, Crashed)):
            result.goal, result.goal_message = "not-reached", GOAL_TIMED_OUT
        else:
            result.goal, result.goal_message = status
        if cache is not None and not isinstance(status, (TimedOut, Crashed)):
            cache.put(name, key, [result.goal, result.goal_message])
    if cache is not None:
        for name in dict.fromkeys(source.path for source in sources):   # a file named twice is saved once
            cache.save(name)
    return [FileResult(source.path, errors, derivations, source.lines, cells=source.cells,
                       facts=list(source.facts), coverage=source.coverage, warnings=list(source.warnings))
            for (source, errors, _, _, _), derivations in zip(files, results)]


_Head = tuple[str, int, str | None, int, bool]   # a derivation's title, line, lemma, steps, whether it has a goal


def _prepare(source: m.SourceFile, keyed: bool) -> tuple[m.SourceFile, list[m.SyntaxIssue], list[Context], list[str]]:
    """A file's syntax and declaration errors, each derivation's context and (``keyed``) key (:func:`_contexts`)."""
    errors = list(source.errors)
    contexts: list[Context] = []
    keys: list[str] = []
    for _, ctx, key in _contexts(source, keyed, errors):
        contexts.append(ctx)
        keys.append(key)
    return source, _unique(errors), contexts, keys


def _contexts(source: m.SourceFile, keyed: bool, errors: list[m.SyntaxIssue]
              ) -> Iterator[tuple[m.Derivation, Context, str]]:
    """Each derivation of a file in turn, with its context and (``keyed``) its cache key; the declarations'
    errors go into ``errors``.

    A key is the declarations in force (``context_key`` of the context without its lemmas) and a running
    digest of the lemmas stated before the derivation, in order: the lemmas decide a key as before (the same
    lemmas in the same order give the same key, any other the key of another scope), and each is written out
    once, not once per later derivation (which cost 31 s for a file of 1,000 lemmas).
    """
    lemmas: dict[str, tuple[m.Expr, str, m.Expr]] = {}
    stated = hashlib.sha256(b"lemmas stated so far")
    shared: tuple[Any, Context, str] | None = None   # (declarations, context, key) of the derivation before
    for d in source.derivations:
        if shared is not None and d.declarations is shared[0]:
            # the same declarations (the very tuple: the same spans, so the same errors) and no lemma since:
            # the same context, built, keyed and reported once.  A note of a thousand blocks under one
            # preamble held a thousand equal contexts (44x the file's size), and each step built the
            # evaluator's tables again; a context's caches hold their nodes, so sharing one is safe
            ctx, key = shared[1], shared[2]
        else:
            ctx = build_context(source.declarations, d.declarations, lemmas, errors)   # (which copies the lemmas)
            key = context_key(replace(ctx, lemmas={})) + ":" + stated.hexdigest() if keyed else ""
            shared = d.declarations, ctx, key
        yield d, ctx, key
        if d.lemma and d.goal is not None:
            shared = None   # the lemmas change: the next derivation has a context of its own
            lemmas[d.lemma] = (d.goal.lhs, d.goal.relation, d.goal.rhs)
            if keyed:
                for part in (d.lemma, canonical(lemmas[d.lemma])):
                    data = part.encode("utf-8", "surrogatepass")
                    stated.update(len(data).to_bytes(8, "little") + data)


# A run of at most this many steps (one small file, say) goes to a single worker: a second worker would spend
# more CPU warming up (its own caches, its copy-on-write pages) than it takes off the first.
SMALL_RUN = 16


def _run(jobs: list[Any], options: Options) -> list[Any]:
    """Run the jobs in this process (``in_process``) or in the time-limited workers, results in order.

    A small run, or ``--jobs 1``, is still not run in this process: one forked worker takes every step in
    turn, so the time and memory limits hold even for a step where sympy never returns to the interpreter
    (a signal-based limit in this process, SIGALRM with RLIMIT_AS, cannot stop a long C-level loop such as
    a huge integer power, and would limit the whole run's memory); the worker costs one fork, measured at
    a few percent of a cold run (README, *Performance*)."""
    if not jobs:
        return []
    if options.in_process:
        return [run_inline(job) for job in jobs]
    load_kernel()  # once, before the workers fork, not inside each step's limit
    workers = 1 if len(jobs) <= SMALL_RUN else options.jobs
    return run_jobs(jobs, options.time_limit, workers, memory=options.memory_limit)


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
        result.message = f"{STOPPED_MESSAGES[0]}{options.time_limit:g} s per step exceeded"
        result.elapsed = options.time_limit
    else:
        result.message = f"{STOPPED_MESSAGES[1]}{getattr(output, 'message', output)}"
    return result


def _unique(errors: list[m.SyntaxIssue]) -> list[m.SyntaxIssue]:
    seen = set()
    out = []
    for e in errors:
        if (e.span, e.message) not in seen:
            seen.add((e.span, e.message))
            out.append(e)
    return sorted(out, key=lambda e: (e.span.line, e.span.column))
