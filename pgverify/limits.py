"""Time limits that hold even when sympy never returns.

Steps run in a forked worker process that sends each result back as soon as
it is ready.  When one step overruns its limit the worker is killed, that
step is marked as timed out, and a fresh worker (forked again from the
parent, which still holds everything parsed) carries on with the next step.
So one pathological step costs its time limit and nothing more, and a run
forks once per file in the common case.

Where ``fork`` is not available the jobs run in-process without a limit.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TimedOut:
    seconds: float


@dataclass(frozen=True)
class Crashed:
    message: str


def run_jobs(jobs: Sequence[Callable[[], Any]], seconds: float) -> list[Any]:
    """Run each job with a per-job time limit; a result is the job's value, TimedOut or Crashed."""
    if not hasattr(os, "fork") or not jobs:
        return [_guarded(job) for job in jobs]
    results: list[Any] = []
    while len(results) < len(jobs):
        results.extend(_run_from(jobs, len(results), seconds))
    return results


def _guarded(job: Callable[[], Any]) -> Any:
    try:
        return job()
    except MemoryError:
        return Crashed("out of memory")
    except RecursionError:
        return Crashed("the expression nests too deeply")
    except Exception as err:  # noqa: BLE001 - an internal error in one step must not stop the others
        return Crashed(f"internal error ({type(err).__name__}: {err})")


def _run_from(jobs: Sequence[Callable[[], Any]], start: int, seconds: float) -> list[Any]:
    """Fork a worker for jobs[start:], collect results until it finishes, crashes or overruns."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        os.close(read_fd)
        code = 0
        try:
            for job in jobs[start:]:
                payload = pickle.dumps(_guarded(job))
                _write_all(write_fd, struct.pack("<Q", len(payload)) + payload)
        except BaseException:  # noqa: BLE001 - a worker must never unwind into the parent's code
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    collected: list[Any] = []
    reader = _Reader(read_fd)
    try:
        while start + len(collected) < len(jobs):
            deadline = time.monotonic() + seconds
            payload = reader.message(deadline)
            if payload is None:  # overran its limit, or died
                crashed = reader.closed
                _kill(pid)
                collected.append(Crashed("the worker stopped unexpectedly") if crashed else TimedOut(seconds))
                return collected
            collected.append(pickle.loads(payload))
        return collected
    finally:
        os.close(read_fd)
        _reap(pid)


class _Reader:
    def __init__(self, fd: int):
        self.fd = fd
        self.buffer = b""
        self.closed = False

    def message(self, deadline: float) -> bytes | None:
        while True:
            if len(self.buffer) >= 8:
                (size,) = struct.unpack("<Q", self.buffer[:8])
                if len(self.buffer) >= 8 + size:
                    payload = self.buffer[8:8 + size]
                    self.buffer = self.buffer[8 + size:]
                    return payload
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                self.closed = True
                return None
            self.buffer += chunk


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
