"""What a gate run is asked and what it found: the records the workflow, the evidence writer and
the reports share (so that none of them imports another for its types)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ksp.gate.select import MinorPlan, PlannedPatch
from ksp.gate.types import StepOutcome, StepResult
from ksp.git.series import Outcome, PatchResult, SeriesResult
from ksp.model import Minor
from ksp.repo import evidence_record as rec
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
    return rec.folder(request.evidence_dir or rec.default_root(request.repo.root), minor)


def outcome_of(result: PatchResult | None) -> str:
    return result.result.value if result else Outcome.SKIPPED.value


def patch_entry(planned: PlannedPatch, outcome: PatchResult | None,
                missing: str = "") -> rec.PatchEntry:
    """One patch's verdict: the evidence record and the JSON report both write this."""
    return rec.PatchEntry(
        planned.file, planned.sha256, planned.diff_sha256, planned.new, outcome_of(outcome),
        outcome.detail if outcome else missing, outcome.commit if outcome else None,
        tuple(rec.FailedHunk(h.path, h.hunk, h.line)
              for h in (outcome.failed_hunks if outcome else ())))


def step_entry(step: StepResult) -> rec.StepEntry:
    """One step, for the evidence record and the JSON report alike."""
    return rec.StepEntry(
        step.name.value, step.result.value, step.command, step.exit_code, round(step.duration, 3),
        step.log, step.toolchain, step.detail,
        tuple(rec.Failure(f.package, f.test, f.kind.value, f.detail) for f in step.failures))
