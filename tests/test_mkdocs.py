"""``plugins: [pgverify]``: real MkDocs builds of small sites made in tmp_path."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs", reason="the MkDocs plugin needs pip install 'pgverify[mkdocs]'")

BAD = """---
title: Logs
---

# Logs

$$
\\begin{aligned}
x + x &= 2 x \\\\
  &= 3 x
\\end{aligned}
$$
"""

GOOD = """# Sums

$$
\\begin{aligned}
x + x &= 2 x \\\\
  &= x \\cdot 2
\\end{aligned}
$$
"""

MACRO = """# With the site's macro

$$
\\begin{aligned}
\\twice{x} &= 2 x \\\\
  &= 3 x
\\end{aligned}
$$
"""


def site(root: Path, pages: dict[str, str], plugin: str = "  - pgverify\n") -> Path:
    docs = root / "docs"
    docs.mkdir(parents=True)
    (docs / "index.md").write_text("# Notes\n\nNo derivations here.\n", encoding="utf-8")
    for name, text in pages.items():
        (docs / name).write_text(text, encoding="utf-8")
    (root / "mkdocs.yml").write_text("site_name: notes\nplugins:\n" + plugin, encoding="utf-8")
    return root


def build(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", *extra, "-f", str(root / "mkdocs.yml"),
                           "-d", str(root / "site")], capture_output=True, text=True, timeout=600, check=False, cwd=root)


def warnings(done: subprocess.CompletedProcess[str]) -> list[tuple[str, int, str]]:
    return [(p, int(n), m) for p, n, m in re.findall(r"pgverify: (\S+?):(\d+): (.*)$", done.stderr, re.MULTILINE)]


def test_strict_fails_on_a_refuted_step_with_page_and_line(tmp_path: Path) -> None:
    root = site(tmp_path, {"logs.md": BAD, "sums.md": GOOD})
    done = build(root, "--strict")
    assert done.returncode != 0, done.stderr
    found = warnings(done)
    # the front matter counts: the refuted row is line 10 of the file
    assert [(p, n) for p, n, _ in found] == [("logs.md", 10)], done.stderr
    assert found[0][2].startswith("refuted")


def test_a_good_site_builds_strictly(tmp_path: Path) -> None:
    root = site(tmp_path, {"sums.md": GOOD})
    done = build(root, "--strict")
    assert done.returncode == 0, done.stderr
    assert warnings(done) == []
    assert (tmp_path / "site" / "sums" / "index.html").is_file()


def test_without_strict_the_site_is_built_with_the_warning(tmp_path: Path) -> None:
    root = site(tmp_path, {"logs.md": BAD})
    done = build(root)
    assert done.returncode == 0, done.stderr
    assert [(p, n) for p, n, _ in warnings(done)] == [("logs.md", 10)]


def test_the_plugins_macros_and_fail_on_options(tmp_path: Path) -> None:
    (tmp_path / "macros.tex").write_text("\\newcommand{\\twice}[1]{2 #1}\n", encoding="utf-8")
    root = site(tmp_path, {"m.md": MACRO}, plugin="  - pgverify:\n      macros: [macros.tex]\n      fail_on: refuted\n")
    done = build(root, "--strict")
    assert done.returncode != 0
    assert [(p, n) for p, n, _ in warnings(done)] == [("m.md", 6)], done.stderr
