"""Grades kept on disk, so that re-running after late submissions grades only the new ones.

A record is stored under the sha256 of the submission's bytes and extension
(the extension picks the reader), the assignment file's bytes, pgverify's
version and code (a fingerprint of its source files, so a change to the checker without a version
bump is not served stale grades) and the seed.  Outcomes that depend on nothing else,
``graded`` and ``parse-error``, are kept under that key.  A submission that ran
out of time (``time-limit``) or of memory (``crashed`` for lack of memory) is
kept too, under a key that also holds the time and memory limits: a re-run with
the same limits does not spend them again, a run with other limits grades it
again.  Other crashes (a worker killed from outside) are never kept.

Each record is written as soon as it is known (atomically: a temporary file
renamed), so a run that is stopped keeps what it finished; a damaged record is
ignored.  A cache directory that pgverify creates gets a ``.gitignore`` of
``*``, so that it is never committed by accident.
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
KEPT_STATUSES = ("graded", "parse-error")       # depend on the inputs only
LIMITED_STATUSES = ("time-limit", "crashed")   # depend on the limits too: kept under a key that holds them


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


def key(submission: bytes, extension: str, assignment: bytes, seed: int, version: str | None = None,
        limits: tuple[float, int] | None = None) -> str:
    """The cache key of one submission's grade; with ``limits`` (seconds, MiB), the key of an outcome
    that depends on them (a time limit, running out of memory)."""
    version = code_fingerprint() if version is None else version
    digest = hashlib.sha256()
    bound = b"" if limits is None else f"{float(limits[0])!r}s {int(limits[1])}MiB".encode()
    for part in (b"pgverify-grade-2", version.encode(), str(seed).encode(), extension.lower().encode(),
                 bound, assignment, submission):
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


class Cache:
    """A directory of grade records (``directory=None``: no cache)."""

    def __init__(self, directory: Path | None):
        self.root = directory
        self.directory = directory / "grade" if directory is not None else None
        self.hits = 0

    def get(self, cache_key: str, statuses: tuple[str, ...] = KEPT_STATUSES) -> dict[str, Any] | None:
        """The record kept under ``cache_key`` if its status is one of ``statuses`` (else None)."""
        if self.directory is None:
            return None
        path = self._path(cache_key)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("status") not in statuses:
            return None
        self.hits += 1
        return record

    def put(self, cache_key: str, record: dict[str, Any]) -> None:
        """Keep ``record`` under ``cache_key`` now (the caller picks the key: with limits or without)."""
        if self.directory is None or record.get("status") not in KEPT_STATUSES + LIMITED_STATUSES:
            return
        path = self._path(cache_key)
        try:
            self._create_root()
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False,
                                             suffix=".tmp") as handle:
                json.dump(record, handle, ensure_ascii=False)
            os.replace(handle.name, path)
        except OSError:
            pass  # a cache that cannot be written only costs time

    def _create_root(self) -> None:
        """Create the cache directory with a ``.gitignore`` of ``*``; a directory that exists is left as it is
        (it may be the user's own, given with ``--cache-dir``)."""
        assert self.root is not None
        if self.root.exists():
            return
        try:
            self.root.mkdir(parents=True)
        except FileExistsError:  # another run created it first (and writes the .gitignore)
            return
        (self.root / ".gitignore").write_text("# written by pgverify grade: the cache is never committed\n*\n",
                                              encoding="utf-8")

    def _path(self, cache_key: str) -> Path:
        assert self.directory is not None
        return self.directory / cache_key[:2] / f"{cache_key}.json"
