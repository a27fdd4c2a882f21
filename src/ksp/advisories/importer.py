"""Merge advisory records into index.yaml.

New advisories get their facts (title, issue, published, CVSS, components, upstream fixes and
fixed versions, aliases); existing ones get only the facts they lack, and lists (aliases, fixed
versions, fixes) are extended, never shortened. Each advisory is classified by the scope
(`ksp.advisories.scope`): another project's or a dependency's advisory keeps its `kind:` and
`project:` (with `source: import`) and gets no derived states; a `kind:` set by a person stays. For
each minor in the extended window, the project's own advisories get a derived state with
`source: import`. A state written by a person (no `source: import`) is never
touched: when the derivation disagrees with it, the report says so. Nothing is written unless
something changed, so a second import of the same input leaves every byte as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from ksp.advisories import feed as feed_mod
from ksp.advisories import osv as osv_mod
from ksp.advisories.derive import Derived, derive, reference_version
from ksp.advisories.project import Profile
from ksp.advisories.records import Record
from ksp.errors import UsageError
from ksp.model import (
    Advisory,
    AdvisoryId,
    AdvisoryKind,
    Minor,
    MinorState,
    Severity,
    Status,
    Window,
)
from ksp.repo import PatchesRepo
from ksp.repo.index_edit import IndexEdit
from ksp.repo.index_edit import edit as index_edit
from ksp.severity import BadVector, from_vector
from ksp.versions import ZERO, Version

_T = TypeVar("_T")
_AFFECTED = {Status.NEEDED, Status.IN_PROGRESS, Status.PATCHED, Status.WONT_FIX}


@dataclass(frozen=True)
class Update:
    advisory: str
    changes: list[str]


@dataclass(frozen=True)
class Disagreement:
    advisory: str
    minor: str
    recorded: Status
    derived: Status
    reason: str | None


@dataclass(frozen=True)
class Classified:
    """An advisory that is not the project's own, or whose kind a person set against the
    sources (`derived` is then what the sources say)."""

    advisory: str
    kind: AdvisoryKind
    project: str | None
    derived: AdvisoryKind | None = None


@dataclass
class ImportReport:
    date: str
    minors: list[str]
    records: int
    dry_run: bool
    written: bool = False
    added: list[str] = field(default_factory=list)
    updated: list[Update] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)  # advisories of the input, by kind
    others: list[Classified] = field(default_factory=list)  # kind other than project
    kept_kinds: list[Classified] = field(default_factory=list)  # a person's kind kept


def load_records(repo: PatchesRepo, feed: str | None, osv: list[str]) -> list[Record]:
    """Read every source first: a bad file stops the import before anything is written."""
    if not feed and not osv:
        raise UsageError("nothing to import", hint="pass --feed FILE|URL and/or --osv FILE|DIR")
    profile = Profile.of(repo.config)
    records = feed_mod.load(feed, profile) if feed else []
    return records + osv_mod.load(list(osv), profile)


def run(repo: PatchesRepo, records: list[Record], today: dt.date, *,
        dry_run: bool = False) -> ImportReport:
    lifecycle = repo.lifecycle()
    minors = lifecycle.in_window(today, Window.EXTENDED)
    report = ImportReport(today.isoformat(), [str(m) for m in minors], len(records), dry_run)
    grouped: dict[str, list[Record]] = {}
    for record in sorted(records, key=lambda r: r.source != "osv"):  # structured ranges first
        grouped.setdefault(record.id, []).append(record)
    eols = {m: lifecycle.eol(m) for m in minors}
    derived = {
        ident: {m: derive(recs, m, reference_version(lifecycle, m), eols[m]) for m in minors}
        for ident, recs in grouped.items()
    }
    scope = Profile.of(repo.config).scope
    with index_edit(repo.index_path, save=False) as document:
        for ident in sorted(grouped):
            recs = grouped[ident]
            kind, project = scope.classify_records(recs)
            advisory = replace(_advisory(ident, recs, report.warnings), scope=kind,
                               project=project, scope_source="import")
            _merge(document, advisory, derived[ident], report)
        for kind in AdvisoryKind:
            report.kinds[kind.value] = sum(1 for i in grouped if _kind_of(document, i) is kind)
        if (report.added or report.updated) and not dry_run:
            document.stage(repo.index_path, document.render())
            report.written = True
    return report


def _advisory(ident: str, records: list[Record], warnings: list[str]) -> Advisory:
    def first(values: Iterable[_T | None]) -> _T | None:
        return next((v for v in values if v), None)

    osv_first = sorted(records, key=lambda r: r.source != "osv")
    feed_first = sorted(records, key=lambda r: r.source != "feed")  # the feed's own words
    vector = first(r.vector for r in osv_first)
    published = [r.published for r in records if r.published]
    return Advisory(
        id=AdvisoryId(ident),
        title=first(r.title for r in feed_first) or ident,
        issue=first(r.issue for r in feed_first),
        published=min(published) if published else None,
        severity=severity_of(vector, ident, warnings) if vector else None,
        components=_union(r.components for r in records),
        fixes=_union(r.fixes for r in records),
        fixed_in=tuple(sorted(_union(r.fixed_in for r in records), key=_version_key)),
        aliases=tuple(a for a in _union(r.aliases for r in records) if a != ident),
    )


def severity_of(vector: str, ident: str, warnings: list[str]) -> Severity | None:
    """Score and rating computed from the vector by the cvss library, never taken on trust."""

    try:
        return from_vector(vector)
    except BadVector as exc:
        warnings.append(f"{ident}: CVSS vector {vector!r} ignored: {exc}")
        return None


def _union(lists: Iterable[Iterable[str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for items in lists for item in items))


def _version_key(text: str) -> Version:
    """Semver order (ksp.versions): `1.30.0-rc.1` before `1.30.0`; not a version: first."""
    return Version.parse(text) or ZERO


def _merge(document: IndexEdit, advisory: Advisory, derived: dict[Minor, Derived],
           report: ImportReport) -> None:
    before = document.snapshot(advisory.id)
    created = document.upsert(advisory)
    document.extend_lists(advisory)
    scope = _scope(document, advisory, report)
    for minor, result in derived.items():
        if scope is AdvisoryKind.PROJECT:
            _state(document, advisory.id, minor, result, report)
        elif scope is AdvisoryKind.OTHER_PROJECT and _imported(document, advisory.id, minor):
            document.drop_state(advisory.id, minor)  # derived before the scope said otherwise
    if not before.had_minors:
        document.drop_empty_minors(advisory.id)  # upsert adds an empty map; keep it as it was
    changed = document.changes(before)
    if created:
        report.added.append(advisory.id)
    elif changed is not None:
        report.updated.append(Update(advisory.id, changed))


def _imported(document: IndexEdit, ident: str, minor: Minor) -> bool:
    state = document.state(ident, minor)
    return state is not None and state.source == "import"


def _kind_of(document: IndexEdit, ident: str) -> AdvisoryKind:
    return document.scope(ident).stated or AdvisoryKind.PROJECT


def _scope(document: IndexEdit, advisory: Advisory, report: ImportReport) -> AdvisoryKind:
    """Write what the sources say of whose advisory it is, unless a person said it (a `kind:`
    without `source: import`); the kind in force is returned."""
    written = document.scope(advisory.id)
    if written.stated is not None and written.by_person:
        kind = written.stated
        if kind is not advisory.scope:
            report.kept_kinds.append(Classified(advisory.id, kind, written.project,
                                                advisory.scope))
    else:
        kind = advisory.scope
        wanted = (None, None) if kind is AdvisoryKind.PROJECT else (kind.value, advisory.project)
        if (written.kind, written.project) != wanted:
            document.set_scope(advisory.id, kind, advisory.project, imported=True)
            written = document.scope(advisory.id)
    if kind is not AdvisoryKind.PROJECT:
        report.others.append(Classified(advisory.id, kind, written.project))
    return kind


def _state(document: IndexEdit, ident: str, minor: Minor, result: Derived,
           report: ImportReport) -> None:
    existing = document.state(ident, minor)
    new = MinorState(result.status, reason=result.reason, justification=result.justification,
                     source="import")
    if existing is None or existing.source == "import":
        document.update_state(ident, minor, new)
        return
    recorded = existing.status
    if result.status is Status.NEEDS_TRIAGE or recorded is result.status:
        return
    if _class(recorded) != _class(result.status):
        report.disagreements.append(
            Disagreement(ident, str(minor), recorded, result.status, result.reason))


def _class(status: Status) -> str:
    if status in _AFFECTED:
        return "affected"
    return "not-affected" if status is Status.NOT_AFFECTED else "unknown"
