"""`ksp advisories import --go-vulndb`: Go records matched against extended-window minors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from ksp.deps import vulndb
from ksp.deps.lane import MinorLane, assess
from ksp.deps.store import StoreReport, store
from ksp.errors import KspError
from ksp.git.shadow import Shadow
from ksp.model import Window
from ksp.repo.layout import PatchesRepo


def run(repo: PatchesRepo, upstream: Path, source: str, today: dt.date, *,
        dry_run: bool = False, log: Callable[[str], None] | None = None) -> StoreReport:
    records = vulndb.load(source)  # all of it read and validated before anything is written
    groups = vulndb.join(records)
    minors = repo.lifecycle().in_window(today, Window.EXTENDED)
    report = StoreReport(today.isoformat(), [str(m) for m in minors], len(records), dry_run)
    shadow = Shadow.open(upstream)
    lanes: list[MinorLane] = []
    for minor in minors:
        if log:
            log(f"ksp advisories: {minor}: inventory, {len(groups)} advisories, reachability")
        try:
            lanes.append(assess(repo, shadow, minor, groups))
        except KspError as exc:
            report.warnings.append(f"{minor}: skipped: {exc}")
    for lane in lanes:
        if lane.note:
            report.warnings.append(f"{lane.minor}: {lane.note}")
    return store(repo, lanes, groups, report)
