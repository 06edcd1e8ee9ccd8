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
renamed), so a run that is stopped keeps what it finished.  A file holds its
key, the record and a sha256 of both: a record is served only when the file's
key is the one asked for, the digest matches and the record has the shape of a
grade (:func:`valid_record`); any other file (damaged, edited, moved under
another key) is ignored and the submission graded again.  A cache directory that pgverify creates gets a ``.gitignore`` of
``*``, so that it is never committed by accident.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from ..checkcache import (
    code_fingerprint,  # one fingerprint of the code, shared with `check`'s cache
)

DEFAULT_DIRECTORY = Path(".pgverify-cache")
KEPT_STATUSES = ("graded", "parse-error")       # depend on the inputs only
LIMITED_STATUSES = ("time-limit", "crashed")   # depend on the limits too: kept under a key that holds them


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
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return None
        if not isinstance(stored, dict) or stored.get("key") != cache_key:
            return None
        record = stored.get("record")
        if stored.get("digest") != _digest(cache_key, record) or not valid_record(record) \
                or record["status"] not in statuses:
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
                json.dump({"key": cache_key, "digest": _digest(cache_key, record), "record": record}, handle,
                          ensure_ascii=False)
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
        if not re.fullmatch(r"[0-9a-f]{64}", cache_key):
            raise ValueError("a cache key is a sha256 in hexadecimal")
        assert self.directory is not None
        return self.directory / cache_key[:2] / f"{cache_key}.json"


def _digest(cache_key: str, record: Any) -> str:
    try:
        text = json.dumps(record, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return ""
    return hashlib.sha256(f"{cache_key}\n{text}".encode("utf-8", "surrogatepass")).hexdigest()


_RECORD_FIELDS: dict[str, type | tuple[type, ...]] = {
    "score": (int, float), "max_score": (int, float), "first_error": int, "goal": str, "status": str,
    "faulty_steps": int, "unknown_steps": int, "steps": list, "diagnoses": list, "messages": list,
    "breakdown": list,
}


def valid_record(record: Any) -> bool:
    """Whether ``record`` has the shape of a grade record: every field of the right type, a known status and
    goal, messages that are text, steps and diagnoses that are objects, and a score within its maximum."""
    if not isinstance(record, dict):
        return False
    for name, kind in _RECORD_FIELDS.items():
        value = record.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            return False
    if record["status"] not in KEPT_STATUSES + LIMITED_STATUSES or record["goal"] not in ("reached", "not-reached"):
        return False
    if not all(isinstance(x, str) for x in record["messages"]):
        return False
    if not all(isinstance(x, dict) for x in record["steps"] + record["diagnoses"] + record["breakdown"]):
        return False
    notes = record.get("notes", [])
    if not isinstance(notes, list) or not all(isinstance(n, dict) and isinstance(n.get("message"), str)
                                              and type(n.get("line")) is int for n in notes):
        return False
    if not 0 <= record["score"] <= max(record["max_score"], 0) or record["first_error"] >= len(record["steps"]):
        return False
    return record["faulty_steps"] >= 0 and record["unknown_steps"] >= 0 and record["first_error"] >= -1
