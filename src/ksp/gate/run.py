"""The gate workflow: for each minor, base + existing series + new patches, then the steps.

Everything is written into the shadow repository and ksp's cache; the user's upstream clone is
only read. Minors run in parallel (threads: the work is git and Go subprocesses). An interrupt
stops every minor at its next phase; context managers clean up temporary state on the way out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from ksp.errors import CannotRun, FormatError, KspError, UsageError
from ksp.gate.progress import Progress
from ksp.gate.select import MinorPlan, PlannedPatch, plan
from ksp.gate.types import StepName, StepOutcome, StepResult
from ksp.git._run import git
from ksp.git.series import Outcome, PatchInput, PatchResult, SeriesResult, apply_series
from ksp.git.shadow import Shadow
from ksp.model import Minor
from ksp.repo.config import Config
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


def run_gate(request: GateRequest) -> GateResult:
    """Gate every selected minor; raises KeyboardInterrupt (after cleanup) when interrupted.

    With `since` (a pull request), ksp.yaml comes from that base commit: the PR's own copy
    never decides its build, test and typecheck commands, known failures or components."""
    if request.since and request.repo.trusted_base is None:
        from dataclasses import replace

        request = replace(request, repo=request.repo.at_base(request.since))
    config = request.repo.config
    plans = plan(request.repo, minors=list(request.minors), patches=list(request.patches),
                 since=request.since)
    root = request.repo.root
    if not plans:
        why = (f"no patch changed since {request.since}" if request.since
               else "no minor has a patch series")
        return GateResult(config.upstream, repo_root=root, note=why)
    refuse_bad_patches(config, plans)
    shadow = Shadow.open(request.upstream)
    import sys

    if (running := sys.modules.get("ksp.gate._exec")) is not None:  # not imported: nothing set
        running.STOPPED.clear()  # a new run (in-process callers: tests, a long-lived API user)
    jobs = max(1, min(request.jobs or os.cpu_count() or 1, len(plans)))
    with Progress([p.minor for p in plans], live=request.progress) as progress:
        if jobs == 1:
            results = [_gate_minor(request, config, shadow, p, progress) for p in plans]
        else:
            results = _parallel(request, config, shadow, plans, progress, jobs=jobs)
    return GateResult(config.upstream, results, repo_root=root)


def _parallel(request: GateRequest, config: Config, shadow: Shadow, plans: list[MinorPlan],
              progress: Progress, *, jobs: int) -> list[MinorResult]:
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="ksp-gate")
    try:
        futures = [pool.submit(_gate_minor, request, config, shadow, p, progress) for p in plans]
        return [f.result() for f in futures]
    except BaseException:
        progress.cancel.set()  # workers stop at their next phase
        from ksp.gate import _exec

        _exec.kill_all()  # and a build or test running in a worker stops now, not when done
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _gate_minor(request: GateRequest, config: Config, shadow: Shadow, minor_plan: MinorPlan,
                progress: Progress) -> MinorResult:
    minor = minor_plan.minor
    progress.phase(minor, "resolving base")
    try:
        base_ref = _base_ref(shadow, config, minor, request.base_mode or config.base)
        base = shadow.resolve(base_ref)
    except CannotRun:
        raise  # git itself failed: exit 4, not a verdict on the patches
    except KspError as exc:
        return _finish(request, MinorResult(minor, "", None, minor_plan, error=str(exc)),
                       progress)
    reuse_key = ""
    if request.steps_wanted:
        from ksp.gate import reuse

        reuse_key = reuse.key(request, config, minor_plan, base)
        found = reuse.find(request, minor_plan, base_ref, base, reuse_key) if request.reuse \
            else None
        if found is not None:
            progress.phase(minor, f"pass (reused evidence of {found.reused})")
            return found
    count = len(minor_plan.patches)
    progress.phase(minor, f"applying {count} patch{'' if count == 1 else 'es'} on {base[:12]}")
    inputs = [PatchInput(p.file, p.diff, f"{p.title}\n\n{p.file}\n") for p in minor_plan.patches]
    try:
        series = apply_series(shadow, base, inputs, allow_drift=request.allow_drift,
                              on_phase=lambda phase: progress.phase(minor, phase))
    except (FormatError, CannotRun):
        raise  # a malformed patch (exit 1) or a git failure (exit 4): not a gate verdict
    except KspError as exc:
        return _finish(request, MinorResult(minor, base_ref, base, minor_plan, error=str(exc)),
                       progress)
    series = replace(series, patches=[
        replace(r, detail=r.detail + "; " + drift_hint(p, minor, request.upstream))
        if r.result is Outcome.DRIFT else r
        for r, p in zip(series.patches, minor_plan.patches, strict=True)])
    result = MinorResult(minor, base_ref, base, minor_plan, series, reuse_key=reuse_key)
    progress.phase(minor, "after-series")
    progress.phase(minor, "steps")
    result = _steps(request, config, shadow, result, progress)
    return _finish(request, result, progress)


def refuse_bad_patches(config: Config, plans: list[MinorPlan]) -> None:
    """A patch of any series that is not a valid diff or breaks ksp.yaml's policy fails the
    gate before anything runs or is written (one error naming the patch, the line, the rule)."""
    from ksp.repo import patchfile, policy

    patches = {p.file: p for minor_plan in plans for p in minor_plan.patches}
    for p in patches.values():
        files = patchfile.parse_diff(p.diff, p.file, first_line=p.diff_line)
        policy.enforce(files, config.policy, name=p.file, first_line=p.diff_line,
                       size=p.path.stat().st_size if p.path.is_file() else None)


def drift_hint(patch: PlannedPatch, minor: Minor, upstream: Path) -> str:
    """The command that regenerates a drifting patch exactly on its minor's base + series."""
    commits = "SHA"
    try:
        head = patch.path.read_bytes()[:8192]
    except OSError:
        head = b""
    for line in head.split(b"\n"):
        if line.startswith(b"# Upstream commits:"):
            commits = " --commit ".join(line.split(b":", 1)[1].decode("utf-8", "replace")
                                        .replace(",", " ").split()) or "SHA"
            break
    advisory = patch.path.name.removesuffix(".patch").split("_", 1)[-1]
    return (f"regenerate it on the series with `ksp backport {advisory} --upstream {upstream} "
            f"--commit {commits} --to {minor} --write` (remove the old file first), or "
            f"`ksp new {advisory} --minor {minor} --upstream {upstream} --commit {commits}`")


