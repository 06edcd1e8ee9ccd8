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

A worker also has a memory limit when one is given (``RLIMIT_AS``, in MiB:
running out of it is ``Crashed("out of memory")`` for that job alone), and
dies with its parent: on Linux it asks for ``SIGKILL`` when its parent dies
(``prctl(PR_SET_PDEATHSIG)``), and everywhere it checks, between jobs, that
its parent is still the one that forked it, so ``kill -9`` of pgverify leaves
no worker running.  ``total``, when given, bounds the whole run: jobs not
finished by then are ``TimedOut``.

:func:`check_limits` says what the command line and the configuration accept
as limits: a finite number within bounds (``inf``, ``nan``, negative or huge
values are refused with a clear message).
"""

from __future__ import annotations

import functools
import gc
import math
import os
import pickle
import select
import signal
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .records import finish, record

# imported here, not in each worker: a forked worker finds it loaded
try:
    import resource
except ImportError:   # not a Unix: no memory limit
    resource = None   # type: ignore[assignment]

# a refuted step's diagnosis (naming the mistake) may use at most this share of the step's time limit,
# measured from the step's start: the refutation is already certain, so the rest is kept in reserve and
# a slow diagnosis never turns a refuted step into a timed-out one
DIAGNOSIS_SHARE = 0.5


MIN_SECONDS, MAX_SECONDS = 0.1, 86_400.0       # a time limit: from a tenth of a second to a day
MIN_MEBIBYTES, MAX_MEBIBYTES = 64, 1 << 20      # a memory limit: from 64 MiB to 1 TiB
DEFAULT_STEP_MEMORY = 2048                      # MiB per step worker: two of them fit a 7 GB, 2-core CI runner


class LimitError(ValueError):
    """A limit that cannot be used (not a number, infinite, negative, too large); the message says why."""


def check_seconds(value: object, what: str = "--time-limit") -> float:
    """A time limit in seconds, validated: a finite number between MIN_SECONDS and MAX_SECONDS."""
    number = _finite(value, what)
    if not MIN_SECONDS <= number <= MAX_SECONDS:
        raise LimitError(f"{what} must be at least {MIN_SECONDS:g} seconds and at most {MAX_SECONDS:g}"
                         f" (not {number:g})")
    return number


def check_mebibytes(value: object, what: str = "--memory-limit") -> int:
    """A memory limit in MiB, validated: a whole number between MIN_MEBIBYTES and MAX_MEBIBYTES."""
    number = _finite(value, what)
    if number != int(number) or not MIN_MEBIBYTES <= number <= MAX_MEBIBYTES:
        raise LimitError(f"{what} must be a whole number of MiB between {MIN_MEBIBYTES} and {MAX_MEBIBYTES}"
                         f" (not {number:g})")
    return int(number)


def _finite(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LimitError(f"{what} must be a number (not {value!r})")
    try:
        number = float(value)
    except OverflowError:
        raise LimitError(f"{what} is far too large") from None
    if not math.isfinite(number):
        raise LimitError(f"{what} must be a finite number (not {number})")
    return number


@record(slots=False)
class TimedOut:
    """A job stopped at its time limit (``seconds``)."""

    seconds: float


@record(slots=False)
class Crashed:
    """A job that stopped without a result; ``message`` says why (out of memory, an internal error, …)."""

    message: str


_FORKING = threading.Lock()   # held from a worker's pipe to the parent closing its write end


def _fresh_lock_in_child() -> None:
    """A process forked while another thread held the lock (ours, or one a pool forked) starts with it free."""
    global _FORKING
    _FORKING = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_lock_in_child)


# --------------------------------------------------------------------------- the heap during a run

# Young container objects allocated (net) before the cyclic collector runs, during a run (Python's default is
# 700).  A step allocates sympy's expressions by the thousand, and with the default each collection promotes
# whatever of them is alive at that instant, so that every few hundred steps a full collection scans the whole
# heap again: a fifth to nearly half of a step's time in a file of 1,000 derivations, and nothing in a file of
# ten, which ends before the first one (bench/run.py, *growth*).  A step's garbage is freed by reference
# counting; the few cycles it leaves wait a little longer (at most this many objects, a few MiB).
YOUNG_OBJECTS = 50_000

_HEAP = threading.RLock()   # reentrant: a finalizer that the collection below runs may check something too
_heap_users = 0
_heap_before: tuple[tuple[int, ...], bool] | None = None   # the thresholds to restore; whether we froze


@contextmanager
def steady_heap() -> Iterator[None]:
    """While checking: what is alive now (modules, the parsed files) is frozen out of the cyclic collector's
    scans, and the collector runs less often (:data:`YOUNG_OBJECTS`); both are restored afterwards.

    Frozen objects (``gc.freeze``) are never scanned, so a collection costs what the run itself allocated,
    not the whole heap, and a forked worker's collections do not touch (and copy) the parent's pages.  The
    young generations are collected first, so no garbage is frozen with the rest.  Nested and concurrent
    uses share one setting: the first to enter sets it, the last to leave restores it; a heap the caller
    froze is left as it is (and not unfrozen here).
    """
    global _heap_users, _heap_before
    with _HEAP:
        _heap_users += 1
        if _heap_users == 1:
            threshold = gc.get_threshold()
            froze = gc.get_freeze_count() == 0
            if froze:
                gc.collect(1)
                gc.freeze()
            gc.set_threshold(max(threshold[0], YOUNG_OBJECTS), *threshold[1:])
            _heap_before = threshold, froze
    try:
        yield
    finally:
        with _HEAP:
            _heap_users -= 1
            if _heap_users == 0 and _heap_before is not None:
                threshold, froze = _heap_before
                _heap_before = None
                gc.set_threshold(*threshold)
                if froze:
                    gc.unfreeze()


def _heap_in_child() -> None:
    """A forked worker inherits the setting of its parent's run, which the parent (not the worker) restores."""
    global _HEAP
    _HEAP = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_heap_in_child)


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_jobs(jobs: Sequence[Callable[[], Any]], seconds: float, workers: int | None = None,
             on_result: Callable[[int, Any], None] | None = None, memory: int | None = None,
             total: float | None = None) -> list[Any]:
    """Run each job with a per-job time limit; a result is the job's value, TimedOut or Crashed.

    ``on_result(index, result)``, when given, is called in this process as soon as each result is
    known (in the order they arrive), so a caller can report progress or save work before the end.
    ``memory`` (MiB) limits each worker's address space; ``total`` (seconds) bounds the whole run.
    The heap is steady meanwhile (:func:`steady_heap`): the workers fork from a frozen heap.
    """
    with steady_heap():
        return _run_jobs(jobs, seconds, workers, on_result, memory, total)


