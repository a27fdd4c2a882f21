"""A status for one minor from what the advisory sources say about versions.

The official feed and most OSV records list only the minors supported when the advisory came
out, so an out-of-support minor's status has to be derived:

- its version (the final patch release; the branch tip when unknown) is inside an affected range
  (`introduced: 0` + `fixed: 1.31.12` covers 1.30.14): `needed`;
- it is outside every range (fixed upstream in the minor, or fixed before the minor existed):
  `not-affected`, justification `vulnerable_code_not_present`;
- undecidable: `needs-triage`, with the reason. That is the case when no affected package is
  versioned like the project (a CSI driver), the versions do not parse, the sources disagree, or
  the minor lies below every range of an advisory published after the minor's end of life (the
  record then simply did not look at it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ksp.advisories.records import Package, Record
from ksp.lifecycle import Lifecycle
from ksp.model import Justification, Minor, Status
from ksp.versions import ANY, Version


@dataclass(frozen=True)
class Derived:
    status: Status
    justification: Justification | None = None
    reason: str | None = None


def reference_version(lifecycle: Lifecycle, minor: Minor) -> Version:
    """The version that stands for a minor: its final (or latest) patch, else the branch tip."""
    release = lifecycle.release(minor)
    text = release and (release.final_patch or release.latest_patch)
    parsed = Version.parse(text) if text else None
    return parsed if parsed and parsed.minor_line == minor else Version.last_of(minor)


def derive(records: list[Record], minor: Minor, version: Version,
           eol: dt.date | None) -> Derived:
    results = [_one(record, minor, version, eol) for record in records]
    decided = [r for r in results if r.status is not Status.NEEDS_TRIAGE]
    if not decided:
        reasons = sorted({r.reason for r in results if r.reason})
        return Derived(Status.NEEDS_TRIAGE, reason="; ".join(reasons) or "no source says")
    if len({r.status for r in decided}) > 1:
        pairs = zip(records, results, strict=True)
        said = ", ".join(f"{_label(rec)}: {r.status}" for rec, r in pairs
                         if r.status is not Status.NEEDS_TRIAGE)
        return Derived(Status.NEEDS_TRIAGE, reason=f"sources disagree ({said})")
    return decided[0]


def _label(record: Record) -> str:
    name = record.origin if "://" in record.origin else Path(record.origin).name
    return f"{record.source} {name}"


def _show(version: Version) -> str:
    return f"{version.minor_line} (branch tip)" if version.patch == ANY else f"v{version}"


def _one(record: Record, minor: Minor, version: Version, eol: dt.date | None) -> Derived:
    project = [p for p in record.packages if p.project]
    if not record.packages:
        return Derived(Status.NEEDS_TRIAGE, reason=f"{_label(record)} lists no affected versions")
    if not project:
        names = ", ".join(sorted({p.name for p in record.packages}))
        return Derived(Status.NEEDS_TRIAGE,
                       reason=f"{_label(record)}: affects {names}, versioned separately")
    usable = [p for p in project if not p.undecidable]
    if not usable:
        return Derived(Status.NEEDS_TRIAGE, reason=f"{_label(record)}: {project[0].undecidable}")
    for package in usable:
        for rng in package.ranges:
            if rng.affects(version):
                return Derived(Status.NEEDED, reason=(
                    f"{_show(version)} is inside the affected range of {package.name} "
                    f"({rng.describe()}) per {_label(record)}"))
        if version in package.versions:
            return Derived(Status.NEEDED, reason=f"{_show(version)} is listed as affected "
                                                 f"per {_label(record)}")
    return _not_affected(record, usable, minor, version, eol)


def _not_affected(record: Record, packages: list[Package], minor: Minor, version: Version,
                  eol: dt.date | None) -> Derived:
    events = [e for p in packages for r in p.ranges for e in r.events]
    introduced = [e.version for e in events if e.kind == "introduced"]
    if (introduced and version < min(introduced) and eol and record.published
            and eol < record.published):
        return Derived(Status.NEEDS_TRIAGE, reason=(
            f"{_label(record)} starts at {min(introduced)}; {minor} was past its end of life "
            f"when the advisory was published, so it was not assessed"))
    fixes = sorted((e.version, e.kind) for e in events if e.kind in ("fixed", "last_affected")
                   and e.version.minor_line == minor and e.version <= version)
    if fixes:
        fixed, kind = fixes[0]
        said = f"fixed upstream in v{fixed}" if kind == "fixed" else (
            f"v{fixed} was the last affected upstream release")
        reason = f"{said} (per {_label(record)})"
    else:
        reason = f"{_show(version)} is outside every affected range (per {_label(record)})"
    return Derived(Status.NOT_AFFECTED, Justification.VULNERABLE_CODE_NOT_PRESENT, reason)


