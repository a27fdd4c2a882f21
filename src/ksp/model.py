"""Domain values: frozen dataclasses and enums, no I/O.

Everything that crosses a layer boundary is one of these, so that the loaders validate once at the
edge and the workflows and reports never see raw YAML or JSON.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass, field
from functools import total_ordering
from typing import NewType

AdvisoryId = NewType("AdvisoryId", str)

ADVISORY_ID_RE = re.compile(
    r"^(CVE-\d{4}-\d{4,}|GHSA(-[23456789cfghjmpqrvwx]{4}){3}|GO-\d{4}-\d{4,}"
    r"|INFRA-[A-Za-z0-9][A-Za-z0-9._-]*)$"
)
PATCH_NAME_RE = re.compile(r"^(?P<number>\d{4})_(?P<id>[A-Za-z0-9][A-Za-z0-9._-]*)\.patch$")
_MINOR_RE = re.compile(r"^v?(?P<major>\d{1,3})\.(?P<minor>\d{1,4})$")


StrEnum = enum.StrEnum  # enums whose values are the strings written in files


@total_ordering
@dataclass(frozen=True)
class Minor:
    """A minor release line such as 1.30; sorts numerically (1.9 < 1.10)."""

    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> Minor:
        match = _MINOR_RE.fullmatch(str(text).strip())
        if not match:
            raise ValueError(f"not a minor version: {text!r} (expected e.g. 1.30 or v1.30)")
        return cls(int(match["major"]), int(match["minor"]))

    @property
    def folder(self) -> str:
        return f"v{self}"

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Minor):
            return NotImplemented
        return (self.major, self.minor) < (other.major, other.minor)


class Window(StrEnum):
    SUPPORTED = "supported"
    EXTENDED = "extended"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class Status(StrEnum):
    NEEDS_TRIAGE = "needs-triage"
    NEEDED = "needed"
    IN_PROGRESS = "in-progress"
    PATCHED = "patched"
    NOT_AFFECTED = "not-affected"
    WONT_FIX = "wont-fix"

    @property
    def is_gap(self) -> bool:
        """A gap is what the KEP's metrics count as open work for a minor."""
        return self in (Status.NEEDED, Status.NEEDS_TRIAGE)

    @property
    def vex(self) -> str:
        return _VEX_STATUS[self]


_VEX_STATUS = {
    Status.NEEDS_TRIAGE: "under_investigation",
    Status.NEEDED: "affected",
    Status.IN_PROGRESS: "affected",
    Status.PATCHED: "fixed",
    Status.NOT_AFFECTED: "not_affected",
    Status.WONT_FIX: "affected",
}


class Justification(StrEnum):
    """OpenVEX's five justifications for not_affected."""

    COMPONENT_NOT_PRESENT = "component_not_present"
    VULNERABLE_CODE_NOT_PRESENT = "vulnerable_code_not_present"
    VULNERABLE_CODE_NOT_IN_EXECUTE_PATH = "vulnerable_code_not_in_execute_path"
    VULNERABLE_CODE_CANNOT_BE_CONTROLLED_BY_ADVERSARY = (
        "vulnerable_code_cannot_be_controlled_by_adversary"
    )
    INLINE_MITIGATIONS_ALREADY_EXIST = "inline_mitigations_already_exist"


class PatchKind(StrEnum):
    SECURITY = "security"
    INFRASTRUCTURE = "infrastructure"

    @classmethod
    def of(cls, advisory_id: str) -> PatchKind:
        return cls.INFRASTRUCTURE if advisory_id.startswith("INFRA-") else cls.SECURITY


class AdvisoryKind(StrEnum):
    """Whose advisory it is: this repo's own code (`project`, the default), another project of
    the same community with its own versions, a Go module the project depends on, or its Go."""

    PROJECT = "project"
    OTHER_PROJECT = "other-project"
    DEPENDENCY = "dependency"
    TOOLCHAIN = "toolchain"

    @property
    def is_go(self) -> bool:
        """The dependency lane's kinds (Go modules and Go itself), counted apart."""
        return self in (AdvisoryKind.DEPENDENCY, AdvisoryKind.TOOLCHAIN)


@dataclass(frozen=True)
class Decision:
    """One change of an advisory's state, as `ksp triage` records it in the advisory's history:
    a status on a minor (`minor` set; `before`/`after` are statuses) or the advisory's kind
    (`minor` None; `before`/`after` are kinds)."""

    by: str
    date: dt.date
    after: str
    minor: Minor | None = None
    before: str | None = None
    why: str | None = None


