"""The test session reads nothing outside the repository.

A user's clone has nothing beside it, so a test that reads a sibling folder (such as the
shared folder the project grew up next to) passes here and fails there.  An audit hook
(PEP 578) records every file or directory opened under the repository's parent folder but
outside the repository, and the test that did it fails in its teardown.  Paths of the Python
installation and the temporary directory are never flagged, wherever they are.
"""

from __future__ import annotations

import getpass
import os
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PARENT = ROOT.parent


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


# Never flagged: the Python installation, the temporary folder and pytest's own temporary folders, unless
# the folder holds the repository's parent (a clone in /tmp/ci/main: /tmp would cover its siblings too).
_ALLOWED = tuple(sorted(a for a in {os.path.realpath(p) for p in (
    sys.prefix, sys.base_prefix, sys.exec_prefix, tempfile.gettempdir(),
    os.path.join(tempfile.gettempdir(), f"pytest-of-{getpass.getuser()}"), *(sysconfig.get_paths().values()))}
    if not _inside(str(PARENT), a) or _inside(a, str(ROOT))))
# Watched: what stood beside the repository when the session began (a shared folder, another project),
# except a folder that holds an allowed one (the clone may sit in the temporary folder itself).
try:
    _BESIDE = tuple(sorted(str(PARENT / name) for name in os.listdir(PARENT) if name != ROOT.name))
except OSError:
    _BESIDE = ()
_WATCHED = tuple(w for w in _BESIDE if not any(_inside(a, w) for a in _ALLOWED))
_WATCHED_EVENTS = {"open", "os.listdir", "os.scandir"}
# When the parent folder holds none of the allowed ones, anything in it but the repository is beside it.
_PARENT_IS_OURS_ALONE = not any(_inside(a, str(PARENT)) and not _inside(a, str(ROOT)) for a in _ALLOWED)


def _is_beside(path: str) -> bool:
    """A path beside the repository, which a user's clone would not have."""
    if any(_inside(path, allowed) for allowed in _ALLOWED) or _inside(path, str(ROOT)):
        return False
    if any(_inside(path, w) for w in _WATCHED):
        return True
    return _PARENT_IS_OURS_ALONE and _inside(path, str(PARENT)) and path != str(PARENT)

outside_reads: list[str] = []


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
    if _is_beside(path):
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
