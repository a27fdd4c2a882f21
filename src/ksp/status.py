"""`ksp status`: each minor's support window, and inside a patches repo its patches, gaps and the
KEP's success metrics (patches maintained, open gaps, median days from publication to patch)."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, replace
from pathlib import Path

from ksp.deps.summary import LaneCounts, counts, in_lane
from ksp.lifecycle import Lifecycle
from ksp.model import Advisory, AdvisoryKind, Minor, PatchKind, Status, Window
from ksp.repo import PatchesRepo


@dataclass(frozen=True)
class MinorStatus:
    minor: str
    window: Window
    released: str | None
    eol: str | None
    eol_planned: str | None
    extended_until: str | None
    patches: int = 0
    security_patches: int | None = None
    infrastructure_patches: int | None = None
    gaps: int = 0
    patched: int | None = None
    median_days_to_patch: float | None = None
    # The dependency lane: the Go the minor builds with and the Go release policy for it (from
    # the upstream clone, when one is found), and its dependency/toolchain advisories by state.
    go: str | None = None
    go_supported: bool | None = None
    go_policy: str | None = None
    dependency: LaneCounts | None = None
    toolchain: LaneCounts | None = None


@dataclass(frozen=True)
class StatusResult:
    date: str
    project: str
    extended_months: int
    repo: str | None
    minors: list[MinorStatus]


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def compute(lifecycle: Lifecycle, today: dt.date, repo: PatchesRepo | None = None,
            extra: list[Minor] | None = None, upstream: Path | None = None) -> StatusResult:
    advisories = list(repo.advisories().values()) if repo else []
    minors = set(lifecycle.minors()) | set(extra or []) | set(repo.minors() if repo else [])
    rows = [_row(lifecycle, m, today, repo, advisories) for m in sorted(minors, reverse=True)]
    if repo is not None:
        rows = _with_lane(rows, repo, advisories, today, upstream)
    return StatusResult(today.isoformat(), lifecycle.project, lifecycle.extended_months,
                        str(repo.root) if repo else None, rows)


def _row(lc: Lifecycle, minor: Minor, today: dt.date, repo: PatchesRepo | None,
         advisories: list[Advisory]) -> MinorStatus:
    release = lc.release(minor)
    base = MinorStatus(
        minor=str(minor),
        window=lc.window(minor, today),
        released=_iso(release.released) if release else None,
        eol=_iso(lc.eol(minor)),
        eol_planned=_iso(release.eol_planned) if release else None,
        extended_until=_iso(lc.extended_until(minor)),
    )
    if repo is None:
        return base
    series = repo.series(minor)
    security = [a for a in advisories if a.in_scope]  # other projects' count nowhere
    states = [a.minors[minor] for a in security if minor in a.minors]
    days = [
        (s.patched_on - a.published).days
        for a in security
        if (s := a.minors.get(minor)) and s.status is Status.PATCHED and s.patched_on
        and a.published
    ]
    return replace(
        base,
        patches=len(series),
        security_patches=sum(1 for p in series if p.kind is PatchKind.SECURITY),
        infrastructure_patches=sum(1 for p in series if p.kind is PatchKind.INFRASTRUCTURE),
        gaps=sum(1 for s in states if s.status.is_gap),
        patched=sum(1 for s in states if s.status is Status.PATCHED),
        median_days_to_patch=statistics.median(days) if days else None,
    )


def _with_lane(rows: list[MinorStatus], repo: PatchesRepo, advisories: list[Advisory],
               today: dt.date, upstream: Path | None) -> list[MinorStatus]:
    from ksp.deps import gopolicy  # lazy: 1.0 ms of start-up
    from ksp.deps.goversion import minor_go  # lazy: 9.1 ms of start-up

    live = [Minor.parse(r.minor) for r in rows if r.window is not Window.EXPIRED]
    gos = minor_go(repo, upstream, live) if upstream else {}
    lane = [a for a in advisories if in_lane(a)]
    out = []
    for row in rows:
        minor = Minor.parse(row.minor)
        support = gopolicy.support(gos[minor], today) if minor in gos else None
        dep = counts(lane, minor, AdvisoryKind.DEPENDENCY)
        tool = counts(lane, minor, AdvisoryKind.TOOLCHAIN)
        looked = bool(dep.total or tool.total)  # the import looked at this minor
        out.append(replace(
            row, go=gos.get(minor), go_supported=support.supported if support else None,
            go_policy=support.describe() if support else None,
            dependency=dep if looked else None, toolchain=tool if looked else None))
    return out
