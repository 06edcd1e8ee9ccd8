"""Grades kept on disk, so that re-running after late submissions grades only the new ones.

A record is stored under the sha256 of the submission's bytes and extension
(the extension picks the reader), the assignment file's bytes, pgverify's
version and code (a fingerprint of its source files, so a change to the checker without a version
bump is not served stale grades) and the seed.  Only outcomes that depend on nothing else are kept:
``graded`` and ``parse-error``; a time limit or a crash depends on the machine
and the limits, so those submissions are graded again next time.  Records are
JSON files written atomically; a damaged one is ignored.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .._version import __version__

DEFAULT_DIRECTORY = Path(".pgverify-cache")
KEPT_STATUSES = ("graded", "parse-error")


@functools.cache
def code_fingerprint() -> str:
    """The version and a hash of pgverify's own source and grammar files."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".lark") and path.is_file():
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def key(submission: bytes, extension: str, assignment: bytes, seed: int, version: str | None = None) -> str:
    """The cache key of one submission's grade."""
    version = code_fingerprint() if version is None else version
    digest = hashlib.sha256()
    for part in (b"pgverify-grade-1", version.encode(), str(seed).encode(), extension.lower().encode(),
                 assignment, submission):
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


class Cache:
    """A directory of grade records (``directory=None``: no cache)."""

    def __init__(self, directory: Path | None):
        self.directory = directory / "grade" if directory is not None else None
        self.hits = 0

    def get(self, cache_key: str) -> dict[str, Any] | None:
        if self.directory is None:
            return None
        path = self._path(cache_key)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("status") not in KEPT_STATUSES:
            return None
        self.hits += 1
        return record

    def put(self, cache_key: str, record: dict[str, Any]) -> None:
        if self.directory is None or record.get("status") not in KEPT_STATUSES:
            return
        path = self._path(cache_key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                             suffix=".tmp") as handle:
                json.dump(record, handle, ensure_ascii=False)
            os.replace(handle.name, path)
        except OSError:
            pass  # a cache that cannot be written only costs time

    def _path(self, cache_key: str) -> Path:
        assert self.directory is not None
        return self.directory / cache_key[:2] / f"{cache_key}.json"
