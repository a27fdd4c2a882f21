"""Test results and their verdicts: which failures the series introduced.

`go test -json` gives per-test results (a template that is not `go test` is read from its
verbose text output instead). Each failing test is then judged, cheapest first:
listed in ksp.yaml known_failures with an unexpired `expires` -> known; passes on one of
`retries` re-runs -> flaky; fails on the unpatched base too -> pre-existing; else new. Only
new failures fail the test step.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ksp.gate.types import FailureKind, TestFailure
from ksp.repo.config import KnownFailure

_TEXT_FAIL = re.compile(r"^\s*--- FAIL: (\S+)")
_TEXT_PKG = re.compile(r"^(?:FAIL|ok)\s+(\S+)")


@dataclass(frozen=True)
class Failed:
    package: str
    test: str  # top-level test name; "" when the package as a whole failed (build, panic)


@dataclass(frozen=True)
class Parsed:
    """A `go test -json` stream: its failures, its text, and how many tests really ran."""

    failed: list[Failed]
    text: str
    ran: int  # top-level tests that passed, failed or skipped
    packages: frozenset[str]  # packages the stream reports on


def parse_stream(path: Path) -> Parsed:
    with path.open(encoding="utf-8", errors="replace") as lines:
        return _parse_lines(lines)


def _parse_lines(lines: Iterable[str]) -> Parsed:
    # The stream is what the patched tree's tests print: hostile lines are plain text.
    failed: dict[Failed, None] = {}
    by_pkg: set[str] = set()
    text: list[str] = []
    ran, packages = 0, set()
    for raw in lines:
        line = raw.rstrip("\n")
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            text.append(line + "\n")
            continue
        if not isinstance(event, dict):
            continue
        text.append(str(event.get("Output", "")))
        pkg = str(event.get("Package") or event.get("ImportPath") or "").split(" [")[0]
        test = event.get("Test")
        action = event.get("Action")
        if pkg:
            packages.add(pkg)
        if test and "/" not in str(test) and action in ("pass", "fail", "skip"):
            ran += 1
        if action not in ("fail", "build-fail"):
            continue
        if test and "/" not in str(test):
            failed[Failed(pkg, str(test))] = None
            by_pkg.add(pkg)
        elif not test and pkg not in by_pkg:
            failed[Failed(pkg, "")] = None
    # A package that failed because some of its tests failed is not a failure of its own.
    result = [f for f in failed if f.test or f.package not in by_pkg]
    return Parsed(result, "".join(text), ran, frozenset(packages))


def parse_text(text: str) -> list[Failed]:
    """`--- FAIL: TestX` lines, attributed to the `FAIL <pkg>` line that follows them."""
    pending: list[str] = []
    out: list[Failed] = []
    for line in text.splitlines():
        if m := _TEXT_FAIL.match(line):
            if "/" not in m.group(1):
                pending.append(m.group(1))
        elif (m := _TEXT_PKG.match(line)) and line.startswith("FAIL"):
            out += [Failed(m.group(1), t) for t in pending] or [Failed(m.group(1), "")]
            pending = []
    out += [Failed("", t) for t in pending]
    return out


def known(failure: Failed, entries: Iterable[KnownFailure], today: dt.date) -> KnownFailure | None:
    """A known-failure entry naming `<package>.<Test>` or the package; expired ones never count."""
    names = {failure.package, f"{failure.package}.{failure.test}"} - {"", "."}
    for entry in entries:
        if entry.test in names and entry.expires >= today:
            return entry
    return None


# A runner re-runs one failure (in the current tree) and says whether it failed again.
Rerun = Callable[[Failed], bool]


def judge(failures: list[Failed], *, entries: Iterable[KnownFailure], today: dt.date,
          retries: int, rerun: Rerun, on_base: Callable[[list[Failed]], set[Failed]]
          ) -> list[TestFailure]:
    verdicts: dict[Failed, TestFailure] = {}
    for f in failures:
        entry = known(f, entries, today)
        if entry:
            verdicts[f] = TestFailure(f.package, f.test, FailureKind.KNOWN,
                                      f"known failure until {entry.expires}: {entry.reason}")
            continue
        for attempt in range(1, retries + 1):
            if not rerun(f):
                verdicts[f] = TestFailure(f.package, f.test, FailureKind.FLAKY,
                                          f"passed on retry {attempt} of {retries}")
                break
    rest = [f for f in failures if f not in verdicts]
    also_on_base = on_base(rest) if rest else set()
    for f in rest:
        if f in also_on_base:
            verdicts[f] = TestFailure(f.package, f.test, FailureKind.PRE_EXISTING,
                                      "fails on the unpatched base too")
        else:
            verdicts[f] = TestFailure(f.package, f.test, FailureKind.NEW,
                                      f"failed {1 + retries} times; does not fail on the base")
    return [verdicts[f] for f in failures]
