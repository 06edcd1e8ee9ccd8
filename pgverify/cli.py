"""The command line: ``pgverify check``, ``pgverify rules``, ``pgverify explain``.

Exit status of ``check``: 0 when every step is valid and every goal reached;
1 when a step is refuted or unknown, or a goal is not reached (with
``--strict`` also a step without a justification or with a wrong one), unless
that fault is ignored or suppressed; 2 for usage errors, unreadable files and
parse errors.
"""

from __future__ import annotations

import fnmatch
import functools
import gc
import inspect
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

from . import config, filters, inputs, limits, lookalikes, readers
from .cliargs import say as _say
from . import model as m
from ._version import __version__
from .checkcache import DEFAULT_DIRECTORY as CACHE_DIRECTORY, CheckCache, FileOutcome, file_key, options_key
from .checkoptions import Options
from .render import RENDERERS
from .report import EXIT_ERROR, Note, Report
from .results import FileResult

if TYPE_CHECKING:
    # loaded by _app() at run time: a plain `check` line never needs typer (pgverify.cliargs)
    import typer  # noqa: TC004

FAIL_ON = ("refuted", "unknown")
# --reader NAME: the extension whose reader reads a file (or standard input) whatever its own name
READER_SUFFIX = {"pgv": ".pgv", "markdown": ".md", "tex": ".tex", "rest": ".rst", "notebook": ".ipynb"}
CI_FORMATS = ("github", "sarif", "junit", "markdown")   # annotations: silenced faults are left out
STDIN = "-"
STDIN_NAME = "<stdin>"
MIN_TIME_LIMIT = 0.1


class UsageError(Exception):
    """A command line (or configuration) that cannot be run; the message says why, in our words."""


def use_color(no_color: bool, environ: Mapping[str, str], on_terminal: bool) -> bool:
    """--no-color, then NO_COLOR (any non-empty value: no colour), then FORCE_COLOR (non-empty: colour even
    when piped), then whether standard output is a terminal."""
    if no_color or environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return on_terminal


def _width() -> int:
    return shutil.get_terminal_size((100, 24)).columns if sys.stdout.isatty() else 100


_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache", "build", "dist"}


def collect(paths: list[Path], exclude: tuple[str, ...] = (), root: Path = Path("."),
            warnings: list[str] | None = None, excluded_by: str = "[tool.pgverify] exclude"
            ) -> tuple[list[Path], list[str]]:
    """Expand directories to the files pgverify reads (sorted); report paths that do not exist.

    Files found in a directory are filtered by extension and by ``exclude``; a file named explicitly is
    always checked (a warning goes to ``warnings`` when ``exclude`` matches it, as ruff does).
    """
    files: list[Path] = []
    problems: list[str] = []

    def excluded(p: Path) -> bool:
        names = {p.as_posix()}
        try:
            names.add(p.resolve().relative_to(root.resolve()).as_posix())
        except ValueError:
            pass
        return any(fnmatch.fnmatch(n, pattern) for n in names for pattern in exclude)

    for p in paths:
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.is_file() and readers.supported(q) and q.suffix and
                           not _SKIP_DIRS & set(q.relative_to(p).parts[:-1]) and not excluded(q))
            if not found:
                problems.append(f"{p}: no files pgverify can read in this directory")
            files.extend(found)
        elif p.exists():
            if excluded(p) and warnings is not None:
                warnings.append(f"{p} is excluded by {excluded_by}; checking it because it was named")
            files.append(p)
        else:
            problems.append(f"{p}: no such file or directory")
    return files, problems


def _read_macros(paths: list[Path]) -> tuple[str, list[str]]:
    if not paths:
        return "", []
    from .readers.site_macros import macro_text   # LaTeX, or a site's conf.py/_config.yml/mkdocs.yml/… table

    texts, problems = [], []
    for p in paths:
        try:
            # a regular file of bounded size (never /dev/zero or a FIFO)
            texts.append(macro_text(p, inputs.read_text(p)))
        except inputs.InputError as err:
            problems.append(f"cannot read the macros file: {err}")
    return "\n".join(texts), problems


