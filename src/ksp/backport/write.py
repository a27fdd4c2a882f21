"""`--write` and `--continue`: patch files and index entries, or a worktree to finish by hand.

Nothing is written in the user's clone: patches go to the patches repo, worktrees and their
state to ksp's cache (the worktree belongs to the shadow repository). A patch is the diff from
the target's base + series commit to the result, so it applies exactly on top of the series.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ksp import headerfields
from ksp._files import cache_dir
from ksp.backport.model import BackportResult, Result, Source, TargetResult
from ksp.backport.state import ResumeState
from ksp.backport.state import load as load_state
from ksp.errors import KspError
from ksp.git import merge, worktrees
from ksp.git.shadow import Shadow
from ksp.headerfields import HeaderValues, Origin
from ksp.model import Advisory, AdvisoryId, BackportClass, Minor, MinorState, PatchKind, Status
from ksp.repo import index_edit, patchfile, policy
from ksp.repo.layout import PatchesRepo


@dataclass(frozen=True)
class Written:
    minor: Minor
    patch: str | None = None  # repo-relative path
    worktree: str | None = None
    note: str = ""


def header_text(repo: PatchesRepo, advisory: str, commits: Sequence[str], *, cls: BackportClass,
                values: HeaderValues, paths: Sequence[str], subject: str | None = None,
                notes: str | None = None, published_from: Sequence[str] = ()
                ) -> tuple[str, Advisory]:
    """The header (ksp new's, with the triage's class) and the index entry it implies."""
    existing = repo.index().advisories().get(AdvisoryId(advisory))
    tests = values.tests or ("kept" if any(p.endswith("_test.go") for p in paths) else None)
    origin = Origin(tuple(commits), tuple(paths), subject, notes, tuple(published_from))
    return headerfields.build(advisory, replace(values, backport=cls.value, tests=tests), origin,
                              existing, repo.config)


def patch_text(repo: PatchesRepo, shadow: Shadow, advisory: str, commits: Sequence[str], *,
               cls: BackportClass, values: HeaderValues, old: str, new: str,
               subject: str | None = None, source: Source | None = None,
               published_from: Sequence[str] = ()) -> tuple[bytes, Advisory] | None:
    """The patch file (header, then the diff as git wrote it: bytes, whatever its encoding)."""
    body = merge.tree_diff(shadow, old, new)
    if not body.strip():
        return None
    notes = None
    if source is not None and source.name != "upstream":
        notes = f"backported from {source.name} (" + " ".join(
            c.apply[:12] for c in source.commits) + ")"
    header, entry = header_text(repo, advisory, commits, cls=cls, values=values,
                                paths=merge.changed_paths(shadow, old, new), subject=subject,
                                notes=notes, published_from=published_from)
    return header.encode("utf-8") + body, entry


def save_patches(repo: PatchesRepo, advisory: str, texts: dict[Minor, bytes],
                 entry: Advisory | None = None) -> dict[Minor, str]:
    """Write each minor's patch after its series and set the index entries, as one operation
    under the repo lock (numbers chosen and policy checked there); `entry` fills what the
    advisory's index entry lacks (it is created if missing)."""
    paths: dict[Minor, str] = {}
    with index_edit.edit(repo.index_path) as doc:
        _check_series(repo, advisory, list(texts))
        for minor in sorted(texts):
            rel = f"{minor.folder}/{repo.next_number(minor):04d}_{advisory}.patch"
            raw = texts[minor]
            files = patchfile.parse_diff(patchfile.split(raw)[1], rel)
            policy.enforce(files, repo.config.policy, name=rel, size=len(raw))
            paths[minor] = rel
            doc.stage(repo.root / rel, raw)
        doc.upsert(entry or Advisory(AdvisoryId(advisory), title=advisory,
                                     kind=PatchKind.of(advisory)))
        for minor, rel in paths.items():
            digest = hashlib.sha256(texts[minor]).hexdigest()
            doc.set_state(advisory, minor, MinorState(Status.IN_PROGRESS, patch=rel,
                                                      sha256=digest))
    return paths


def backport_class(result: Result) -> BackportClass:
    return BackportClass.CLEAN if result is Result.CLEAN else BackportClass.ADJUSTED


