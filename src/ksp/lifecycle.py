"""Support windows: supported until EOL, extended until EOL + N calendar months, then expired.

Kubernetes dates ship with the package. Other projects (containerd, etcd, runc) bring their own
through `ksp lifecycle import`, which reads the Kubernetes website's schedule.yaml / eol.yaml and
endoflife.date product files into ksp's own small lifecycle format.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from ksp._files import read_text
from ksp._yaml import dump_yaml, load_yaml
from ksp.errors import LifecycleError
from ksp.model import Minor, Release, Window

DEFAULT_EXTENDED_MONTHS = 12


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months, clamped to the month's end (2025-08-31 + 6 = 2026-02-28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Lifecycle:
    """All known releases of one project and the length of the extended window."""

    project: str
    releases: Mapping[Minor, Release]
    extended_months: int = DEFAULT_EXTENDED_MONTHS

    def release(self, minor: Minor) -> Release | None:
        return self.releases.get(minor)

    def extended_until(self, minor: Minor) -> dt.date | None:
        release = self.releases.get(minor)
        if release is None or release.eol is None:
            return None
        return add_months(release.eol, self.extended_months)

    def window(self, minor: Minor, today: dt.date) -> Window:
        release = self.releases.get(minor)
        if release is None or release.eol is None:
            return Window.UNKNOWN
        if today <= release.eol:
            return Window.SUPPORTED
        until = self.extended_until(minor)
        assert until is not None
        return Window.EXTENDED if today <= until else Window.EXPIRED

    def minors(self) -> list[Minor]:
        return sorted(self.releases, reverse=True)

    def in_window(self, today: dt.date, *windows: Window) -> list[Minor]:
        wanted = set(windows) or {Window.EXTENDED}
        return [m for m in self.minors() if self.window(m, today) in wanted]

    def merged(self, other: Iterable[Release]) -> Lifecycle:
        """Overlay imported releases: fields the import knows replace ours, the rest is kept."""
        releases = dict(self.releases)
        for new in other:
            old = releases.get(new.minor)
            if old is None:
                releases[new.minor] = new
                continue
            releases[new.minor] = replace(
                old,
                released=new.released or old.released,
                eol_planned=new.eol_planned or old.eol_planned,
                eol_actual=new.eol_actual or old.eol_actual,
                final_patch=new.final_patch or old.final_patch,
                latest_patch=new.latest_patch or old.latest_patch,
            )
        return Lifecycle(self.project, releases, self.extended_months)


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


def _date(value: Any, path: Path, what: str) -> dt.date | None:
    if value in (None, "", False):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise LifecycleError(f"{what}: not a date: {value!r}", path=path) from None


def _version(value: Any) -> str | None:
    return None if value in (None, "", False) else str(value)


def _release(minor: Any, path: Path, **fields: Any) -> Release:
    if isinstance(minor, float):  # `release: 1.30` unquoted is the number 1.3
        raise LifecycleError(f"minor {minor!r} is a number, not a string", path=path,
                             hint="quote minor versions: \"1.30\"")
    try:
        parsed = Minor.parse(str(minor))
    except ValueError as exc:
        raise LifecycleError(str(exc), path=path) from None
    dates = {k: _date(v, path, f"{minor} {k}") for k, v in fields.items() if k != "versions"}
    versions = fields.get("versions", {})
    return Release(
        parsed,
        released=dates.get("released"),
        eol_planned=dates.get("eol_planned"),
        eol_actual=dates.get("eol_actual"),
        final_patch=_version(versions.get("final_patch")),
        latest_patch=_version(versions.get("latest_patch")),
    )


def parse_releases(data: Any, path: Path) -> tuple[str, list[Release]]:
    """Recognise the four formats by shape and return (project, releases)."""
    if not isinstance(data, dict):
        raise LifecycleError("lifecycle file: expected a mapping at the top", path=path)
    if data.get("schema") == "ksp-lifecycle/v1":
        rows = _rows(data, "releases", path)
        return str(data.get("project", "custom")), [
            _release(
                r.get("minor"), path, released=r.get("released"),
                eol_planned=r.get("eol_planned"), eol_actual=r.get("eol_actual"),
                versions={"final_patch": r.get("final_patch"),
                          "latest_patch": r.get("latest_patch")},
            )
            for r in rows
        ]
    if "schedules" in data:  # kubernetes/website data/releases/schedule.yaml
        return "kubernetes", [
            _release(r.get("release"), path, released=r.get("releaseDate"),
                     eol_planned=r.get("endOfLifeDate"))
            for r in _rows(data, "schedules", path)
        ]
    if "branches" in data:  # kubernetes/website data/releases/eol.yaml: actual EOLs
        return "kubernetes", [
            _release(r.get("release"), path, eol_actual=r.get("endOfLifeDate"),
                     versions={"final_patch": r.get("finalPatchRelease")})
            for r in _rows(data, "branches", path)
        ]
    if "releases" in data:  # endoflife.date product file (front matter)
        project = str(data.get("title", path.stem)).lower()
        return project, [
            _release(r.get("releaseCycle"), path, released=r.get("releaseDate"),
                     eol_planned=r.get("eol") if not isinstance(r.get("eol"), bool) else None,
                     versions={"latest_patch": r.get("latest")})
            for r in _rows(data, "releases", path)
        ]
    raise LifecycleError(
        "unrecognised lifecycle file",
        path=path,
        hint="expected schedule.yaml, eol.yaml, an endoflife.date product file or ksp's format",
    )


def _rows(data: dict[str, Any], key: str, path: Path) -> list[dict[str, Any]]:
    rows = data.get(key)
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise LifecycleError(f"'{key}' must be a list of mappings", path=path)
    return rows


def read_releases(path: Path, text: str | None = None) -> tuple[str, list[Release]]:
    if text is None:
        text = read_text(path, what="lifecycle file")
    if path.suffix == ".md" or (text.startswith("---\n") and text.count("\n---") >= 1):
        text = _front_matter(text)
    return parse_releases(load_yaml(path, text=text, cache=True), path)


def _front_matter(text: str) -> str:
    """endoflife.date files are Markdown with YAML front matter between '---' lines."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return text
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            # Keep the leading lines (as blank) so that error line numbers match the file.
            return "\n" + "".join(lines[1:i])
    return "".join(lines[1:])


def embedded() -> Lifecycle:
    ref = resources.files("ksp") / "data" / "kubernetes-lifecycle.yaml"
    with resources.as_file(ref) as path:
        project, releases = read_releases(path)
    return Lifecycle(project, {r.minor: r for r in releases})


def load(path: Path | None, *, extended_months: int = DEFAULT_EXTENDED_MONTHS,
         base: Lifecycle | None = None, text: str | None = None) -> Lifecycle:
    """The embedded Kubernetes data, or a project's own file (merged over `base` if given);
    `text`: the file's trusted content from a base commit."""
    if path is None:
        lc = embedded()
        return Lifecycle(lc.project, lc.releases, extended_months)
    project, releases = read_releases(path, text)
    start = base or Lifecycle(project, {})
    merged = start.merged(releases)
    return Lifecycle(project if base is None else start.project, merged.releases, extended_months)


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
        rows.append(row)
    return dump_yaml({"schema": "ksp-lifecycle/v1", "project": lifecycle.project,
                      "releases": rows})
