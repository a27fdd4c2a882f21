"""The contract between the gate's two halves: series verification (run.py) and the
build/test/typecheck steps (steps.py). Both import from here; neither imports the other's
internals."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from ksp.git.shadow import Shadow
from ksp.model import Minor, StrEnum
from ksp.repo.config import Config


class StepName(StrEnum):
    BUILD = "build"
    TEST = "test"
    TYPECHECK = "typecheck"


class StepOutcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIPPED = "skipped"
    ERROR = "error"  # nothing was built or tested (on base and series alike): never a pass


class FailureKind(StrEnum):
    NEW = "new"  # introduced by the series: fails the gate
    PRE_EXISTING = "pre-existing"  # fails on the unpatched base too
    FLAKY = "flaky"  # passed on a retry
    KNOWN = "known"  # listed in ksp.yaml known_failures (not expired)


class TestFailure(NamedTuple):
    """A failing test and why it does or does not fail the gate."""

    package: str
    test: str
    kind: FailureKind
    detail: str = ""


class StepResult(NamedTuple):
    """One build, test or typecheck run, with what the evidence needs of it."""

    name: StepName
    result: StepOutcome
    command: str
    log: str | None = None  # path of the log file
    exit_code: int | None = None
    duration: float = 0.0
    toolchain: str | None = None  # e.g. "go1.22.12", when the step ran Go
    failures: tuple[TestFailure, ...] = ()
    detail: str = ""
    warnings: tuple[str, ...] = ()  # e.g. the tree's own Go was not found, another one ran


class StepsRequest(NamedTuple):
    """What the steps half of the gate needs from the series half."""

    shadow: Shadow
    minor: Minor
    config: Config
    base: str  # the unpatched base commit (for pre-existing failures)
    head: str  # the commit of base + series (written by git.series)
    changed: tuple[str, ...]  # paths the series changes
    log_dir: Path
    build: bool = True
    test: bool = True
    toolchains: tuple[str, ...] = ()  # empty: the minor's own Go
    timeout: int = 3600  # seconds per step
    retries: int = 2  # re-runs of a failing test before it counts as not flaky
    goproxy: str = ""  # "" : offline, the module cache only


class StepsOutcome(NamedTuple):
    """The steps' results, and the worktree kept when one of them failed."""

    steps: Sequence[StepResult] = ()
    worktree: Path | None = None  # kept for inspection when a step failed
    targets: tuple[str, ...] = ()
    packages: tuple[str, ...] = ()
    setup: str = ""  # how Go saw the tree (vendor, module cache, proxy, GOPATH), for evidence
