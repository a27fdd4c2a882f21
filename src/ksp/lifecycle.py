"""Support windows: supported until EOL, extended until EOL + N calendar months, then expired.

Kubernetes, containerd, etcd and runc dates ship with the package (each file names its sources);
`ksp lifecycle import` merges newer files over them (the Kubernetes website's schedule.yaml /
eol.yaml, endoflife.date product files and its JSON API, ksp's own format).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ksp import _lifecycle_files
from ksp._yaml import dump_yaml
from ksp.model import Minor, Release, Window

DEFAULT_EXTENDED_MONTHS = 12


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months, clamped to the month's end (2025-08-31 + 6 = 2026-02-28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Lifecycle:
    """All known releases of one project, the length of the extended window, and the project's
    documented support rule where it has one (see `LifecycleFile.supported_minors`)."""

    project: str
    releases: Mapping[Minor, Release]
    extended_months: int = DEFAULT_EXTENDED_MONTHS
    supported_minors: int | None = None
    sources: tuple[str, ...] = ()

    def release(self, minor: Minor) -> Release | None:
        return self.releases.get(minor)

    def eol(self, minor: Minor) -> dt.date | None:
        """The data's end of life, else the one the support rule gives (the release date of the
        N-th newer minor), which also overrides an `eol: false` written before that release."""
        release = self.releases.get(minor)
        if release is None:
            return None
        return release.eol or self._rule_eol(minor)

    def _rule_eol(self, minor: Minor) -> dt.date | None:
        if not self.supported_minors:
            return None
        newer = sorted(m for m in self.releases if m > minor and m.major == minor.major)
        if len(newer) < self.supported_minors:
            return None
        return self.releases[newer[self.supported_minors - 1]].released

    def still_supported(self, minor: Minor) -> bool:
        """No end date, but known to be supported: `eol: false`, or too few newer minors yet
        for the support rule to end it."""
        release = self.releases.get(minor)
        if release is None or self.eol(minor) is not None:
            return False
        if release.supported is not None:
            return release.supported
        return bool(self.supported_minors and release.released)

    def extended_until(self, minor: Minor) -> dt.date | None:
        eol = self.eol(minor)
        return add_months(eol, self.extended_months) if eol else None

    def window(self, minor: Minor, today: dt.date) -> Window:
        eol = self.eol(minor)
        if eol is None:
            return Window.SUPPORTED if self.still_supported(minor) else Window.UNKNOWN
        if today <= eol:
            return Window.SUPPORTED
        until = add_months(eol, self.extended_months)
        return Window.EXTENDED if today <= until else Window.EXPIRED

    def unplaced_reason(self, minor: Minor) -> str:
        """Why a minor has no window, and what to do, in one line."""
        release = self.releases.get(minor)
        where = f" ({'; '.join(self.sources)})" if self.sources else ""
        if release is not None and release.supported is False:
            why = f"{self.project} {minor} has ended on a date the lifecycle data{where} does " \
                  "not give"
        else:
            why = f"{self.project} {minor} is not in the lifecycle data{where}"
        return f"{why}: set its end of life with `ksp lifecycle import FILE` (an endoflife.date " \
               "file or its JSON, or ksp's lifecycle.yaml with eol_actual)"

    def minors(self) -> list[Minor]:
        return sorted(self.releases, reverse=True)

    def in_window(self, today: dt.date, *windows: Window) -> list[Minor]:
        wanted = set(windows) or {Window.EXTENDED}
        return [m for m in self.minors() if self.window(m, today) in wanted]

    def merged(self, other: Iterable[Release], *, supported_minors: int | None = None,
               sources: tuple[str, ...] = ()) -> Lifecycle:
        """Overlay imported releases: fields the import knows replace ours, the rest is kept."""
        releases = dict(self.releases)
        for new in other:
            old = releases.get(new.minor)
            if old is None:
                releases[new.minor] = new
                continue
            dated = new.eol_planned or new.eol_actual
            releases[new.minor] = replace(
                old,
                released=new.released or old.released,
                eol_planned=new.eol_planned or old.eol_planned,
                eol_actual=new.eol_actual or old.eol_actual,
                final_patch=new.final_patch or old.final_patch,
                latest_patch=new.latest_patch or old.latest_patch,
                supported=None if dated else (
                    new.supported if new.supported is not None else old.supported),
            )
        return Lifecycle(self.project, releases, self.extended_months,
                         supported_minors or self.supported_minors,
                         tuple(dict.fromkeys((*self.sources, *sources))))


def named_anyway(lifecycle: Lifecycle, minor: Minor, today: dt.date, *, doing: str,
                 flag: str) -> str | None:
    """The warning for a minor named on the command line that is expired or unknown, e.g.
    `ksp: warning: 1.30 is expired on 2026-11-22 (extended window ended 2026-07-15); gating
    anyway because --minor names it`; None for a minor in its support or extended window."""
    window = lifecycle.window(minor, today)
    if window is Window.EXPIRED:
        why = f"extended window ended {lifecycle.extended_until(minor)}"
    elif window is Window.UNKNOWN:
        why = "not in the lifecycle data"
    else:
        return None
    return f"ksp: warning: {minor} is {window} on {today} ({why}); {doing} anyway because " \
           f"{flag} names it"


def read_releases(path: Path, text: str | None = None) -> tuple[str, list[Release]]:
    """(project, releases) of a lifecycle file in any format ksp reads (`text`: its content
    when it does not come from the path, e.g. from a trusted base commit)."""
    found = _lifecycle_files.read(path, text)
    return found.project, found.releases


def parse_releases(data: Any, path: Path) -> tuple[str, list[Release]]:
    found = _lifecycle_files.parse(data, path)
    return found.project, found.releases


def from_files(paths: Iterable[Path], *, project: str | None = None,
               extended_months: int = DEFAULT_EXTENDED_MONTHS,
               base: Lifecycle | None = None, text: str | None = None) -> Lifecycle:
    """The files merged in order over `base` (later files win where they know a field);
    `text`: the content of the last file, read from a trusted base commit."""
    lc = base or Lifecycle(project or "", {})
    paths = list(paths)
    for i, path in enumerate(paths):
        found = _lifecycle_files.read(path, text if i == len(paths) - 1 else None)
        if not lc.project:
            lc = Lifecycle(found.project, lc.releases)
        lc = lc.merged(found.releases, supported_minors=found.supported_minors,
                       sources=found.sources)
    return Lifecycle(project or lc.project, lc.releases, extended_months, lc.supported_minors,
                     lc.sources)


def embedded(names: Iterable[str] = ("kubernetes.yaml",), *,
             project: str | None = None) -> Lifecycle:
    """Data shipped with ksp (a preset's `lifecycle_data`): files under ksp/data/lifecycle."""
    folder = Path(__file__).resolve().parent / "data" / "lifecycle"  # files in the wheel
    return from_files([folder / name for name in names], project=project)


def load(path: Path | None, *, extended_months: int = DEFAULT_EXTENDED_MONTHS,
         base: Lifecycle | None = None, text: str | None = None) -> Lifecycle:
    """The embedded Kubernetes data, or a project's own file (merged over `base` if given);
    `text`: the file's trusted content from a base commit."""
    start = base or (embedded() if path is None else None)
    return from_files([path] if path else [], extended_months=extended_months, base=start,
                      text=text)


def render(lifecycle: Lifecycle) -> str:
    """ksp's own lifecycle format, the target of `ksp lifecycle import`."""
    rows: list[dict[str, Any]] = []
    for minor in lifecycle.minors():
        r = lifecycle.releases[minor]
        row: dict[str, Any] = {"minor": str(minor)}
        for key in ("released", "eol_planned", "eol_actual"):
            if getattr(r, key):
                row[key] = getattr(r, key).isoformat()
        for key in ("final_patch", "latest_patch"):
            if getattr(r, key):
                row[key] = getattr(r, key)
        if r.supported is not None and not (r.eol_planned or r.eol_actual):
            row["supported"] = r.supported
        rows.append(row)
    doc: dict[str, Any] = {"schema": "ksp-lifecycle/v1", "project": lifecycle.project}
    if lifecycle.sources:
        doc["sources"] = list(lifecycle.sources)
    if lifecycle.supported_minors:
        doc["policy"] = {"supported_minors": lifecycle.supported_minors}
    doc["releases"] = rows
    return dump_yaml(doc)
