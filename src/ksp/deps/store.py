"""The dependency lane's advisories into index.yaml: kind `dependency` or `toolchain`.

An advisory is added when a record hits at least one extended-window minor (at its base or
with its series). Its facts come from the joined records: title (the summary), aliases (every
CVE, GHSA and GO name), the FIX references, the module. Each extended-window minor gets a derived
state with `source: import` (module, version in use, first fixed version, each binary's reach).
A state set by a person is never changed; a disagreement is reported. An advisory of the same id
that is already the project's own is left alone, with a warning. Nothing is written unless
something changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ksp.advisories.importer import Disagreement
from ksp.deps import derive
from ksp.deps.lane import MinorLane
from ksp.deps.vulndb import GoRecord
from ksp.model import Advisory, AdvisoryId, AdvisoryKind, MinorState, Status
from ksp.repo.index_edit import IndexEdit
from ksp.repo.index_edit import edit as index_edit
from ksp.repo.layout import PatchesRepo

_GO_KINDS = (AdvisoryKind.DEPENDENCY, AdvisoryKind.TOOLCHAIN)


@dataclass
class StoreReport:
    date: str
    minors: list[str]
    records: int
    dry_run: bool
    written: bool = False
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def store(repo: PatchesRepo, lanes: list[MinorLane], groups: dict[str, list[GoRecord]],
          report: StoreReport) -> StoreReport:
    hit = sorted({i for lane in lanes for i in (*lane.findings, *lane.base_findings)})
    with index_edit(repo.index_path, save=False) as document:
        for ident in hit:
            if document.has(ident) and document.scope(ident).stated not in _GO_KINDS:
                report.warnings.append(f"{ident} is already an advisory of the project itself; "
                                       "its dependency findings are not merged")
                continue
            before = document.snapshot(ident)
            document.upsert(_advisory(ident, groups[ident], lanes))
            for lane in lanes:
                _set(document, ident, lane, derive.state(repo, lane, ident, groups[ident]), report)
            if not before.existed:
                report.added.append(ident)
            elif document.changes(before) is not None:
                report.updated.append(ident)
        if (report.added or report.updated) and not report.dry_run:
            document.stage(repo.index_path, document.render())
            report.written = True
    return report


def _advisory(ident: str, records: list[GoRecord], lanes: list[MinorLane]) -> Advisory:
    findings = [f for lane in lanes for fs in (lane.findings.get(ident, []),
                                               lane.base_findings.get(ident, [])) for f in fs]
    modules = [f for f in findings if not f.toolchain]
    kind = AdvisoryKind.DEPENDENCY if modules else AdvisoryKind.TOOLCHAIN
    names = dict.fromkeys(n for r in records for n in (r.id, *r.aliases) if n != ident)
    published = [r.published for r in records if r.published]
    return Advisory(
        id=AdvisoryId(ident), title=records[0].summary, scope=kind, scope_source="import",
        project=(modules or findings)[0].module,
        published=min(published) if published else None,
        fixes=tuple(dict.fromkeys(u for r in records for u in r.fixes)),
        aliases=tuple(names),
    )


def _set(document: IndexEdit, ident: str, lane: MinorLane, new: MinorState,
         report: StoreReport) -> None:
    existing = document.state(ident, lane.minor)
    if existing is None or existing.source == "import":
        document.update_state(ident, lane.minor, new)
        return
    recorded = existing.status
    if _affected(recorded) != _affected(new.status):
        report.disagreements.append(Disagreement(ident, str(lane.minor), recorded, new.status,
                                                 new.reason))


def _affected(status: Status) -> bool | None:
    if status is Status.NEEDS_TRIAGE:
        return None
    return status is not Status.NOT_AFFECTED
