"""The heap during a run (``limits.steady_heap``): frozen and collected less often while checking, as before after.

The cost it removes (a full collection scanning the whole heap every few hundred steps, so that a step in a
file of a thousand derivations cost more than one in a file of ten) is measured in bench/run.py, not here:
these tests say that the setting is made, shared and undone, and that the workers see it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from pgverify import limits
from pgverify.checker import Options, check_source
from pgverify.syntax import parse_source


@pytest.fixture(autouse=True)
def plain_heap() -> Iterator[None]:
    """Each test starts from an unfrozen heap with Python's thresholds, and leaves it so."""
    threshold = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_the_heap_is_frozen_and_collected_less_often_inside_and_restored_after() -> None:
    gc.set_threshold(700, 10, 10)
    with limits.steady_heap():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (limits.YOUNG_OBJECTS, 10, 10)
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == (700, 10, 10)


def test_an_error_inside_still_restores_the_heap() -> None:
    gc.set_threshold(900, 7, 5)
    with pytest.raises(ZeroDivisionError), limits.steady_heap():
        _ = 1 / 0
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == (900, 7, 5)


def test_nested_uses_restore_only_when_the_outermost_ends() -> None:
    gc.set_threshold(700, 10, 10)
    with limits.steady_heap():
        with limits.steady_heap():
            pass
        assert gc.get_freeze_count() > 0, "the inner use ended the outer one's setting"
        assert gc.get_threshold()[0] == limits.YOUNG_OBJECTS
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == (700, 10, 10)


def test_a_heap_the_caller_froze_stays_frozen() -> None:
    gc.freeze()
    frozen = gc.get_freeze_count()
    with limits.steady_heap():
        pass
    assert gc.get_freeze_count() == frozen


def test_a_caller_with_a_higher_threshold_keeps_it() -> None:
    gc.set_threshold(10 * limits.YOUNG_OBJECTS, 10, 10)
    with limits.steady_heap():
        assert gc.get_threshold()[0] == 10 * limits.YOUNG_OBJECTS


def test_concurrent_runs_leave_the_heap_as_they_found_it() -> None:
    gc.set_threshold(700, 10, 10)
    entered, release = threading.Barrier(2), threading.Event()

    def run() -> None:
        with limits.steady_heap():
            entered.wait()
            release.wait()

    thread = threading.Thread(target=run)
    thread.start()
    with limits.steady_heap():
        entered.wait()
        release.set()
        thread.join()
        assert gc.get_freeze_count() > 0, "the other thread's run ended this one's setting"
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == (700, 10, 10)


def test_workers_fork_from_the_frozen_heap() -> None:
    seen = limits.run_jobs([lambda: (gc.get_freeze_count() > 0, gc.get_threshold()[0])] * 2, 20, 2)
    assert seen == [(True, limits.YOUNG_OBJECTS)] * 2
    assert gc.get_freeze_count() == 0


def test_checking_a_file_leaves_the_heap_as_it_found_it_and_its_verdicts_alone() -> None:
    text = ("param x\n\nderivation \"d\"\n    (x + 1)^2\n  = x^2 + 2 x + 1   by algebra\n"
            "  = x^2 + 2 x + 2   by algebra\n")
    gc.set_threshold(700, 10, 10)
    for options in (Options(in_process=True), Options()):
        result = check_source(parse_source(text, "heap.pgv"), options)
        assert [s.verdict for s in result.derivations[0].steps] == ["proved", "refuted"]
        assert gc.get_freeze_count() == 0
        assert gc.get_threshold() == (700, 10, 10)
