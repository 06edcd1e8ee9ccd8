"""Checking a text held in memory (an editor's buffer, a notebook cell, a page a site builder holds).

:func:`check_buffer` is :func:`pgverify.check` for one text instead of one
file: the reader is chosen by ``path``'s extension and the ``pgverify:
ignore`` comments count, so an editor, a notebook and the command line agree
on what a text's faults are.  The integrations (the language server, the
Jupyter magic, the Sphinx and MkDocs plugins) check through here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from . import filters, readers
from .checker import Options, check_source
from .readers.options import ReadOptions
from .report import Report
from .results import FileResult, StepResult


def check_buffer(text: str, path: str, options: Options | None = None,
                 read_options: ReadOptions | None = None, fail_on: str = "unknown") -> Report:
    """The report of one text read as the file ``path`` would be (its suppressions applied)."""
    options = options or Options()
    # what pgverify.check_text does (read by the extension, check), keeping the source for its suppressions;
    # not imported from pgverify itself, whose %load_ext hook imports the magic, which imports this
    source, skips = readers.read_text(text, path, read_options or ReadOptions())
    result = check_source(source, options)
    result.notes = list(skips)
    report = Report([result], strict=options.strict, seed=options.seed, fail_on=fail_on)
    filters.merge(report, *filters.apply_suppressions(source, result, options.strict), result.path)
    return report


@dataclass(frozen=True)
class Fault:
    """One thing to tell the writer about a place: an error, a faulty step or a goal not reached."""

    line: int          # in the file's coordinates (for a notebook, the line of its JSON)
    column: int
    kind: str          # "error", "refuted", "unknown", "goal", a strict-mode kind, or "note"
    message: str
    name: str | None = None            # the mistake's name (what `pgverify: ignore[...]` takes)
    step: StepResult | None = None


def faults(report: Report) -> list[Fault]:
    """The faults a report shows, in file order: what an editor underlines and a site builder warns about.

    Silenced faults are left out; a step that only could not be read (its line has a syntax error) is
    said once, by the error."""
    out: list[Fault] = []
    for f in report.files:
        found = [Fault(e.span.line, e.span.column, "error", e.message) for e in f.errors]
        found += [Fault(n.line, n.column, "note", n.message) for n in report.notes.get(f.path, [])]
        for d in f.derivations:
            for s in d.steps:
                found += _step_faults(report, f, s)
            if report.goal_fails(d) and not _blocked(f, d.steps):
                found.append(Fault(d.line, 1, "goal", f"goal not reached: {d.goal_message or d.title}"))
        out += [_in_file(f, fault) for fault in found]
    return sorted(out, key=lambda x: (x.line, x.column, x.kind))


def file_line(f: FileResult, line: int) -> int:
    """A result's line as a line of the file itself (in a notebook, the line of its JSON where it stands)."""
    return f.locate(line).file_line if f.cells else line


def _in_file(f: FileResult, fault: Fault) -> Fault:
    if not f.cells:
        return fault
    # a notebook's JSON line holds the cell's text quoted and escaped: its columns are not the cell's
    return replace(fault, line=file_line(f, fault.line), column=1)


def _blocked(f: FileResult, steps: list[StepResult]) -> bool:
    return bool(f.errors) and any(not s.lhs or not s.rhs for s in steps)


def _step_faults(report: Report, f: FileResult, s: StepResult) -> list[Fault]:
    if not report.is_fault(s) or (f.errors and (not s.lhs or not s.rhs)):
        return []
    kinds = [k for k in report.fault_kinds(s) if report.counts(k) and (id(s), k) not in report.silenced]
    kind = kinds[0] if kinds else s.verdict
    name = s.diagnosis["name"] if s.diagnosis else None
    if kind == "refuted":
        what = s.diagnosis.get("title", name) if s.diagnosis else s.message or "the two sides differ"
        message = f"refuted: {what}" + (f" [{name}]" if name else "")
        if s.diagnosis and s.diagnosis.get("hint"):
            message += f" (hint: {s.diagnosis['hint']})"
    else:
        message = f"{kind}: {s.message}" if s.message else kind
    return [Fault(s.line, s.column, kind, message, name or kind, s)]


@dataclass(frozen=True)
class Settings:
    """How a text is checked: the nearest configuration's options, as ``pgverify check`` would use them."""

    options: Options
    read_options: ReadOptions
    fail_on: str = "unknown"
    source: str | None = None      # the configuration file, if any
    problem: str | None = None     # why the configuration could not be used (then the defaults are)


def settings_for(path: Path, macros: str | None = None) -> Settings:
    """The settings for a file at ``path``: the nearest ``[tool.pgverify]``/``pgverify.toml`` above it.

    ``macros``, when given, is LaTeX macro text to use besides the configured macro files (a site's own
    macros). A configuration that cannot be read gives the defaults and says why in ``problem``."""
    from . import config

    problem = None
    try:
        found = config.find(path.resolve().parent)
        conf = config.load(found)
    except (config.ConfigError, OSError) as err:
        conf, problem = config.Config(), str(err)
    texts = []
    for name in conf.macros:
        try:
            texts.append((conf.root / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as err:
            problem = f"cannot read the macros file {name}: {err}"
    if macros:
        texts.append(macros)
    pick = lambda value, default: default if value is None else value   # noqa: E731 - the CLI's _pick
    options = Options(seed=pick(conf.seed, 0), time_limit=pick(conf.time_limit, 5.0), strict=pick(conf.strict, False))
    if conf.memory_limit is not None:
        options = replace(options, memory_limit=conf.memory_limit)
    # every multi-row chain is read unless the configuration says otherwise, as `pgverify check` does
    read_options = ReadOptions(all_math=pick(conf.all_math, True), macros="\n".join(texts))
    return Settings(options, read_options, pick(conf.fail_on, "unknown"),
                    str(conf.source) if conf.source else None, problem)
