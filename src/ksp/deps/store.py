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
from typing import Any

from ruamel.yaml.comments import CommentedMap

from ksp._yaml import json_types
from ksp.deps import derive
from ksp.deps.lane import MinorLane
from ksp.deps.vulndb import GoRecord
from ksp.model import Advisory, AdvisoryId, AdvisoryKind, MinorState, Status
from ksp.repo.index import IndexDocument, _state_map
from ksp.repo.index import edit as index_edit
from ksp.repo.layout import PatchesRepo


@dataclass(frozen=True)
class Disagreement:
    advisory: str
    minor: str
    recorded: str
    derived: str
    reason: str | None


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
        entries = document.doc["advisories"]
        for ident in hit:
            existing = entries.get(ident)
            if existing is not None and existing.get("kind") not in ("dependency", "toolchain"):
                report.warnings.append(f"{ident} is already an advisory of the project itself; "
                                       "its dependency findings are not merged")
                continue
            before = json_types(existing)
            document.upsert(_advisory(ident, groups[ident], lanes))
            for lane in lanes:
                _set(document, ident, lane, derive.state(repo, lane, ident, groups[ident]), report)
            after = json_types(entries[ident])
            if existing is None:
                report.added.append(ident)
            elif after != before:
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


def _set(document: IndexDocument, ident: str, lane: MinorLane, new: MinorState,
         report: StoreReport) -> None:
    minors = document.doc["advisories"][ident].setdefault("minors", CommentedMap())
    existing = minors.get(str(lane.minor))
    if existing is None or existing.get("source") == "import":
        if existing is None or json_types(existing) != json_types(_state_map(new)):
            document.set_state(ident, lane.minor, new)
        return
    recorded = Status(existing["status"])
    if _affected(recorded) != _affected(new.status):
        report.disagreements.append(Disagreement(ident, str(lane.minor), recorded.value,
                                                 new.status.value, new.reason))


def _affected(status: Status) -> bool | None:
    if status is Status.NEEDS_TRIAGE:
        return None
    return status is not Status.NOT_AFFECTED


def as_json(report: StoreReport) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(report)