PARSE_SECONDS = 10.0   # at least this long for reading one file (a step's limit, if larger, applies instead)


def read_input(path: Path | None, display: str, suffix: str | None, options: readers.ReadOptions,
               bounds: tuple[float, int | None] = (PARSE_SECONDS, limits.DEFAULT_STEP_MEMORY),
               data: bytes | None = None) -> tuple[m.SourceFile, list[m.SyntaxIssue]]:
    """Read a file (``path``) or standard input (``None``) with the reader for ``suffix`` (default: the
    extension of ``display``); every location names ``display``; ``data``, when given, is the input's
    bytes, already read (:func:`input_bytes`).  Never raises.

    The file is parsed in a worker under ``bounds`` (seconds, MiB), as a step is checked: a 5 MB line or a
    hundred thousand unclosed fences cost the limit, never minutes or the machine's memory.  (Reading the
    bytes is bounded by itself: a regular file of at most ``inputs.MAX_FILE_BYTES``.)  A small ``.pgv`` input,
    read in bounds far below those limits (``readers.reads_in_process``), is parsed here, guarded as in a worker."""
    if data is None:
        data, failed = input_bytes(path, display)
        if failed is not None:
            return failed, []
    seconds, memory = bounds
    from .semantics import load_vocabulary
    from .syntax.pgv.parse import load_parser

    load_parser()   # built here, not in each reading worker: this process needs it too (semantics)
    load_vocabulary()   # and the parser's states the rl vocabulary reaches, which the workers then inherit
    job = functools.partial(_read_input, display, suffix, options, data)
    (outcome,) = [limits.guarded(job)] if readers.reads_in_process(display + (suffix or ""), len(data)) else \
        limits.run_jobs([job], seconds, 1, memory=memory)
    if isinstance(outcome, tuple):
        return outcome
    why = (f"took longer than the time limit of {seconds:g} s" if isinstance(outcome, limits.TimedOut)
           else f"stopped ({getattr(outcome, 'message', outcome)})")
    # at line 0, as every problem of reading a file: such a file's outcome is never cached (checkcache.decided)
    issue = m.SyntaxIssue(m.Span(0, 0, 0, 0), f"reading the file {why}: is a line very long, or a block never"
                                              " closed? Split the file")
    return m.SourceFile(display, (), (), (issue,)), []


def input_bytes(path: Path | None, display: str) -> tuple[bytes, None] | tuple[None, m.SourceFile]:
    """The bytes of a file (``path``) or of standard input (``None``, read once), or a file whose one error
    (at line 0) says why they cannot be read."""
    def failed(message: str) -> tuple[None, m.SourceFile]:
        return None, m.SourceFile(display, (), (), (m.SyntaxIssue(m.Span(0, 0, 0, 0), message),))

    if path is not None:
        try:   # a regular file of bounded size only: a FIFO, a device or a directory is an error, never a hang
            return inputs.read_bytes(path), None
        except inputs.InputError as err:
            return failed(str(err).removeprefix(f"{path}: "))
    stream = getattr(sys.stdin, "buffer", None)
    try:
        data = stream.read(inputs.MAX_FILE_BYTES + 1) if stream is not None else \
            sys.stdin.read(inputs.MAX_FILE_BYTES + 1).encode("utf-8")
    except (OSError, UnicodeError) as err:
        return failed(f"cannot read standard input: {err}")
    if len(data) > inputs.MAX_FILE_BYTES:
        return failed(f"{display}: larger than the limit of {inputs.MAX_FILE_BYTES >> 20} MiB")
    return data, None


