"""`ksp backport` triage: the fix's commits, each target's result from its best source."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from ksp.backport import deps, prereq, sources, targets
from ksp.backport.classify import Classifier
from ksp.backport.model import (
    Attempt,
    BackportResult,
    CommitResult,
    DependencyBump,
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
from ksp.model import Minor
from ksp.repo.config import Config
from ksp.repo.layout import PatchesRepo


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
        parents = _parents(shadow, sha)
        if len(parents) > 1:
            raise UsageError(f"{sha[:12]} is a merge commit", hint="pass it with --merge")
        subject = shadow.git("log", "-1", "--format=%s", sha).stdout.strip()
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
    paths = sorted({p for c in fix for p in classifier.paths(c)})
    known = set(lifecycle.minors()) | set(minors) | (set(repo.minors()) if repo else set())
    tips = {m: (config.branch_for(m), sha) for m in known
            if (sha := targets.branch_commit(refs, config.branch_for(m)))}
    if req.from_branch:
        tips = {m: v for m, v in tips.items() if v[0] == req.from_branch}
        if not tips:
            raise UsageError(f"--from {req.from_branch}: no such release branch in the upstream")
    found = sources.find(shadow, fix, tips, paths)
    if req.from_branch and not found:
        warn(f"ksp: warning: no version of the fix found on {req.from_branch}; "
             "using the upstream commits")
    original = Source("upstream", tuple(fix))
    results = []
    for minor in minors:
        target = targets.prepare(shadow, refs, config, repo, minor=minor,
                                 window=lifecycle.window(minor, req.today))
        results.append(_one_target(classifier, target, found, original, req))
    mode = "independent" if req.independent else "series"
    return BackportResult(req.advisory, mode, str(shadow.upstream), tuple(fix), tuple(results))


def _score(attempt: Attempt) -> tuple[int, int, int]:
    first = next((i for i, c in enumerate(attempt.commits) if c.result is Result.CONFLICT),
                 len(attempt.commits))
    hunks = sum(x.hunks for c in attempt.commits for x in c.conflicts)
    return attempt.result.rank, -first, hunks


def _one_target(classifier: Classifier, target: targets.Target, found: list[Source],
                original: Source, req: Request) -> TargetResult:
    if target.error or target.head is None or target.base is None:
        return TargetResult(target.minor, target.branch, Result.ERROR, str(target.window),
                            target.base, None, target.series, error=target.error)
    there = _already_there(classifier.shadow, target, found)
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
        attempt=replace(best, dependency_bump=bump),
    )
    if best.result is Result.CONFLICT and req.prerequisites and bump is None:
        found_pre = _prerequisites(classifier, best, target, req)
        result = replace(result, prerequisites=found_pre.commits,
                         prerequisites_verified=found_pre.verified)
    return result


def _already_there(shadow: Shadow, target: targets.Target, found: list[Source]
                   ) -> TargetResult | None:
    """The fix is already in the target's base (merged upstream into that release branch, found
    by trailer, patch-id or subject): nothing to backport, and no conflict to report."""
    own = next((s for s in found if s.minor == target.minor), None)
    if own is None or target.base is None or target.head is None:
        return None
    for version in own.commits:
        inside = shadow.git("merge-base", "--is-ancestor", version.apply, target.base,
                            check=False)
        if inside.returncode != 0:
            return None  # on the branch, but after the base (e.g. the final tag)
    commits = tuple(CommitResult(
        c.sha, Result.CLEAN, applied_from=c.apply, already_applied=True, method=c.method,
        detail=f"already on {target.branch} as {c.apply[:12]} (found by {c.method})")
        for c in own.commits)
    attempt = Attempt(own, commits, Result.CLEAN, target.head)
    return TargetResult(target.minor, target.branch, Result.CLEAN, str(target.window),
                        target.base, target.head, target.series, commits,
                        f"{target.branch} (already there)", (SourceTry(own.name, Result.CLEAN),),
                        attempt=attempt)


def _dependency_bump(classifier: Classifier, best: Attempt, head: str) -> DependencyBump | None:
    commits = best.source.commits
    if not deps.only_dependencies(p for c in commits for p in classifier.paths(c)):
        return None
    steps = [(c.parent, c.apply) for c in commits]
    modules, same_start = deps.describe(classifier.shadow, steps, head)
    if any(c.method == "zero-context" for c in best.commits):
        status = "applied"
    elif best.result is not Result.CONFLICT:
        status = "not-needed"
    else:
        status = "failed" if same_start else "not-offered"
    vendor = sum(1 for c in best.commits for x in c.conflicts if x.path == "vendor/")
    return DependencyBump(modules, same_start, status, vendor)


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
