"""Time limits that hold even when sympy never returns, and the cores put to work.

Steps run in forked worker processes (one per core) that send each result
back as soon as it is ready.  When one step overruns its limit its worker is
killed, that step is marked as timed out, and a fresh worker (forked again
from the parent, which still holds everything parsed) carries on with the
next step of that worker's share.  So one pathological step costs its time
limit and nothing more.  Results are collected by position, so the report
does not depend on how many workers ran or in which order they finished.

Where ``fork`` is not available the jobs run in-process without a limit.

No signal is used (``signal.signal`` works only in the main thread): the
parent waits on the workers' pipes with ``select`` and a deadline, and kills
a worker that overruns.  So the limits hold when pgverify is called from any
thread, or from a worker of ``multiprocessing`` or ``concurrent.futures``.
Forking is serialized between threads (:data:`_FORKING`), so a worker never
inherits the write end of another thread's pipe, which would hide that
worker's death from its parent until the time limit.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# a refuted step's diagnosis (naming the mistake) may use at most this share of the step's time limit,
# measured from the step's start: the refutation is already certain, so the rest is kept in reserve and
# a slow diagnosis never turns a refuted step into a timed-out one
DIAGNOSIS_SHARE = 0.5


@dataclass(frozen=True)
class TimedOut:
    seconds: float


@dataclass(frozen=True)
class Crashed:
    message: str


_FORKING = threading.Lock()   # held from a worker's pipe to the parent closing its write end


def _fresh_lock_in_child() -> None:
    """A process forked while another thread held the lock (ours, or one a pool forked) starts with it free."""
    global _FORKING
    _FORKING = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_lock_in_child)


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_jobs(jobs: Sequence[Callable[[], Any]], seconds: float, workers: int | None = None,
             on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
    """Run each job with a per-job time limit; a result is the job's value, TimedOut or Crashed.

    ``on_result(index, result)``, when given, is called in this process as soon as each result is
    known (in the order they arrive), so a caller can report progress or save work before the end.
    """
    if not hasattr(os, "fork") or not jobs:
        inline: list[Any] = []
        for index, job in enumerate(jobs):
            inline.append(_guarded(job))
            if on_result is not None:
                on_result(index, inline[-1])
        return inline
    workers = max(1, min(workers or default_workers(), len(jobs)))
    results: list[Any] = [None] * len(jobs)
    done = [False] * len(jobs)
    share = -(-len(jobs) // workers)
    pending = [_Worker(jobs, start, min(start + share, len(jobs)), seconds)
               for start in range(0, len(jobs), share)]
    try:
        while pending:
            now = time.monotonic()
            timeout = max(0.0, min(w.deadline for w in pending) - now)
            ready, _, _ = select.select([w.fd for w in pending], [], [], timeout)
            for worker in pending:
                before = worker.next
                if worker.fd in ready:
                    worker.receive(results, done)
                elif time.monotonic() >= worker.deadline:
                    worker.overrun(results, done)
                if on_result is not None:
                    for index in range(before, worker.next):  # a worker's results arrive in its order
                        on_result(index, results[index])
            pending = [w for w in pending if w.restart_if_needed()]
    finally:
        for worker in pending:
            worker.stop()
    return results


def run_inline(job: Callable[[], Any]) -> Any:
    """Run a job here: an internal error becomes Crashed, running out of memory propagates."""
    try:
        return job()
    except MemoryError:
        raise
    except RecursionError:
        return Crashed("the expression nests too deeply")
    except Exception as err:  # noqa: BLE001 - an internal error in one step must not stop the others
        return Crashed(f"internal error ({type(err).__name__}: {err})")


def _guarded(job: Callable[[], Any]) -> Any:
    try:
        return job()
    except MemoryError:
        return Crashed("out of memory")
    except RecursionError:
        return Crashed("the expression nests too deeply")
    except Exception as err:  # noqa: BLE001 - an internal error in one step must not stop the others
        return Crashed(f"internal error ({type(err).__name__}: {err})")


class _Worker:
    """A forked process working through jobs[next:end], one result message per job."""

    def __init__(self, jobs: Sequence[Callable[[], Any]], start: int, end: int, seconds: float):
        self.jobs = jobs
        self.next = start
        self.end = end
        self.seconds = seconds
        self.pid = 0
        self.fd = -1
        self.buffer = b""
        self.alive = False
        self.deadline = 0.0
        self._spawn()

    def _spawn(self) -> None:
        with _FORKING:
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid != 0:
                os.close(write_fd)
        if pid == 0:  # the worker
            os.close(read_fd)
            code = 0
            try:
                for job in self.jobs[self.next:self.end]:
                    payload = pickle.dumps(_guarded(job))
                    _write_all(write_fd, struct.pack("<Q", len(payload)) + payload)
            except BaseException:  # noqa: BLE001 - a worker must never unwind into the parent's code
                code = 1
            finally:
                os._exit(code)
        self.pid, self.fd, self.buffer, self.alive = pid, read_fd, b"", True
        self.deadline = time.monotonic() + self.seconds

    def receive(self, results: list[Any], done: list[bool]) -> None:
        chunk = os.read(self.fd, 1 << 16)
        if not chunk:  # the worker died without a result for its current job
            if self.next < self.end:
                results[self.next] = Crashed("the worker stopped unexpectedly")
                done[self.next] = True
                self.next += 1
            self.stop()
            return
        self.buffer += chunk
        while len(self.buffer) >= 8:
            (size,) = struct.unpack("<Q", self.buffer[:8])
            if len(self.buffer) < 8 + size:
                break
            results[self.next] = pickle.loads(self.buffer[8:8 + size])
            done[self.next] = True
            self.buffer = self.buffer[8 + size:]
            self.next += 1
            self.deadline = time.monotonic() + self.seconds
        if self.next >= self.end:
            self.stop()

    def overrun(self, results: list[Any], done: list[bool]) -> None:
        results[self.next] = TimedOut(self.seconds)
        done[self.next] = True
        self.next += 1
        self.stop()

    def restart_if_needed(self) -> bool:
        """True while this worker still has jobs (respawning it after a kill)."""
        if self.next >= self.end:
            self.stop()
            return False
        if not self.alive:
            self._spawn()
        return True

    def stop(self) -> None:
        if not self.alive:
            return
        self.alive = False
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        os.close(self.fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
