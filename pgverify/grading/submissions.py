"""A class's submissions: the files of a directory or a zip archive, one student each.

The student id is the file name without its extension.  Directories are
searched at every depth.  Every entry is accounted for:

- a file is a submission; one that is not read (larger than ``MAX_BYTES``, a
  symbolic link, a FIFO or a device, unreadable) is still a row, graded 0 with
  the reason.  Symbolic links are never followed, neither to files nor to
  folders: a link in the folder cannot make another file's lines appear in a
  student's feedback;
- hidden files and folders (``.name``), ``__MACOSX`` and zip entries whose path
  leaves the archive (``..``, an absolute path) are not graded, each with a
  warning naming it;
- the folders pgverify itself writes into (``--feedback``, the cache) are left
  out.

When two files give the same id, each is named by its path inside the folder
instead, and if that still collides a ``~2``, ``~3`` … is added: every entry
gets its own id, with a warning naming the files.  A zip archive is read in
memory, member by member (at most ``MAX_TOTAL_BYTES`` in all): nothing is ever
extracted.
"""

from __future__ import annotations

import os
import stat
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .. import inputs

MAX_BYTES = 1 << 20          # per submission file
MAX_TOTAL_BYTES = 256 << 20  # all the files of one class together


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
    return gather(path, skip)[0]


def gather(path: Path, skip: tuple[Path, ...] = (), limit: int = MAX_BYTES
           ) -> tuple[list[Submission], list[str]]:
    """The submissions in a directory or a .zip, sorted by student id, and the warnings about the entries not
    graded and the ids that collided (raises SubmissionsError)."""
    warnings: list[str] = []
    if path.is_dir():
        found = _from_directory(path, skip, limit, warnings)
    elif path.is_file() and zipfile.is_zipfile(path):
        found = _from_zip(path, limit, warnings)
    elif path.exists():
        raise SubmissionsError(f"{path}: neither a directory nor a zip archive")
    else:
        raise SubmissionsError(f"{path}: no such file or directory")
    return sorted(_name_students(found, warnings), key=lambda s: s.student), warnings


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" for part in parts)


def _too_large(limit: int) -> str:
    return f"the file is larger than the limit of {limit // 1024} KiB per submission"


def _from_directory(root: Path, skip: tuple[Path, ...], limit: int, warnings: list[str]
                    ) -> list[tuple[str, bytes, str]]:
    skipped = [s.resolve() for s in skip]
    found: list[tuple[str, bytes, str]] = []
    total = 0
    entries: list[Path] = []
    # os.walk never descends into a linked folder: a link is an entry of its own (reported below)
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        for d in list(dirs):
            if (here / d).is_symlink():
                entries.append(here / d)
        dirs[:] = sorted(d for d in dirs if not (here / d).is_symlink()
                         and not any((here / d).resolve().is_relative_to(s) for s in skipped))
        entries.extend(here / f for f in files)
    for p in sorted(entries):
        relative = p.relative_to(root)
        name = _text_name(relative.as_posix())
        if _hidden(relative.parts):
            warnings.append(f"{name}: a hidden file, not graded")
            continue
        if not p.is_symlink() and any(p.resolve().is_relative_to(s) for s in skipped):
            continue
        problem = inputs.kind_problem(p, within=root)
        if problem:
            found.append((name, b"", problem.removeprefix(f"{p}: ").replace(f"{p}", name)))
            continue
        try:
            data = inputs.read_bytes(p, limit, within=root)
        except inputs.InputError as err:
            reason = str(err).removeprefix(f"{p}: ")
            found.append((name, b"", _too_large(limit) if "larger than" in reason else reason))
            continue
        total += len(data)
        if total > MAX_TOTAL_BYTES:
            found.append((name, b"", f"not read: the submissions exceed {MAX_TOTAL_BYTES >> 20} MiB in all"))
        else:
            found.append((name, data, ""))
    return found


