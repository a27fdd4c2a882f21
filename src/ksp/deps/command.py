"""`ksp deps`: each minor's Go and modules at base + series, and its dependency advisories.

The advisories are those `ksp advisories import --go-vulndb` stored in index.yaml (kinds
`dependency` and `toolchain`); each `needed` one comes with its fix (deps/fix.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import semver

from ksp.deps import fix as fix_mod
from ksp.deps import gopolicy, vulndb
from ksp.deps.inventory import Inventory, ModuleUse
from ksp.deps.lane import inventories
from ksp.deps.match import vulnerable
from ksp.deps.vulndb import GoRecord
from ksp.git.shadow import Shadow
from ksp.model import Advisory, Minor, Status, Window
from ksp.repo.layout import PatchesRepo
from ksp.versions import semver_of


@dataclass(frozen=True)
class Change:
    module: str
    base: str | None
    head: str | None


@dataclass(frozen=True)
class AdvisoryRow:
    id: str
    kind: str
    module: str | None
    version: str | None
    fixed_version: str | None
    status: str
    linked_by: tuple[str, ...]
    fix: fix_mod.Fix | None = None


@dataclass
class MinorDeps:
    minor: str
    base_ref: str
    base: str
    head: str
    patches: int
    go: str | None
    go_source: str | None
    go_policy: str | None
    vendored: bool
    modules: list[ModuleUse]
    changed: list[Change] = field(default_factory=list)
    advisories: list[AdvisoryRow] = field(default_factory=list)
    go_bump: str | None = None  # one Go release that fixes every needed toolchain advisory
    go_bump_note: str | None = None
    go_bump_policy: str | None = None


@dataclass
class DepsResult:
    date: str
    upstream: str
    minors: list[MinorDeps] = field(default_factory=list)


def default_minors(repo: PatchesRepo, today: dt.date) -> list[Minor]:
    return repo.lifecycle().in_window(today, Window.EXTENDED)


def run(repo: PatchesRepo, upstream: Path, minors: list[Minor], today: dt.date, *,
        base_mode: str | None = None, vulndb_source: str | None = None,
        log: Callable[[str], None] | None = None) -> DepsResult:
    records = None
    if vulndb_source:
        records = vulndb.join(vulndb.load(vulndb_source))
    shadow = Shadow.open(upstream)
    advisories = [a for a in repo.advisories().values() if a.scope.is_go]
    finder = fix_mod.Finder(shadow, repo.config, sorted(set(repo.lifecycle().minors()) |
                                                        set(minors)), records)
    result = DepsResult(today.isoformat(), str(upstream))
    for minor in sorted(minors, reverse=True):
        if log:
            log(f"ksp deps: {minor}: reading go.mod and vendor/modules.txt at base + series")
        head, base = inventories(repo, shadow, minor, base_mode)
        row = _minor(head, base, today)
        row.advisories = [_advisory(a, minor, finder, head, today) for a in
                          sorted(advisories, key=lambda a: a.id) if minor in a.minors]
        row.go_bump, row.go_bump_note = _go_bump(row.advisories, records)
        bump = gopolicy.support(row.go_bump, today) if row.go_bump else None
        row.go_bump_policy = bump.describe() if bump else None
        result.minors.append(row)
    return result


def _minor(head: Inventory, base: Inventory, today: dt.date) -> MinorDeps:
    point = head.point
    policy = gopolicy.support(head.go.version, today) if head.go else None
    changed = [Change(m, base.modules[m].version if m in base.modules else None,
                      head.modules[m].version if m in head.modules else None)
               for m in sorted(set(head.modules) | set(base.modules))
               if (base.modules.get(m) or _NONE).version != (head.modules.get(m) or _NONE).version]
    if base.go != head.go:
        changed.insert(0, Change("go", base.go.version if base.go else None,
                                 head.go.version if head.go else None))
    return MinorDeps(str(point.minor), point.base_ref, point.base, point.head, point.patches,
                     head.go.version if head.go else None, head.go.source if head.go else None,
                     policy.describe() if policy else None, head.vendored,
                     list(head.modules.values()), changed)


_NONE = ModuleUse("", "", "")


def _advisory(adv: Advisory, minor: Minor, finder: fix_mod.Finder, head: Inventory,
              today: dt.date) -> AdvisoryRow:
    state = adv.minors[minor]
    fix = None
    if state.status is Status.NEEDED:
        fix = (fix_mod.toolchain_fix(adv, minor, state, today)
               if adv.scope.value == "toolchain" or state.module in ("stdlib", "toolchain")
               else finder.dependency_fix(adv, minor, state, head.point.base))
    return AdvisoryRow(adv.id, adv.scope.value, state.module or adv.project,
                       state.version, state.fixed_version, state.status.value,
                       tuple(b.binary for b in state.binaries if b.affected), fix)


def _go_bump(rows: list[AdvisoryRow], records: dict[str, list[GoRecord]] | None
             ) -> tuple[str | None, str | None]:
    """The lowest Go release among the fixes that leaves every needed toolchain advisory's
    ranges (with the records), else the highest fix (not checked against later ranges)."""
    needed = [r for r in rows if r.fix is not None and r.fix.infra and r.fixed_version]
    if not needed:
        return None, None
    fixes = sorted({r.fixed_version for r in needed if r.fixed_version},
                   key=lambda v: semver_of(v) or semver.Version(0))
    if records is None:
        return fixes[-1], "the highest fix; pass --go-vulndb to check it against every range"
    for candidate in fixes:
        version = semver_of(candidate)
        if version is not None and not any(
                vulnerable(a.ranges, version)[0] for r in needed for rec in records.get(r.id, [])
                for a in rec.affected if a.module in ("stdlib", "toolchain")):
            return candidate, f"fixes all {len(needed)} needed toolchain advisories"
    return None, "no single fixed Go release leaves every affected range"