def _read_input(display: str, suffix: str | None, options: readers.ReadOptions, data: bytes
                ) -> tuple[m.SourceFile, list[m.SyntaxIssue]]:
    """The body of :func:`read_input` (in its worker, or here for a small ``.pgv`` input): the bytes, parsed."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        return m.SourceFile(display, (), (), (m.SyntaxIssue(m.Span(1, 1, 1, 1), f"not UTF-8 text (byte {err.start})"),)), []
    # the reader is chosen by the name's extension: give it a name ending in the chosen one
    source, skipped = readers.read_text(text, display + suffix if suffix else display, options)
    return replace(source, path=display), skipped


def _render(report: Report, fmt: str, *, color: bool, width: int, verbose: bool) -> str:
    """One format of the report: the view that format shows, and ``verbose`` if its renderer takes it."""
    renderer = RENDERERS[fmt]
    view = filters.text_view(report) if fmt == "text" else filters.ci_view(report) if fmt in CI_FORMATS else report
    extra = {}
    if verbose:
        parameters = inspect.signature(renderer).parameters
        if "verbose" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
            extra["verbose"] = True
    return renderer(view, color=color, width=width, **extra)


def _output_path(text: str, option: str) -> Path:
    """A file a report will be written to: its folder must exist (it is not created) and be writable."""
    path = Path(text)
    if not text or path.is_dir():
        raise UsageError(f"{option} {text!r}: not a file name" + (" (it is a directory)" if text else ""))
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"{option} {text}: the folder {folder} does not exist (pgverify does not create it)")
    if not os.access(folder, os.W_OK) or path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{option} {text}: cannot write there (permission denied)")
    return path


def _formats_message(value: str, option: str) -> str:
    return f"{option} must be one of: {', '.join(RENDERERS)} (not {value!r})"


def _outputs(chosen: str, output_file: str | None, extra: list[str]) -> list[tuple[str, Path | None]]:
    """Every (format, file) this run writes; file None is standard output.  Checked before any step is."""
    outputs: list[tuple[str, Path | None]] = [(chosen, _output_path(output_file, "--output-file")
                                                if output_file is not None else None)]
    for item in extra:
        fmt, sep, target = item.partition(":")
        if not sep or not target:
            raise UsageError(f"--output {item!r}: write it as FORMAT:PATH, e.g. --output sarif:pgverify.sarif")
        if fmt not in RENDERERS:
            raise UsageError(f"--output {item!r}: " + _formats_message(fmt, "the format"))
        outputs.append((fmt, _output_path(target, "--output")))
    seen: set[Path] = set()
    for _, path in outputs:
        if path is not None:
            if path.resolve() in seen:
                raise UsageError(f"{path} is written twice (give each output its own file)")
            seen.add(path.resolve())
    return outputs


def _selection(cli_select: list[str], cli_ignore: list[str], conf: config.Config) -> filters.Selection:
    """--select replaces the configuration's ``select``; --ignore adds to its ``ignore`` (as ruff does)."""
    where = str(conf.source) if conf.source else "the configuration"
    problems = [f"--select: {p}" for p in filters.unknown_names(filters.split_names(cli_select))]
    problems += [f"--ignore: {p}" for p in filters.unknown_names(filters.split_names(cli_ignore))]
    problems += [f"{where}: 'select': {p}" for p in filters.unknown_names(conf.select)]
    problems += [f"{where}: 'ignore': {p}" for p in filters.unknown_names(conf.ignore)]
    if problems:
        raise UsageError("\n".join(problems))
    select = filters.split_names(cli_select) if cli_select else list(conf.select)
    return filters.Selection.of(select, [*conf.ignore, *filters.split_names(cli_ignore)])


_HELP_PATHS = ("Files or directories to check (.pgv, .md, .tex, .ipynb, .rst); '-' reads standard input. "
               "Default: the paths of the configuration.")
_HELP_FORMAT = f"Output format: {', '.join(RENDERERS)} (default: text, or the configuration's format)."