def _text_name(name: str) -> str:
    """A file name as text: the bytes of a name that is not UTF-8 (which Python keeps as lone surrogates, that no
    output can write) shown as ``\\xff`` escapes, so the student still gets a row, an id and feedback."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _from_zip(archive: Path, limit: int, warnings: list[str]) -> list[tuple[str, bytes, str]]:
    found: list[tuple[str, bytes, str]] = []
    total = 0
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                raw = info.filename.replace("\\", "/")
                name = PurePosixPath(raw)
                if info.is_dir():
                    continue
                if raw.startswith("/") or ".." in name.parts or (len(raw) > 1 and raw[1] == ":"):
                    warnings.append(f"{archive}: {raw!r}: a path that leaves the archive, not graded")
                    continue
                if _hidden(name.parts):
                    warnings.append(f"{archive}: {raw}: a hidden file, not graded")
                    continue
                if stat.S_ISLNK(info.external_attr >> 16):
                    found.append((name.as_posix(), b"", "a symbolic link, not followed"))
                    continue
                if info.file_size > limit:
                    found.append((name.as_posix(), b"", _too_large(limit)))
                    continue
                if total > MAX_TOTAL_BYTES:
                    why = f"not read: the archive holds more than {MAX_TOTAL_BYTES >> 20} MiB in all"
                    found.append((name.as_posix(), b"", why))
                    continue
                try:
                    with zf.open(info) as member:
                        data = member.read(limit + 1)
                except (RuntimeError, zipfile.BadZipFile, OSError, NotImplementedError, EOFError) as err:
                    found.append((name.as_posix(), b"", f"the file cannot be read from the archive ({err})"))
                    continue
                total += len(data)
                if len(data) > limit:
                    found.append((name.as_posix(), b"", _too_large(limit)))
                else:
                    found.append((name.as_posix(), data, ""))
    except (zipfile.BadZipFile, OSError) as err:
        raise SubmissionsError(f"{archive}: cannot read the zip archive ({err})") from None
    return found


def _name_students(found: list[tuple[str, bytes, str]], warnings: list[str]) -> list[Submission]:
    def stem(name: str) -> str:
        return PurePosixPath(name).stem

    def without_suffix(name: str) -> str:
        p = PurePosixPath(name)
        return p.with_suffix("").as_posix() if p.suffix else name

    stems = Counter(stem(name) for name, _, _ in found)
    ids = [stem(name) if stems[stem(name)] == 1 else without_suffix(name) for name, _, _ in found]
    repeated = Counter(ids)
    ids = [student if repeated[student] == 1 else name for student, (name, _, _) in zip(ids, found)]
    # still the same id (a file "a" beside "a.pgv" in a folder "a" …): a number makes each one its own
    taken: Counter[str] = Counter()
    unique = []
    known = set(ids)   # a set: an archive may hold thousands of entries of one name, each looked up here
    for student in ids:
        taken[student] += 1
        candidate = student if taken[student] == 1 else f"{student}~{taken[student]}"
        while candidate in known and taken[student] > 1:
            taken[student] += 1
            candidate = f"{student}~{taken[student]}"
        unique.append(candidate)
    by_stem: dict[str, list[int]] = {}
    for i, (name, _, _) in enumerate(found):
        by_stem.setdefault(stem(name), []).append(i)
    for group in by_stem.values():
        if len(group) > 1:
            files = ", ".join(found[i][0] for i in group)
            warnings.append(f"{len(group)} files give the same student id ({files}): each has its own"
                            f" id ({', '.join(unique[i] for i in group)})")
    _warn_lookalike_ids(unique, warnings)
    return [Submission(student, name, data, problem) for student, (name, data, problem) in zip(unique, found)]


def _warn_lookalike_ids(ids: list[str], warnings: list[str]) -> None:
    """Ids that differ only in their Unicode form (``é`` written as one code point or as ``e`` and an accent)
    show alike in every table: they stay two students, and the warning says which code points tell them apart."""
    by_form: dict[str, list[str]] = {}
    for student in ids:
        by_form.setdefault(unicodedata.normalize("NFKC", student), []).append(student)
    for group in by_form.values():
        if len(group) > 1:
            shown = ", ".join(f"{s!r} ({' '.join(f'U+{ord(ch):04X}' for ch in s)})" for s in group)
            warnings.append(f"{len(group)} student ids look the same ({shown}): they are different students,"
                            " each with their own row and feedback")
