"""`pgverify: ignore` comments: every reader records them in `SourceFile.suppressions`.

Each test writes a small file in one format and asserts the exact records:
where the comment stands (line, column of its opening) and the line it
silences (`target`), in the same coordinate as the steps' spans, so that a
filter can compare `step.span.line == suppression.target`.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from pgverify import model as m
from pgverify.readers import ReadOptions, read, read_text

S = m.Suppression


def source(text: str, path: str) -> m.SourceFile:
    parsed = read_text(text, path)[0]
    assert not parsed.errors, [(e.span.line, e.message) for e in parsed.errors]
    return parsed


def step_lines(parsed: m.SourceFile) -> list[int]:
    return [s.span.line for d in parsed.derivations for s in d.steps]


# ----------------------------------------------------------------------------- .pgv


PGV = """\
use rl
param x
derivation "d"
    x + x
  = 2 x       # pgverify: ignore
  # pgverify: ignore[refuted, log-derivative]

  = 3 x
claim x = x   by "a # in a string"   # pgverify: ignore[ unknown ]
"""


def test_pgv_comments_at_the_end_of_a_line_and_on_their_own() -> None:
    parsed = source(PGV, "a.pgv")
    assert step_lines(parsed) == [5, 8, 9]
    assert parsed.suppressions == (S(5, 15, 5, ()), S(6, 3, 8, ("refuted", "log-derivative")),
                                   S(9, 38, 9, ("unknown",)))


def test_a_hash_inside_a_quoted_justification_is_not_a_comment() -> None:
    parsed = source('param x\nclaim x = x   by "see # pgverify: ignore"\n', "a.pgv")
    assert parsed.suppressions == ()


def test_an_unknown_extension_reads_pgv_comments_too() -> None:
    assert read_text(PGV, "proof.txt")[0].suppressions == source(PGV, "a.pgv").suppressions


def test_a_comment_on_a_continuation_line_silences_the_step_it_continues() -> None:
    text = "param x\nderivation \"d\"\n    x\n  = x + \\\n    0   # pgverify: ignore\n"
    parsed = source(text, "a.pgv")
    assert step_lines(parsed) == [4]
    assert parsed.suppressions == (S(5, 9, 4, ()),)


# ----------------------------------------------------------------------------- LaTeX


TEX = r"""\section{Score}
% pgverify: ignore[goal]
% pgverify
\begin{align*}
a &= b \\ % pgverify: ignore[refuted]
% pgverify: ignore

&= c
\end{align*}
"""


def test_tex_comments_at_the_end_of_a_row_and_on_their_own_line() -> None:
    parsed = source(TEX, "c.tex")
    assert step_lines(parsed) == [5, 8]
    # on its own line: the next line that is not a comment (past the marker: the block, where a goal is reported)
    assert parsed.suppressions == (S(2, 1, 4, ("goal",)), S(5, 11, 5, ("refuted",)), S(6, 1, 8, ()))
    assert parsed.derivations[0].span.line == 4


def test_an_ignore_comment_is_not_a_preamble_or_a_marker() -> None:
    parsed = source("% pgverify: ignore\n\\[ a = b \\]\n", "c.tex")
    # read as if the comment were not there (notes mode: `a = b` introduces `a`, a definition)
    assert parsed.derivations == () and parsed.declarations == source("\n\\[ a = b \\]\n", "c.tex").declarations
    assert read_text("% pgverify: ignore\n\\[ a = b \\]\n", "c.tex", ReadOptions(all_math=False))[0].derivations == ()
    assert parsed.suppressions == (S(1, 1, 2, ()),)


# ----------------------------------------------------------------------------- Markdown


MD = """\
# Notes

<!-- pgverify: ignore[refuted] -->
<!-- pgverify -->
$$ a = b $$

<!-- pgverify -->
$$
a &= b \\\\ % pgverify: ignore
% pgverify: ignore[unknown, goal]
&= c
$$

<!-- pgverify --> $$ u = v $$ <!-- pgverify: ignore -->

