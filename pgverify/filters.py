"""Which faults count and which are shown: ``--select``/``--ignore``, ``pgverify: ignore`` comments, views.

A fault (see :mod:`pgverify.report`) *matches* a name when the name is one of
the step's canonical rule names, the name of the mistake diagnosed in it, or
the fault's kind (``refuted``, ``unknown``, ``mismatch``, ``unknown-rule``,
``uncited``, ``goal``).  Rule names may be given by any alias; they are
resolved to the canonical name first, so ``--ignore likelihood-ratio-trick``
and ``--ignore log-derivative`` mean the same.

Silencing never changes a verdict: an ignored refuted step is still refuted in
every record; it only stops counting for the exit code and leaves the CI
formats (:func:`ci_view`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace

from . import model as m
from .model.records import finish, record
from .results import CHECKED, PROVED, DerivationResult, FileResult, StepResult
from .report import FAULT_KINDS, IGNORED, SUPPRESSED, FaultKey, Note, Report, step_fault_kinds

# ----------------------------------------------------------------------------- names


def _misconception_names() -> tuple[str, ...]:
    from .rules import MISCONCEPTIONS

    return tuple(entry.name for entry in MISCONCEPTIONS)


def resolve(name: str) -> str | None:
    """The canonical spelling of a fault kind, mistake name or rule name (or alias); None when it names nothing."""
    from .rules import lookup

    text = name.strip()
    if text.lower() in FAULT_KINDS:
        return text.lower()
    if text in _misconception_names():
        return text
    rule = lookup(text)
    return rule.name if rule is not None else None


def did_you_mean(name: str) -> list[str]:
    """Up to three names close to ``name``, best first: rules (pgverify.rules.suggest), mistakes, fault kinds."""
    # imported here: only a name that is not known needs it
    import difflib

    from .rules import suggest

    key = name.strip().lower()
    candidates = [*suggest(name), *difflib.get_close_matches(key, [*_misconception_names(), *FAULT_KINDS],
                                                             n=3, cutoff=0.6)]
    ranked = sorted(dict.fromkeys(candidates), key=lambda c: -difflib.SequenceMatcher(None, key, c).ratio())
    return ranked[:3]


def split_names(values: Iterable[str]) -> list[str]:
    """``["a,b", "c"]`` -> ``["a", "b", "c"]`` (a repeatable option whose values may be comma-separated)."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def unknown_names(names: Iterable[str]) -> list[str]:
    """One message per name that is neither a rule, a mistake nor a fault kind, with the nearest names."""
    messages = []
    for name in names:
        if resolve(name) is None:
            near = did_you_mean(name)
            hint = f"; did you mean {', '.join(near)}?" if near else " (see `pgverify rules`)"
            messages.append(f"'{name}' is not a rule, a mistake or a fault kind{hint}")
    return messages


