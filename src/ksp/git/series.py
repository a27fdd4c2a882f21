"""Verify a patch series on a base commit without a checkout, and write it as commits.

This is the "virtual series base" that the gate, backport and apply share: the base tree is never
read into an index; only the blobs the series touches are read (one `cat-file --batch`), hunks
are matched here, and every resulting blob, tree and commit is written by one `git fast-import`
into the shadow repository. A patch that needs an offset or a 3-way merge is reported as drift.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import NamedTuple

from ksp.errors import FormatError
from ksp.git import _fallback, fastimport
from ksp.git import diff as diffmod
from ksp.git.diff import unsafe_path
from ksp.git.fastimport import Changes
from ksp.git.patchtree import NoApply, TouchedTree, try_files, try_merge
from ksp.git.shadow import ObjectReader, Shadow
from ksp.model import StrEnum


class Outcome(StrEnum):
    APPLIED = "applied"
    FAILED = "failed"
    ALREADY_APPLIED = "already-applied"
    DRIFT = "drift"
    SKIPPED = "skipped"


class PatchInput(NamedTuple):
    """A patch as the series engine needs it: a name for reports and the diff."""

    name: str  # e.g. v1.30/0003_CVE-2025-1234.patch
    diff: bytes  # the git diff (a patch file's header is ignored)
    message: str = ""


class HunkFailure(NamedTuple):
    """A hunk that matches nowhere in its file: what a reviewer must look at."""

    path: str
    hunk: int
    line: int  # where the hunk expected to apply, in the pre-image


class PatchResult(NamedTuple):
    """The verdict on one patch of a series, and the commit it became."""

    name: str
    result: Outcome
    detail: str
    files: tuple[str, ...]
    failed_hunks: tuple[HunkFailure, ...] = ()
    commit: str | None = None


class SeriesResult(NamedTuple):
    """A whole series on one base: per-patch verdicts and the final commit."""

    base: str
    patches: list[PatchResult]
    head: str | None  # the last commit written (base if nothing applied); None on failure
    changed: tuple[str, ...] = ()  # paths that differ between base and head
    allow_drift: bool = False

    @property
    def ok(self) -> bool:
        good = {Outcome.APPLIED, Outcome.ALREADY_APPLIED}
        if self.allow_drift:
            good.add(Outcome.DRIFT)
        return all(p.result in good for p in self.patches)


def _check_with_git(tree: TouchedTree, patch: PatchInput, names: tuple[str, ...]
                    ) -> tuple[PatchResult, Changes]:
    """A patch with binary files: the real `git apply --cached` on a temporary index."""
    current = {path: tree.get(path) for path in names}
    forward = _fallback.apply_with_git(tree.shadow, tree.reader, current, patch.diff)
    if forward and not forward[1]:
        return PatchResult(patch.name, Outcome.APPLIED, "applies exactly (git apply)",
                           names), forward[0]
    if _fallback.apply_with_git(tree.shadow, tree.reader, current, patch.diff, reverse=True):
        return PatchResult(patch.name, Outcome.ALREADY_APPLIED,
                           "already in the base: the patch reverse-applies", names), {}
    if forward:
        return PatchResult(patch.name, Outcome.DRIFT, "applies only with offsets (git apply)",
                           names), forward[0]
    return PatchResult(patch.name, Outcome.FAILED, "binary patch does not apply (git apply)",
                       names), {}


def _parse(patch: PatchInput) -> list[diffmod.FileDiff]:
    try:
        return diffmod.parse(patch.diff)
    except FormatError as exc:
        exc.path = exc.path or patch.name
        raise


def _paths(files: list[diffmod.FileDiff]) -> list[str]:
    return sorted({p for f in files for p in (f.old_path, f.new_path) if p})


def _check_one(tree: TouchedTree, patch: PatchInput, files: list[diffmod.FileDiff]
               ) -> tuple[PatchResult, Changes]:
    paths = _paths(files)
    bad = [p for p in paths if unsafe_path(p)]
    if bad:  # never let such a path reach fast-import or a worktree checkout
        return PatchResult(patch.name, Outcome.FAILED, f"unsafe path {bad[0]!r}: absolute, "
                           "'..' or inside .git", tuple(paths)), {}
    tree.preload(paths)
    names = tuple(paths)
    if any(f.binary for f in files):
        return _check_with_git(tree, patch, names)
    try:
        changes, _ = try_files(tree, files, reverse=False, exact=True)
        return PatchResult(patch.name, Outcome.APPLIED, "applies exactly", names), changes
    except NoApply as exact_failure:
        failure = exact_failure
    try:
        try_files(tree, files, reverse=True, exact=True)
        return PatchResult(patch.name, Outcome.ALREADY_APPLIED,
                           "already in the base: the patch reverse-applies", names), {}
    except NoApply:
        pass
    try:
        changes, notes = try_files(tree, files, reverse=False, exact=False)
        return PatchResult(patch.name, Outcome.DRIFT, "applies only with offsets: "
                           + "; ".join(notes), names), changes
    except NoApply as offset_failure:
        loose = offset_failure
    try:
        changes, merged = try_merge(tree, files)
        return PatchResult(patch.name, Outcome.DRIFT, "needs a 3-way merge: "
                           + ", ".join(merged), names), changes
    except NoApply as merge_failure:
        return _failed(patch, files, names, loose, merge_failure.reason or failure.reason), {}


def _failed(patch: PatchInput, files: list[diffmod.FileDiff], names: tuple[str, ...],
            loose: NoApply, why: str) -> PatchResult:
    """The failure as a reviewer needs it: the file, the hunks, and why no merge helped."""
    hunks = tuple(HunkFailure(_failing_path(files, loose), h.number, 0)
                  for h in loose.hunks if h.offset is None)
    detail = loose.reason if not hunks else (
        f"{hunks[0].path}: hunk(s) " + ", ".join(f"#{h.hunk}" for h in hunks) + " do not apply")
    if "3-way" in why:
        detail += "; " + why.split(", and ", 1)[-1]
    return PatchResult(patch.name, Outcome.FAILED, detail or why, names,
                       _with_lines(files, hunks))


def _failing_path(files: list[diffmod.FileDiff], exc: NoApply) -> str:
    return exc.reason.split(":", 1)[0] if ":" in exc.reason else (files[0].path if files else "")


def _with_lines(files: list[diffmod.FileDiff], hunks: tuple[HunkFailure, ...]
                ) -> tuple[HunkFailure, ...]:
    by_path = {f.path: f for f in files}
    out = []
    for h in hunks:
        f = by_path.get(h.path)
        line = f.hunks[h.hunk - 1].old_start if f and h.hunk <= len(f.hunks) else 0
        out.append(HunkFailure(h.path, h.hunk, line))
    return tuple(out)


def apply_series(shadow: Shadow, base: str, patches: Sequence[PatchInput], *,
                 allow_drift: bool = False, when: dt.datetime | None = None,
                 on_phase: Callable[[str], None] | None = None) -> SeriesResult:
    """Check each patch in order on `base`; write one commit per applied patch (objects only).

    Stops at the first failure (later patches are `skipped`); drift continues, so a reviewer sees
    every problem of the series at once, and fails the series unless `allow_drift`.
    """
    if not patches:  # no reader, no process: a minor without a series is its base
        return SeriesResult(base, [], base, (), allow_drift)
    results: list[PatchResult] = []
    commits: list[tuple[str, dict[str, tuple[str, bytes] | None]]] = []
    failed = False
    with ObjectReader(shadow.path) as reader:
        tree = TouchedTree(shadow, base, reader)
        parsed = [_parse(patch) for patch in patches]
        tree.preload(sorted({p for files in parsed for p in _paths(files)
                             if not unsafe_path(p)}))  # one ls-tree for the series
        for patch, files in zip(patches, parsed, strict=True):
            if failed:
                results.append(PatchResult(patch.name, Outcome.SKIPPED,
                                           "not tried: an earlier patch failed", ()))
                continue
            result, changes = _check_one(tree, patch, files)
            results.append(result)
            if result.result is Outcome.FAILED:
                failed = True
            elif changes:
                tree.files.update(changes)
                commits.append((patch.message or f"ksp: {patch.name}", changes))
        if on_phase:
            on_phase("series")  # every patch checked, nothing written yet
    shas = fastimport.write_commits(shadow, base, commits, when) if commits and not failed else []
    results = _attach(results, shas)
    changed = tuple(sorted({p for _, ch in commits for p in ch}))
    head = None if failed else (shas[-1] if shas else base)
    return SeriesResult(base, results, head, changed, allow_drift)


def _attach(results: list[PatchResult], shas: list[str]) -> list[PatchResult]:
    it = iter(shas)
    return [r._replace(commit=next(it, None)) if r.result in (Outcome.APPLIED, Outcome.DRIFT)
            and shas else r for r in results]