```pgverify
param x
claim x = x   # pgverify: ignore[uncited]
```
"""


def test_markdown_html_comments_math_comments_and_fences() -> None:
    parsed = source(MD, "notes.md")
    assert step_lines(parsed) == [5, 9, 11, 14, 18]
    assert parsed.suppressions == (
        S(3, 1, 5, ("refuted",)),          # own line: past the marker, the one-line block
        S(9, 11, 9, ()),                   # the end of a row, in the math
        S(10, 1, 11, ("unknown", "goal")),
        S(14, 31, 14, ()),                 # after text on the line: that line
        S(18, 15, 18, ("uncited",)),       # the fenced derivation language
    )


def test_mdx_comments_and_code_spans() -> None:
    parsed = source("{/* pgverify: ignore[x] */}\n{/* pgverify */}\n$$ a = b $$\n"
                    "Write `<!-- pgverify: ignore -->` to silence a line.\n", "notes.mdx")
    assert parsed.suppressions == (S(1, 1, 3, ("x",)),)


# ----------------------------------------------------------------------------- reST


RST = """\
Title
=====

.. pgverify: ignore[refuted]
.. pgverify

.. math::
   :label: one

   a &= b \\\\ % pgverify: ignore[goal]
   &= c

.. pgverify: ignore

Some text.

.. code-block:: pgverify

   param x
   claim x = x   # pgverify: ignore
"""


def test_rest_comment_before_math_silences_its_first_equation_line() -> None:
    parsed = source(RST, "notes.rst")
    assert step_lines(parsed) == [10, 11, 20]
    assert parsed.suppressions == (
        S(4, 1, 10, ("refuted",)),   # before the directive (past the marker and the options): the first equation
        S(10, 14, 10, ("goal",)),   # a LaTeX comment at the end of a row
        S(13, 1, 15, ()),           # before anything else: the next non-blank line
        S(20, 18, 20, ()),          # inside the code block
    )


# ----------------------------------------------------------------------------- notebooks


def test_notebook_comments_are_in_the_cells_coordinate(tmp_path: Path) -> None:
    notebook = new_notebook(cells=[
        new_code_cell("x = 1\ny = 2"),
        new_markdown_cell("<!-- pgverify: ignore[refuted] -->\n<!-- pgverify -->\n$$\na &= b \\\\\n"
                          "&= c % pgverify: ignore\n$$"),
    ])
    path = tmp_path / "lab.ipynb"
    nbformat.write(notebook, str(path))
    parsed = read(path)
    assert not parsed.errors
    rows = [s.span.line for d in parsed.derivations for s in d.steps]
    assert [(parsed.locate(r).cell, parsed.locate(r).line) for r in rows] == [(2, 4), (2, 5)]
    first, row = parsed.suppressions
    assert (parsed.locate(first.line, first.column).cell, parsed.locate(first.line).line, first.column) == (2, 1, 1)
    assert parsed.locate(first.target).line == 3 and first.names == ("refuted",)
    assert row.target == rows[1] and parsed.locate(row.line).line == 5 and row.column == 6


@pytest.mark.parametrize("path, text, line, column", [
    ("a.pgv", "param x\nclaim x = x  # pgverify: ignore[\n", 2, 14),
    ("a.md", "Text.\n<!-- pgverify: ignore[a, -->\n", 2, 1),
    ("a.md", "<!-- pgverify: ignore[] -->\n", 1, 1),
    ("a.tex", "% pgverify: ignored\n", 1, 1),
    ("a.rst", "Text.\n\n.. pgverify: ignore[a b]\n", 3, 1),
])
def test_a_malformed_ignore_comment_is_an_error_at_the_comment(path: str, text: str, line: int, column: int) -> None:
    parsed = read_text(text, path)[0]
    assert parsed.suppressions == ()
    (error,) = parsed.errors
    assert (error.span.line, error.span.column) == (line, column)
    assert "cannot read this suppression" in error.message and "pgverify: ignore[name" in error.message
    assert error.context.split("\n")[1] == " " * (column - 1) + "^"