class BackportClass(StrEnum):
    CLEAN = "clean"
    ADJUSTED = "adjusted"
    REWRITTEN = "rewritten"
    ORIGINAL_MITIGATION = "original-mitigation"


class TestsProvenance(StrEnum):
    KEPT = "kept"
    ADAPTED = "adapted"
    DROPPED = "dropped"


class Reach(StrEnum):
    """How a binary reaches a vulnerable Go package (the dependency lane's evidence)."""

    IMPORTED = "imported"  # linked in (and, where decidable, a listed symbol is named)
    SYMBOLS_UNREFERENCED = "symbols-unreferenced"  # linked in; no listed function is named
    NOT_IMPORTED = "not-imported"  # not in the import closure of the binary's main package


@dataclass(frozen=True)
class BinaryState:
    """One binary's reachability of a dependency advisory on one minor, with its evidence."""

    binary: str
    reach: Reach
    evidence: str

    @property
    def affected(self) -> bool:
        return self.reach is Reach.IMPORTED


@dataclass(frozen=True)
class ModuleVersion:
    """Another vulnerable module of the same advisory on one minor (e.g. stdlib beside x/net)."""

    module: str
    version: str
    fixed_version: str | None = None


class Rating(StrEnum):
    NONE = "NONE"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"
    UNKNOWN = "UNKNOWN"

    @property
    def rank(self) -> int:
        return list(Rating).index(self)


@dataclass(frozen=True)
class Severity:
    """A rating, with the CVSS score and vector it was computed from when known."""

    rating: Rating
    score: float | None = None
    vector: str | None = None


@dataclass(frozen=True)
class MinorState:
    """The vulnerability state of one advisory on one minor (the window is computed elsewhere)."""

    status: Status
    patch: str | None = None
    sha256: str | None = None
    reason: str | None = None
    justification: Justification | None = None
    link: str | None = None
    patched_on: dt.date | None = None
    source: str | None = None  # "import" when derived by `advisories import`, else set by a person
    # The dependency lane (kind dependency/toolchain): the module (or stdlib) in use on this
    # minor, its version, the first version that fixes it, and each binary's reachability.
    module: str | None = None
    version: str | None = None
    fixed_version: str | None = None
    binaries: tuple[BinaryState, ...] = ()
    also: tuple[ModuleVersion, ...] = ()


@dataclass(frozen=True)
class Advisory:
    """One index.yaml entry: the facts of an advisory and its state on each minor."""

    id: AdvisoryId
    title: str
    kind: PatchKind = PatchKind.SECURITY
    issue: str | None = None
    published: dt.date | None = None
    severity: Severity | None = None
    components: tuple[str, ...] = ()
    fixes: tuple[str, ...] = ()
    fixed_in: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    reason: str | None = None
    minors: dict[Minor, MinorState] = field(default_factory=dict)
    scope: AdvisoryKind = AdvisoryKind.PROJECT  # index.yaml's `kind:` when it names one
    project: str | None = None  # the package it is about, when not this project's own
    scope_source: str | None = None  # "import" when the importer set kind/project
    history: tuple[Decision, ...] = ()

    @property
    def in_scope(self) -> bool:
        """This repository's own security advisory: the only kind coverage and metrics count."""
        return self.kind is PatchKind.SECURITY and self.scope is AdvisoryKind.PROJECT

    def state(self, minor: Minor) -> MinorState | None:
        return self.minors.get(minor)

    def fixed_upstream_in(self, minor: Minor) -> str | None:
        """The official patch release of `minor` that fixed this, if any."""
        prefix = f"{minor}."
        for version in self.fixed_in:
            if version.lstrip("v").startswith(prefix):
                return version
        return None


@dataclass(frozen=True)
class Release:
    """Lifecycle facts of one minor. Actual EOL is preferred over planned; both are kept."""

    minor: Minor
    released: dt.date | None
    eol_planned: dt.date | None
    eol_actual: dt.date | None = None
    final_patch: str | None = None
    latest_patch: str | None = None
    # endoflife.date's `eol: false` (still supported, no end date yet) is True; `eol: true` (ended
    # on a date the file does not give) is False; None when the file says nothing.
    supported: bool | None = None

    @property
    def eol(self) -> dt.date | None:
        return self.eol_actual or self.eol_planned


@dataclass(frozen=True)
class PatchRef:
    """A patch file in a patches repo, by its place in a minor's series."""

    minor: Minor
    number: int
    advisory: AdvisoryId
    path: str  # relative to the patches repo root, e.g. v1.30/0001_CVE-2025-5187.patch

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def kind(self) -> PatchKind:
        return PatchKind.of(self.advisory)
