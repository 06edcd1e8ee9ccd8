"""Readers: derivations out of the files where they already are.

:func:`read` picks the reader by the file's extension and returns a
:class:`~pgverify.model.SourceFile` whose steps, errors and lines are those of
the original file:

=====================================  ==========================================================
``.pgv`` (and any unknown extension)   the derivation language (:mod:`pgverify.syntax`)
``.md`` ``.markdown`` ``.mdx``         fenced ``pgverify`` blocks; ``$$``/``\\[``/``align`` math
                                       after ``<!-- pgverify -->``
``.tex``                               display math after ``% pgverify``
``.ipynb``                             the markdown cells, as Markdown
``.rst``                               ``.. code-block:: pgverify``; ``.. math::`` after ``.. pgverify``
=====================================  ==========================================================

Preambles (``<!-- pgverify: use rl -->``, ``% pgverify: use rl``, ``.. pgverify: use rl``)
declare for the rest of the file.  With ``ReadOptions(all_math=True)`` every
multi-row chain is checked without a marker; a block that cannot be read is
then *skipped* (not an error): :func:`read_with_skips` returns the skips as
``SyntaxIssue`` notes, :func:`read` leaves them out.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import importlib

from .. import model as m
from ..syntax import parse_source
from .options import ReadOptions

__all__ = ["READERS", "ReadOptions", "read", "read_text", "read_with_skips", "supported"]

DEFAULT = ReadOptions()
Reader = Callable[[str, str, ReadOptions], tuple[m.SourceFile, list[m.SyntaxIssue]]]


def _read_pgv(source: str, path: str, options: ReadOptions) -> tuple[m.SourceFile, list[m.SyntaxIssue]]:
    return parse_source(source, path), []


def _lazy(module: str, name: str) -> Reader:
    """A reader imported on first use: nbformat, markdown-it and the LaTeX grammar cost start-up time."""
    def reader(source: str, path: str, options: ReadOptions) -> tuple[m.SourceFile, list[m.SyntaxIssue]]:
        function = getattr(importlib.import_module(f"{__package__}.{module}"), name)
        return function(source, path, options)
    reader.__name__ = name
    return reader


read_markdown = _lazy("markdown", "read_markdown")
read_notebook = _lazy("notebook", "read_notebook")
read_rest = _lazy("rest", "read_rest")
read_tex = _lazy("tex", "read_tex")

_WITH_SKIPS: dict[str, Reader] = {
    ".pgv": _read_pgv,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".mdx": read_markdown,
    ".tex": read_tex,
    ".ipynb": read_notebook,
    ".rst": read_rest,
}


def _dropping_skips(reader: Reader) -> Callable[[str, str, ReadOptions], m.SourceFile]:
    def read_source(source: str, path: str, options: ReadOptions = DEFAULT) -> m.SourceFile:
        return reader(source, path, options)[0]
    read_source.__doc__ = reader.__doc__
    return read_source


READERS: dict[str, Callable[[str, str, ReadOptions], m.SourceFile]] = {
    ext: _dropping_skips(reader) for ext, reader in _WITH_SKIPS.items()
}


def supported(path: str | Path) -> bool:
    """Whether pgverify has a reader for this file's extension (other files are read as ``.pgv``)."""
    return Path(path).suffix.lower() in _WITH_SKIPS


def read_text(source: str, path: str | Path, options: ReadOptions = DEFAULT
              ) -> tuple[m.SourceFile, list[m.SyntaxIssue]]:
    """Read text as the file ``path`` would be read (by its extension); returns the file and the skips."""
    source = source.removeprefix("\ufeff")
    source = source.replace("\r\n", "\n")
    reader = _WITH_SKIPS.get(Path(path).suffix.lower(), _read_pgv)
    return reader(source, str(path), options)


def read_with_skips(path: str | Path, options: ReadOptions = DEFAULT
                    ) -> tuple[m.SourceFile, list[m.SyntaxIssue]]:
    """Read a file; also return the math blocks skipped under ``all_math`` (with the reason). Never raises."""
    p = Path(path)
    try:
        source = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        issue = m.SyntaxIssue(m.Span(1, 1, 1, 1), f"not UTF-8 text (byte {err.start})")
        return m.SourceFile(str(path), (), (), (issue,)), []
    except OSError as err:
        issue = m.SyntaxIssue(m.Span(0, 0, 0, 0), f"cannot read the file: {err.strerror or err}")
        return m.SourceFile(str(path), (), (), (issue,)), []
    return read_text(source, p, options)


def read(path: str | Path, options: ReadOptions = DEFAULT) -> m.SourceFile:
    """Read a file with the reader for its extension (never raises; problems are in ``errors``)."""
    return read_with_skips(path, options)[0]
