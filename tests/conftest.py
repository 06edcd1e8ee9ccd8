"""The test session reads nothing outside the repository.

A user's clone has nothing beside it, so a test that reads a sibling folder (such as the
shared folder the project grew up next to) passes here and fails there.  An audit hook
(PEP 578) records every file or directory opened under the repository's parent folder but
outside the repository, and the test that did it fails in its teardown.  Paths of the Python
installation and the temporary directory are never flagged, wherever they are.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PARENT = ROOT.parent
_ALLOWED = tuple(sorted({os.path.realpath(p) for p in (
    str(ROOT), sys.prefix, sys.base_prefix, sys.exec_prefix, tempfile.gettempdir(),
    *(sysconfig.get_paths().values()))}))
_WATCHED_EVENTS = {"open", "os.listdir", "os.scandir"}

outside_reads: list[str] = []


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _audit(event: str, args: tuple) -> None:
    if event not in _WATCHED_EVENTS or not args:
        return
    target = args[0]
    if not isinstance(target, (str, bytes, os.PathLike)):
        return  # a file descriptor
    try:
        path = os.path.abspath(os.fsdecode(target))
    except (TypeError, ValueError):
        return
    if _inside(path, str(PARENT)) and not any(_inside(path, allowed) for allowed in _ALLOWED):
        outside_reads.append(f"{event} {path}")


sys.addaudithook(_audit)


@pytest.fixture(autouse=True)
def _nothing_read_outside_the_repository():
    """Fail the test that read a path beside the repository (see the module docstring)."""
    before = len(outside_reads)
    yield
    new = outside_reads[before:]
    if new:
        del outside_reads[before:]
        pytest.fail("read outside the repository: " + "; ".join(sorted(set(new))[:5]), pytrace=False)