def _steps(request: GateRequest, config: Config, shadow: Shadow, result: MinorResult,
           progress: Progress) -> MinorResult:
    series = result.series
    if not request.steps_wanted or series is None or not series.ok or series.head is None:
        why = ("not requested (--no-build --no-test)" if not request.steps_wanted
               else "not run: the series does not apply")
        skipped = tuple(StepResult(name, StepOutcome.SKIPPED, "", detail=why)
                        for name in StepName)
        return _with(result, steps=skipped)
    from ksp.gate.steps import run_steps
    from ksp.gate.types import StepsRequest

    progress.phase(result.minor, "build, test, typecheck")
    outcome = run_steps(StepsRequest(
        shadow=shadow, minor=result.minor, config=config, base=series.base, head=series.head,
        # Logs by the commit they tested: a later run of other patches does not overwrite the
        # logs that a kept evidence record (the one a Testing: line names) points to.
        changed=series.changed,
        log_dir=evidence_dir(request, result.minor) / "logs" / series.head[:12],
        build=request.build, test=request.test, toolchains=request.toolchains,
        timeout=request.timeout or config.commands.timeout, goproxy=request.goproxy,
    ))
    return _with(result, steps=tuple(outcome.steps), worktree=outcome.worktree,
                 setup=outcome.setup)


def _finish(request: GateRequest, result: MinorResult, progress: Progress) -> MinorResult:
    from ksp.gate.evidence import write

    progress.phase(result.minor, "evidence")
    path, digest = write(request, result)
    progress.phase(result.minor, "pass" if result.ok else "FAIL")
    return _with(result, evidence=path, evidence_sha256=digest)


def _with(result: MinorResult, **changes: object) -> MinorResult:
    from dataclasses import replace

    return replace(result, **changes)  # type: ignore[arg-type]


def evidence_dir(request: GateRequest, minor: Minor) -> Path:
    root = request.evidence_dir or request.repo.root / ".ksp" / "evidence"
    return root / str(minor)


def _base_ref(shadow: Shadow, config: Config, minor: Minor, mode: str) -> str:
    """The release branch, or the minor's final patch tag, as named in the upstream."""
    if mode == "branch":
        return config.branch_for(minor)
    if mode != "tag":
        raise UsageError(f"--base must be branch or tag, got {mode!r}")
    pattern = config.tag_pattern(minor)
    tags = git(shadow.upstream, "for-each-ref", "--format=%(refname:strip=2)", "refs/tags/")
    found = [(int(m[1]), tag) for tag in tags.stdout.split() if (m := pattern.match(tag))]
    if not found:
        raise KspError(f"no release tag of {minor} (like {config.tag_for(minor, 0)}) in "
                       f"{shadow.upstream}", hint="fetch the upstream's tags, or use --base branch")
    return max(found)[1]


def outcome_of(result: PatchResult | None) -> str:
    return result.result.value if result else Outcome.SKIPPED.value
