"""Readers: derivations out of the files where they already are.

:func:`read` picks the reader by the file's extension and returns a
:class:`~pgverify.model.SourceFile` whose steps, errors and lines are those of
the original file:

=====================================  ==========================================================
``.pgv`` (and any unknown extension)   the derivation language (:mod:`pgverify.syntax`)
``.md`` ``.mdx`` ``.qmd`` …           fenced ``pgverify`` blocks; ``$$``/``\\[``/``align`` math
                                       after ``<!-- pgverify -->``
``.tex``                               display math after ``% pgverify``
``.ipynb``                             the markdown cells, as Markdown
``.rst``                               ``.. code-block:: pgverify``; ``.. math::`` after ``.. pgverify``
=====================================  ==========================================================

Preambles (``<!-- pgverify: use rl -->``, ``% pgverify: use rl``, ``.. pgverify: use rl``)
declare for the rest of the file.  With ``ReadOptions(all_math=True)`` every
multi-row chain is checked without a marker; a block that cannot be read is
then *skipped* (not an error): :func:`read_with_skips` returns the skips as
``SyntaxIssue`` notes, :func:`read` leaves them out.  :func:`read_text` reads
text as the file ``path`` would be read (the Python API's entry point).

Every reader also fills ``SourceFile.suppressions`` from ``pgverify: ignore``
comments (``# …`` in the derivation language, ``% …`` in LaTeX and inside
math, ``<!-- … -->`` in Markdown, ``.. …`` in reST; the exact rules are in
each reader's docstring).  A comment at the end of a line silences that line
(or the step it continues); one on a line of its own silences the next
non-blank line.  A malformed one is an error at the comment.

A notebook's lines are those of its cells one after another (see
:mod:`pgverify.readers.notebook`); ``SourceFile.locate`` gives the cell.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path

from .. import inputs
from .. import model as m
from .options import ReadOptions

__all__ = ["READERS", "ReadOptions", "read", "read_text", "read_with_skips", "reads_in_process", "supported"]

DEFAULT = ReadOptions()
_SURROGATE = re.compile("[\ud800-\udfff]")
Reader = Callable[[str, str, ReadOptions], tuple[m.SourceFile, list[m.SyntaxIssue]]]


def _read_pgv(source: str, path: str, options: ReadOptions) -> tuple[m.SourceFile, list[m.SyntaxIssue]]:
    from dataclasses import replace

    from ..syntax import parse_source   # here, not at the top: the parser is not needed to choose a reader
    from .texts import Text, ignore_problems, pgv_ignores, pgv_rows, suppressions

    parsed = parse_source(source, path)
    text = Text(source)
    ignores = pgv_ignores(text, 0, len(source))
    if not ignores:
        return parsed, []
    errors = sorted((*parsed.errors, *ignore_problems(ignores, parsed.lines or source.split("\n"))),
                    key=lambda e: (e.span.line, e.span.column))
    return replace(parsed, errors=tuple(errors), suppressions=suppressions(ignores, pgv_rows(text, 0, len(source)))), []


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
    ".qmd": read_markdown,     # Quarto: Markdown with $$ … $$ {#eq-label}
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


# A derivation-language input of at most this many bytes may be read without a worker and its limits (the fork
# and the trip of its result cost more than such a read; see pgverify.cli.read_input).  Its work is bounded by
# its size: our own reader only (lark's LALR parser is linear; the lexer's regexes are at worst quadratic in a
# line's length, which is at most this long), and hostile 4 KiB files took at most ~0.3 s, where the parse
# limit is 10 s (tests/test_read_in_process.py).  The notes readers (Markdown, LaTeX, reST, notebooks, with
# macros that may grow) always read under the limits.
IN_PROCESS_BYTES = 4096


def reads_in_process(path: str | Path, size: int) -> bool:
    """Whether ``size`` bytes read as the file ``path`` (by its extension) are bounded enough to read without a
    worker's limits: a small input read by the derivation language's own reader (:data:`IN_PROCESS_BYTES`)."""
    return size <= IN_PROCESS_BYTES and _WITH_SKIPS.get(Path(path).suffix.lower(), _read_pgv) is _read_pgv


def read_text(source: str, path: str | Path, options: ReadOptions = DEFAULT
              ) -> tuple[m.SourceFile, list[m.SyntaxIssue]]:
    """Read text as the file ``path`` would be read (by its extension); returns the file and the skips."""
    from .texts import unify_line_breaks

    source = source.removeprefix("\ufeff")
    surrogate = _SURROGATE.search(source)
    if surrogate is not None:   # text from the API or an editor, never from UTF-8 bytes: no output could print it
        line = source.count("\n", 0, surrogate.start()) + 1
        column = surrogate.start() - source.rfind("\n", 0, surrogate.start())
        issue = m.SyntaxIssue(m.Span(line, column, line, column + 1),
                              f"a lone surrogate code point (U+{ord(surrogate.group()):04X}) is not Unicode text")
        return m.SourceFile(str(path), (), (), (issue,)), []
    reader = _WITH_SKIPS.get(Path(path).suffix.lower(), _read_pgv)
    # one line break for every reader, so lines and numbers agree with str.splitlines; a notebook's JSON
    # text keeps its own (a raw U+2028 inside a JSON string is legal, a raw newline is not): its cells are
    # unified one by one (readers/notebook.py)
    source = source.replace("\r\n", "\n") if reader is read_notebook else unify_line_breaks(source)
    return reader(source, str(path), options)


def read_with_skips(path: str | Path, options: ReadOptions = DEFAULT
                    ) -> tuple[m.SourceFile, list[m.SyntaxIssue]]:
    """Read a file; also return the math blocks skipped under ``all_math`` (with the reason). Never raises."""
    p = Path(path)
    try:
        # a regular file of bounded size only: a FIFO, a device or a directory is an error, never a hang
        source = inputs.read_bytes(p).decode("utf-8")
    except UnicodeDecodeError as err:
        issue = m.SyntaxIssue(m.Span(1, 1, 1, 1), f"not UTF-8 text (byte {err.start})")
        return m.SourceFile(str(path), (), (), (issue,)), []
    except inputs.InputError as err:
        issue = m.SyntaxIssue(m.Span(0, 0, 0, 0), str(err).removeprefix(f"{p}: "))
        return m.SourceFile(str(path), (), (), (issue,)), []
    return read_text(source, p, options)


def read(path: str | Path, options: ReadOptions = DEFAULT) -> m.SourceFile:
    """Read a file with the reader for its extension (never raises; problems are in ``errors``)."""
    return read_with_skips(path, options)[0]
