"""What the static site shows, gathered once from a patches repo; the templates only format it."""

from __future__ import annotations

from dataclasses import dataclass, field

from ksp.coverage import Coverage
from ksp.deps.summary import LaneCounts
from ksp.model import Advisory, PatchKind, PatchRef, Window
from ksp.review.provenance import Provenance, from_fields


@dataclass(frozen=True)
class Tick:
    label: str
    left: float  # percent of the timeline's width


@dataclass(frozen=True)
class Bar:
    """One minor on the timeline; offsets and widths are percentages of the axis."""

    minor: str
    window: Window
    released: str | None
    eol: str | None
    extended_until: str | None
    supported_left: float = 0.0
    supported_width: float = 0.0
    extended_left: float = 0.0
    extended_width: float = 0.0
    has_page: bool = False


@dataclass(frozen=True)
class Timeline:
    start: str
    end: str
    today: str
    today_left: float
    ticks: list[Tick]
    bars: list[Bar]


@dataclass(frozen=True)
class PatchInfo:
    """A patch file of a minor's series, as published (copied under `download`)."""

    ref: PatchRef
    kind: str
    sha256: str
    size: int
    download: str  # site-relative path of the copy
    index_sha256: str | None = None  # what index.yaml records, if anything
    fields: dict[str, str] = field(default_factory=dict)  # selected header fields
    problem: str | None = None  # the header could not be read

    @property
    def sha256_matches(self) -> bool | None:
        return None if self.index_sha256 is None else self.index_sha256 == self.sha256

    @property
    def provenance(self) -> Provenance:
        return from_fields(self.fields, PatchKind(self.kind))


@dataclass(frozen=True)
class StatusLine:
    """The state of one advisory on one minor, with what a reader needs to act on it."""

    advisory: str
    title: str
    minor: str
    window: Window
    status: str  # a Status value, "upstream" (fixed in an official release) or "none"
    detail: str | None = None
    patch: PatchInfo | None = None
    fixed_upstream_in: str | None = None
    recorded_patch: str | None = None  # index.yaml's `patch:` when no such file is published


@dataclass(frozen=True)
class AdvisoryPage:
    advisory: Advisory
    slug: str
    statuses: list[StatusLine]
    patches: list[PatchInfo]


@dataclass(frozen=True)
class MinorPage:
    minor: str
    slug: str
    window: Window
    released: str | None
    eol: str | None
    extended_until: str | None
    branch: str
    series: list[PatchInfo]
    gaps: list[StatusLine]
    statuses: list[StatusLine]
    vex_file: str | None = None  # site-relative path of the OpenVEX document
    vex_note: str | None = None  # why there is none
    dependencies: list[StatusLine] = field(default_factory=list)  # kinds dependency/toolchain
    lane: list[LaneCounts] = field(default_factory=list)


@dataclass(frozen=True)
class SiteData:
    project: str
    name: str  # shown in titles: "Kubernetes", or the upstream repository's name
    upstream: str
    date: str
    extended_months: int
    timeline: Timeline
    coverage: Coverage
    advisories: list[AdvisoryPage]
    minors: list[MinorPage]
    files: dict[str, bytes]  # site-relative path -> bytes (patch copies, VEX documents)
    generator: str = "ksp"