# typer keeps a help text's line breaks: one line per paragraph
_HELP_CHECK = (
    "Check every step of every derivation and report the faulty ones.\n\n"
    "Colour (only for the text format on standard output): --no-color wins; then NO_COLOR (any non-empty "
    "value) turns colour off; then FORCE_COLOR (any non-empty value) turns it on even when piped; "
    "otherwise there is colour only on a terminal.\n\n"
    "Exit status: 0 every step valid and every goal reached; 1 a fault that counts (not ignored or "
    "suppressed); 2 a usage, read or parse error."
)


def check(
    paths: Annotated[Optional[list[Path]], typer.Argument(  # noqa: UP045 - typer reads Optional
        help=_HELP_PATHS, show_default=False, metavar="PATHS")] = None,
    output_format: Annotated[Optional[str], typer.Option(
        "--format", "-f", metavar="FORMAT", help=_HELP_FORMAT, show_default=False)] = None,
    output_file: Annotated[Optional[str], typer.Option(
        "--output-file", "-o", metavar="PATH", show_default=False,
        help="Write the report there instead of to standard output (its folder must exist).")] = None,
    outputs: Annotated[Optional[list[str]], typer.Option(
        "--output", metavar="FORMAT:PATH", show_default=False,
        help="Also write the report in FORMAT to PATH (repeatable), e.g. --output sarif:out.sarif.")] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Show only faults (refuted and unknown steps, goals not reached, errors) "
        "and the summary.")] = False,
    verbose: Annotated[bool, typer.Option(
        "--verbose", "-v", help="Show every step's detail (e.g. how many models a checked step held on).")] = False,
    select: Annotated[Optional[list[str]], typer.Option(
        "--select", metavar="NAME,...", show_default=False,
        help="Only faults matching these names count: a rule, a mistake, or a fault kind (refuted, unknown, "
             "mismatch, unknown-rule, uncited, goal). Repeatable.")] = None,
    ignore: Annotated[Optional[list[str]], typer.Option(
        "--ignore", metavar="NAME,...", show_default=False,
        help="Faults matching these names do not count (still shown, marked ignored, in text and json; "
             "left out of github, sarif, junit and markdown). Repeatable; adds to the configuration's "
             "ignore.")] = None,
    stdin_filename: Annotated[Optional[str], typer.Option(
        "--stdin-filename", metavar="NAME", show_default=False,
        help=f"The name standard input ('-') is reported as; its extension chooses the reader "
             f"(default: {STDIN_NAME}, read as .pgv).")] = None,
    reader: Annotated[Optional[str], typer.Option(
        "--reader", metavar="READER", show_default=False,
        help=f"Read the files named (and standard input) as: {', '.join(READER_SUFFIX)}, whatever their "
             "extension.")] = None,
    seed: Annotated[Optional[int], typer.Option(
        metavar="INTEGER", show_default=False, help="Seed of the random finite models (default: 0).")] = None,
    time_limit: Annotated[Optional[float], typer.Option(
        "--time-limit", metavar="SECONDS", show_default=False,
        help=f"Seconds allowed per step, at least {MIN_TIME_LIMIT:g} (default: 5).")] = None,
    memory_limit: Annotated[Optional[int], typer.Option(
        "--memory-limit", metavar="MIB", show_default=False,
        help=f"MiB of memory (address space) per step worker (default: {limits.DEFAULT_STEP_MEMORY}).")] = None,
    strict: Annotated[Optional[bool], typer.Option(
        "--strict/--no-strict", show_default=False,
        help="A step without a (correct) justification is a fault.")] = None,
    fail_on: Annotated[Optional[str], typer.Option(
        "--fail-on", metavar="WHAT", show_default=False,
        help="Which steps fail the run: refuted (only refuted steps) or unknown (refuted and unknown "
             "steps; the default).")] = None,
    all_math: Annotated[Optional[bool], typer.Option(
        "--all-math/--marked-math", show_default=False,
        help="Read every display block of notes, marked or not (the default); --marked-math: marked"
             " blocks only.")] = None,
    macros: Annotated[Optional[list[Path]], typer.Option(
        "--macros", metavar="FILE", show_default=False, help="LaTeX macro definitions (repeatable).")] = None,
    config_file: Annotated[Optional[Path], typer.Option(
        "--config", metavar="FILE", show_default=False, help="A pgverify.toml or pyproject.toml to use.")] = None,
    no_color: Annotated[bool, typer.Option(
        "--no-color", help="Plain text even on a terminal or with FORCE_COLOR.")] = False,
    jobs: Annotated[Optional[int], typer.Option(
        "--jobs", "-j", metavar="N", min=1, max=1024, show_default=False,
        help="Worker processes for the steps (default: the cores, or the configuration's jobs).")] = None,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Check every step again, neither reading nor writing the cache.")] = False,
    cache_dir: Annotated[Optional[Path], typer.Option(
        "--cache-dir", metavar="DIR", show_default=False,
        help=f"Where step results are kept between runs (default: {CACHE_DIRECTORY} beside the "
             "configuration, or here).")] = None,
    watch: Annotated[bool, typer.Option(
        "--watch", help="Check again whenever a file under the paths changes (until Ctrl-C).")] = False,
) -> None:
    """Check every step of every derivation and report the faulty ones (help: :data:`_HELP_CHECK`)."""
    raise typer.Exit(run_check(paths, output_format, output_file, outputs, quiet, verbose, select, ignore,
                               stdin_filename, reader, seed, time_limit, memory_limit, strict, fail_on, all_math,
                               macros, config_file, no_color, jobs, no_cache, cache_dir, watch))


