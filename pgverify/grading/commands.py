"""``pgverify grade`` and ``pgverify order``: the grading package's commands, which the CLI adds to its app
with :func:`register` (this module never imports the CLI: the CLI composes it).

Exit status of ``grade``: 0 when every submission has a row (whatever the
scores: a student's mistake is not a failure of the command); 2 for usage
errors, an unusable assignment and unreadable submissions.  Exit status of
``order``: 0 when every answer is right (and every exercise has a right order);
1 when an answer is wrong or an exercise has no right order; 2 for usage errors
and problems in the file.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from .. import inputs
from ..limits import LimitError, check_mebibytes, check_seconds
from ..render.common import escape_controls
from ..report import EXIT_ERROR, EXIT_FAULT, EXIT_OK
from .cache import DEFAULT_DIRECTORY

# The grading modules (assignments, scores, orders, feedback) are imported inside each command, not here:
# the CLI registers these commands on every start, and `check`, `rules` or `--help` must not pay for them.


class GradeFormat(str, Enum):
    text = "text"
    csv = "csv"
    json = "json"


class OrderFormat(str, Enum):
    text = "text"
    json = "json"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"pgverify: {message}", err=True)
    return typer.Exit(EXIT_ERROR)


def grade(
    submissions: Annotated[Path, typer.Argument(help="A directory (one file per student) or a .zip archive.",
                                                show_default=False)],
    assignment_file: Annotated[Path, typer.Option("--assignment", "-a", help="The assignment (TOML).",
                                                  show_default=False)],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the grades to this file"
                                                " instead of standard output.", show_default=False)] = None,
    output_format: Annotated[GradeFormat, typer.Option("--format", "-f", help="Output format.")] = GradeFormat.text,
    feedback_dir: Annotated[Path | None, typer.Option("--feedback", help="Write one Markdown"
                                                         " feedback file per student here.",
                                                         show_default=False)] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes"
                                                " [default: the number of cores].", show_default=False)] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", min=0.1,
                                              help="Seconds allowed per submission.")] = 60.0,
    memory_limit: Annotated[int, typer.Option("--memory-limit", min=64,
                                              help="MiB of memory (address space) per worker.")] = 2048,
    seed: Annotated[int, typer.Option(help="Seed of the random finite models.")] = 0,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Grade every submission again.")] = False,
    cache_dir: Annotated[Path, typer.Option("--cache-dir", help="Where grades are kept between runs.")]
        = DEFAULT_DIRECTORY,
) -> None:
    """Grade a class's submissions against an assignment: scores, first mistakes, feedback."""
    from . import feedback
    from .assignment import AssignmentError, load
    from .formats import GRADE_RENDERERS
    from .grade import GradeOptions, grade_class
    from .submissions import SubmissionsError, gather

    try:  # a finite number within bounds: inf, nan, a negative or a huge value is a usage error
        time_limit = check_seconds(time_limit)
        memory_limit = check_mebibytes(memory_limit)
    except LimitError as err:
        raise _fail(str(err)) from None
    for option, target in (("--out", out), ("--feedback", feedback_dir)):
        if target is not None and _inside(target, submissions):
            raise _fail(f"{option} {target}: inside the submissions ({submissions}): it would overwrite or be"
                        " graded as a student's file; write it elsewhere")
    if out is not None and _same_file(out, assignment_file):
        raise _fail(f"--out {out}: that is the assignment file: the grades would overwrite it; write them elsewhere")
    try:
        assignment = load(assignment_file)
        skip = tuple(p for p in (feedback_dir, cache_dir, out) if p is not None)
        found, warnings = gather(submissions, skip)
    except (AssignmentError, SubmissionsError) as err:
        raise _fail(str(err)) from None
    for warning in warnings:
        typer.echo(f"pgverify: warning: {escape_controls(warning)}", err=True)
    if not found:
        raise _fail(f"{submissions}: no submissions found")
    options = GradeOptions(seed=seed, time_limit=time_limit, memory_limit=memory_limit, jobs=jobs,
                           cache_dir=None if no_cache else cache_dir)
    try:
        with _progress_bar(len(found)) as progress:
            grades = grade_class(assignment, found, options, progress)
    except AssignmentError as err:
        raise _fail(str(err)) from None
    text = GRADE_RENDERERS[output_format.value](grades)
    try:
        if out is not None:
            out.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        if feedback_dir is not None:
            for problem in feedback.write_all(feedback_dir, assignment, grades.records):
                typer.echo(f"pgverify: warning: {problem}", err=True)
    except OSError as err:
        raise _fail(f"cannot write the output: {err}") from None
    typer.echo(f"pgverify: {len(grades.records)} submissions: {grades.graded_now} graded now,"
               f" {grades.from_cache} from the cache", err=True)
    raise typer.Exit(EXIT_OK)


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (links resolved)."""
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError):
        return False


def _inside(target: Path, submissions: Path) -> bool:
    """Whether ``target`` is the submissions (a zip) or inside the submissions folder (links resolved)."""
    try:
        where, folder = target.resolve(), submissions.resolve()
    except (OSError, RuntimeError):
        return False
    return where == folder or folder.is_dir() and where.is_relative_to(folder)


@contextmanager
def _progress_bar(total: int) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on a terminal (standard error); nothing otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("grading", total=total)
        yield lambda done, _total: bar.update(task, completed=done)


def order(
    file: Annotated[Path, typer.Argument(help="An ordering exercise: `item A: …` lines, optional `goal:` and"
                                              " `answer:`.", show_default=False)],
    output_format: Annotated[OrderFormat, typer.Option("--format", "-f", help="Output format.")] = OrderFormat.text,
    jobs: Annotated[int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes"
                                                " [default: the number of cores].", show_default=False)] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", min=0.1,
                                              help="Seconds allowed for the exercise (for each pair of items,"
                                                   " and for all of them together).")] = 30.0,
    seed: Annotated[int, typer.Option(help="Seed of the random finite models.")] = 0,
) -> None:
    """Find the right orders of an ordering exercise and grade its answer."""
    from ..checker import Options
    from .formats import ORDER_RENDERERS, OrderOutcome
    from .order import grade_answer, parse_exercises, solve

    try:
        time_limit = check_seconds(time_limit)
        text = inputs.read_text(file)   # a regular file of bounded size (never a FIFO or a device)
    except (LimitError, inputs.InputError) as err:
        raise _fail(str(err)) from None
    exercises, errors = parse_exercises(text, str(file))
    if not exercises and not errors:
        raise _fail(f"{file}: no exercise found (items are written `item A: …`)")
    options = Options(seed=seed, time_limit=time_limit)
    outcomes = []
    for exercise in exercises:
        solution = solve(exercise, options, jobs, total=time_limit)
        answer = grade_answer(exercise, solution, exercise.answer) if exercise.answer is not None else None
        outcomes.append(OrderOutcome(exercise, solution, answer))
    sys.stdout.write(ORDER_RENDERERS[output_format.value](str(file), outcomes, errors))
    if errors:
        raise typer.Exit(EXIT_ERROR)
    wrong = any(o.solution.problem or (o.grade is not None and not o.grade.right) for o in outcomes)
    raise typer.Exit(EXIT_FAULT if wrong else EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add ``grade`` and ``order`` to the command-line app."""
    app.command()(grade)
    app.command()(order)
