"""Progress of a gate run on stderr: a live table on a terminal, one line per phase otherwise.

Also the test hook that stops a run at a named phase (KSP_TEST_PAUSE_AT), so that the isolation
tests can interrupt it there. The hook costs one environment lookup when it is not set.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ksp.model import Minor

if TYPE_CHECKING:  # rich is imported only for a live table on a terminal (start-up)
    from rich.live import Live
    from rich.table import Table

PAUSE_AT = "KSP_TEST_PAUSE_AT"  # series | after-series | steps | evidence
PAUSE_FILE = "KSP_TEST_PAUSE_FILE"  # the run goes on once this file exists
QUIET = frozenset({"resolving base", "series", "after-series", "steps", "evidence"})  # in logs


class Cancelled(KeyboardInterrupt):
    """Another thread was interrupted: stop at the next phase."""


class Progress:
    """Thread-safe phase reports per minor; `cancel` stops the workers at their next phase."""

    def __init__(self, minors: list[Minor], *, live: bool | None = None) -> None:
        self.cancel = threading.Event()
        self._lock = threading.Lock()
        self._phases: dict[Minor, str] = dict.fromkeys(minors, "waiting")
        self._live: Live | None = None
        if live if live is not None else sys.stderr.isatty():
            from rich.console import Console  # lazy: 16.1 ms of start-up
            from rich.live import Live  # lazy: 17.1 ms of start-up

            self._live = Live(self._table(), console=Console(stderr=True), transient=True,
                              refresh_per_second=8)

    def __enter__(self) -> Progress:
        if self._live is not None:
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()

    def phase(self, minor: Minor, phase: str) -> None:
        """Report a phase; raise Cancelled if the run was interrupted; pause if a test asks."""
        if self.cancel.is_set():
            raise Cancelled
        with self._lock:
            self._phases[minor] = phase
            if self._live is not None:
                self._live.update(self._table())
            elif phase not in QUIET:
                print(f"ksp gate: {minor}: {phase}", file=sys.stderr, flush=True)
        pause(phase, self.cancel)

    def _table(self) -> Table:
        from rich.table import Table  # lazy: 14.4 ms of start-up

        table = Table(box=None, show_header=False, pad_edge=False)
        for minor, phase in sorted(self._phases.items(), reverse=True):
            table.add_row(f"[bold]{minor}[/]", phase)
        return table


def pause(phase: str, cancel: threading.Event) -> None:
    """Wait for the test's go-ahead file when KSP_TEST_PAUSE_AT names this phase."""
    if os.environ.get(PAUSE_AT) != phase:
        return
    flag = Path(os.environ.get(PAUSE_FILE) or ".ksp-test-continue")
    print(f"ksp: test pause at {phase}", file=sys.stderr, flush=True)
    while not flag.exists():
        if cancel.wait(0.02):
            raise Cancelled
