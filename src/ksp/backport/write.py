"""`--write` and `--continue`: patch files and index entries, or a worktree to finish by hand.

Nothing is written in the user's clone: patches go to the patches repo, worktrees and their
state to ksp's cache (the worktree belongs to the shadow repository). A patch is the diff from
the target's base + series commit to the result, so it applies exactly on top of the series.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ksp._files import atomic_write, cache_dir
from ksp.backport.model import BackportResult, FixCommit, Result, Source, TargetResult
from ksp.errors import KspError
from ksp.git import merge
from ksp.git.shadow import Shadow
from ksp.model import Advisory, AdvisoryId, BackportClass, Minor, MinorState, PatchKind, Status
from ksp.repo import index as index_mod
from ksp.repo.layout import PatchesRepo
from ksp.repo.patchfile import new_header

TESTING_PENDING = "pending (run `ksp gate --record`)"


@dataclass(frozen=True)
class Written:
    minor: Minor
    patch: str | None = None  # repo-relative path
    worktree: str | None = None
    note: str = ""


def header_text(repo: PatchesRepo, advisory: str, commits: Sequence[str], *, cls: BackportClass,
                fixer: str, diff: str, notes: str | None = None) -> str:
    adv = repo.index().advisories().get(AdvisoryId(advisory))
    kind = PatchKind.of(advisory)
    origin = (adv.fixes[0] if adv and adv.fixes
              else f"{repo.config.upstream.rstrip('/')}/commit/{commits[0]}")
    fields = {"Upstream commits": " ".join(commits), "Backport": cls.value,
              "Testing": TESTING_PENDING, "Affected components": ", ".join(
                  adv.components if adv else ())}
    if "_test.go" in diff:
        fields["Tests"] = "kept"
    if kind is PatchKind.SECURITY:
        fields.update({"Original patch": origin, "CVE issue": (adv.issue if adv else None) or "",
                       "CVE Fixer": fixer})
        if adv and adv.severity:
            score = adv.severity.score
            fields["Severity"] = adv.severity.rating.value + (
                f" (CVSS {score:g})" if score is not None else "")
            if adv.severity.vector:
                fields["CVSS vector"] = adv.severity.vector
    else:
        fields.update({"Upstream reference": origin, "Fixer": fixer,
                       "Reason": (adv.reason or adv.title) if adv else ""})
    header = new_header(kind, advisory, fields)
    return (header.set("Notes", notes) if notes else header).render()


def patch_text(repo: PatchesRepo, shadow: Shadow, advisory: str, commits: Sequence[str], *,
               cls: BackportClass, fixer: str, old: str, new: str,
               source: Source | None = None) -> str | None:
    body = merge.tree_diff(shadow, old, new)
    if not body.strip():
        return None
    notes = None
    if source is not None and source.name != "upstream":
        notes = f"backported from {source.name} (" + " ".join(
            c.apply[:12] for c in source.commits) + ")"
    return header_text(repo, advisory, commits, cls=cls, fixer=fixer, diff=body,
                       notes=notes) + body


def save_patches(repo: PatchesRepo, advisory: str, texts: dict[Minor, str]) -> dict[Minor, str]:
    """Write each minor's patch after its series, then set the index entries (one locked edit)."""
    paths: dict[Minor, str] = {}
    for minor in sorted(texts):
        rel = f"{minor.folder}/{repo.next_number(minor):04d}_{advisory}.patch"
        paths[minor] = rel
    for minor, rel in paths.items():
        atomic_write(repo.root / rel, texts[minor])
    with index_mod.edit(repo.index_path) as doc:
        if advisory not in doc.doc["advisories"]:
            doc.upsert(Advisory(AdvisoryId(advisory), title=advisory,
                                kind=PatchKind.of(advisory)))
        for minor, rel in paths.items():
            digest = hashlib.sha256((repo.root / rel).read_bytes()).hexdigest()
            doc.set_state(advisory, minor, MinorState(Status.IN_PROGRESS, patch=rel,
                                                      sha256=digest))
    return paths