def run_check(paths: list[Path] | None, output_format: str | None, output_file: str | None,
              outputs: list[str] | None, quiet: bool, verbose: bool, select: list[str] | None,
              ignore: list[str] | None, stdin_filename: str | None, reader: str | None, seed: int | None,
              time_limit: float | None, memory_limit: int | None, strict: bool | None, fail_on: str | None,
              all_math: bool | None, macros: list[Path] | None, config_file: Path | None, no_color: bool,
              jobs: int | None, no_cache: bool, cache_dir: Path | None, watch: bool) -> int:
    """The body of ``check`` (its parameters, as typer or :mod:`pgverify.cliargs` read them): the exit status."""
    def once() -> int:
        try:
            return _check(paths or [], output_format, output_file, outputs or [], quiet, verbose, select or [],
                          ignore or [], stdin_filename, reader, seed, (time_limit, memory_limit), strict, fail_on,
                          all_math, macros or [], config_file, no_color, (jobs, no_cache, cache_dir))
        except (UsageError, config.ConfigError) as err:
            for line in str(err).splitlines():
                _say(f"pgverify: {line}")
            return EXIT_ERROR

    if watch:   # the same check again on each change (pgverify.watch), until interrupted
        from .watch import watch as watching

        return watching(once, list(paths or []))
    return once()


