"""Go OSV ranges against a minor's inventory: which module (or the Go release) is vulnerable.

Versions are compared with the `semver` library: Go writes `v0.23.0`, the database `0.23.0`;
pseudo-versions are pre-releases and `+incompatible` is build metadata, as semver orders them.
A range is evaluated as OSV says: events sorted, the last one at or below the version decides.
`stdlib` and `toolchain` records are matched against the Go version the minor builds with.
"""

from __future__ import annotations

from dataclasses import dataclass

import semver

from ksp.deps.inventory import Inventory
from ksp.deps.vulndb import STDLIB, TOOLCHAIN, Affected, GoRecord, Symbols
from ksp.versions import semver_of

ZERO = semver.Version(0, 0, 0)


@dataclass(frozen=True)
class Finding:
    """One vulnerable module (or Go release) in one minor's build."""

    advisory: str
    module: str  # module path, or stdlib / toolchain
    version: str  # in use, as Go writes it (v0.23.0; 1.22.12 for the Go release)
    fixed: str | None  # the first fixed version above it, same spelling; None: no fix yet
    records: tuple[str, ...]  # GO ids
    packages: tuple[Symbols, ...]  # the vulnerable packages (and symbols) of this module
    replaced_by: str | None = None  # the build uses this fork or folder: the version says little

    @property
    def toolchain(self) -> bool:
        return self.module in (STDLIB, TOOLCHAIN)


def vulnerable(ranges: tuple[tuple[tuple[str, str], ...], ...], version: semver.Version
               ) -> tuple[bool, semver.Version | None]:
    """(affected?, the lowest `fixed` above `version` in the range that affects it).

    `introduced: "0"` is below every version, pre-releases included: a fix at the pseudo-version
    `0.0.0-2022…` comes after it, although semver orders `0.0.0-2022…` before `0.0.0`.
    """
    for events in ranges:
        parsed = sorted(((text != "0", v, kind) for kind, text in events
                         if (v := ZERO if text == "0" else semver_of(text))),
                        key=lambda e: (e[0], e[1]) if e[0] else (False, ZERO))
        affected = False
        for real, at, kind in parsed:
            if real and at > version:
                break
            if kind == "introduced":
                affected = True
            elif kind == "fixed" or (kind == "last_affected" and at < version):
                affected = False
        if affected:
            fixes = [at for real, at, kind in parsed if kind == "fixed" and at > version]
            return True, min(fixes) if fixes else None
    return False, None


def match(advisory: str, records: list[GoRecord], inventory: Inventory) -> list[Finding]:
    found: dict[str, Finding] = {}
    for record in records:
        if record.withdrawn:
            continue
        for affected in record.affected:
            finding = _one(advisory, record, affected, inventory)
            if finding is None:
                continue
            old = found.get(finding.module)
            if old is not None:  # a second record about the same module: join, keep lowest fix
                finding = _join(old, finding)
            found[finding.module] = finding
    return sorted(found.values(), key=lambda f: (f.toolchain, f.module))


def _one(advisory: str, record: GoRecord, affected: Affected, inv: Inventory) -> Finding | None:
    replaced = None
    if affected.module in (STDLIB, TOOLCHAIN):
        in_use = inv.go.version if inv.go else None
        prefix = ""
    else:
        use = inv.modules.get(affected.module)
        in_use, replaced = (use.version, use.replaced_by) if use else (None, None)
        prefix = "v"
    version = semver_of(in_use) if in_use else None
    if in_use is None or version is None:
        return None
    hit, fixed = vulnerable(affected.ranges, version)
    if not hit:
        return None
    return Finding(advisory, affected.module, in_use, f"{prefix}{fixed}" if fixed else None,
                   (record.id,), affected.imports, replaced)


def _join(a: Finding, b: Finding) -> Finding:
    fixes = [f for f in (a.fixed, b.fixed) if f]
    fixed = max(fixes, key=lambda f: semver_of(f) or ZERO) if fixes else None
    packages = tuple(dict.fromkeys(a.packages + b.packages))
    return Finding(a.advisory, a.module, a.version, fixed, a.records + b.records, packages,
                   a.replaced_by)
