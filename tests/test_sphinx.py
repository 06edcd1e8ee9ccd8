"""``extensions = ["pgverify.sphinx"]``: real Sphinx builds of small projects made in tmp_path.

A refuted step is a warning at its page's file and line, and ``-W`` makes the
build fail; a good page gives no warning; the site's MathJax macros are read;
the built HTML marks the faulty block.  A MyST (Markdown) page too, when
myst-parser is installed.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx", reason="the Sphinx extension needs pip install 'pgverify[sphinx]'")

from pgverify.sphinx import mathjax_macros  # noqa: E402 - after the skip

CONF = """extensions = [{extensions}]
project = "notes"
mathjax3_config = {{"tex": {{"macros": {{"E": ["\\\\mathbb{{E}}_{{#1}}", 1], "score": "\\\\nabla_\\\\theta \\\\log"}}}}}}
"""

BAD = """Logs
====

.. pgverify

.. math::

   x + x &= 2 x \\\\
     &= 3 x
"""

GOOD = """Sums
====

.. math::

   x + x &= 2 x \\\\
     &= x \\cdot 2
"""

# uses the site's own macro \\score (from mathjax3_config): refuted only if the macro is read
MACRO = """Score
=====

.. math::

   \\score \\pi_\\theta(a) &= \\nabla_\\theta \\log \\pi_\\theta(a) \\\\
     &= 2 \\nabla_\\theta \\log \\pi_\\theta(a)
"""

MYST = """# Logs in Markdown

$$
\\begin{aligned}
x + x &= 2 x \\\\
  &= 3 x
\\end{aligned}
$$
"""


def project(root: Path, pages: dict[str, str], extensions: str = '"pgverify.sphinx"') -> Path:
    source = root / "src"
    source.mkdir(parents=True)
    names = [Path(n).stem for n in pages]
    (source / "conf.py").write_text(CONF.format(extensions=extensions), encoding="utf-8")
    (source / "index.rst").write_text("Notes\n=====\n\n.. toctree::\n\n" + "".join(f"   {n}\n" for n in names),
                                      encoding="utf-8")
    for name, text in pages.items():
        (source / name).write_text(text, encoding="utf-8")
    return source


def build(source: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", *extra, str(source),
                           str(source.parent / "out")], capture_output=True, text=True, timeout=600, check=False)


def test_a_refuted_step_is_a_warning_at_its_file_and_line_and_w_fails(tmp_path: Path) -> None:
    source = project(tmp_path, {"bad.rst": BAD, "good.rst": GOOD})
    done = build(source, "-W")
    assert done.returncode != 0, done.stderr
    warnings = re.findall(r"^(.*?):(\d+): WARNING: (.*)$", done.stderr, re.MULTILINE)
    assert [(Path(p).name, int(line)) for p, line, _ in warnings] == [("bad.rst", 9)], done.stderr
    assert "refuted" in warnings[0][2] and "[pgverify.refuted]" in warnings[0][2]


def test_a_good_project_builds_without_warnings_and_marks_nothing(tmp_path: Path) -> None:
    source = project(tmp_path, {"good.rst": GOOD})
    done = build(source, "-W")
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr
    assert "pgverify-fault" not in (tmp_path / "out" / "good.html").read_text(encoding="utf-8")


def test_without_w_the_build_passes_and_the_page_marks_the_faulty_block(tmp_path: Path) -> None:
    source = project(tmp_path, {"bad.rst": BAD})
    done = build(source)
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "out" / "bad.html").read_text(encoding="utf-8")
    assert page.count("pgverify-fault") >= 1
    note = page[page.index("pgverify-fault"):]
    assert "refuted (line 9)" in note
    assert page.index("pgverify-fault") > page.index('class="math')   # after the block it is about


def test_the_sites_mathjax_macros_are_read(tmp_path: Path) -> None:
    source = project(tmp_path, {"score.rst": MACRO})
    done = build(source, "-W")
    assert done.returncode != 0
    lines = [int(n) for n in re.findall(r"score\.rst:(\d+): WARNING: refuted", done.stderr)]
    assert lines == [7], done.stderr
    # and without the macro the same page's first row could not be read as the same expression
    assert "\\newcommand{\\score}{\\nabla_\\theta \\log}" in mathjax_macros(
        type("C", (), {"mathjax3_config": {"tex": {"macros": {"score": "\\nabla_\\theta \\log"}}}})())


def test_mathjax_macros_with_arguments_and_junk() -> None:
    config = type("C", (), {"mathjax3_config": {"tex": {"macros": {
        "E": ["\\mathbb{E}_{#1}", 1], "R": "\\mathbb{R}", "bad name": "x", "n": 3}}}})()
    assert mathjax_macros(config).splitlines() == ["\\newcommand{\\E}[1]{\\mathbb{E}_{#1}}",
                                                   "\\newcommand{\\R}{\\mathbb{R}}"]


def test_a_myst_page_is_checked(tmp_path: Path) -> None:
    pytest.importorskip("myst_parser", reason="MyST pages need myst-parser (pip install 'pgverify[sphinx]')")
    source = project(tmp_path, {"logs.md": MYST}, extensions='"myst_parser", "pgverify.sphinx"')
    done = build(source, "-W")
    assert done.returncode != 0
    lines = [int(n) for n in re.findall(r"logs\.md:(\d+): WARNING: refuted", done.stderr)]
    assert lines == [6], done.stderr
