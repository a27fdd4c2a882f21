"""The gate workflow: for each minor, base + existing series + new patches, then the steps.

Everything is written into the shadow repository and ksp's cache; the user's upstream clone is
only read. Minors run in parallel (threads: the work is git and Go subprocesses). An interrupt
stops every minor at its next phase; context managers clean up temporary state on the way out.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

from ksp._parallel import in_threads
from ksp.errors import CannotRun, FormatError, KspError, UsageError
from ksp.gate.model import (
    GateRequest,
    GateResult,
    MinorResult,
    evidence_dir,
)
from ksp.gate.progress import Progress
from ksp.gate.select import MinorPlan, PlannedPatch, plan
from ksp.gate.types import StepName, StepOutcome, StepResult, StepsRequest
from ksp.git._run import git
from ksp.git.series import Outcome, PatchInput, apply_series
from ksp.git.shadow import Shadow
from ksp.model import Minor
from ksp.repo.config import Config


def run_gate(request: GateRequest) -> GateResult:
    """Gate every selected minor; raises KeyboardInterrupt (after cleanup) when interrupted.

    With `since` (a pull request), ksp.yaml comes from that base commit: the PR's own copy
    never decides its build, test and typecheck commands, known failures or components."""
    if request.since and request.repo.trusted_base is None:
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
    def interrupted() -> None:
        progress.cancel.set()  # workers stop at their next phase
        from ksp.gate import _exec  # lazy: 1.0 ms of start-up

        _exec.kill_all()  # and a build or test running in a worker stops now, not when done

    return in_threads(plans, lambda p: _gate_minor(request, config, shadow, p, progress),
                      jobs=jobs, name="ksp-gate", on_interrupt=interrupted)


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
        from ksp.gate import reuse  # lazy: 0.9 ms of start-up

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
    series = series._replace(patches=[
        r._replace(detail=r.detail + "; " + drift_hint(p, minor, request.upstream))
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
    from ksp.repo import patchfile, policy  # lazy: 0.7 ms of start-up

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
    from ksp.gate.steps import run_steps  # lazy: 32.8 ms of start-up

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
    from ksp.gate.evidence import write  # lazy: 3.9 ms of start-up

    progress.phase(result.minor, "evidence")
    path, digest = write(request, result)
    progress.phase(result.minor, "pass" if result.ok else "FAIL")
    return _with(result, evidence=path, evidence_sha256=digest)


def _with(result: MinorResult, **changes: object) -> MinorResult:
    return replace(result, **changes)  # type: ignore[arg-type]


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