def backport_class(result: Result) -> BackportClass:
    return BackportClass.CLEAN if result is Result.CLEAN else BackportClass.ADJUSTED


def write(repo: PatchesRepo, shadow: Shadow, result: BackportResult, fixer: str
          ) -> list[Written]:
    """Patches for targets that apply, worktrees for conflicts; checks all before writing."""
    shas = [c.sha for c in result.commits]
    texts: dict[Minor, str] = {}
    conflicts: list[TargetResult] = []
    out: list[Written] = []
    for target in result.targets:
        attempt = target.attempt
        if attempt is None or target.head is None:
            continue
        if attempt.head:
            applied = attempt.series_result or target.result
            text = patch_text(repo, shadow, result.advisory, shas, cls=backport_class(applied),
                              fixer=fixer, old=target.head, new=attempt.head,
                              source=attempt.source)
            if text is None:
                out.append(Written(target.minor, note="already applied: nothing to write"))
            else:
                texts[target.minor] = text
        elif attempt.conflict_tree:
            conflicts.append(target)
    _check_free(repo, shadow, result.advisory, texts, conflicts)
    out += [Written(t.minor, worktree=str(open_worktree(repo, shadow, result, t, fixer)))
            for t in conflicts]
    saved = save_patches(repo, result.advisory, texts) if texts else {}
    out += [Written(m, patch=p) for m, p in saved.items()]
    return out


def _check_free(repo: PatchesRepo, shadow: Shadow, advisory: str, texts: dict[Minor, str],
                conflicts: list[TargetResult]) -> None:
    for minor in texts:
        existing = [r for r in repo.series(minor) if r.advisory == advisory]
        if existing:
            raise KspError(f"{existing[0].path} already holds a patch for {advisory}",
                           hint="remove it first, or edit it by hand")
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
                  target: TargetResult, fixer: str) -> Path:
    attempt = target.attempt
    assert attempt and attempt.conflict_tree and target.head
    path = worktree_path(shadow, result.advisory, target.minor)
    try:
        merge.add_worktree(shadow, path, target.head, attempt.conflict_tree)
        conflicted = [x.path for c in attempt.commits for x in c.conflicts]
        merge.relabel_markers(path, conflicted, {
            attempt.labels[0][0]: f"{target.branch} (target)",
            attempt.labels[1][0]: attempt.labels[1][1]} if attempt.labels else {})
    except BaseException:
        merge.remove_worktree(shadow, path)
        raise
    index = attempt.conflict_index or 0
    remaining = list(attempt.source.commits[index + 1 :])
    state = {
        "advisory": result.advisory, "minor": str(target.minor), "branch": target.branch,
        "upstream": str(shadow.upstream), "shadow": str(shadow.path), "repo": str(repo.root),
        "head": target.head, "base": target.base, "worktree": str(path),
        "commits": [c.sha for c in result.commits],
        "remaining": [_commit_json(c) for c in remaining], "source": attempt.source.name,
        "fixer": fixer,
    }  # fmt: skip
    atomic_write(state_file(path), json.dumps(state, indent=2) + "\n")
    return path


def _commit_json(c: FixCommit) -> dict[str, Any]:
    return {"sha": c.sha, "apply": c.apply, "parent": c.parent, "subject": c.subject}


def pending(repo: PatchesRepo | None, advisory: str | None, minor: Minor | None
            ) -> list[dict[str, Any]]:
    found = []
    for file in sorted(state_dir().glob("*/*.json")):
        state = json.loads(file.read_text())
        if repo and Path(state["repo"]) != repo.root:
            continue
        if advisory and state["advisory"] != advisory:
            continue
        if minor and Minor.parse(state["minor"]) != minor:
            continue
        found.append(state)
    return found
