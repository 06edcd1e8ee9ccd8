"""pgverify: check policy-gradient derivations step by step.

The public API::

    from pgverify import parse, check
    source = parse(text)                  # a SourceFile (never raises)
    report = check([path])                # a Report; report.exit_code(), report.to_records()
"""

from __future__ import annotations

from pathlib import Path

from ._version import __version__
from .checker import Options, check_source
from .model import SourceFile
from .report import Report
from .results import FileResult
from .syntax import parse_file, parse_source

__all__ = ["Options", "Report", "SourceFile", "check", "check_text", "parse", "__version__"]


def parse(text: str, path: str = "<input>") -> SourceFile:
    """Parse derivation text; syntax errors are collected in ``SourceFile.errors``."""
    return parse_source(text, path)


def check_text(text: str, path: str = "<input>", options: Options | None = None) -> FileResult:
    """Check derivation text and return the file's results."""
    return check_source(parse_source(text, path), options or Options())


def check(paths: list[str | Path], options: Options | None = None) -> Report:
    """Check files and return the report."""
    options = options or Options()
    files = [check_source(parse_file(p), options) for p in paths]
    return Report(files, strict=options.strict, seed=options.seed)
