"""A class's submissions: the files of a directory or a zip archive, one student each.

The student id is the file name without its extension.  Directories are
searched at every depth; hidden files and folders (``.name``), paths
through ``..`` and ``__MACOSX`` are left out, and so are the folders pgverify itself writes into
(``--feedback``, the cache).  When two files give the same id, each is named
by its path inside the folder instead.  A zip archive is read in memory,
member by member: nothing is ever extracted.  Files larger than
``MAX_BYTES`` are not read (the student is graded 0 with the reason).
"""

from __future__ import annotations

import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_BYTES = 1 << 20


class SubmissionsError(Exception):
    """The submissions cannot be read at all (no such path, not a zip archive)."""


@dataclass(frozen=True)
class Submission:
    student: str
    name: str                  # the path inside the folder or archive (its extension picks the reader)
    data: bytes
    problem: str = ""          # why the file was not read (too large, unreadable)


def collect(path: Path, skip: tuple[Path, ...] = ()) -> list[Submission]:
    """The submissions in a directory or a .zip, sorted by student id (raises SubmissionsError)."""
    if path.is_dir():
        found = _from_directory(path, skip)
    elif path.is_file() and zipfile.is_zipfile(path):
        found = _from_zip(path)
    elif path.exists():
        raise SubmissionsError(f"{path}: neither a directory nor a zip archive")
    else:
        raise SubmissionsError(f"{path}: no such file or directory")
    return sorted(_name_students(found), key=lambda s: s.student)


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" for part in parts)


def _from_directory(root: Path, skip: tuple[Path, ...]) -> list[tuple[str, bytes, str]]:
    skipped = [s.resolve() for s in skip]
    found = []
    for p in sorted(root.rglob("*")):
        relative = p.relative_to(root)
        if _hidden(relative.parts) or not p.is_file():
            continue
        if any(p.resolve().is_relative_to(s) for s in skipped):
            continue
        name = relative.as_posix()
        try:
            if p.stat().st_size > MAX_BYTES:
                found.append((name, b"", f"the file is larger than {MAX_BYTES // 1024} KiB"))
            else:
                found.append((name, p.read_bytes(), ""))
        except OSError as err:
            found.append((name, b"", f"the file cannot be read ({err.strerror or err})"))
    return found


def _from_zip(archive: Path) -> list[tuple[str, bytes, str]]:
    found = []
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                name = PurePosixPath(info.filename.replace("\\", "/"))
                if info.is_dir() or _hidden(name.parts):
                    continue
                if info.file_size > MAX_BYTES:
                    found.append((name.as_posix(), b"", f"the file is larger than {MAX_BYTES // 1024} KiB"))
                    continue
                try:
                    with zf.open(info) as member:
                        data = member.read(MAX_BYTES + 1)
                except (RuntimeError, zipfile.BadZipFile, OSError, NotImplementedError) as err:
                    found.append((name.as_posix(), b"", f"the file cannot be read from the archive ({err})"))
                    continue
                if len(data) > MAX_BYTES:
                    found.append((name.as_posix(), b"", f"the file is larger than {MAX_BYTES // 1024} KiB"))
                else:
                    found.append((name.as_posix(), data, ""))
    except (zipfile.BadZipFile, OSError) as err:
        raise SubmissionsError(f"{archive}: cannot read the zip archive ({err})") from None
    return found


def _name_students(found: list[tuple[str, bytes, str]]) -> list[Submission]:
    def stem(name: str) -> str:
        return PurePosixPath(name).stem

    def without_suffix(name: str) -> str:
        p = PurePosixPath(name)
        return p.with_suffix("").as_posix() if p.suffix else name

    stems = Counter(stem(name) for name, _, _ in found)
    ids = [stem(name) if stems[stem(name)] == 1 else without_suffix(name) for name, _, _ in found]
    repeated = Counter(ids)
    return [Submission(student if repeated[student] == 1 else name, name, data, problem)
            for student, (name, data, problem) in zip(ids, found)]
