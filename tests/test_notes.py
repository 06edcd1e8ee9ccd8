"""Lecture notes: derivations read out of Markdown, LaTeX, notebooks and reST, at their own lines.

The golden test reads every fixture in tests/notes/ (with the course macros of
tests/notes/macros.tex), checks it, and compares each step with the sidecar
`<name>.expect`: lines `LINE VERDICT [justification=…]`, one per step, in the
order the steps stand on the line; `valid` means proved or checked.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from pgverify import model as m
from pgverify.checker import Options, check_source
from pgverify.results import FileResult
from pgverify.readers.site_macros import macro_text
from pgverify.readers import (
    READERS,
    ReadOptions,
    read,
    read_text,
    read_with_skips,
    supported,
)

NOTES = Path(__file__).resolve().parent / "notes"
MACROS = (NOTES / "macros.tex").read_text(encoding="utf-8")
KINDS = (".md", ".mdx", ".qmd", ".tex", ".ipynb", ".rst")
FIXTURES = sorted(p for p in NOTES.rglob("*") if p.suffix in KINDS and p.name != "macros.tex")
VALID = ("proved", "checked")
FACTS = ("definition", "assumption")
SITE_FILES = ("conf.py", "_config.yml", "mkdocs.yml", "_quarto.yml")


def site_macros(path: Path) -> str:
    """The macros a fixture is checked with: its site's configuration beside it (as `--macros` reads it), or
    the course macros of tests/notes/macros.tex for the fixtures at the top."""
    if path.parent == NOTES:
        return MACROS
    folders = [path.parent, path.parent.parent] if path.parent.parent != NOTES.parent else [path.parent]
    found = [f for folder in folders for f in (folder / name for name in SITE_FILES) if f.exists()]
    return "\n".join(macro_text(f, f.read_text(encoding="utf-8")) for f in found)


@cache
def read_fixture(path: Path) -> tuple[m.SourceFile, list[m.SyntaxIssue]]:
    return read_with_skips(path, ReadOptions(macros=site_macros(path)))


@cache
def checked(path: Path) -> FileResult:
    return check_source(read_fixture(path)[0], Options())


def expectations(path: Path) -> list[tuple[int, str, str | None]]:
    """(line, verdict, justification); a notebook's CELL:LINE becomes the line of the file's coordinate.

    A verdict is a step's (``valid``, ``proved``, ``checked``, ``refuted``, ``unknown``), or ``definition``,
    ``assumption`` (a fact the notes state), ``warning`` (a free index) or ``skipped`` (a block not read)."""
    cells = {c.number: c for c in read(path).cells}
    out = []
    for raw in path.with_suffix(".expect").read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].split()
        if not line:
            continue
        justification = line[2].removeprefix("justification=") if len(line) > 2 else None
        cell, _, number = line[0].rpartition(":")
        where = cells[int(cell)].first + int(number) - 1 if cell else int(number)
        out.append((where, line[1], justification))
    return out


def test_there_is_a_fixture_of_every_kind() -> None:
    assert {p.suffix for p in FIXTURES} == set(KINDS)
    assert all(p.with_suffix(".expect").exists() for p in FIXTURES)
    assert len(FIXTURES) >= 16


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: str(p.relative_to(NOTES)))
def test_every_step_has_its_expected_verdict_at_its_line(path: Path) -> None:
    result = checked(path)
    assert not result.errors, [(e.span.line, e.message) for e in result.errors]
    got = sorted((s.line, s.column, s.verdict, s.justification) for d in result.derivations for s in d.steps)
    everything = expectations(path)
    want = sorted((w for w in everything if w[1] not in (*FACTS, "warning", "skipped")), key=lambda w: w[0])
    assert [line for line, *_ in got] == [line for line, *_ in want], \
        "steps are not reported at exactly the expected lines"
    problems = []
    for (line, _column, verdict, justification), (_, want_verdict, want_justification) in zip(got, want):
        if not (verdict in VALID if want_verdict == "valid" else verdict == want_verdict):
            problems.append(f"line {line}: expected {want_verdict}, got {verdict}")
        if want_justification and justification != want_justification:
            problems.append(f"line {line}: justification expected {want_justification}, got {justification}")
    assert problems == []


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: str(p.relative_to(NOTES)))
def test_every_definition_assumption_warning_and_skip_is_where_expected(path: Path) -> None:
    result = checked(path)
    everything = expectations(path)
    facts = sorted((f.span.line, f.kind) for f in result.facts)
    assert facts == sorted((line, kind) for line, kind, _ in everything if kind in FACTS)
    warnings = sorted(w.span.line for w in result.warnings)
    assert warnings == sorted(line for line, kind, _ in everything if kind == "warning")
    skips = sorted(s.span.line for s in read_fixture(path)[1])     # the place of what could not be read
    assert skips == sorted(line for line, kind, _ in everything if kind == "skipped")


def test_a_flawed_derivation_is_refuted_at_its_own_line() -> None:
    result = checked(NOTES / "simplest_policy_gradient.md")
    lines = (NOTES / "simplest_policy_gradient.md").read_text(encoding="utf-8").split("\n")
    refuted = [s for d in result.derivations for s in d.steps if s.verdict == "refuted"]
    assert [s.line for s in refuted] == [93, 102]
    assert lines[93 - 1].startswith(r"= \mathbb{E}_{\tau \sim \pi_{\theta}}[\nabla_{\theta} R(\tau)]")
    assert r"\cancel{\grad \log \pi_{\theta}(a_t |s_t)}" in lines[102 - 1]
    assert refuted[0].counterexample is not None


def test_a_notebook_step_stands_at_its_cell_and_its_line_in_the_cell() -> None:
    path = NOTES / "reinforce_lab.ipynb"
    notebook = nbformat.read(path, as_version=4)
    result = checked(path)
    approx = next(s for d in result.derivations for s in d.steps if s.relation == "≈")
    where = result.locate(approx.line, approx.column)
    cell_lines = notebook.cells[where.cell - 1].source.split("\n")
    assert cell_lines[where.line - 1][where.column - 1:].startswith("\\approx")
    assert str(where) == f"{path} cell {where.cell} line {where.line}:{where.column}"
    raw = path.read_text(encoding="utf-8").split("\n")
    assert "\\\\approx" in raw[where.file_line - 1], "file_line is the line of the .ipynb that holds it"


def test_a_notebooks_lines_are_its_cells_lines_one_after_another() -> None:
    path = NOTES / "reinforce_lab.ipynb"
    notebook = nbformat.read(path, as_version=4)
    source = read(path)
    assert source.lines == tuple(line for cell in notebook.cells for line in cell.source.split("\n"))
    assert [c.number for c in source.cells] == list(range(1, len(notebook.cells) + 1))
    for cell in source.cells:
        assert source.locate(cell.first).cell == cell.number and source.locate(cell.first).line == 1
        last = source.locate(cell.first + cell.count - 1)
        assert (last.cell, last.line) == (cell.number, cell.count)


def test_the_source_keeps_the_lines_of_the_original_file() -> None:
    for path in FIXTURES:
        if path.suffix != ".ipynb":
            assert read(path).lines == tuple(path.read_text(encoding="utf-8").split("\n"))


# ----------------------------------------------------------------------------- helpers


def md(text: str, **options) -> m.SourceFile:
    return read_text(text, "notes.md", ReadOptions(**options))[0]


def step_lines(source: m.SourceFile) -> list[int]:
    return [s.span.line for d in source.derivations for s in d.steps]


# ----------------------------------------------------------------------------- preambles


def test_a_preamble_declares_with_semicolons_and_lines() -> None:
    source = md("<!-- pgverify: use rl; dist p_θ(x)\n     fun f(x, y) -->\n")
    assert [type(d).__name__ for d in source.declarations] == ["Use", "DistDecl", "FunDecl"]
    assert [d.span.line for d in source.declarations] == [1, 1, 2]


def test_a_semicolon_inside_brackets_is_a_condition_not_a_separator() -> None:
    source = md("<!-- pgverify: use rl; dist q(τ; θ) -->\n")
    (_, dist) = source.declarations
    assert isinstance(dist, m.DistDecl) and len(dist.call.given) == 1


def test_preambles_hold_from_there_to_the_end_and_add_up() -> None:
    text = ("<!-- pgverify: use rl -->\n<!-- pgverify -->\n$$ a = b $$\n"
            "<!-- pgverify: fun g(x) -->\n<!-- pgverify -->\n$$ c = d $$\n")
    source = md(text)
    assert [type(d).__name__ for d in source.declarations] == ["Use"]
    first, second = source.derivations
    assert first.declarations == ()
    assert [type(d).__name__ for d in second.declarations] == ["FunDecl"]


def test_a_malformed_preamble_is_an_error_at_its_own_line() -> None:
    source = md("# Notes\n\n<!-- pgverify: use rl\n     dist p_θ(x -->\n")
    assert [e.span.line for e in source.errors] == [4]
    assert "never closed" in source.errors[0].message or "expected" in source.errors[0].message


def test_a_preamble_holds_declarations_only() -> None:
    source = md("<!-- pgverify: a + b -->\n")
    assert source.errors and "declarations only" in source.errors[0].message


def test_preambles_in_latex_and_rest() -> None:
    tex = read_text("% pgverify: use rl\n% pgverify: dist q_θ(x); fun f(x)\n", "c.tex")[0]
    rst = read_text(".. pgverify: use rl\n   dist q_θ(x)\n\nText.\n", "c.rst")[0]
    assert [type(d).__name__ for d in tex.declarations] == ["Use", "DistDecl", "FunDecl"]
    assert [type(d).__name__ for d in rst.declarations] == ["Use", "DistDecl"]
    assert [d.span.line for d in rst.declarations] == [1, 2]


def test_a_fenced_block_with_declarations_only_declares_for_the_rest_of_the_file() -> None:
    source = md("```pgverify\nuse rl\nfun Ψ(s, a)\n```\n")
    assert [type(d).__name__ for d in source.declarations] == ["Use", "FunDecl"]
    assert source.derivations == ()


# ----------------------------------------------------------------------------- markers


def test_with_marked_math_only_the_marked_block_is_read() -> None:
    text = "$$\na &= b \\\\\n&= c\n$$\n\n<!-- pgverify -->\n$$\nx &= y \\\\\n&= z\n$$\n\n$$ u = v $$\n"
    assert step_lines(md(text, all_math=False)) == [8, 9]


def test_markers_in_every_format() -> None:
    tex = "% pgverify\n\\begin{align*}\na &= b\n\\end{align*}\n\\begin{align*} % pgverify\nc &= d\n\\end{align*}\n"
    rst = ".. pgverify\n\n.. math::\n   :label: one\n\n   a &= b\n\n   c &= d\n\n.. math::\n\n   e = f\n"
    mdx = "{/* pgverify */}\n$$ a = b $$\n"
    assert step_lines(read_text(tex, "c.tex")[0]) == [3, 6]
    assert step_lines(read_text(rst, "c.rst")[0]) == [6, 8]
    assert step_lines(read_text(mdx, "c.mdx")[0]) == [2]


def test_math_and_markers_inside_code_are_not_read() -> None:
    text = ("```latex\n<!-- pgverify -->\n$$ a = b $$\n```\n\n    $$ c = d $$\n\n"
            "Write `<!-- pgverify -->` and `$$` around the math:\n\n$$ e = f $$\n")
    assert md(text).derivations == ()


def test_a_fenced_pgverify_block_keeps_the_file_lines() -> None:
    text = "# Title\n\nSome text.\n\n```pgverify\nuse rl\n    ∇_θ log π_θ(a | s)\n  = ∇_θ π_θ(a | s) / π_θ(a | s)\n  = oops (\n```\n"
    source = md(text)
    assert step_lines(source) == [8, 9]
    assert [e.span.line for e in source.errors] == [9]


def test_a_rest_code_block_keeps_lines_and_columns() -> None:
    text = "Title\n=====\n\n.. code-block:: pgverify\n\n   claim ∇_θ log π_θ(a | s) = ∇_θ π_θ(a | s) / π_θ(a | s)\n"
    source = read_text(text, "c.rst")[0]
    (step,) = [s for d in source.derivations for s in d.steps]
    assert (step.span.line, step.span.column) == (6, 4)


def test_a_heading_names_the_derivation() -> None:
    source = md("## The log-derivative trick\n\n<!-- pgverify -->\n$$ a = b $$\n")
    assert source.derivations[0].title == "The log-derivative trick"


def test_a_marked_block_that_cannot_be_read_is_an_error_with_an_unknown_step() -> None:
    text = "<!-- pgverify -->\n$$\na &= a \\\\\n  &= c + \\dots \\\\\n  &= d\n$$\n"
    source = md(text)
    assert [(e.span.line, e.span.column) for e in source.errors] == [(4, 10)]
    result = check_source(source, Options())
    assert [(s.line, s.verdict) for d in result.derivations for s in d.steps] == \
        [(3, "proved"), (4, "unknown"), (5, "unknown")]


# ----------------------------------------------------------------------------- --all-math


def test_all_math_is_the_default_and_reads_every_block() -> None:
    # a left side that is a new name (`a`, `u`, `x`) introduces it: a definition, not a step
    text = "$$\n2a &= b \\\\\n&= c\n$$\n\n$$ u + u = v $$\n\n\\begin{align*}\n2x &= y \\\\\n&= z\n\\end{align*}\n"
    assert step_lines(md(text, all_math=False)) == []
    assert step_lines(md(text)) == step_lines(md(text, all_math=True)) == [2, 3, 6, 9, 10]
    assert [f.kind for f in md("$$ u = v + 1 $$\n").facts] == ["definition"]


def test_all_math_skips_what_it_cannot_read() -> None:
    text = "$$\na &= b \\\\\n&= \\dots\n$$\n\n$$\n2x &= y \\\\\n&= z\n$$\n"
    source, skips = read_text(text, "notes.md", ReadOptions(all_math=True))
    assert source.errors == ()
    assert step_lines(source) == [7, 8]
    assert source.coverage == m.Coverage(blocks=2, read=1, skipped=1)
    (skip,) = skips
    assert skip.span.line == 3 and "skipped a math block at line 1" in skip.message and "\\dots" in skip.message


def test_read_leaves_the_skips_out(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("$$\na &= b \\\\\n&= \\dots\n$$\n", encoding="utf-8")
    assert read(path, ReadOptions(all_math=True)).errors == ()
    assert len(read_with_skips(path, ReadOptions(all_math=True))[1]) == 1


# ----------------------------------------------------------------------------- macros


def test_macros_from_the_file_and_from_the_options() -> None:
    text = ("$$\\newcommand{\\underE}[2]{\\underset{#1}{\\mathbb{E}}\\left[ #2 \\right]}$$\n"
            "<!-- pgverify -->\n$$ \\grad J(\\theta) = \\grad \\underE{\\tau \\sim \\pi_\\theta}{R(\\tau)} $$\n")
    source = md(text, macros=r"\newcommand{\grad}{\nabla_{\theta}}")
    assert not source.errors
    (step,) = [s for d in source.derivations for s in d.steps]
    assert m.show(step.expr) == "∇_θ E_{τ ~ π_θ}[R(τ)]"


def test_the_file_overrides_the_macros_file() -> None:
    text = "\\renewcommand{\\R}{R(\\tau)}\n% pgverify\n\\[ \\R = 1 \\]\n"
    source = read_text(text, "c.tex", ReadOptions(macros=r"\newcommand{\R}{r}"))[0]
    (step,) = [s for d in source.derivations for s in d.steps]
    assert m.show(step.previous) == "R(τ)"


def test_macros_reach_notebook_cells(tmp_path: Path) -> None:
    notebook = new_notebook(cells=[
        new_markdown_cell("$$\\newcommand{\\grad}{\\nabla_{\\theta}}$$\n<!-- pgverify: use rl -->"),
        new_code_cell("x = 1"),
        new_markdown_cell("# Score\n\n<!-- pgverify -->\n$$\n\\grad \\log \\pi_\\theta(a|s) \\\\\n"
                          "= \\frac{\\grad \\pi_\\theta(a|s)}{\\pi_\\theta(a|s)}\n$$"),
    ])
    path = tmp_path / "lab.ipynb"
    nbformat.write(notebook, str(path))
    source = read(path)
    assert not source.errors
    (step,) = [s for d in source.derivations for s in d.steps]
    where = source.locate(step.span.line)
    assert (where.cell, where.line) == (3, 6)
    raw = path.read_text(encoding="utf-8").split("\n")
    assert raw[where.file_line - 1].strip().startswith('"= \\\\frac')
    assert check_source(source, Options()).derivations[0].steps[0].verdict in VALID


# ----------------------------------------------------------------------------- files


def test_readers_by_extension() -> None:
    assert set(READERS) == {".pgv", ".md", ".markdown", ".mdx", ".qmd", ".tex", ".ipynb", ".rst"}
    assert supported("notes/chapter.TEX") and supported("a.ipynb") and not supported("a.txt")


def test_an_unknown_extension_is_read_as_pgv(tmp_path: Path) -> None:
    path = tmp_path / "proof.txt"
    path.write_text("use rl\nclaim ∇_θ log π_θ(a | s) = ∇_θ π_θ(a | s) / π_θ(a | s)\n", encoding="utf-8")
    assert step_lines(read(path)) == [2]


def test_unreadable_files_are_errors_not_exceptions(tmp_path: Path) -> None:
    binary = tmp_path / "notes.md"
    binary.write_bytes(b"# caf\xe9\n")
    assert "not UTF-8" in read(binary).errors[0].message
    assert "cannot read" in read(tmp_path / "missing.tex").errors[0].message
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not json", encoding="utf-8")
    assert "not a readable notebook" in read(broken).errors[0].message


def test_a_notebook_with_its_source_as_one_string(tmp_path: Path) -> None:
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "id": "a1",
         "source": "<!-- pgverify: use rl -->\n<!-- pgverify -->\n$$ \\nabla_\\theta 1 = 0 $$"}]}
    path = tmp_path / "one.ipynb"
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    source = read(path)
    assert not source.errors
    (line,) = step_lines(source)
    assert source.lines[line - 1].startswith("$$ \\nabla")
    where = source.locate(line)
    assert (where.cell, where.line) == (1, 3)
    assert '"source"' in path.read_text(encoding="utf-8").split("\n")[where.file_line - 1]


# ----------------------------------------------------------------------------- a notebook in every format


def _notebook_fault() -> tuple[int, int, int, int]:
    """(cell, line in the cell, column, line of the .ipynb) of the fixture's refuted step, found independently:
    the cell and line from the `.expect` sidecar, the column and the JSON line by searching the texts."""
    path = NOTES / "reinforce_lab.ipynb"
    (where,) = [raw.split()[0] for raw in path.with_suffix(".expect").read_text(encoding="utf-8").splitlines()
                if raw.split("#", 1)[0].split()[1:2] == ["refuted"]]
    cell, line = map(int, where.split(":"))
    text = nbformat.read(path, as_version=4).cells[cell - 1].source.split("\n")[line - 1]
    column = text.index("=") + 1   # the step `… = 0` is reported at its relation
    escaped = json.dumps(text.rstrip("\n"))[1:-1]
    (raw,) = [k for k, raw in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if escaped in raw]
    return cell, line, column, raw


@pytest.fixture(scope="module")
def notebook_report():
    from pgverify.report import Report

    return Report([checked(NOTES / "reinforce_lab.ipynb")])


def test_every_format_names_the_notebook_cell_and_its_line(notebook_report) -> None:
    from pgverify.render import RENDERERS

    cell, line, column, raw = _notebook_fault()
    path = str(NOTES / "reinforce_lab.ipynb")
    out = {name: render(notebook_report) for name, render in RENDERERS.items()}
    assert f"{path} cell {cell} line {line}:{column}: refuted" in out["text"]
    assert f"| `{path} cell {cell} line {line}` | refuted |" in out["markdown"]
    assert f"cell {cell} line {line}: refuted" in out["junit"]
    (annotation,) = [a for a in out["github"].splitlines() if a.startswith("::error")]
    assert f",line={raw}," in annotation and f"::cell {cell} line {line}: " in annotation and ",col=" not in annotation
    steps = [s for f in json.loads(out["json"])["files"] for d in f["derivations"] for s in d["steps"]]
    assert all("cell" in s for s in steps)
    (bad,) = [s for s in steps if s["verdict"] == "refuted"]
    assert (bad["cell"], bad["line"], bad["column"]) == (cell, line, column)
    (result,) = json.loads(out["sarif"])["runs"][0]["results"]
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == path and physical["region"] == {"startLine": raw}
    assert {k: result["properties"][k] for k in ("cell", "cellLine", "cellColumn")} == \
        {"cell": cell, "cellLine": line, "cellColumn": column}


def test_a_file_that_is_not_a_notebook_has_no_cell_in_its_records() -> None:
    from pgverify.report import Report

    document = Report([checked(NOTES / "simplest_policy_gradient.md")]).to_records()
    records = [r for f in document["files"] for d in f["derivations"] for r in (d, *d["steps"])]
    assert records and not any("cell" in r for r in records)


def test_a_notebook_derivation_without_a_heading_is_named_by_its_cell(tmp_path: Path) -> None:
    notebook = new_notebook(cells=[new_code_cell("x = 1"),
                                   new_markdown_cell("Text.\n<!-- pgverify -->\n$$ a = a $$\n\n$$\na &= b \\\\\n&= \\dots\n$$")])
    path = tmp_path / "lab.ipynb"
    nbformat.write(notebook, str(path))
    source, skips = read_with_skips(path, ReadOptions(all_math=True))
    assert [d.title for d in source.derivations] == ["math at cell 2 line 3"]
    (skip,) = skips
    assert "skipped a math block at cell 2 line 5" in skip.message
    assert (source.locate(skip.span.line).cell, source.locate(skip.span.line).line) == (2, 7)


# ----------------------------------------------------------------------------- notes mode (issue 10)


def test_a_definition_is_never_a_step_and_never_refuted_in_the_corpus() -> None:
    for path in FIXTURES:
        result = checked(path)
        fact_lines = {f.span.line for f in result.facts}
        steps = [s for d in result.derivations for s in d.steps]
        assert not [s.line for s in steps if s.line in fact_lines and s.verdict == "refuted"], path


def test_a_block_starting_with_a_relation_continues_across_connective_prose_only() -> None:
    text = "$$\\nabla_\\theta (2 J(\\theta))$$\n\nwhich gives\n\n$$= 2 \\nabla_\\theta J(\\theta)$$\n"
    source = md(text)
    (step,) = [s for d in source.derivations for s in d.steps]
    assert m.show(step.previous) == "∇_θ (2 J(θ))" and step.span.line == 5
    far = "$$x + x$$\n\nThis paragraph talks about something else entirely, at some length, before the next.\n\n$$= 2x$$\n"
    assert md(far).derivations == ()
    heading = "$$x + x$$\n\n## Next\n\n$$= 2x$$\n"
    assert md(heading).derivations == ()


def test_the_rl_vocabulary_is_on_in_notes_and_can_be_turned_off() -> None:
    assert m.Use("rl") in md("$$\\nabla_\\theta \\log \\pi_\\theta(a|s) = 0$$\n").declarations
    assert m.Use("rl") not in md("<!-- pgverify: use none -->\n$$ 2a = a + a $$\n").declarations
    assert m.Use("rl") not in read_text("$$ 2a = a + a $$\n", "n.md", ReadOptions(rl=False))[0].declarations


def test_parameters_and_distributions_are_inferred_from_use() -> None:
    source = md("$$\\nabla_\\phi \\mathbb{E}_{x \\sim q_\\phi}[f(x)] = \\mathbb{E}_{x \\sim q_\\phi}[f(x) "
                "\\nabla_\\phi \\log q_\\phi(x)]$$\n")
    assert m.Param((m.Name("φ"),)) in source.declarations
    assert any(isinstance(d, m.DistDecl) and d.call.func.key() == "q_φ" for d in source.declarations)
    result = check_source(source, Options())
    assert [s.verdict for d in result.derivations for s in d.steps][0] in VALID


def test_off_and_on_regions_in_every_front_end() -> None:
    md_text = "<!-- pgverify: off -->\n$$ 2a = 3a $$\n<!-- pgverify: on -->\n$$ 2a = a + a $$\n"
    tex_text = "% pgverify: off\n\\[ 2a = 3a \\]\n% pgverify: on\n\\[ 2a = a + a \\]\n"
    rst_text = ".. pgverify: off\n\n.. math::\n\n   2a = 3a\n\n.. pgverify: on\n\n.. math::\n\n   2a = a + a\n"
    assert step_lines(md(md_text)) == [4]
    assert step_lines(read_text(tex_text, "n.tex")[0]) == [4]
    assert step_lines(read_text(rst_text, "n.rst")[0]) == [11]
    assert md(md_text).coverage == m.Coverage(blocks=1, read=1, skipped=0, off=1)


def test_a_notes_file_whose_math_is_all_unreadable_warns_and_fails_under_strict() -> None:
    from pgverify.report import Report

    result = checked(NOTES / "corpus" / "unreadable.md")
    assert result.unreadable() and result.derivations == []
    assert Report([result]).exit_code() == 0
    assert Report([result], strict=True).exit_code() == 1
    record = Report([result]).to_records()["files"][0]
    assert record["coverage"]["unreadable"] is True and record["coverage"]["skipped"] == 3


def test_coverage_and_definitions_are_in_the_json_record() -> None:
    from pgverify.report import Report

    record = Report([checked(NOTES / "corpus" / "book_dpo.md")]).to_records()["files"][0]
    assert [(d["line"], d["kind"]) for d in record["definitions"]] == [(7, "definition"), (31, "definition")]
    assert record["coverage"]["steps"] == {"proved": 1, "checked": 3, "refuted": 1, "unknown": 0} or \
        sum(record["coverage"]["steps"].values()) == 5
    assert record["coverage"]["definitions"] == 2 and record["coverage"]["unreadable"] is False


def test_a_free_index_is_a_warning_at_the_name_outside_the_sum() -> None:
    source = md("$$ f = \\sum_{t=0}^{T-1} r_t + \\gamma V(s_{t+1}) $$\n")
    (warning,) = source.warnings
    assert warning.span.line == 1 and "'t'" in warning.message and "s_{t + 1}" in warning.message
    assert md("$$ f = \\sum_{t=0}^{T-1} (r_t + \\gamma V(s_{t+1})) $$\n").warnings == ()


# ----------------------------------------------------------------------------- site macros


def test_a_sphinx_conf_py_is_read_with_ast_and_never_run(tmp_path: Path) -> None:
    conf = ("import os\nos.system('touch ran')\nraise SystemExit(3)\n"
            "m = {'Ex': ['\\\\mathbb{E}_{#1}[#2]', 2]}\nmathjax3_config = {'tex': {'macros': m}}\n"
            "mathjax3_config['tex']['macros']['R'] = '\\\\mathbb{R}'\n"
            "mathjax_config = {'TeX': {'Macros': {'half': '\\\\frac{1}{2}'}}}\n")
    text = macro_text(tmp_path / "conf.py", conf)
    assert "\\newcommand{\\Ex}[2]{\\mathbb{E}_{#1}[#2]}" in text
    assert "\\newcommand{\\R}{\\mathbb{R}}" in text and "\\newcommand{\\half}{\\frac{1}{2}}" in text
    assert not (tmp_path / "ran").exists()
    assert macro_text(tmp_path / "conf.py", "this is not python (") == ""


def test_site_macro_tables_of_every_kind(tmp_path: Path) -> None:
    jb = "sphinx:\n  config:\n    mathjax3_config:\n      tex:\n        macros:\n          E: '\\mathbb{E}'\n"
    assert "\\newcommand{\\E}{\\mathbb{E}}" in macro_text(tmp_path / "_config.yml", jb)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "k.js").write_text('katex({macros: {"\\\\RR": "\\\\mathbb{R}"}})', encoding="utf-8")
    assert "\\newcommand{\\RR}{\\mathbb{R}}" in macro_text(tmp_path / "mkdocs.yml", "extra_javascript:\n  - k.js\n")
    (tmp_path / "h.tex").write_text("\\newcommand{\\pt}{\\pi_\\theta}", encoding="utf-8")
    quarto = "format:\n  html:\n    include-in-header: h.tex\n"
    assert "\\newcommand{\\pt}{\\pi_\\theta}" in macro_text(tmp_path / "_quarto.yml", quarto)
    assert "\\newcommand{\\pt}" not in macro_text(tmp_path / "_quarto.yml", "format:\n  include-in-header: ../etc/passwd\n")
    assert "\\newcommand{\\V}[1]{V(#1)}" in macro_text(tmp_path / "m.json", '{"macros": {"\\\\V": "V(#1)"}}')


def test_the_site_macros_of_the_corpus_expand_to_what_they_display() -> None:
    source = read_fixture(NOTES / "sphinx_site" / "score_function.rst")[0]
    assert not source.errors
    shown = [m.show(s.previous) for d in source.derivations for s in d.steps if s.previous is not None]
    assert "E_{x ~ p_θ}[∇_θ log p_θ(x)]" in [m.show(s.expr) for d in source.derivations for s in d.steps]
    assert any(text.startswith("E_{a ~ π_θ(· | s)}") for text in shown)
