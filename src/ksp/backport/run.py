"""`ksp backport` triage: the fix's commits, each target's result from its best source."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ksp._log import debug_logger
from ksp._parallel import in_threads
from ksp.backport import already, deps, prereq, sources, targets
from ksp.backport.classify import Classifier
from ksp.backport.model import (
    Attempt,
    BackportResult,
    CommitResult,
    DependencyBump,
    Evidence,
    FixCommit,
    Result,
    Source,
    SourceTry,
    TargetResult,
)
from ksp.errors import UsageError
from ksp.git import merge, mirror
from ksp.git.shadow import Shadow
from ksp.lifecycle import Lifecycle
from ksp.model import AdvisoryId, Minor, Status
from ksp.repo.config import Config
from ksp.repo.layout import PatchesRepo


def _debug(message: str, *args: object) -> None:
    """Log at debug level when logging is in use (`-v` imports it): no import otherwise."""
    log = debug_logger(__name__)
    if log is not None:
        log.debug(message, *args)


@dataclass(frozen=True)
class Request:
    advisory: str
    commits: Sequence[str] = ()
    range: str | None = None
    merge: str | None = None
    to: Sequence[Minor] = ()
    from_branch: str | None = None
    independent: bool = False
    today: dt.date = field(default_factory=dt.date.today)
    prerequisites: bool = True
    merge_base_option: bool | None = None  # None: use `--merge-base` when git has it
    mirror_trailer: str | None = None  # k8s.io staging: `Kubernetes-commit` (ksp.yaml mirror_of)


def resolve_fix(shadow: Shadow, req: Request) -> list[FixCommit]:
    """The fix's commits, oldest first, as the user's clone names them."""
    if req.range:
        shas = shadow.git("-C", str(shadow.upstream), "rev-list", "--reverse", "--topo-order",
                          "--no-merges", req.range, check=False)
        if shas.returncode != 0:
            raise UsageError(f"--range {req.range}: not a range of the upstream clone")
        names = shas.stdout.split()
    elif req.merge:
        sha = shadow.resolve(req.merge)
        parents = _parents(shadow, sha)
        if len(parents) < 2:
            raise UsageError(f"--merge {req.merge}: not a merge commit",
                             hint="pass it with --commit instead")
        names = shadow.git("rev-list", "--reverse", "--topo-order", "--no-merges",
                           f"{parents[0]}..{sha}").stdout.split()
    else:
        names = [mirror.resolve_commit(shadow, c, req.mirror_trailer) for c in req.commits]
    given = dict(zip(names, req.commits, strict=False)) if not (req.range or req.merge) else {}
    if not names:
        raise UsageError("no commits to backport", hint="check --commit/--range/--merge")
    fix = []
    for sha in names:
        # parents and subject in one process: `<parent> <parent>\0<subject>`
        parents_text, _, subject = shadow.git("log", "-1", "--format=%P%x00%s", sha
                                              ).stdout.rstrip("\n").partition("\0")
        parents, subject = parents_text.split(), subject.strip()
        if len(parents) > 1:
            raise UsageError(f"{sha[:12]} is a merge commit", hint="pass it with --merge")
        origin = mirror.published_from(shadow.upstream, req.mirror_trailer, sha,
                                       given.get(sha, "")) if req.mirror_trailer else None
        fix.append(FixCommit(sha, sha, parents[0] if parents else None, subject,
                             published_from=origin))
    return fix


def _parents(shadow: Shadow, sha: str) -> list[str]:
    return shadow.git("rev-list", "--parents", "-n", "1", sha).stdout.split()[1:]


def triage(shadow: Shadow, repo: PatchesRepo | None, config: Config, lifecycle: Lifecycle, *,
           req: Request, warn: Callable[[str], None]) -> BackportResult:
    fix = resolve_fix(shadow, req)
    refs = merge.ref_map(shadow.upstream)
    minors = targets.select(lifecycle, req.today, req.to, warn)
    classifier = Classifier(shadow, req.merge_base_option)
    classifier.prepare(fix)
    finder = already.Finder(shadow, fix, {c.sha: classifier.paths(c) for c in fix})
    jobs = os.cpu_count() or 1
    found = sources.find(finder, _source_branches(refs, config, lifecycle, repo, minors,
                                                  from_branch=req.from_branch), jobs=jobs)
    if req.from_branch and not found:
        warn(f"ksp: warning: no version of the fix found on {req.from_branch}; "
             "using the upstream commits")
    original = Source("upstream", tuple(fix))

    def one(minor: Minor) -> TargetResult:
        start = time.perf_counter()
        target = targets.prepare(shadow, refs, config, repo, minor=minor,
                                 window=lifecycle.window(minor, req.today))
        result = _one_target(classifier, finder, repo, target, found=found, original=original,
                             req=req)
        _debug("%s: %s from %s in %.0f ms", minor, result.result, result.source,
               (time.perf_counter() - start) * 1000)
        return result

    try:
        results = in_threads(minors, one, jobs=jobs, name="ksp-backport")
    finally:
        classifier.close()
    mode = "independent" if req.independent else "series"
    return BackportResult(req.advisory, mode, str(shadow.upstream), tuple(fix), tuple(results))


def _source_branches(refs: dict[str, str], config: Config, lifecycle: Lifecycle,
                     repo: PatchesRepo | None, minors: Sequence[Minor], *,
                     from_branch: str | None) -> dict[Minor, tuple[str, str]]:
    """Release branches to look for the fix's backports on: the one --from names, else every
    known minor newer than the oldest target (older ones are rarely a better start)."""
    if from_branch:
        sha = targets.branch_commit(refs, from_branch)
        minor = targets.minor_of_branch(config, from_branch)
        if sha is None or minor is None:
            raise UsageError(f"--from {from_branch}: no such release branch in the upstream",
                             hint=f"release branches are named {config.branch!r}")
        return {minor: (from_branch, sha)}
    known = set(lifecycle.minors()) | set(minors) | (set(repo.minors()) if repo else set())
    oldest = min(minors, default=None)
    return {m: (config.branch_for(m), sha) for m in known
            if (oldest is None or m >= oldest)
            and (sha := targets.branch_commit(refs, config.branch_for(m)))}


def _score(attempt: Attempt) -> tuple[int, int, int]:
    first = next((i for i, c in enumerate(attempt.commits) if c.result is Result.CONFLICT),
                 len(attempt.commits))
    hunks = sum(x.hunks for c in attempt.commits for x in c.conflicts)
    return attempt.result.rank, -first, hunks


def _one_target(classifier: Classifier, finder: already.Finder, repo: PatchesRepo | None,
                target: targets.Target, *,
                found: list[Source], original: Source, req: Request) -> TargetResult:
    if target.error or target.head is None or target.base is None:
        return TargetResult(target.minor, target.branch, Result.ERROR, str(target.window),
                            target.base, None, target.series, error=target.error)
    there = _already_there(classifier, finder, repo, target, req.advisory)
    if there is not None:
        return there
    best: Attempt | None = None
    tried = []
    for source in sources.order(found, original, target.minor):
        attempt = classifier.attempt(source, target.head, target.base,
                                     independent=req.independent)
        first = next((i for i, c in enumerate(attempt.commits)
                      if c.result is Result.CONFLICT), None)
        tried.append(SourceTry(source.name, attempt.result, first))
        if best is None or _score(attempt) < _score(best):
            best = attempt
        if attempt.result is Result.CLEAN:
            break
    assert best is not None
    bump = _dependency_bump(classifier, best, target.head)
    result = TargetResult(
        target.minor, target.branch, best.result, str(target.window), target.base, target.head,
        target.series, best.commits, best.source.name, tuple(tried), dependency_bump=bump,
        attempt=best._replace(dependency_bump=bump),
    )
    if best.result is Result.CONFLICT and req.prerequisites and bump is None:
        found_pre = _prerequisites(classifier, best, target, req)
        prs = prereq.pull_requests(classifier.shadow, found_pre.commits, best.source.commits[0].sha
                                   ) if found_pre.verified and found_pre.commits else ()
        result = result._replace(prerequisites=found_pre.commits,
                                 prerequisites_verified=found_pre.verified, prerequisite_prs=prs)
    return result


def _already_there(classifier: Classifier, finder: already.Finder, repo: PatchesRepo | None,
                   target: targets.Target, advisory: str) -> TargetResult | None:
    """The fix is already on the target (see ksp.backport.already for the order of checks):
    nothing to backport, and no conflict to report."""
    assert target.base is not None and target.head is not None
    shadow, fix, paths = classifier.shadow, finder.fix, finder.paths
    per_commit: dict[str, Evidence] = {}
    evidence = finder.ancestor(target.base)
    if evidence is None:
        per_commit = finder.on_branch(target.base)
        if all(c.sha in per_commit for c in fix):
            evidence = per_commit[fix[-1].sha]
    if evidence is None:
        evidence = _series_index(repo, target, advisory)
    touched = sorted({p for v in paths.values() for p in v})
    if evidence is None:
        evidence = already.in_series(shadow, classifier.whole(fix), target.patches,
                                     target.head, touched, reader=classifier.reader())
    if evidence is None:
        evidence = already.dependency_versions(shadow, fix, target.head, touched)
    if evidence is None:
        return None
    commits = tuple(CommitResult(
        c.sha, Result.ALREADY_APPLIED, applied_from=(per_commit.get(c.sha) or evidence).commit,
        already_applied=True, method=(per_commit.get(c.sha) or evidence).by,
        detail=_detail(per_commit.get(c.sha) or evidence, target)) for c in fix)
    source = f"{target.branch} (already there)"
    attempt = Attempt(Source(source, tuple(fix), target.minor), commits, Result.ALREADY_APPLIED,
                      target.head)
    return TargetResult(target.minor, target.branch, Result.ALREADY_APPLIED, str(target.window),
                        target.base, target.head, target.series, commits, source,
                        (SourceTry(source, Result.ALREADY_APPLIED),), already_applied=evidence,
                        attempt=attempt)


def _series_index(repo: PatchesRepo | None, target: targets.Target, advisory: str
                  ) -> Evidence | None:
    if repo is None:
        return None
    entry = repo.index().advisories().get(AdvisoryId(advisory))
    state = entry.minors.get(target.minor) if entry else None
    if state is None or state.status is not Status.PATCHED:
        return None
    return Evidence("series-index", patch=state.patch,
                    detail=f"index.yaml: {advisory} is patched on {target.minor}")


def _detail(evidence: Evidence, target: targets.Target) -> str:
    what = evidence.commit[:12] if evidence.commit else evidence.patch or "the tree"
    return evidence.detail or f"already on {target.branch}: {what} (by {evidence.by})"


def _dependency_bump(classifier: Classifier, best: Attempt, head: str) -> DependencyBump | None:
    commits = best.source.commits
    if not deps.only_dependencies(p for c in commits for p in classifier.paths(c)):
        return None
    steps = [(c.parent, c.apply) for c in commits]
    modules, left_out = deps.changes(classifier.shadow, steps, head)
    same_start = all(c.target == c.source_from for c in modules)
    reason = ""
    if any(c.method == "zero-context" for c in best.commits):
        status = "applied"
    elif best.result is not Result.CONFLICT:
        status = "not-needed"
    elif same_start:
        status, reason = "failed", "the target starts from the same versions, but the " \
            "diff without context does not apply"
    else:
        status, reason = "not-offered", deps.why_not_offered(modules)
    if left_out:
        reason += ("; " if reason else "") + "left out as publishing-bot artifacts (staging " \
            "form: v0.0.0, replace => ../): " + ", ".join(left_out)
    vendor = sum(1 for c in best.commits for x in c.conflicts if x.path == "vendor/")
    return DependencyBump(modules, same_start, status, vendor, reason, left_out)


def _prerequisites(classifier: Classifier, best: Attempt, target: targets.Target,
                   req: Request) -> prereq.Prerequisites:
    assert target.head is not None and target.base is not None
    index = next(i for i, c in enumerate(best.commits) if c.result is Result.CONFLICT)
    commit = best.source.commits[index]
    found = prereq.candidates(classifier.shadow, commit, classifier.files(commit),
                              best.commits[index].conflicts, target.base)
    head, base = target.head, target.base

    def works(shas: list[str]) -> bool:
        onto = head
        for sha in shas:
            parents = _parents(classifier.shadow, sha)
            pre = FixCommit(sha, sha, parents[0] if parents else None)
            outcome, new_head, _ = classifier.one(pre, onto, base)
            if new_head is None or outcome.result is Result.CONFLICT:
                return False
            onto = new_head
        trial = classifier.attempt(best.source, onto, base, independent=req.independent)
        return trial.result is not Result.CONFLICT

    return prereq.smallest(found, works)