def _check(paths: list[Path], output_format: str | None, output_file: str | None, outputs: list[str],
           quiet: bool, verbose: bool, select: list[str], ignore: list[str], stdin_filename: str | None,
           reader: str | None, seed: int | None, step_limits: tuple[float | None, int | None], strict: bool | None,
           fail_on: str | None, all_math: bool | None, macros: list[Path], config_file: Path | None,
           no_color: bool, run: tuple[int | None, bool, Path | None] = (None, True, None)) -> int:
    """The body of ``check``: every usage error is found before the first step is checked."""
    conf = config.load(config_file if config_file is not None else config.find(Path.cwd()))
    if quiet and verbose:
        raise UsageError("--quiet and --verbose cannot be used together")
    if output_format is not None and output_format not in RENDERERS:
        raise UsageError(_formats_message(output_format, "--format"))
    chosen = output_format or conf.format or "text"
    if chosen not in RENDERERS:
        raise UsageError(f"unknown format '{chosen}' in {conf.source} (one of {', '.join(RENDERERS)})")
    if fail_on is not None and fail_on not in FAIL_ON:
        raise UsageError(f"--fail-on must be one of: {', '.join(FAIL_ON)} (not {fail_on!r})")
    if reader is not None and reader not in READER_SUFFIX:
        raise UsageError(f"--reader must be one of: {', '.join(READER_SUFFIX)} (not {reader!r})")
    time_limit, memory_limit = step_limits
    try:  # a finite number within bounds: inf, nan, a negative or a huge value is a usage error
        time_limit = limits.check_seconds(time_limit) if time_limit is not None else None
        memory_limit = limits.check_mebibytes(memory_limit) if memory_limit is not None else None
    except limits.LimitError as err:
        raise UsageError(str(err)) from None
    if stdin_filename is not None and not stdin_filename.strip():
        raise UsageError("--stdin-filename must not be empty")
    outputs_plan = _outputs(chosen, output_file, outputs)
    selection = _selection(select, ignore, conf)
    options = Options(seed=_pick(seed, conf.seed, 0), time_limit=_pick(time_limit, conf.time_limit, 5.0),
                      strict=_pick(strict, conf.strict, False),
                      memory_limit=_pick(memory_limit, conf.memory_limit, limits.DEFAULT_STEP_MEMORY))
    options = replace(options, jobs=_pick(run[0], conf.jobs, None))
    cache = CheckCache(None if run[1] else run[2] if run[2] is not None else
                       _relative(conf.root / (conf.cache_dir or CACHE_DIRECTORY)))
    failing = fail_on or conf.fail_on or "unknown"
    targets = list(paths) if paths else [_relative(conf.root / p) for p in conf.paths]
    if not targets:
        raise UsageError("no paths given (and no `paths` in [tool.pgverify])")
    from_stdin = any(str(p) == STDIN for p in targets)
    targets = [p for p in targets if str(p) != STDIN]
    forced = READER_SUFFIX[reader] if reader else None
    unreadable = [p for p in targets if p.is_file() and forced is None and not readers.supported(p)]
    if unreadable:
        raise UsageError("\n".join(
            f"{p}: pgverify has no reader for {p.suffix or 'files without an extension'!r}"
            f" (choose one with --reader {'|'.join(READER_SUFFIX)})" for p in unreadable))

    macro_files = list(macros) if macros else [_relative(conf.root / p) for p in conf.macros]
    macro_text, problems = _read_macros(macro_files)
    if conf.macro_table:
        from .readers.site_macros import table_text

        macro_text = table_text(conf.macro_table) + "\n" + macro_text
    warnings: list[str] = []
    where = "[tool.pgverify] exclude" if conf.source is None or conf.source.name == "pyproject.toml" \
        else f"exclude in {conf.source}"
    files, missing = collect(targets, conf.exclude, conf.root, warnings, where)
    problems += missing
    read_here = {f.resolve() for f in files} | {f.resolve() for f in macro_files}
    for _, target in outputs_plan:   # `-o notes.md` on notes.md would replace the notes by their report
        if target is not None and target.resolve() in read_here:
            raise UsageError(f"{target}: this run reads that file, and the report would overwrite it:"
                             " write the report elsewhere")
    for warning in warnings:
        _say(f"pgverify: warning: {warning}")
    for problem in problems:  # said once, here: the text report does not repeat them
        _say(f"pgverify: {problem}")
    read_options = readers.ReadOptions(all_math=_pick(all_math, conf.all_math, True), macros=macro_text)
    sources: list[tuple[Path | None, str]] = [(f, str(f)) for f in files]
    if from_stdin:
        sources.append((None, stdin_filename or STDIN_NAME))
    report = Report([], strict=options.strict, seed=options.seed, usage_errors=problems, fail_on=failing)
    _check_inputs(report, sources, {p.resolve() for p in targets if p.is_file()}, forced, read_options, options,
                  cache)
    filters.apply_selection(report, selection)

    shown = filters.quiet_view(report) if quiet else report
    for fmt, target in outputs_plan:
        on_stdout = target is None
        color = on_stdout and fmt == "text" and use_color(no_color, os.environ, sys.stdout.isatty())
        text = _render(shown, fmt, color=color, width=_width() if on_stdout else 100, verbose=verbose)
        if target is None:
            sys.stdout.write(text)
        else:
            try:
                target.write_text(text, encoding="utf-8")
            except OSError as err:
                _say(f"pgverify: cannot write {target}: {err.strerror or err}")
                return EXIT_ERROR
    return report.exit_code()


