"""The repository is self-contained: its code and tests name no path outside it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from . import conftest

ROOT = Path(__file__).resolve().parent.parent
# the shared folder beside the repository, or an absolute path into a home or work folder
OUTSIDE = re.compile(r"""\.\./shared|["'](?:/work|/home|/root|/Users)/|parent\s*/\s*["']shared""")
SCANNED = ["pgverify", "tests", "bench", ".ci", "README.md", "pyproject.toml", "docs"]


def _files() -> list[Path]:
    out: list[Path] = []
    for name in SCANNED:
        path = ROOT / name
        if path.is_file():
            out.append(path)
        elif path.is_dir():
            out.extend(p for p in sorted(path.rglob("*"))
                       if p.is_file() and p.suffix in {".py", ".md", ".toml", ".yml", ".yaml", ".json", ""})
    return out


def test_no_source_names_a_path_outside_the_repository() -> None:
    here = Path(__file__).resolve()
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in _files() if path.resolve() != here
             for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
             if OUTSIDE.search(line)]
    assert found == []


def test_the_guard_notices_a_read_beside_the_repository() -> None:
    if conftest._WATCHED:
        probe = Path(conftest._WATCHED[0]) / "pgverify-guard-probe-that-does-not-exist"
    elif conftest._PARENT_IS_OURS_ALONE:
        probe = ROOT.parent / "pgverify-guard-probe-that-does-not-exist"
    else:
        pytest.skip("the clone sits in a shared folder (such as the temporary one) with nothing beside it")
    before = len(conftest.outside_reads)
    with pytest.raises(OSError):
        probe.open(encoding="utf-8")
    noticed = conftest.outside_reads[before:]
    del conftest.outside_reads[before:]  # this read was the point of the test
    assert any(str(probe) in entry for entry in noticed)
