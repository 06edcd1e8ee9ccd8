"""How ``check`` checks (:class:`Options`), kept apart from the checker so that a fully cached run can
compute its cache keys without loading the checker, the falsifier or the rule catalogue."""

from __future__ import annotations

from .limits import DEFAULT_STEP_MEMORY
from .records import finish, record


@record(slots=False)
class Options:
    """How to check: the seed of the random models, the time limit per step, strictness."""

    seed: int = 0
    time_limit: float = 5.0
    strict: bool = False
    models: int = 12   # models for a step without a proof (a proved step is cross-checked on two models)
    # run the steps one after another in this process, without per-step limits (the caller already runs
    # in a limited worker, as `pgverify grade` does for each submission); running out of memory propagates
    in_process: bool = False
    memory_limit: int | None = DEFAULT_STEP_MEMORY   # MiB of address space per step worker (None: no limit)
    jobs: int | None = None                         # step workers (default: the cores)


finish(__name__)   # the methods of this module's records, made at once (see pgverify/records.py)