def _check_inputs(report: Report, sources: list[tuple[Path | None, str]], explicit: set[Path], forced: str | None,
                  read_options: readers.ReadOptions, options: Options, cache: CheckCache | None = None) -> None:
    """Read and check each input (a file, or standard input for ``None``), applying its suppression comments.

    ``forced`` (a --reader) applies to the files named explicitly and to standard input; a file found in a
    directory is read by its extension, and left out when it holds no derivation.  A file whose bytes,
    reader and options are those of an earlier run is served whole from the ``cache`` (not parsed, not
    checked: ``checkcache.FileOutcome``); the others are read first, then all checked with one pool of
    workers (``cache``: step results kept from earlier runs are not checked again).
    """
    keyed = cache is not None and cache.directory is not None
    okey = options_key(options) if keyed else ""
    keys: list[str] = [""] * len(sources)
    outcomes: list[FileOutcome | None] = [None] * len(sources)
    parsed: list[tuple[int, m.SourceFile, list[m.SyntaxIssue]]] = []
    for i, (path, display) in enumerate(sources):
        suffix = forced if path is None or path.resolve() in explicit else None
        if path is None and suffix is None and not readers.supported(display):
            suffix = ".pgv"   # <stdin>, or a name without a known extension, is read as .pgv
        data, failed = input_bytes(path, display)
        if data is not None and keyed:
            assert cache is not None
            keys[i] = file_key(display, suffix, data, read_options, okey)
            outcomes[i] = cache.get_file(display, keys[i])
            if outcomes[i] is not None:
                continue
        source, skipped = (failed, []) if failed is not None else \
            read_input(path, display, suffix, read_options, (max(PARSE_SECONDS, options.time_limit),
                                                             options.memory_limit), data=data)
        parsed.append((i, source, skipped))
    # every file read goes through the checker, even one without a derivation (it costs nothing there), so
    # that its outcome, kept in the cache, is the same whether the file was named or found in a directory
    # without a cache directory (--no-cache) the checker is given no cache: it then computes no keys (whose
    # fingerprint of pgverify's own code alone reads every one of its files)
    results = check_sources([source for _, source, _ in parsed], options, cache if keyed else None)
    for (i, source, skipped), result in zip(parsed, results):
        result.notes = list(skipped)
        outcomes[i] = FileOutcome(result, tuple(source.suppressions),
                                  [(n.line, n.column, n.message, n.code) for n in lookalikes.notes(source)])
        if keys[i]:
            assert cache is not None
            cache.put_file(sources[i][1], keys[i], outcomes[i])
    for (path, _), outcome in zip(sources, outcomes):
        assert outcome is not None
        result = outcome.result
        if path is not None and path.resolve() not in explicit and not (result.derivations or result.errors
                                                                        or result.notes):
            continue
        holder = m.SourceFile(result.path, (), (), (), suppressions=outcome.suppressions)
        silenced, notes = filters.apply_suppressions(holder, result, options.strict)
        filters.merge(report, silenced, [*notes, *(Note(*n) for n in outcome.lookalikes)], result.path)
        report.files.append(result)


def check_sources(sources: list[m.SourceFile], options: Options, cache: CheckCache | None = None
                  ) -> list[FileResult]:
    """:func:`pgverify.checker.check_sources`, loaded only when a file must be checked (a fully cached run
    never loads the checker, the falsifier or sympy)."""
    if not sources:
        return []
    from .checker import check_sources as check

    return check(sources, options, cache)


