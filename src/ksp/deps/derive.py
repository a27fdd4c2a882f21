"""A dependency advisory's state on one minor, from the lane's findings.

- found at base + series, some binary links the vulnerable code (or the graph is unknown): `needed`
- found, but no binary links it: `not-affected`, `vulnerable_code_not_in_execute_path`
- found at the base only: a patch of the series bumped the module past the fix. `patched` when
  that patch's `Testing:` line records a passing gate, else `in-progress` (gate it first)
- not found: `not-affected` (`vulnerable_code_not_present` when the module is there at a version
  outside the ranges, `component_not_present` when the minor does not build with it)
"""

from __future__ import annotations

from dataclasses import replace

from ksp.deps.lane import MinorLane
from ksp.deps.match import Finding
from ksp.deps.vulndb import STDLIB, TOOLCHAIN, GoRecord
from ksp.errors import KspError
from ksp.model import Justification, MinorState, ModuleVersion, PatchRef, Status
from ksp.repo import patchfile, testing_line
from ksp.repo.layout import PatchesRepo


def state(repo: PatchesRepo, lane: MinorLane, ident: str, records: list[GoRecord]
          ) -> MinorState:
    found = lane.findings.get(ident)
    if found:
        return _found(lane, ident, found)
    before = lane.base_findings.get(ident)
    if before:
        return _bumped(repo, lane, before[0])
    return _absent(lane, records)


def _found(lane: MinorLane, ident: str, found: list[Finding]) -> MinorState:
    first = found[0]
    binaries = lane.reach.get(ident, ())
    also = tuple(ModuleVersion(f.module, f.version, f.fixed) for f in found[1:])
    what = "; ".join(f"{_name(f)} {f.version} ("
                     + (f"fixed in {f.fixed}" if f.fixed else "no fixed version yet") + ")"
                     for f in found)
    common = MinorState(Status.NEEDED, source="import", module=first.module,
                        version=first.version, fixed_version=first.fixed, binaries=binaries,
                        also=also)
    unlinked = bool(binaries) and not any(b.affected for b in binaries)
    if first.replaced_by and not unlinked:
        return replace(common, status=Status.NEEDS_TRIAGE, reason=(
            f"{first.module} {first.version} is replaced by {first.replaced_by}: the version "
            "does not tell whether the code built carries the fix; check that copy"))
    if unlinked:  # the per-binary list adds nothing here: every binary says the same
        unused = "; ".join(dict.fromkeys(b.evidence for b in binaries if b.evidence))
        return replace(common, status=Status.NOT_AFFECTED, binaries=(), reason=(
            f"no binary links the vulnerable code ({len(binaries)} checked): {unused}"),
            justification=Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH)
    linked = [b.binary for b in binaries if b.affected]
    who = f"linked by {', '.join(linked)}" if linked else (lane.note or "binaries not known")
    return replace(common, reason=who if not also else f"{who}; in use: {what}")


def _bumped(repo: PatchesRepo, lane: MinorLane, before: Finding) -> MinorState:
    ref, passed = _bumping_patch(repo, lane, before)
    now = lane.inventory.go.version if before.toolchain and lane.inventory.go else (
        use.version if (use := lane.inventory.modules.get(before.module)) else None)
    common = MinorState(Status.IN_PROGRESS, source="import", module=before.module,
                        version=now, fixed_version=before.fixed)
    if ref is None:
        return replace(common, status=Status.NOT_AFFECTED, reason=(
            f"the series moves {_name(before)} from {before.version} to {now}, outside the "
            "affected ranges"), justification=Justification.VULNERABLE_CODE_NOT_PRESENT)
    moves = f"{ref.path} moves {_name(before)} from {before.version} to {now}"
    if not passed:
        return replace(common, patch=ref.path,
                       reason=f"{moves}; the gate has not recorded a pass for it yet")
    return replace(common, status=Status.PATCHED, patch=ref.path,
                   sha256=patchfile.sha256_of(repo.path_of(ref)), reason=moves)


def _absent(lane: MinorLane, records: list[GoRecord]) -> MinorState:
    inv = lane.inventory
    for module in dict.fromkeys(a.module for r in records for a in r.affected):
        toolchain = module in (STDLIB, TOOLCHAIN)
        version = (inv.go.version if inv.go else None) if toolchain else (
            use.version if (use := inv.modules.get(module)) else None)
        if version:
            return MinorState(Status.NOT_AFFECTED, source="import", module=module,
                              version=version, justification=(
                                  Justification.VULNERABLE_CODE_NOT_PRESENT), reason=(
                f"{'Go' if toolchain else module} {version} is outside the affected ranges"))
    return MinorState(Status.NOT_AFFECTED, source="import",
                      justification=Justification.COMPONENT_NOT_PRESENT,
                      reason="the minor does not build with the affected modules")


def _bumping_patch(repo: PatchesRepo, lane: MinorLane, before: Finding
                   ) -> tuple[PatchRef | None, bool]:
    """The last patch of the series that changes the module's (or Go's) version, and whether
    its Testing: line records a passing gate."""
    found: tuple[PatchRef | None, bool] = (None, False)
    for ref in repo.series(lane.minor):
        try:
            loaded = patchfile.load(repo.path_of(ref))
        except KspError:
            continue
        if _bumps(loaded.diff, before):
            found = (ref, testing_line.claims_pass(loaded.header.get("Testing") or ""))
    return found


def _bumps(diff: str, before: Finding) -> bool:
    if before.module in (STDLIB, TOOLCHAIN):
        files = ("+++ b/.go-version", "+++ b/go.mod")
        return any(f in diff for f in files) and any(
            line.startswith(("+go", "+toolchain", "+1.")) for line in diff.splitlines())
    return any(line.startswith("+") and before.module + " v" in line
               for line in diff.splitlines())


def _name(finding: Finding) -> str:
    return "Go" if finding.toolchain else finding.module