def _run_jobs(jobs: Sequence[Callable[[], Any]], seconds: float, workers: int | None,
              on_result: Callable[[int, Any], None] | None, memory: int | None, total: float | None) -> list[Any]:
    if not hasattr(os, "fork") or not jobs:
        inline: list[Any] = []
        for index, job in enumerate(jobs):
            inline.append(guarded(job))
            if on_result is not None:
                on_result(index, inline[-1])
        return inline
    workers = max(1, min(workers or default_workers(), len(jobs)))
    results: list[Any] = [None] * len(jobs)
    done = [False] * len(jobs)
    share = -(-len(jobs) // workers)
    end_of_run = time.monotonic() + total if total is not None else float("inf")
    pending = [_Worker(jobs, start, min(start + share, len(jobs)), seconds, memory, end_of_run)
               for start in range(0, len(jobs), share)]
    try:
        while pending:
            now = time.monotonic()
            if now >= end_of_run:   # the whole run's time is spent: every job left is timed out
                for worker in pending:
                    worker.stop()
                    for index in range(worker.next, worker.end):
                        results[index] = TimedOut(seconds)
                        if on_result is not None:
                            on_result(index, results[index])
                    worker.next = worker.end
                pending = []
                break
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


def guarded(job: Callable[[], Any]) -> Any:
    """Run a job here as a worker runs it: any error of its own, running out of memory included, becomes
    Crashed (so a caller that must never raise can run a job of bounded work in-process)."""
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

    def __init__(self, jobs: Sequence[Callable[[], Any]], start: int, end: int, seconds: float,
                 memory: int | None = None, end_of_run: float = float("inf")):
        self.jobs = jobs
        self.memory = memory
        self.end_of_run = end_of_run
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
        parent = os.getpid()
        _death_signal_request()   # looked up here, once: the worker inherits it
        with _FORKING:
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid != 0:
                os.close(write_fd)
        if pid == 0:  # the worker
            os.close(read_fd)
            code = 0
            try:
                die_with_parent(parent)
                if self.memory is not None:
                    limit_memory(self.memory)
                for job in self.jobs[self.next:self.end]:
                    if os.getppid() != parent:   # the parent is gone (where no death signal exists)
                        break
                    payload = pickle.dumps(guarded(job))
                    _write_all(write_fd, struct.pack("<Q", len(payload)) + payload)
            except BaseException:  # noqa: BLE001 - a worker must never unwind into the parent's code
                code = 1
            finally:
                os._exit(code)
        self.pid, self.fd, self.buffer, self.alive = pid, read_fd, b"", True
        self.deadline = min(time.monotonic() + self.seconds, self.end_of_run)

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
            self.deadline = min(time.monotonic() + self.seconds, self.end_of_run)
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


def die_with_parent(parent: int) -> None:
    """Ask the kernel to kill this process when its parent dies (Linux); elsewhere the worker checks its parent
    between jobs.  If the parent died before the request took effect, leave now."""
    request = _death_signal_request()
    if request is not None:
        try:
            request()
        except (OSError, TypeError):
            pass  # refused: the check between jobs remains
    if os.getppid() != parent:
        os._exit(1)


@functools.cache
def _death_signal_request() -> Callable[[], object] | None:
    """``prctl(PR_SET_PDEATHSIG, SIGKILL)`` ready to call, or None where there is no such call (not Linux).

    Looked up once, by the parent before its first fork (:meth:`_Worker._spawn`): every worker inherits it
    instead of loading ctypes for itself (a few ms each, a tenth of the reading worker's time)."""
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError, TypeError):
        return None
    PR_SET_PDEATHSIG = 1
    return functools.partial(prctl, PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def limit_memory(mebibytes: int) -> None:
    """Limit this process's address space to ``mebibytes`` MiB (never above the hard limit); no-op where the
    platform has no such limit."""
    if resource is None:
        return
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = mebibytes << 20
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            limit = min(limit, soft)   # a worker of a limited worker keeps the tighter limit
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        pass


finish(__name__)   # the methods of this module's records, made at once (see pgverify/records.py)
