"""Grading: one submission → one record; a class → records, each in a time- and memory-limited worker.

A submission is read like a file of ``check`` (``.pgv``, ``.md``, ``.tex`` …
by its extension; anything else as ``.pgv``), the assignment's preamble
declarations are put in front of its own (its line numbers stay those of the
student's file), and every step is checked.  The goal comes from the
assignment: a derivation reaches it when all its steps are valid and one of
its chains runs from the goal's left side to its right side ("written alike":
the same expression, or equal by ``algebra`` alone; proved equality with every
rule would say nothing, since every expression of a valid chain equals every
other).  A lemma cited on the way must itself be proved.  A ``goal`` line in
the submission is not needed; one that differs from the assignment's is
reported and ignored.

A submission that cannot be read (a syntax error, a declaration error,
binary content, not UTF-8, too large) has status ``parse-error`` and score 0,
with the problem as feedback; an empty one, or one without a step, is graded 0
with a message.  The rubric is :mod:`pgverify.grading.score`.

At class scale each submission runs in a worker process (``limits.run_jobs``)
with a time limit per submission and a memory limit (``RLIMIT_AS``, set in the
worker); a submission that runs out of time has status ``time-limit``, one
that runs out of memory or kills its worker ``crashed``, and the others go on.
Inside its worker a submission's steps run one at a time, each in a worker of
its own with a per-step time limit (``step_time_limit``, at most the
submission's), so one hanging claim is ``unknown`` and the other steps are
credited; the comparisons of the goal and of the required steps with the
chains run under the same per-step limit (one that runs out counts as not
written alike).  Workers die with their parent (see :mod:`pgverify.limits`).  Each result is handled as
soon as it arrives: written to the cache and counted by the progress callback
(once per submission).  Records are kept by position and sorted by student, so
the output does not depend on ``--jobs`` or on the order results arrive in.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path, PurePosixPath
from typing import Any

from .. import lookalikes
from .. import model as m
from ..checkcache import SharedResults, canonical, context_key, options_key, value_key
from ..checker import Options, check_source
from ..limits import Crashed, TimedOut, default_workers, limit_memory, run_jobs
from ..readers import read_text
from ..report import step_record
from ..results import DerivationResult
from ..semantics import Context, build_context
from . import order as ordering
from .assignment import Assignment, AssignmentError
from .cache import DEFAULT_DIRECTORY, LIMITED_STATUSES, Cache, key
from .implementation import grade_implementation
from .score import Tally, breakdown_records, number, score, tally_steps
from .submissions import Submission

GRADED, PARSE_ERROR, TIME_LIMIT, CRASHED = "graded", "parse-error", "time-limit", "crashed"
FAULTY_VERDICTS = ("refuted", "unknown")
OUT_OF_MEMORY = "it ran out of memory"


@dataclass(frozen=True)
class GradeOptions:
    """How to grade: the seed of the random models, the limits per submission, the workers, the cache."""

    seed: int = 0
    time_limit: float = 60.0                 # seconds per submission
    memory_limit: int = 2048                 # MiB of address space per worker process
    step_time_limit: float = 10.0            # seconds per step (and per goal comparison) inside a submission
    jobs: int | None = None                  # worker processes (default: the cores)
    cache_dir: Path | None = DEFAULT_DIRECTORY


@dataclass
class ClassGrades:
    """The outcome of grading a class: one record per student, sorted by student."""

    assignment: Assignment
    seed: int
    records: list[dict[str, Any]]
    graded_now: int = 0
    from_cache: int = 0
    solution: ordering.Solution | None = field(default=None, repr=False)


# --------------------------------------------------------------------------- a class


def grade_class(assignment: Assignment, submissions: list[Submission], options: GradeOptions,
                progress: Callable[[int, int], None] | None = None) -> ClassGrades:
    """Grade every submission (cached ones are not graded again); raises AssignmentError for a broken [order].

    ``progress(done, total)`` is called once before grading (``done`` counts the cached submissions)
    and then once per submission graded now, as its result arrives; by then the result is cached.
    """
    cache = Cache(options.cache_dir)
    limits = (options.time_limit, options.memory_limit)
    plain = [key(s.data, PurePosixPath(s.name).suffix, assignment.raw, options.seed) for s in submissions]
    limited = [key(s.data, PurePosixPath(s.name).suffix, assignment.raw, options.seed, limits=limits)
               for s in submissions]
    # a file that was not read (too large, unreadable) has no bytes to key on: it is never cached
    records: list[dict[str, Any] | None] = [
        None if s.problem else cache.get(p) or cache.get(q, LIMITED_STATUSES)
        for s, p, q in zip(submissions, plain, limited)]
    pending = [i for i, r in enumerate(records) if r is None]
    solution = None
    if assignment.order is not None and pending:
        solution = ordering.solve(exercise_of(assignment), Options(seed=options.seed, time_limit=options.time_limit),
                                  options.jobs, total=options.time_limit)
        if not solution.right:
            raise AssignmentError(f"{assignment.path}: [order]: {solution.problem}")
    if pending:
        _warm_up(assignment, options, solution)
    parent = os.getpid()
    total, done = len(submissions), len(submissions) - len(pending)
    if progress is not None:
        progress(done, total)

    def arrived(position: int, output: Any) -> None:
        nonlocal done
        i = pending[position]
        record = _as_record(output, assignment, options)
        records[i] = record
        if not submissions[i].problem:
            if record["status"] in (GRADED, PARSE_ERROR):
                cache.put(plain[i], record)
            elif record["status"] == TIME_LIMIT or OUT_OF_MEMORY in record["messages"][0]:
                cache.put(limited[i], record)  # another crash may come from outside: graded again next time
        done += 1
        if progress is not None:
            progress(done, total)

    # the steps (and comparisons) the class has in common are checked once: the workers share their results
    # through a directory of records, the cache's when there is one, else one that lasts only this run
    folder = tempfile.TemporaryDirectory(prefix="pgverify-grade-") if options.cache_dir is None \
        else contextlib.nullcontext(str(options.cache_dir))
    with folder as directory:
        # each forked worker has its own copy of the store, and keeps in it what it has read
        shared = SharedResults(Path(directory))
        jobs = [lambda s=submissions[i]: _in_worker(assignment, s, options, solution, parent, shared)
                for i in pending]
        run_jobs(jobs, options.time_limit, options.jobs or default_workers(), on_result=arrived)
    final = [_finish(s, r) for s, r in zip(submissions, records) if r is not None]
    return ClassGrades(assignment, options.seed, final, len(pending), cache.hits, solution)


def exercise_of(assignment: Assignment) -> ordering.Exercise:
    """The [order] table of an assignment as an ordering exercise."""
    items = assignment.order
    assert items is not None
    return ordering.Exercise(assignment.title, 0, items.labels, items.texts, items.exprs, items.goal,
                             assignment.declarations)


def _in_worker(assignment: Assignment, submission: Submission, options: GradeOptions,
               solution: ordering.Solution | None, parent: int, shared: SharedResults) -> dict[str, Any]:
    if os.getpid() != parent:  # never limit the parent (where there is no fork, jobs run in it)
        limit_memory(options.memory_limit)
    if submission.problem:
        return _not_graded(PARSE_ERROR, submission.problem, assignment)
    return grade_submission(assignment, submission.name, submission.data, options, solution, shared=shared)


def _warm_up(assignment: Assignment, options: GradeOptions, solution: ordering.Solution | None) -> None:
    """Grade a trivial submission in the parent: what it loads and caches, every forked worker inherits."""
    from .. import diagnose  # noqa: F401 - loaded once, before the workers fork
    from ..checker import load_kernel

    load_kernel()

    trivial = b"answer:\n" if assignment.order is not None else b"claim 1 + 1 = 2   by algebra\n"
    grade_submission(assignment, "warm-up.pgv", trivial, options, solution)


def _as_record(output: Any, assignment: Assignment, options: GradeOptions) -> dict[str, Any]:
    if isinstance(output, TimedOut):
        return _not_graded(TIME_LIMIT, f"grading this submission took longer than the time limit of"
                                       f" {options.time_limit:g} s", assignment)
    if isinstance(output, Crashed):
        why = OUT_OF_MEMORY if "memory" in output.message else output.message
        return _not_graded(CRASHED, f"grading this submission stopped: {why}", assignment)
    return json.loads(json.dumps(output))  # the same values a cached record has, whatever their types were


def _finish(submission: Submission, record: dict[str, Any]) -> dict[str, Any]:
    return {"student": submission.student, "file": submission.name, **record}


# --------------------------------------------------------------------------- one submission


def grade_submission(assignment: Assignment, name: str, data: bytes, options: GradeOptions,
                     solution: ordering.Solution | None = None, shared: SharedResults | None = None
                     ) -> dict[str, Any]:
    """The record of one submission (without ``student`` and ``file``); runs in a worker.

    ``shared`` holds the results of steps and comparisons already made for other submissions of the class
    (under keys of everything that decides them); what this submission decides is added to it."""
    if not data.strip():
        return _empty(assignment, "the submission is empty")
    if b"\x00" in data:
        return _not_graded(PARSE_ERROR, "the file is not text (binary content): submit the derivation as"
                                        " plain text, Markdown or LaTeX", assignment)
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        return _not_graded(PARSE_ERROR, f"the file is not UTF-8 text (byte {err.start}): save it as UTF-8",
                           assignment)
    if assignment.order is not None:
        assert solution is not None, "an [order] assignment is graded against its solution"
        return _grade_answer(assignment, solution, text)
    if assignment.implementation is not None:   # a .py submission: parsed, never imported or run
        steps, reached, messages, problem = grade_implementation(assignment.implementation, name, text, options.seed)
        if problem is not None:
            return _not_graded(PARSE_ERROR, problem, assignment)
        first_error = next((i for i, s in enumerate(steps) if s["verdict"] in FAULTY_VERDICTS), -1)
        return _record(GRADED, replace(tally_steps(steps, assignment.rubric), goal_reached=reached), assignment,
                       first_error, steps, messages)
    return _grade_derivation(assignment, name, text, options, shared)


def _grade_derivation(assignment: Assignment, name: str, text: str, options: GradeOptions,
                      shared: SharedResults | None = None) -> dict[str, Any]:
    source, _ = read_text(text, name)
    notes = _lookalike_notes(source, assignment)
    if source.errors:
        return _not_graded(PARSE_ERROR, None, assignment, [_where(e) for e in source.errors], notes)
    redefined = _redefinitions(source, assignment)
    if redefined:
        return _not_graded(PARSE_ERROR, None, assignment, redefined, notes)
    goal = assignment.goal
    assert goal is not None
    messages = [f"line {d.goal.span.line}: this goal is not the assignment's; the submission is graded against"
                f" the assignment's goal, {m.show(goal.lhs)} {goal.relation} {m.show(goal.rhs)}"
                for d in source.derivations if d.goal is not None and not d.lemma and d.goal != goal]
    derivations = tuple(d if d.lemma else replace(d, goal=None) for d in source.derivations)
    if not any(d.steps for d in derivations):
        return _empty(assignment, "no step found: write the derivation as a chain (an expression, then lines"
                                  " that start with `=`)")
    merged = m.SourceFile(source.path, assignment.declarations + source.declarations, derivations, (), source.lines)
    # the submission already runs in a limited worker (its memory limit is inherited); each step runs in a
    # worker of its own under the per-step limit, one at a time, so one hanging claim costs only itself
    step_options = _step_options(options)
    result = check_source(merged, step_options, shared)
    if result.errors:
        return _not_graded(PARSE_ERROR, None, assignment, [_where(e) for e in result.errors], notes)
    contexts = _contexts(merged)
    steps = [{**step_record(s), "text": s.text, "derivation": d.title}
             for d in result.derivations for s in d.steps]
    proved_lemmas = {d.lemma for d in result.derivations if d.lemma and d.goal == "reached"}
    alike = _bounded_alike(step_options, shared)
    reached = any(_reaches(d, r, ctx, goal, proved_lemmas, alike)
                  for d, r, ctx in zip(derivations, result.derivations, contexts) if not d.lemma)
    if not reached:
        messages.append(_not_reached(steps, goal))
    cited = {rule for s in steps for rule in s["rules"]}
    requirements = assignment.requirements
    tally = replace(tally_steps(steps, assignment.rubric), goal_reached=reached,
                    missing_citations=tuple(r for r in requirements.must_cite if r not in cited),
                    forbidden_citations=tuple(r for r in requirements.must_not_cite if r in cited),
                    missing_steps=tuple(req.text for req in requirements.required_steps
                                        if not _appears(req.expr, derivations, contexts, alike)))
    messages += [f"the rule {r} must be cited" for r in tally.missing_citations]
    messages += [f"the rule {r} must not be used" for r in tally.forbidden_citations]
    messages += [f"a required step is missing: {t}" for t in tally.missing_steps]
    first_error = next((i for i, s in enumerate(steps) if s["verdict"] in FAULTY_VERDICTS), -1)
    return _record(GRADED, tally, assignment, first_error, steps, messages, notes=notes)


def _redefinitions(source: m.SourceFile, assignment: Assignment) -> list[str]:
    """The submission's definitions of a name of the assignment (its preamble or its goal).

    The goal must be derived for the names as the assignment gives them: ``def x = 0`` (or "Define
    $x := 0$" in notes) beside the assignment's ``param x`` would make every step about ``x`` trivially true
    and reach the goal with nothing derived.  A definition the assignment itself makes, restated, is fine."""
    theirs = {n.key() for n in lookalikes.name_nodes(assignment.declarations, assignment.goal)}
    restated = {(d.lhs, d.rhs) for d in assignment.declarations if isinstance(d, m.Definition)}
    out = []
    for d in (*source.declarations, *(x for der in source.derivations for x in der.declarations)):
        if not isinstance(d, m.Definition) or (d.lhs, d.rhs) in restated:
            continue
        # f(x) := … defines f (its arguments are bound); any other left side defines every name in it
        heads = [d.lhs.func] if isinstance(d.lhs, m.Call) else list(lookalikes.name_nodes(d.lhs))
        defined = sorted({h.key() for h in heads} & theirs)
        if defined:
            out.append(f"line {d.span.line}: the submission defines {', '.join(defined)}, a name of the assignment"
                       " (in its preamble or its goal): the goal must be derived for it as the assignment states"
                       " it; remove the definition")
    return out


def _lookalike_notes(source: m.SourceFile, assignment: Assignment) -> list[dict[str, Any]]:
    """The look-alike notes ``check`` gives (code ``lookalike-name``), the assignment's names compared too:
    a student's Cyrillic ``х`` beside the assignment's ``x`` is a different name, and the student is told."""
    outside = lookalikes.names(assignment.declarations, assignment.goal)
    return [{"line": n.line, "column": n.column, "code": n.code, "message": n.message}
            for n in lookalikes.notes(source, outside, "a name of the assignment")]


def _contexts(source: m.SourceFile) -> list[Context]:
    """Each derivation's context, lemmas before it included (as ``check_source`` builds them)."""
    lemmas: dict[str, tuple[m.Expr, str, m.Expr]] = {}
    contexts = []
    for d in source.derivations:
        contexts.append(build_context(source.declarations, d.declarations, dict(lemmas)))
        if d.lemma and d.goal is not None:
            lemmas[d.lemma] = (d.goal.lhs, d.goal.relation, d.goal.rhs)
    return contexts


def _step_options(options: GradeOptions) -> Options:
    """How a submission's steps are checked: one worker at a time, each under the per-step time limit (never
    longer than the submission's), the memory limit inherited from the submission's worker."""
    return Options(seed=options.seed, time_limit=min(options.step_time_limit, options.time_limit),
                   memory_limit=None, jobs=1)


def _bounded_alike(options: Options, shared: SharedResults | None = None
                   ) -> Callable[[m.Expr, m.Expr, Context], bool]:
    """``written_alike`` in a worker under the per-step limit: a comparison that runs out is not alike.

    With ``shared``, a comparison the class already made is not made again (one that ran out is not kept)."""
    decided = options_key(options)
    scopes: dict[int, tuple[Context, str]] = {}   # each context's key, made once (the context kept alive)

    def alike(a: m.Expr, b: m.Expr, ctx: Context) -> bool:
        if a == b:
            return True
        key = ""
        if shared is not None:
            if id(ctx) not in scopes:
                scopes[id(ctx)] = ctx, context_key(ctx)
            scope = scopes[id(ctx)][1]
            key = value_key("alike", decided, scope, canonical(a), canonical(b))
        kept = shared.get("", key) if shared is not None else None
        if isinstance(kept, bool):
            return kept
        (outcome,) = run_jobs([lambda: ordering.written_alike(a, b, ctx)], options.time_limit, 1)
        if shared is not None and isinstance(outcome, bool):
            shared.put("", key, outcome)
        return outcome is True
    return alike


def _appears(required: m.Expr, derivations: tuple[m.Derivation, ...], contexts: list[Context],
             alike: Callable[[m.Expr, m.Expr, Context], bool] = ordering.written_alike) -> bool:
    """Whether an expression of the chains is written like ``required`` (the same first: proofs cost)."""
    candidates = [(e, ctx) for d, ctx in zip(derivations, contexts)
                  for e in dict.fromkeys(x for s in d.steps for x in (s.previous, s.expr) if x is not None)]
    if any(e == required for e, _ in candidates):
        return True
    return any(alike(e, required, ctx) for e, ctx in candidates)


def _reaches(d: m.Derivation, result: DerivationResult, ctx: Context, goal: m.Goal, proved_lemmas: set[str],
             alike: Callable[[m.Expr, m.Expr, Context], bool] = ordering.written_alike) -> bool:
    """All steps valid, relations as strong as the goal's, cited lemmas proved, a chain from side to side."""
    if not result.steps or any(s.verdict not in ("proved", "checked") for s in result.steps):
        return False
    if goal.relation == "=" and any(s.relation != "=" for s in result.steps):
        return False
    if any(r in ctx.lemmas and r not in proved_lemmas for s in result.steps for r in s.rules):
        return False
    for first, last in d.chains:
        if not _linked(d.steps, first, last):
            continue
        if alike(first, goal.lhs, ctx) and alike(last, goal.rhs, ctx):
            return True
        if goal.relation == "=" and alike(first, goal.rhs, ctx) and alike(last, goal.lhs, ctx):
            return True
    return False


def _linked(steps: tuple[m.Step, ...], first: m.Expr, last: m.Expr) -> bool:
    """Whether checked steps lead from ``first`` to ``last``: a chain whose first row notes took as an assumption
    ("We assume (x + 1)^2 = x^2 + 2x + 1") or a definition starts with no step, and reaches no goal."""
    reached = [first]
    for s in steps:
        if s.previous is not None and s.expr is not None and any(s.previous == r for r in reached):
            reached.append(s.expr)
    return any(last == r for r in reached)


def _not_reached(steps: list[dict[str, Any]], goal: m.Goal) -> str:
    if any(s["verdict"] in FAULTY_VERDICTS for s in steps):
        return "goal not reached: a chain reaches the goal only through valid steps"
    return (f"goal not reached: the chain must run from {m.show(goal.lhs)} to {m.show(goal.rhs)}"
            " (or cites a lemma that is not proved)")


def _grade_answer(assignment: Assignment, solution: ordering.Solution, text: str) -> dict[str, Any]:
    parsed = ordering.parse_answer(text)
    if parsed is None:
        return _not_graded(PARSE_ERROR, "no `answer:` line found (write e.g. `answer: B A C`)", assignment)
    answer, line = parsed
    exercise = exercise_of(assignment)
    graded = ordering.grade_answer(exercise, solution, answer)
    steps = [_link_record(link, exercise, line) for link in graded.links]
    # a link earns the valid-step points only on a right order: one that holds but skips a step or goes
    # backwards is a wrong step of the exercise (every link between correct items holds)
    tally = Tally(steps=len(steps), valid=sum(1 for s in steps if s["on_right_order"]),
                  faulty=sum(1 for s in steps if not s["on_right_order"] and s["verdict"] != "unknown"),
                  unknown=sum(1 for s in steps if not s["on_right_order"] and s["verdict"] == "unknown"),
                  goal_reached=graded.right)
    messages = [] if graded.right else [f"line {line}, position {graded.position}: {graded.reason}"
                                        if graded.position else graded.reason]
    # the first link off every right order, or the link into the position that breaks the answer
    # (position 1: the first link; items left out: the last link), whichever comes first
    first_error = -1
    if not graded.right and steps:
        into = max(0, graded.position - 2) if graded.position else len(steps)
        first_error = min([i for i, s in enumerate(steps) if not s["on_right_order"]] + [into, len(steps) - 1])
    return _record(GRADED, tally, assignment, first_error, steps, messages, ordering_answer=True)


def _link_record(graded: ordering.LinkGrade, exercise: ordering.Exercise, line: int) -> dict[str, Any]:
    link = graded.link
    known = graded.source in exercise.labels and graded.target in exercise.labels
    return {
        "line": line, "from": graded.source, "to": graded.target, "relation": "=",
        "verdict": link.verdict if link is not None else "unknown",
        "holds": graded.holds,                  # the link is a valid step
        "on_right_order": graded.on_right_path,  # ... and a link of some right order
        "rules": list(link.rules) if link is not None else [],
        "lhs": exercise.text_of(graded.source) if known else "", "rhs": exercise.text_of(graded.target) if known else "",
        "message": link.message if link is not None else "not an item",
        "counterexample": link.counterexample if link is not None else None,
        "diagnosis": link.diagnosis if link is not None else None,
    }


# --------------------------------------------------------------------------- records


def _record(status: str, tally: Tally, assignment: Assignment, first_error: int, steps: list[dict[str, Any]],
            messages: list[str], ordering_answer: bool = False, notes: list[dict[str, Any]] | None = None
            ) -> dict[str, Any]:
    result = score(tally, assignment.rubric, not ordering_answer and bool(assignment.requirements),
                   with_justification=not ordering_answer)
    diagnoses = [{"step": i, "line": s["line"], **s["diagnosis"]} for i, s in enumerate(steps) if s.get("diagnosis")]
    return {
        "score": number(result.total),
        "max_score": number(result.maximum),
        "first_error": first_error,
        "goal": "reached" if tally.goal_reached else "not-reached",
        "status": status,
        "faulty_steps": tally.faulty,
        "unknown_steps": tally.unknown,
        "steps": steps,
        "diagnoses": diagnoses,
        "messages": messages,
        "breakdown": breakdown_records(result),
        "notes": notes or [],   # worth the student's attention, not a fault (a look-alike name)
    }


def _empty(assignment: Assignment, message: str) -> dict[str, Any]:
    return _record(GRADED, Tally(), assignment, -1, [], [message], ordering_answer=assignment.order is not None)


def _not_graded(status: str, message: str | None, assignment: Assignment,
                messages: list[str] | None = None, notes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "score": 0,
        "max_score": number(_maximum(assignment)),
        "first_error": -1,
        "goal": "not-reached",
        "status": status,
        "faulty_steps": 0,
        "unknown_steps": 0,
        "steps": [],
        "diagnoses": [],
        "messages": ([message] if message else []) + (messages or []),
        "breakdown": [],
        "notes": notes or [],
    }


def _maximum(assignment: Assignment) -> Fraction:
    """The assignment's fixed max_score (the same for every student: see ``score``)."""
    assert assignment.rubric.max_score is not None, "the assignment fixes max_score when it is read"
    return assignment.rubric.max_score


def _where(issue: m.SyntaxIssue) -> str:
    text = f"line {issue.span.line}, column {issue.span.column}: {issue.message}"
    return text + (f"\n{issue.context}" if issue.context else "")
