"""Child processes a test starts and signals: always killed and reaped, even when an assertion
fails, so a failed test never leaves a paused `ksp gate` (or its build steps) behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager


def default_signals() -> None:
    """In the child, before exec: SIGINT and SIGTERM back to their defaults. A test run started
    with SIGINT ignored (a background job of a non-interactive shell, as some CI runners start
    jobs) would otherwise pass the ignore on, and Python installs no KeyboardInterrupt handler
    for an ignored SIGINT: the interrupt tests would test nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextmanager
def child(argv: Sequence[str],
          env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[str]]:
    """`argv` running with piped text stdout/stderr; killed and waited for on the way out."""
    proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            text=True, preexec_fn=default_signals)  # noqa: PLW1509
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()  # reaps it and closes the pipes


def kill_matching(pattern: str) -> None:
    """Kill the processes whose command line contains `pattern`: a test's own unique marker
    (processes that left ksp's process group on purpose, like build steps in their sessions)."""
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True, check=False)
    for pid in found.stdout.split():
        with contextlib.suppress(ProcessLookupError):  # gone between pgrep and kill
            os.kill(int(pid), signal.SIGKILL)
