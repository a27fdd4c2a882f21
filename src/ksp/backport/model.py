"""What triage finds, per target minor and per commit: plain frozen data for the reports."""

from __future__ import annotations

from typing import NamedTuple

from ksp.model import Minor, StrEnum


class Result(StrEnum):
    CLEAN = "clean"  # `git apply` takes it as is (offsets allowed, reported)
    ALREADY_APPLIED = "already-applied"  # the branch or the minor's series has it: nothing to do
    ADJUSTED = "adjusted"  # only a 3-way merge (renames, directory renames) takes it
    CONFLICT = "conflict"
    SKIPPED = "skipped"  # series mode: not tried after an earlier commit conflicted
    ERROR = "error"  # the target itself could not be prepared (no branch, broken series)

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Result.ALREADY_APPLIED: 0, Result.CLEAN: 0, Result.ADJUSTED: 1, Result.SKIPPED: 2,
         Result.CONFLICT: 3, Result.ERROR: 4}


class ConflictKind(StrEnum):
    CONTENT = "content"  # both sides changed the same lines
    MISSING = "missing"  # the file never existed on the target
    DELETED = "deleted"  # the target deleted (or renamed away) the file


class Conflict(NamedTuple):
    path: str
    hunks: int
    kind: ConflictKind
    detail: str = ""


class Offset(NamedTuple):
    path: str
    hunk: int
    offset: int


class FixCommit(NamedTuple):
    """One upstream commit of the fix, and the version of it a source supplies."""

    sha: str  # the upstream commit named on the command line
    apply: str  # the commit whose change is applied (sha, or its backport on a branch)
    parent: str | None
    subject: str = ""
    method: str = "given"  # given | cherry-pick-trailer | patch-id | subject-author
    published_from: str | None = None  # k8s.io staging: the kubernetes/kubernetes commit


class Evidence(NamedTuple):
    """Why a fix counts as already there: how it was matched, and to which commit or patch."""

    by: str  # ancestor | cherry-pick-trailer | patch-id | subject-author | series-index |
    #          series-patch-id | reverse-apply
    commit: str | None = None
    patch: str | None = None
    detail: str = ""


class Source(NamedTuple):
    name: str  # "upstream" or a release branch
    commits: tuple[FixCommit, ...]
    minor: Minor | None = None


class CommitResult(NamedTuple):
    sha: str
    result: Result
    conflicts: tuple[Conflict, ...] = ()
    offsets: tuple[Offset, ...] = ()
    applied_from: str | None = None  # the commit actually applied, when not `sha`
    already_applied: bool = False
    method: str = "cherry-pick"  # cherry-pick | 3-way | zero-context
    detail: str = ""


class ModuleChange(NamedTuple):
    module: str
    source_from: str | None
    source_to: str | None
    target: str | None


class DependencyBump(NamedTuple):
    modules: tuple[ModuleChange, ...]
    same_start: bool  # the target has every module at the version the fix starts from
    zero_context: str  # applied | failed | not-offered | not-needed
    vendor_conflicts: int = 0
    reason: str = ""  # why zero_context is what it is (not-offered, failed)
    left_out: tuple[str, ...] = ()  # publishing-bot artifacts (k8s.io/api -> v0.0.0, ../api)


class SourceTry(NamedTuple):
    source: str
    result: Result
    first_conflict: int | None = None  # index of the first conflicting commit


class Attempt(NamedTuple):
    """One source tried on one target (internal: the best one becomes the target's result)."""

    source: Source
    commits: tuple[CommitResult, ...]
    result: Result
    head: str | None  # commit with every applied change (None if the first one conflicted)
    conflict_tree: str | None = None  # the merge result with markers, for a worktree
    conflict_onto: str | None = None  # what the conflicting commit was merged onto
    labels: tuple[tuple[str, str], ...] = ()
    dependency_bump: DependencyBump | None = None
    conflict_index: int | None = None  # the commit the worktree's markers belong to
    series_result: Result | None = None  # independent mode: the commits applied as a series


class PullRequest(NamedTuple):
    """An upstream pull request (its merge commit) whose commits hold prerequisites."""

    merge: str
    commits: tuple[str, ...]


class TargetResult(NamedTuple):
    minor: Minor
    branch: str
    result: Result
    window: str = "unknown"
    base: str | None = None  # the minor's upstream base commit
    head: str | None = None  # base + the minor's existing series (a shadow commit)
    series: int = 0  # patches already in the minor's series
    commits: tuple[CommitResult, ...] = ()
    source: str | None = None
    sources_tried: tuple[SourceTry, ...] = ()
    prerequisites: tuple[str, ...] = ()
    prerequisites_verified: bool = False
    dependency_bump: DependencyBump | None = None
    patch: str | None = None
    worktree: str | None = None
    error: str | None = None
    already_applied: Evidence | None = None
    prerequisite_prs: tuple[PullRequest, ...] = ()
    attempt: Attempt | None = None  # what --write needs (its commits, heads and conflicts)


class BackportResult(NamedTuple):
    advisory: str
    mode: str  # series | independent
    upstream: str
    commits: tuple[FixCommit, ...]
    targets: tuple[TargetResult, ...]

    @property
    def ok(self) -> bool:
        return all(t.result in (Result.CLEAN, Result.ADJUSTED, Result.ALREADY_APPLIED)
                   for t in self.targets)
