"""`ksp backport` reports: the JSON contract, and a terminal table with the details below it."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from ksp.backport.model import (
    BackportResult,
    CommitResult,
    DependencyBump,
    Evidence,
    TargetResult,
)
from ksp.report.json import plain

if TYPE_CHECKING:
    from ksp.backport.resume import Continued  # the resume path only: not at start-up

_STYLE = {"already-applied": "green", "clean": "green", "adjusted": "yellow", "conflict": "red",
          "error": "magenta", "skipped": "dim"}


def to_json(result: BackportResult) -> dict[str, object]:
    """`{"advisory", "targets": [{"minor", "branch", "result", "commits", "prerequisites",
    "patch", …}]}`: the documented contract, plus fields that only add."""
    return {
        "advisory": result.advisory,
        "mode": result.mode,
        "upstream": result.upstream,
        "commits": [{"sha": c.sha, "subject": c.subject,
                     **({"published_from": c.published_from} if c.published_from else {})}
                    for c in result.commits],
        "targets": [_target(t) for t in result.targets],
    }


def _target(t: TargetResult) -> dict[str, object]:
    return {
        "minor": str(t.minor),
        "branch": t.branch,
        "result": t.result.value,
        "window": t.window,
        "base": t.base,
        "series": t.series,
        "source": t.source,
        "sources_tried": plain(list(t.sources_tried)),
        "commits": [_commit(c) for c in t.commits],
        "prerequisites": list(t.prerequisites),
        "prerequisites_verified": t.prerequisites_verified,
        "prerequisite_prs": [{"merge": p.merge, "commits": list(p.commits)}
                             for p in t.prerequisite_prs],
        "already_applied": _evidence(t.already_applied),
        "dependency_bump": _bump(t.dependency_bump),
        "patch": t.patch,
        "worktree": t.worktree,
        "error": t.error,
    }


def _commit(c: CommitResult) -> dict[str, object]:
    return {
        "sha": c.sha,
        "result": c.result.value,
        "conflicts": [{"path": x.path, "hunks": x.hunks, "kind": x.kind.value,
                       "detail": x.detail} for x in c.conflicts],
        "offsets": [{"path": o.path, "hunk": o.hunk, "offset": o.offset} for o in c.offsets],
        "applied_from": c.applied_from,
        "already_applied": c.already_applied,
        "method": c.method,
        "detail": c.detail,
    }


def _evidence(evidence: Evidence | None) -> dict[str, object] | None:
    if evidence is None:
        return None
    out: dict[str, object] = {"by": evidence.by}
    if evidence.commit:
        out["commit"] = evidence.commit
    if evidence.patch:
        out["patch"] = evidence.patch
    if evidence.detail:
        out["detail"] = evidence.detail
    return out


def _bump(bump: DependencyBump | None) -> object:
    return plain(bump) if bump else None


def text(result: BackportResult) -> str:
    from rich.console import Console  # lazy: 16.7 ms of start-up (the JSON path needs no rich)
    from rich.table import Table  # lazy: 13.5 ms of start-up

    table = Table(title=f"backport of {result.advisory} ({_count(len(result.commits), 'commit')}, "
                        f"{result.mode})", title_justify="left")
    for column in ("minor", "branch", "result", "source", "commits", "next step"):
        table.add_column(column)
    for t in result.targets:
        commits = " ".join(f"{c.sha[:8]}:{c.result}" for c in t.commits) or "-"
        table.add_row(str(t.minor), t.branch, f"[{_STYLE.get(t.result.value, '')}]{t.result}[/]",
                      t.source or "-", commits, _next(t))
    buf = io.StringIO()
    Console(file=buf, width=160, no_color=True).print(table)
    lines = [buf.getvalue().rstrip("\n")]
    lines += [f"{c.sha[:12]} was published from {c.published_from[:12]} ({c.subject})"
              for c in result.commits if c.published_from]
    for t in result.targets:
        lines += _details(t)
    return "\n".join(lines) + "\n"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _next(t: TargetResult) -> str:
    if t.patch:
        return f"wrote {t.patch}"
    if t.worktree:
        return "resolve in the worktree below"
    if t.error:
        return "see below"
    if t.commits and all(c.already_applied for c in t.commits):
        return "none: already there"
    return {"clean": "--write", "adjusted": "--write, then review"}.get(t.result.value,
                                                                       "resolve by hand")


def _details(t: TargetResult) -> list[str]:
    out = []
    for c in t.commits:
        for x in c.conflicts:
            out.append(f"{t.minor}: {c.sha[:12]}: {x.kind} conflict in {x.path} "
                       f"({_count(x.hunks, 'hunk')})")
        if c.offsets:
            where = ", ".join(f"{o.path} #{o.hunk} {o.offset:+d}" for o in c.offsets[:6])
            out.append(f"{t.minor}: {c.sha[:12]}: offsets {where}")
        if c.already_applied and t.already_applied is None:
            out.append(f"{t.minor}: {c.sha[:12]}: already on the target")
    if t.already_applied is not None:
        out.append(f"{t.minor}: already applied: {_said(t.already_applied)}")
    if t.prerequisites:
        state = "verified" if t.prerequisites_verified else "not verified"
        out.append(f"{t.minor}: prerequisites ({state}): "
                   + " ".join(s[:12] for s in t.prerequisites))
    for pr in t.prerequisite_prs:
        out.append(f"{t.minor}: or take their whole pull request (merge {pr.merge[:12]}): "
                   + " ".join(s[:12] for s in pr.commits))
    if t.worktree:
        out.append(f"{t.minor}: conflict markers in {t.worktree}; resolve them, then "
                   f"`ksp backport --continue --minor {t.minor}`")
    if t.error:
        out.append(f"{t.minor}: {t.error}")
    if t.dependency_bump:
        for m in t.dependency_bump.modules:
            out.append(f"{t.minor}: dependency {m.module}: {m.source_from} -> {m.source_to} "
                       f"upstream, {m.target} on the target")
        bump = t.dependency_bump
        why = f" ({bump.reason})" if bump.reason else ""
        out.append(f"{t.minor}: zero-context apply: {bump.zero_context}{why}")
    return out


def _said(e: Evidence) -> str:
    what = {"ancestor": "the fix commit is in the base",
            "cherry-pick-trailer": "its `(cherry picked from commit …)` trailer names the fix",
            "patch-id": "the same `git patch-id --stable`",
            "subject-author": "the same subject and author (paths may have moved)",
            "series-index": "index.yaml marks the advisory patched on this minor",
            "series-patch-id": "a series patch has the fix's patch-id",
            "reverse-apply": "the fix reverse-applies on the target",
            "dependency-version": e.detail}.get(e.by, e.by)
    where = e.commit[:12] if e.commit else e.patch
    return f"{where}: {what}" if where else what


def continued_json(done: Continued) -> dict[str, object]:
    return {"advisory": done.advisory, "minor": str(done.minor), "patch": done.patch,
            "worktree": done.worktree, "conflicts": list(done.conflicts), "note": done.note}


def continued(done: Continued) -> str:
    if done.patch:
        return f"{done.advisory} {done.minor}: wrote {done.patch}\n"
    files = ", ".join(done.conflicts)
    return f"{done.advisory} {done.minor}: {done.note}; conflicts in {files}; " \
           f"worktree {done.worktree}\n"