def _relative(path: Path) -> Path:
    """A path from the configuration, as the user would write it from here (reports name files this way)."""
    try:
        return Path(os.path.relpath(path))
    except ValueError:  # another drive
        return path


def _pick(given, configured, default):
    """Command line over configuration over default."""
    if given is not None:
        return given
    return configured if configured is not None else default


def list_rules() -> None:
    """List the rules a justification may cite, and the named mistakes a report may diagnose."""
    from .render.catalogue import rules_listing

    sys.stdout.write(rules_listing(width=_width(), color=use_color(False, os.environ, sys.stdout.isatty())))


def explain(rule_name: Annotated[str, typer.Argument(metavar="NAME",
                                                     help="A rule name or alias, or a named mistake.")]) -> None:
    """Show a rule (statement, side conditions, purpose, examples) or a named mistake (title, hint, rules)."""
    from .render import catalogue

    entry = catalogue.find(rule_name)
    if entry is None:
        near = catalogue.nearest(rule_name)
        hint = f" Did you mean {', '.join(near)}?" if near else " See `pgverify rules`."
        typer.echo(f"pgverify: no rule or named mistake called '{rule_name}'.{hint}", err=True)
        raise typer.Exit(EXIT_ERROR)
    sys.stdout.write(catalogue.explain(entry, width=_width(), color=use_color(False, os.environ, sys.stdout.isatty())))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pgverify {__version__}")
        raise typer.Exit()


def main_options(
    version: Annotated[bool, typer.Option("--version", "-V", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """pgverify checks derivations written in the .pgv language (see README)."""


def main() -> None:
    """Entry point of the ``pgverify`` command."""
    from .cliargs import in_a_wide_frame

    in_a_wide_frame(_main)


def _main() -> None:
    from .cliargs import check_arguments

    try:
        plain = check_arguments(sys.argv[1:])
        if plain is not None:   # a plain `check` line: run as typer would, without loading typer
            code = _plain_check(plain)
        else:
            gc.enable()   # off while `python -m pgverify` loaded the CLI (__main__.py)
            _app()()  # standalone: typer turns usage errors into messages and sys.exit(2)
            code = 0
    except KeyboardInterrupt:
        sys.stderr.write("pgverify: interrupted\n")
        code = 130
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    # Leave without tearing down sympy's thousands of objects one by one: it costs a quarter of a second
    # and there is nothing left to clean up (files are closed, workers reaped).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _plain_check(arguments: dict[str, Any]) -> int:
    """``check`` with the arguments :func:`pgverify.cliargs.check_arguments` read, ended as typer ends a command:
    Ctrl-C is status 130 and a closed standard output (``| head``) status 1, both without a message."""
    import errno

    from .cliargs import QuietFlush, collect_after_start_up

    collect_after_start_up()
    try:
        return run_check(**arguments)
    except KeyboardInterrupt:
        return 130
    except OSError as err:
        if err.errno != errno.EPIPE:
            raise
        sys.stdout, sys.stderr = QuietFlush(sys.stdout), QuietFlush(sys.stderr)
        return 1


# Packages whose commands the CLI composes: each has a ``register(app)`` that adds its commands (they never
# import the CLI, so the dependency runs one way).
COMMAND_MODULES = ("pgverify.grading.commands", "pgverify.impl.commands", "pgverify.lsp.commands")


@functools.cache
def _app() -> typer.Typer:
    """The typer app, built on first use (``pgverify.cli.app``): its commands, then those of COMMAND_MODULES."""
    global typer
    import importlib

    import typer  # the commands' annotations name it: typer reads them from this module's globals

    app = typer.Typer(add_completion=True, no_args_is_help=True, pretty_exceptions_enable=False,
                      help="Check policy-gradient derivations step by step.")
    app.command(help=_HELP_CHECK)(check)
    app.command("rules")(list_rules)
    app.command()(explain)
    app.callback()(main_options)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


def __getattr__(name: str) -> Any:
    """``app``: the typer app, built when first asked for (the test client, a docs generator)."""
    if name == "app":
        return _app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