@record(slots=False)
class Selection:
    """``select``: when not empty only faults matching one of these count; ``ignore``: faults matching one
    of these do not count.  Names are canonical (:func:`resolve`)."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    @classmethod
    def of(cls, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> Selection:
        """Resolve the names given by a user (call :func:`unknown_names` first to report the bad ones)."""
        def canonical(names: Iterable[str]) -> tuple[str, ...]:
            return tuple(dict.fromkeys(r for r in (resolve(n) for n in names) if r is not None))
        return cls(canonical(select), canonical(ignore))

    def keeps(self, names: set[str]) -> bool:
        """Whether a fault known by these names (its kind, rules, mistake) still counts."""
        if self.select and not names & set(self.select):
            return False
        return not names & set(self.ignore)


# ----------------------------------------------------------------------------- faults of a file


@record(slots=False)
class Fault:
    key: FaultKey
    kind: str
    line: int
    names: frozenset[str]   # the kind, the canonical rules cited, the mistake diagnosed


def step_names(step: StepResult) -> set[str]:
    """The rule and mistake names a fault of this step matches (besides its kind)."""
    names = set(step.rules)
    if step.diagnosis and step.diagnosis.get("name"):
        names.add(step.diagnosis["name"])
    return names


def faults(result: FileResult, strict: bool) -> Iterator[Fault]:
    """Every fault a file's results show, steps in order, each derivation's goal after its steps."""
    for d in result.derivations:
        for s in d.steps:
            names = step_names(s)
            for kind in step_fault_kinds(s, strict):
                yield Fault((id(s), kind), kind, s.line, frozenset(names | {kind}))
        if d.goal == "not-reached":
            yield Fault((id(d), "goal"), "goal", d.line, frozenset({"goal"}))


def apply_selection(report: Report, selection: Selection) -> None:
    """Mark the faults that ``selection`` leaves out as ignored (a suppressed fault stays suppressed)."""
    if not selection.select and not selection.ignore:
        return
    for f in report.files:
        for fault in faults(f, report.strict):
            if fault.key not in report.silenced and not selection.keeps(set(fault.names)):
                report.silenced[fault.key] = IGNORED


def apply_suppressions(source: m.SourceFile, result: FileResult, strict: bool = False
                       ) -> tuple[dict[FaultKey, str], list[Note]]:
    """Apply the ``pgverify: ignore`` comments a reader found (``source.suppressions``) to a file's results.

    A comment silences the faults reported at its ``target`` line whose names match one of its names (every
    fault there when it names none).  Returns the silenced faults and a note for each comment that silenced
    nothing (as ruff's unused ``noqa``), placed at the comment.
    """
    silenced: dict[FaultKey, str] = {}
    notes: list[Note] = []
    found = list(faults(result, strict))
    for comment in source.suppressions:
        wanted = {resolve(n) or n for n in comment.names}
        hits = [f for f in found if f.line == comment.target and (not wanted or wanted & f.names)]
        for fault in hits:
            silenced[fault.key] = SUPPRESSED
        if not hits:
            what = f"ignore[{', '.join(comment.names)}]" if comment.names else "ignore"
            notes.append(Note(comment.line, comment.column,
                              f"unused suppression: `pgverify: {what}` silences no fault on line {comment.target}"))
    return silenced, notes


# ----------------------------------------------------------------------------- views


def _view(report: Report, files: list[FileResult]) -> Report:
    return Report(files, strict=report.strict, seed=report.seed, usage_errors=list(report.usage_errors),
                  fail_on=report.fail_on, silenced=report.silenced, notes=report.notes, whole=report)


def _rekey_goal(view: Report, old: DerivationResult, new: DerivationResult) -> None:
    """A copied derivation keeps its goal's silencing (faults are keyed by object)."""
    reason = view.silenced.get((id(old), "goal"))
    if reason is not None:
        view.silenced[(id(new), "goal")] = reason


def quiet_view(report: Report) -> Report:
    """--quiet: only faults (refuted and unknown steps, goals not reached, errors); silenced ones left out.

    The view's summary and exit code are the whole run's.
    """
    view = _view(report, [])
    view.silenced = dict(report.silenced)
    for f in report.files:
        derivations = []
        for d in f.derivations:
            shown = [s for s in d.steps if s.verdict not in (PROVED, CHECKED) and report.silenced_as(s) is None
                     or report.is_fault(s)]
            goal_shown = d.goal == "not-reached" and report.silenced_as(d) is None
            if shown or goal_shown:
                copy = replace(d, steps=shown, goal=d.goal if goal_shown else None,
                               goal_message=d.goal_message if goal_shown else "")
                _rekey_goal(view, d, copy)
                derivations.append(copy)
        if derivations or f.errors:
            view.files.append(replace(f, derivations=derivations, notes=[]))
    return view


def ci_view(report: Report) -> Report:
    """The CI formats (github, sarif, junit): silenced faults are left out, everything else stays."""
    if not report.silenced:
        return report
    view = _view(report, [])
    view.silenced = dict(report.silenced)
    for f in report.files:
        derivations = []
        for d in f.derivations:
            steps = [s for s in d.steps if report.silenced_as(s) is None]
            goal_silenced = report.silenced_as(d) is not None
            copy = replace(d, steps=steps, goal=None if goal_silenced else d.goal,
                           goal_message="" if goal_silenced else d.goal_message)
            _rekey_goal(view, d, copy)
            derivations.append(copy)
        view.files.append(replace(f, derivations=derivations))
    return view


def text_view(report: Report) -> Report:
    """The text format: usage errors already went to standard error (said once), and each silenced fault
    and unused suppression is said as a note under its file."""
    view = _view(report, [])
    view.usage_errors = []
    view.silenced = dict(report.silenced)
    for f in report.files:
        notes = list(f.notes) + [m.SyntaxIssue(m.Span(n.line, n.column, n.line, n.column), n.message)
                                 for n in report.notes.get(f.path, [])]
        for d in f.derivations:
            for s in d.steps:
                reason = report.silenced_as(s)
                if reason:
                    notes.append(_silenced_note(s.line, s.column, f"{s.verdict} step", reason))
            reason = report.silenced_as(d)
            if reason:
                notes.append(_silenced_note(d.line, 1, "goal not reached", reason))
        notes.sort(key=lambda n: (n.span.line, n.span.column))
        view.files.append(replace(f, notes=notes))
    return view


def _silenced_note(line: int, column: int, what: str, reason: str) -> m.SyntaxIssue:
    why = "by --select/--ignore or the configuration" if reason == IGNORED else "by a `pgverify: ignore` comment"
    return m.SyntaxIssue(m.Span(line, column, line, column), f"{reason}: {what} (silenced {why})")


def merge(report: Report, silenced: dict[FaultKey, str], notes: Sequence[Note], path: str) -> None:
    """Add one file's suppressions (from :func:`apply_suppressions`) to the report."""
    report.silenced.update(silenced)
    if notes:
        report.notes.setdefault(path, []).extend(notes)


finish(__name__)   # the methods of this module's records, made at once (see model/records.py)
