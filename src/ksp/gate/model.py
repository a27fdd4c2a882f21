"""What a gate run is asked and what it found: the records the workflow, the evidence writer and
the reports share (so that none of them imports another for its types)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ksp.gate.select import MinorPlan, PlannedPatch
from ksp.gate.types import StepOutcome, StepResult
from ksp.git.series import Outcome, PatchResult, SeriesResult
from ksp.model import Minor
from ksp.repo.layout import PatchesRepo


@dataclass(frozen=True)
class GateRequest:
    """A gate run as the command line asked for it."""

    repo: PatchesRepo
    upstream: Path
    minors: tuple[Minor, ...] = ()
    patches: tuple[Path, ...] = ()
    since: str | None = None
    base_mode: str | None = None  # branch | tag; None: ksp.yaml's `base`
    build: bool = True
    test: bool = True
    allow_drift: bool = False
    jobs: int = 0  # 0: one per core
    toolchains: tuple[str, ...] = ()
    timeout: int | None = None  # per step; None: ksp.yaml's `timeout`
    evidence_dir: Path | None = None  # None: <repo>/.ksp/evidence
    progress: bool | None = None  # None: when stderr is a terminal
    goproxy: str = ""  # "" : $KSP_GOPROXY, else offline (the module cache only)
    reuse: bool = True  # a passing record with the same key stands (gate/reuse.py)

    @property
    def steps_wanted(self) -> bool:
        return self.build or self.test


@dataclass(frozen=True)
class MinorResult:
    """One minor's gate: its base, the series verdicts and the steps."""

    minor: Minor
    base_ref: str
    base: str | None
    plan: MinorPlan
    series: SeriesResult | None = None
    steps: tuple[StepResult, ...] = ()
    worktree: Path | None = None
    evidence: Path | None = None
    evidence_sha256: str | None = None
    error: str | None = None  # the minor could not be gated at all (no base, bad patch)
    setup: str = ""  # how Go saw the tree: vendored, module cache, proxy, GOPATH
    reuse_key: str = ""  # gate/reuse.py: what this verdict depends on ("" : steps not run)
    reused: str | None = None  # the date of the record reused instead of running the steps

    @property
    def ok(self) -> bool:
        return (self.error is None and self.series is not None and self.series.ok
                and all(s.result not in (StepOutcome.FAIL, StepOutcome.ERROR)
                        for s in self.steps))

    @property
    def toolchain_notes(self) -> list[str]:
        """The toolchain choice's warnings (e.g. the tree's Go not found), each once."""
        return list(dict.fromkeys(w for s in self.steps for w in s.warnings))

    def patch_results(self) -> list[tuple[PlannedPatch, PatchResult | None]]:
        results = {r.name: r for r in self.series.patches} if self.series else {}
        return [(p, results.get(p.file)) for p in self.plan.patches]


@dataclass(frozen=True)
class GateResult:
    """Every minor's result; the gate passes when all of them pass."""

    upstream: str
    minors: list[MinorResult] = field(default_factory=list)
    repo_root: Path | None = None  # the patches repo: reports show paths inside it relative
    note: str | None = None  # why nothing was gated, when nothing was

    @property
    def ok(self) -> bool:
        return all(m.ok for m in self.minors)


def evidence_dir(request: GateRequest, minor: Minor) -> Path:
    root = request.evidence_dir or request.repo.root / ".ksp" / "evidence"
    return root / str(minor)


def outcome_of(result: PatchResult | None) -> str:
    return result.result.value if result else Outcome.SKIPPED.value


def patch_record(planned: PlannedPatch, outcome: PatchResult | None,
                 missing: str = "") -> dict[str, Any]:
    """One patch's verdict as JSON: the evidence record and the JSON report both write this."""
    return {
        "file": planned.file, "sha256": planned.sha256, "diff_sha256": planned.diff_sha256,
        "new": planned.new, "result": outcome_of(outcome),
        "detail": outcome.detail if outcome else missing,
        "commit": outcome.commit if outcome else None,
        "failed_hunks": [{"path": h.path, "hunk": h.hunk, "line": h.line}
                         for h in (outcome.failed_hunks if outcome else ())],
    }


def step_record(step: StepResult) -> dict[str, Any]:
    """One step as JSON, for the evidence record and the JSON report alike."""
    return {
        "name": step.name.value, "result": step.result.value, "command": step.command,
        "exit_code": step.exit_code, "duration": round(step.duration, 3), "log": step.log,
        "toolchain": step.toolchain, "detail": step.detail,
        "failures": [{"package": f.package, "test": f.test, "kind": f.kind.value,
                      "detail": f.detail} for f in step.failures],
    }
