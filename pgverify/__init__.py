"""pgverify: check policy-gradient derivations step by step.

The public API::

    from pgverify import parse, check, check_text, ReadOptions
    source = parse(text, "notes.md")      # a SourceFile (never raises)
    result = check_text(text, "notes.md") # a FileResult: its derivations, steps and verdicts
    report = check([path])                # a Report; report.exit_code(), report.to_records()

Files and texts are read exactly as ``pgverify check`` reads them: the reader
is chosen by the path's extension (``.pgv``, ``.md``/``.markdown``/``.mdx``,
``.tex``, ``.ipynb``, ``.rst``); any other extension, and the default path
``"<input>"``, is read as the derivation language (``.pgv``).  The CLI, in
contrast, only picks up files of those extensions from a directory.
``read_options`` (:class:`ReadOptions`) carries ``all_math`` and ``macros``
(the text of LaTeX macro definitions, as ``--macros`` files hold).

The functions may be called from any thread and from a worker process of
``multiprocessing`` or ``concurrent.futures``: the per-step time limit is
kept by forked worker processes, not by signals, so nothing needs the main
thread.
"""

from __future__ import annotations

from pathlib import Path

from . import readers
from ._version import __version__
from .checkoptions import Options   # the checker itself loads on the first check (start-up time)
from .model import SourceFile
from .readers.options import ReadOptions
from .report import Report
from .results import FileResult

__all__ = ["FileResult", "Options", "ReadOptions", "Report", "SourceFile", "__version__", "check", "check_text",
           "parse"]


def parse(text: str, path: str = "<input>", read_options: ReadOptions | None = None) -> SourceFile:
    """Read derivation text as the file ``path`` would be read; syntax errors are in ``SourceFile.errors``."""
    return readers.read_text(text, path, read_options or ReadOptions())[0]


def _checked(source: SourceFile, skips: list, options: Options) -> FileResult:
    from .checker import check_source

    result = check_source(source, options)
    result.notes = list(skips)   # math blocks skipped under all_math, as the CLI reports them
    return result


def check_text(text: str, path: str = "<input>", options: Options | None = None,
               read_options: ReadOptions | None = None) -> FileResult:
    """Check derivation text, read as the file ``path`` would be (by its extension), and return its results."""
    source, skips = readers.read_text(text, path, read_options or ReadOptions())
    return _checked(source, skips, options or Options())


def check(paths: list[str | Path], options: Options | None = None,
          read_options: ReadOptions | None = None) -> Report:
    """Check files (each read by its extension, as the CLI does) and return the report.

    As with ``pgverify check``, the ``pgverify: ignore`` comments silence their faults (``report.silenced``)
    and a comment that silences nothing gives a note; a directory is not expanded (pass its files)."""
    # the `pgverify: ignore` comments count as they do for `pgverify check`
    from . import filters

    options = options or Options()
    read_options = read_options or ReadOptions()
    report = Report([], strict=options.strict, seed=options.seed)
    for path in paths:
        source, skips = readers.read_with_skips(path, read_options)
        result = _checked(source, skips, options)
        filters.merge(report, *filters.apply_suppressions(source, result, options.strict), result.path)
        report.files.append(result)
    return report


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext pgverify``: the ``%%pgverify`` cell magic (IPython is imported only now, by the magic)."""
    from .magic import load_ipython_extension as load

    load(ipython)