def write(repo: PatchesRepo, shadow: Shadow, result: BackportResult, values: HeaderValues
          ) -> list[Written]:
    """Patches for targets that apply, worktrees for conflicts; checks all (the header's values
    included) before writing anything."""
    shas = [c.sha for c in result.commits]
    published = tuple(c.published_from for c in result.commits if c.published_from)
    subject = result.commits[0].subject if result.commits else None
    texts: dict[Minor, bytes] = {}
    entry: Advisory | None = None
    conflicts: list[TargetResult] = []
    out: list[Written] = []
    for target in result.targets:
        attempt = target.attempt
        if attempt is None or target.head is None:
            continue
        if attempt.head:
            applied = attempt.series_result or target.result
            made = patch_text(repo, shadow, result.advisory, shas, cls=backport_class(applied),
                              values=values, old=target.head, new=attempt.head,
                              subject=subject, source=attempt.source, published_from=published)
            if made is None:
                out.append(Written(target.minor, note="already applied: nothing to write"))
            else:
                texts[target.minor], entry = made
        elif attempt.conflict_tree:
            # --continue makes this patch later: check now that its header can be built
            header_text(repo, result.advisory, shas, cls=BackportClass.ADJUSTED, values=values,
                        paths=merge.changed_paths(shadow, target.head, attempt.conflict_tree),
                        subject=subject)
            conflicts.append(target)
    _check_free(repo, shadow, result.advisory, texts, conflicts)
    out += [Written(t.minor, worktree=str(open_worktree(repo, shadow, result, t, values)))
            for t in conflicts]
    saved = save_patches(repo, result.advisory, texts, entry) if texts else {}
    out += [Written(m, patch=p) for m, p in saved.items()]
    return out


def _check_series(repo: PatchesRepo, advisory: str, minors: list[Minor]) -> None:
    """Never two patches for one advisory on a minor (checked again under the lock)."""
    for minor in minors:
        existing = [r for r in repo.series(minor) if r.advisory == advisory]
        if existing:
            raise KspError(f"{existing[0].path} already holds a patch for {advisory}",
                           hint="remove it first, or edit it by hand")


def _check_free(repo: PatchesRepo, shadow: Shadow, advisory: str, texts: dict[Minor, bytes],
                conflicts: list[TargetResult]) -> None:
    _check_series(repo, advisory, list(texts))
    for target in conflicts:
        path = worktree_path(shadow, advisory, target.minor)
        if path.exists():
            raise KspError(f"a backport worktree for {advisory} on {target.minor} exists: "
                           f"{path}", hint="finish it with `ksp backport --continue`, or "
                           "remove it with `ksp backport --abort`")


# --- conflicts: a worktree and the state to continue from ------------------------------------

def state_dir() -> Path:
    return cache_dir() / "backport"


def worktree_path(shadow: Shadow, advisory: str, minor: Minor) -> Path:
    return state_dir() / shadow.path.name / f"{advisory}_{minor.folder}"


def state_file(worktree: Path) -> Path:
    return worktree.with_name(worktree.name + ".json")


def open_worktree(repo: PatchesRepo, shadow: Shadow, result: BackportResult,
                  target: TargetResult, values: HeaderValues) -> Path:
    attempt = target.attempt
    assert attempt and attempt.conflict_tree and target.head
    path = worktree_path(shadow, result.advisory, target.minor)
    try:
        worktrees.add_worktree(shadow, path, target.head, attempt.conflict_tree)
        conflicted = [x.path for c in attempt.commits for x in c.conflicts]
        worktrees.relabel_markers(path, conflicted, {
            attempt.labels[0][0]: f"{target.branch} (target)",
            attempt.labels[1][0]: attempt.labels[1][1]} if attempt.labels else {})
    except BaseException:
        worktrees.remove_worktree(shadow, path)
        raise
    index = attempt.conflict_index or 0
    remaining = list(attempt.source.commits[index + 1 :])
    ResumeState(
        advisory=result.advisory, minor=target.minor, branch=target.branch,
        upstream=shadow.upstream, shadow=shadow.path, repo=repo.root, head=target.head,
        base=target.base, worktree=path, commits=tuple(c.sha for c in result.commits),
        published_from=tuple(c.published_from for c in result.commits if c.published_from),
        subject=result.commits[0].subject if result.commits else None,
        remaining=tuple(remaining), source=attempt.source.name, header=values.to_json(),
    ).save(state_file(path))
    return path


def pending(repo: PatchesRepo | None, advisory: str | None, minor: Minor | None
            ) -> list[ResumeState]:
    found = []
    for file in sorted(state_dir().glob("*/*.json")):
        state = load_state(file)
        if repo and state.repo != repo.root:
            continue
        if advisory and state.advisory != advisory:
            continue
        if minor and state.minor != minor:
            continue
        found.append(state)
    return found
