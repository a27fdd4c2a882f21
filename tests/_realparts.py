"""The real parts the suite runs (Go, Chromium): each is a pytest marker; a missing one fails
the run with one line unless the developer deselects its marker explicitly."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

#: Debian's Chromium, the one `.ci/run` installs and the browser tests drive.
CHROMIUM = Path("/usr/bin/chromium")

#: marker -> what is missing when the check fails.
MARKERS = {"go": "the Go toolchain (`go` on PATH)", "browser": f"Chromium ({CHROMIUM})"}


def _present(marker: str) -> bool:
    if marker == "go":
        return shutil.which("go") is not None
    return CHROMIUM.is_file()


def missing(markers: Iterable[str]) -> list[str]:
    """The markers among `markers` whose real part is not on this machine, in MARKERS order."""
    wanted = set(markers)
    return [name for name in MARKERS if name in wanted and not _present(name)]


def missing_message(names: list[str]) -> str:
    """One line: what is missing, and the explicit way to run without it ("" when none is)."""
    if not names:
        return ""
    what = " and ".join(MARKERS[name] for name in names)
    deselect = " and ".join(f"not {name}" for name in names)
    return (f"missing {what}: install it (.ci/run does), or deselect those tests explicitly "
            f"with -m '{deselect}'")
