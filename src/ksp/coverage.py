"""The advisory x minor matrix: which advisories are fixed, open or not affecting each minor.

Rows are the project's own security advisories (infrastructure patches never count as coverage,
and advisories of other projects or of dependencies are listed apart, counted nowhere), columns
are the minors that a consumer can still act on; gaps come first so that open work is what one
sees.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field

from ksp.deps.summary import LaneCounts, in_lane, lanes
from ksp.lifecycle import Lifecycle
from ksp.model import Advisory, AdvisoryKind, Minor, MinorState, PatchKind, Rating, Status, Window
from ksp.review.provenance import Provenance


@dataclass(frozen=True)
class Cell:
    minor: str
    status: Status | None  # None: the index says nothing for this minor
    window: Window
    patch: str | None = None
    sha256: str | None = None
    reason: str | None = None
    justification: str | None = None
    fixed_upstream_in: str | None = None
    provenance: Provenance | None = None  # the patch's backport class and reviewers


@dataclass(frozen=True)
class Row:
    advisory: str
    title: str
    rating: Rating
    score: float | None
    published: str | None
    issue: str | None
    aliases: tuple[str, ...]
    cells: list[Cell]

    @property
    def gaps(self) -> int:
        return sum(1 for c in self.cells if c.status is not None and c.status.is_gap)

    @property
    def needed(self) -> int:
        """Known-affected cells without a patch: the gaps to show before untriaged ones."""
        return sum(1 for c in self.cells if c.status is Status.NEEDED)


@dataclass(frozen=True)
class Other:
    """An advisory that is not this repository's work: another project's, or a dependency's."""

    advisory: str
    title: str
    kind: AdvisoryKind
    project: str | None
    rating: Rating
    score: float | None
    published: str | None
    issue: str | None


@dataclass(frozen=True)
class MinorSummary:
    minor: str
    window: Window
    patches: int
    gaps: int
    counts: dict[str, int]
    median_days_to_patch: float | None


@dataclass(frozen=True)
class Filters:
    minors: tuple[Minor, ...] = ()
    statuses: tuple[Status, ...] = ()
    min_severity: Rating | None = None
    since: dt.date | None = None
    until: dt.date | None = None


@dataclass(frozen=True)
class Coverage:
    date: str
    minors: list[str]
    rows: list[Row]
    summary: list[MinorSummary] = field(default_factory=list)
    others: list[Other] = field(default_factory=list)  # not counted anywhere
    project: str = "kubernetes"  # the profile, for naming the others
    # The dependency lane (Go vulnerability database), counted per minor in its own section.
    dependencies: list[LaneCounts] = field(default_factory=list)

    @property
    def others_title(self) -> str:
        community = "Kubernetes-org " if self.project == "kubernetes" else ""
        return f"Advisories for other {community}projects and for dependencies"


def default_minors(lifecycle: Lifecycle, today: dt.date, advisories: list[Advisory]) -> list[Minor]:
    """Supported and extended minors, plus any minor the index records a state for."""
    keep = set(lifecycle.in_window(today, Window.SUPPORTED, Window.EXTENDED))
    for adv in advisories:
        keep.update(m for m in adv.minors if lifecycle.window(m, today) is not Window.EXPIRED)
    return sorted(keep, reverse=True)


def _cell(adv: Advisory, minor: Minor, window: Window,
          provenance: Mapping[str, Provenance]) -> Cell:
    state: MinorState | None = adv.minors.get(minor)
    return Cell(
        minor=str(minor),
        status=state.status if state else None,
        window=window,
        patch=state.patch if state else None,
        sha256=state.sha256 if state else None,
        reason=state.reason if state else None,
        justification=state.justification.value if state and state.justification else None,
        fixed_upstream_in=adv.fixed_upstream_in(minor),
        provenance=provenance.get(state.patch) if state and state.patch else None,
    )


def _keep(adv: Advisory, filters: Filters) -> bool:
    rating = adv.severity.rating if adv.severity else Rating.UNKNOWN
    floor = filters.min_severity
    if floor and (rating is Rating.UNKNOWN or rating.rank < floor.rank):
        return False
    if filters.since and (adv.published is None or adv.published < filters.since):
        return False
    return not (filters.until and (adv.published is None or adv.published > filters.until))


def compute(advisories: list[Advisory], lifecycle: Lifecycle, today: dt.date,
            filters: Filters | None = None, project: str = "kubernetes", *,
            provenance: Mapping[str, Provenance] | None = None) -> Coverage:
    """The matrix; `provenance` (patch path -> class and reviewers) fills in patched cells."""
    filters = filters or Filters()
    security = [a for a in advisories if a.in_scope and _keep(a, filters)]
    minors = list(filters.minors) or default_minors(lifecycle, today, security)
    windows = {m: lifecycle.window(m, today) for m in minors}
    rows = []
    for adv in security:
        cells = [_cell(adv, m, windows[m], provenance or {}) for m in minors]
        if filters.statuses and not any(c.status in filters.statuses for c in cells):
            continue
        sev = adv.severity
        rows.append(Row(adv.id, adv.title, sev.rating if sev else Rating.UNKNOWN,
                        sev.score if sev else None,
                        adv.published.isoformat() if adv.published else None, adv.issue,
                        adv.aliases, cells))
    rows.sort(key=lambda r: (-r.needed, -r.gaps,
                             -r.rating.rank if r.rating is not Rating.UNKNOWN else 0,
                             r.published or "", r.advisory))
    return Coverage(today.isoformat(), [str(m) for m in minors], rows,
                    [_summary(security, m, windows[m]) for m in minors],
                    [] if filters.statuses else _others(advisories, filters), project,
                    lanes([a for a in advisories if _keep(a, filters)], minors))


def _others(advisories: list[Advisory], filters: Filters) -> list[Other]:
    out = [Other(a.id, a.title, a.scope, a.project,
                 a.severity.rating if a.severity else Rating.UNKNOWN,
                 a.severity.score if a.severity else None,
                 a.published.isoformat() if a.published else None, a.issue)
           for a in advisories
           if a.kind is PatchKind.SECURITY and not a.in_scope and _keep(a, filters)
           and not in_lane(a)]
    return sorted(out, key=lambda o: (list(AdvisoryKind).index(o.kind), o.project or "",
                                      o.advisory))


def _summary(advisories: list[Advisory], minor: Minor, window: Window) -> MinorSummary:
    states = [(a, a.minors[minor]) for a in advisories if minor in a.minors]
    counts = {s.value: sum(1 for _, st in states if st.status is s) for s in Status}
    days = [(st.patched_on - a.published).days for a, st in states
            if st.status is Status.PATCHED and st.patched_on and a.published]
    return MinorSummary(str(minor), window, counts[Status.PATCHED.value],
                        sum(1 for _, st in states if st.status.is_gap), counts,
                        statistics.median(days) if days else None)
