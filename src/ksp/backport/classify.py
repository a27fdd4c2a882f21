"""Classify a fix on one target: clean, adjusted (3-way) or conflict, commit by commit.

Series mode applies the commits in order and stops at the first conflict (later ones are
`skipped`); independent mode tries each commit alone on the target. Every merge is written in
the shadow only (ksp.git.merge); the target is the minor's base plus its existing series.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from ksp.backport import deps
from ksp.backport.model import (
    Attempt,
    CommitResult,
    Conflict,
    ConflictKind,
    FixCommit,
    Offset,
    Result,
    Source,
)
from ksp.git import diff as diffmod
from ksp.git import merge
from ksp.git.shadow import ObjectReader, Shadow


@dataclass
class Classifier:
    """Shared by all targets of one run (and its worker threads): caches each fix commit's
    diff and paths and the synthetic commits of the merges, and keeps one blob reader per
    thread (`reader()`; `close()` ends them)."""

    shadow: Shadow
    merge_base_option: bool | None = None
    _diffs: dict[tuple[str, int], bytes] = field(default_factory=dict)
    _parsed: dict[str, list[diffmod.FileDiff]] = field(default_factory=dict)
    _memo: dict[str, str] = field(default_factory=dict)
    _local: threading.local = field(default_factory=threading.local)
    _readers: list[ObjectReader] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.merge_base_option is None:  # asked once, before the worker threads start
            self.merge_base_option = merge.has_merge_base_option()

    def prepare(self, fix: Sequence[FixCommit]) -> None:
        """Write the fix's own synthetic merge commits (the same for every target) before the
        targets' threads start, so that no two threads write the same one."""
        if not self.merge_base_option:
            for commit in fix:
                merge.fix_commits(self.shadow, commit.apply, commit.parent, memo=self._memo)

    def reader(self) -> ObjectReader:
        """This thread's `git cat-file --batch` in the shadow, started on first use."""
        reader: ObjectReader | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._local.reader = ObjectReader(self.shadow.path)
            self._readers.append(reader)
        return reader

    def close(self) -> None:
        while self._readers:
            self._readers.pop().close()

    def diff(self, commit: FixCommit, context: int = 3) -> bytes:
        key = (commit.apply, context)
        if key not in self._diffs:
            self._diffs[key] = merge.commit_diff(self.shadow, commit.parent, commit.apply,
                                                 context=context)
        return self._diffs[key]

    def whole(self, fix: Sequence[FixCommit]) -> bytes:
        """The whole fix as one diff (first commit's parent to the last commit)."""
        if len(fix) == 1:
            return self.diff(fix[0])
        key = (f"{fix[0].parent}..{fix[-1].apply}", 3)
        if key not in self._diffs:
            self._diffs[key] = merge.commit_diff(self.shadow, fix[0].parent, fix[-1].apply)
        return self._diffs[key]

    def files(self, commit: FixCommit) -> list[diffmod.FileDiff]:
        """The commit's diff parsed once per run (read only: shared by the targets' threads)."""
        if commit.apply not in self._parsed:
            self._parsed[commit.apply] = diffmod.parse(self.diff(commit))
        return self._parsed[commit.apply]

    def paths(self, commit: FixCommit) -> list[str]:
        return sorted({p for f in self.files(commit) for p in (f.old_path, f.new_path) if p})

    def attempt(self, source: Source, onto: str, base: str, *, independent: bool) -> Attempt:
        independent = independent and len(source.commits) > 1
        results: list[CommitResult] = []
        head, stop = onto, False
        conflict: tuple[int, merge.Pick, str] | None = None
        for number, commit in enumerate(source.commits):
            if stop:
                results.append(CommitResult(commit.sha, Result.SKIPPED,
                                            detail="not tried: an earlier commit conflicts"))
                continue
            start = onto if independent else head
            result, new_head, pick = self.one(commit, start, base)
            results.append(result)
            if result.result is Result.CONFLICT:
                if conflict is None and pick is not None:
                    conflict = (number, pick, start)
                stop = not independent
            elif not independent and new_head:
                head = new_head
        worst = max((r.result for r in results), key=lambda r: r.rank, default=Result.CLEAN)
        worst = Result.CONFLICT if worst is Result.SKIPPED else worst
        if independent:
            # what --write needs (a head, or a worktree) is the series, not the single picks
            series = self.attempt(source, onto, base, independent=False)
            return Attempt(source, tuple(results), worst, series.head, series.conflict_tree,
                           series.conflict_onto, series.labels,
                           conflict_index=series.conflict_index, series_result=series.result)
        if worst is Result.CONFLICT:
            if conflict is None:
                return Attempt(source, tuple(results), worst, None)
            number, pick, start = conflict
            commit = source.commits[number]
            labels = ((pick.label_ours, "target"),
                      (pick.label_theirs, f"{commit.apply[:12]} ({commit.subject[:50]})"))
            return Attempt(source, tuple(results), worst, None, pick.tree, start, labels,
                           conflict_index=number)
        return Attempt(source, tuple(results), worst, head)

    def one(self, commit: FixCommit, onto: str, base: str
            ) -> tuple[CommitResult, str | None, merge.Pick | None]:
        """One cherry-pick onto `onto`: its result, the new head commit, the merge."""
        applied_from = commit.apply if commit.apply != commit.sha else None
        pick = merge.pick(self.shadow, onto, commit.apply, commit.parent,
                          merge_base=self.merge_base_option, memo=self._memo)
        if not pick.clean:
            zero = self._zero_context(commit, onto)
            if zero is not None:
                head = merge.synthetic_commit(self.shadow, zero, [onto], _message(commit))
                return CommitResult(commit.sha, Result.ADJUSTED, applied_from=applied_from,
                                    method="zero-context",
                                    detail="dependency bump applied without context"), head, None
            conflicts = self.conflicts(pick, commit, base)
            return CommitResult(commit.sha, Result.CONFLICT, conflicts,
                                applied_from=applied_from, method="3-way"), None, pick
        head = merge.synthetic_commit(self.shadow, pick.tree, [onto], _message(commit))
        if pick.tree == merge.tree_of(self.shadow, onto, self.reader()):
            return CommitResult(commit.sha, Result.CLEAN, applied_from=applied_from,
                                already_applied=True, detail="already on the target: the "
                                "merge changes nothing"), head, pick
        check = merge.apply_check(self.shadow, onto, self.diff(commit), self.paths(commit),
                                  reader=self.reader(), files=self.files(commit))
        if check.ok:
            offsets = tuple(Offset(p, h, o) for p, h, o in check.offsets)
            return CommitResult(commit.sha, Result.CLEAN, offsets=offsets,
                                applied_from=applied_from), head, pick
        offsets = self._offsets(commit, onto, pick.tree)
        return CommitResult(commit.sha, Result.ADJUSTED, offsets=offsets, applied_from=applied_from,
                            method="3-way", detail=check.error), head, pick

    def conflicts(self, pick: merge.Pick, commit: FixCommit, base: str) -> tuple[Conflict, ...]:
        lacking = [c.path for c in pick.conflicted if 2 not in c.stages]
        common = merge.merge_base(self.shadow, base, commit.apply) if lacking else None
        existed = merge.paths_in(self.shadow, common, lacking) if common else set()
        out = []
        for c in pick.conflicted:
            text = "; ".join(m.text for m in pick.messages if c.path in m.paths
                             and m.kind.startswith("CONFLICT"))
            if 2 not in c.stages:
                kind = ConflictKind.DELETED if c.path in existed else ConflictKind.MISSING
                out.append(Conflict(c.path, max(1, c.hunks), kind, text))
            else:
                out.append(Conflict(c.path, max(1, c.hunks), ConflictKind.CONTENT, text))
        seen = {c.path for c in out}
        for m in pick.messages:  # conflicts that leave no unmerged entry (e.g. file location)
            if m.kind.startswith("CONFLICT") and m.paths and not seen.intersection(m.paths):
                out.append(Conflict(m.paths[0], 1, ConflictKind.CONTENT, m.text))
                seen.add(m.paths[0])
        if deps.only_dependencies(self.paths(commit)):
            return deps.collapse(out)[0]
        return tuple(out)

    def _zero_context(self, commit: FixCommit, onto: str) -> str | None:
        if not deps.only_dependencies(self.paths(commit)):
            return None
        _, same_start = deps.describe(self.shadow, [(commit.parent, commit.apply)], onto)
        if not same_start:
            return None
        return merge.apply_zero_context(self.shadow, onto, self.diff(commit, context=0))

    def _offsets(self, commit: FixCommit, onto: str, tree: str) -> tuple[Offset, ...]:
        """Where the regenerated hunks start on the target, against the original's lines."""
        original = {f.path: f for f in self.files(commit)}
        by_name = {p.rsplit("/", 1)[-1]: f for p, f in original.items()}
        regen = diffmod.parse(merge.tree_diff(self.shadow, onto, tree))
        out = []
        for f in regen:
            orig = original.get(f.path) or by_name.get(f.path.rsplit("/", 1)[-1])
            if orig is None or len(orig.hunks) != len(f.hunks):
                continue
            for number, (a, b) in enumerate(zip(orig.hunks, f.hunks, strict=True), start=1):
                if a.old_start != b.old_start:
                    out.append(Offset(f.path, number, b.old_start - a.old_start))
        return tuple(out)


def _message(commit: FixCommit) -> str:
    subject = commit.subject or commit.sha
    return f"ksp backport: {subject}\n\n(cherry picked from commit {commit.sha})"
