"""Reading a file someone else wrote: regular files only, never blocking, never unbounded.

Every file pgverify reads (a file to check, a ``--macros`` file, a submission,
an assignment) goes through :func:`read_bytes`:

- only a regular file is read: a FIFO (which would block forever), a device
  (``/dev/zero`` never ends), a socket or a directory is a clear error;
- the file is opened with ``O_NONBLOCK`` and checked with ``fstat`` on the
  open descriptor, so a path swapped for a FIFO between a check and the open
  still cannot block;
- at most ``limit`` bytes are read (``MAX_FILE_BYTES`` by default): a larger
  file is an error that says the limit, never a ``MemoryError``;
- ``within``, when given, is a folder the file must stay in: a symbolic link
  (of the file or of a folder on its way) is not followed, so a link in a
  class's submissions folder cannot show another file's lines in a student's
  feedback.

Errors are :class:`InputError`, whose message is ours and names the path.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_FILE_BYTES = 8 << 20   # 8 MiB: far more than any derivation or notes file; a larger one is refused


class InputError(Exception):
    """A file that is not read: not a regular file, too large, unreadable, or a link out of its folder."""


def read_bytes(path: str | Path, limit: int = MAX_FILE_BYTES, within: Path | None = None) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (raises :class:`InputError`)."""
    p = Path(path)
    if within is not None:
        _refuse_links(p, within)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    if within is not None:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(p, flags)
    except OSError as err:
        raise InputError(f"{p}: cannot read the file ({_reason(err)})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{p}: {describe_kind(info.st_mode)}, not a regular file: pgverify reads only files")
        if info.st_size > limit:
            raise InputError(f"{p}: the file is larger than the limit of {_size(limit)} ({_size(info.st_size)})")
        os.set_blocking(fd, True)
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # it grew while being read
                raise InputError(f"{p}: the file is larger than the limit of {_size(limit)}")
        return b"".join(chunks)
    except OSError as err:
        raise InputError(f"{p}: cannot read the file ({_reason(err)})") from None
    finally:
        os.close(fd)


def read_text(path: str | Path, limit: int = MAX_FILE_BYTES, within: Path | None = None) -> str:
    """A regular file's text as UTF-8 (raises :class:`InputError`, also for a file that is not UTF-8)."""
    data = read_bytes(path, limit, within)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not UTF-8 text (byte {err.start})") from None


def describe_kind(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "a special file"


def kind_problem(path: Path, within: Path | None = None) -> str:
    """Why ``path`` would not be read as a file ('' when it is a regular file, inside ``within`` if given)."""
    try:
        if within is not None:
            _refuse_links(path, within)
        info = path.lstat() if within is not None else path.stat()
    except InputError as err:
        return str(err)
    except OSError as err:
        return f"{path}: cannot read the file ({_reason(err)})"
    if stat.S_ISREG(info.st_mode):
        return ""
    return f"{path}: {describe_kind(info.st_mode)}, not a regular file: pgverify reads only files"


def _refuse_links(path: Path, within: Path) -> None:
    """Raise InputError when ``path`` or a folder between ``within`` and it is a symbolic link."""
    try:
        relative = path.relative_to(within)
    except ValueError:
        raise InputError(f"{path}: outside {within}") from None
    current = within
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            raise InputError(f"{current}: a symbolic link, not followed (only the folder's own files are read)")


def _reason(err: OSError) -> str:
    return err.strerror or type(err).__name__


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n / 1024:.0f} KiB" if n >= 1024 else f"{n} bytes"
