"""ksp._parallel.in_threads and ksp._log.debug_logger: the pieces the threaded minors share."""

from __future__ import annotations

import sys
import threading
import types
from importlib.machinery import ModuleSpec

import pytest

from ksp._log import debug_logger
from ksp._parallel import in_threads


def test_results_come_back_in_the_items_order_from_several_threads() -> None:
    seen: set[str] = set()
    lock = threading.Lock()

    def work(n: int) -> int:
        with lock:
            seen.add(threading.current_thread().name)
        return n * n

    assert in_threads(list(range(20)), work, jobs=3, name="t") == [n * n for n in range(20)]
    assert seen <= {"t-0", "t-1", "t-2"} and seen


def test_one_job_runs_in_the_callers_thread() -> None:
    names = in_threads([1, 2], lambda _: threading.current_thread().name, jobs=1)
    assert names == [threading.current_thread().name] * 2


def test_the_first_failure_is_raised_and_stops_new_items() -> None:
    started: list[int] = []

    def work(n: int) -> int:
        started.append(n)
        if n == 0:
            raise ValueError("item 0")
        return n

    with pytest.raises(ValueError, match="item 0"):
        in_threads(list(range(50)), work, jobs=2)
    assert len(started) < 50


def test_a_module_still_being_imported_is_not_a_listening_logger(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Another thread importing logging leaves a partial module in sys.modules: not in use."""
    partial = types.ModuleType("logging")
    partial.__spec__ = ModuleSpec("logging", None)
    partial.__spec__._initializing = True  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "logging", partial)
    assert debug_logger("ksp.git") is None


def test_a_configured_debug_logger_is_returned() -> None:
    import logging

    log = logging.getLogger("ksp.test-parallel")
    log.setLevel(logging.DEBUG)
    try:
        assert debug_logger("ksp.test-parallel") is log
        log.setLevel(logging.INFO)
        assert debug_logger("ksp.test-parallel") is None
    finally:
        log.setLevel(logging.NOTSET)
