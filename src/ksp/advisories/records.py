"""What an advisory source says, in one shape for the feed and OSV alike.

Versions are compared as semver numbers; `x` (as in the feed's "1.6.x") means every patch of the
minor. A Go staging module's `v0.30.2` is Kubernetes 1.30.2, so callers normalise before parsing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import total_ordering

import semver

from ksp.model import Minor

_VERSION_RE = re.compile(
    r"^[vV]?(?P<major>\d{1,6})(?:\.(?P<minor>\d{1,6}|x))?(?:\.(?P<patch>\d{1,6}|x))?"
    r"(?:-(?P<pre>[0-9A-Za-z.-]{1,64}))?(?:\+[0-9A-Za-z.-]{1,64})?$"
)
ANY = 10**9  # an "x" component: above every real number


@total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    pre: str | None = None

    @classmethod
    def parse(cls, text: str) -> Version | None:
        match = _VERSION_RE.match(text.strip())
        if not match:
            return None

        def num(key: str) -> int:
            value = match[key]
            return ANY if value == "x" else int(value or 0)

        return cls(int(match["major"]), num("minor"), num("patch"), match["pre"])

    @classmethod
    def last_of(cls, minor: Minor) -> Version:
        return cls(minor.major, minor.minor, ANY)

    @property
    def minor_line(self) -> Minor:
        return Minor(self.major, self.minor)

    def semver(self) -> semver.Version:
        """The same version for the `semver` library, which orders pre-releases by the spec
        (`rc.9 < rc.10`: numeric identifiers compare as numbers)."""
        return semver.Version(self.major, self.minor, self.patch, self.pre)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.semver() < other.semver()

    def __str__(self) -> str:
        patch = "x" if self.patch == ANY else str(self.patch)
        return f"{self.major}.{self.minor}.{patch}" + (f"-{self.pre}" if self.pre else "")


ZERO = Version(0, 0, 0)


@dataclass(frozen=True)
class Event:
    kind: str  # introduced | fixed | last_affected | limit
    version: Version


@dataclass(frozen=True)
class Range:
    kind: str  # SEMVER | ECOSYSTEM | GIT
    events: tuple[Event, ...]

    def affects(self, version: Version) -> bool:
        """OSV's evaluation: sort the events; the last one at or below `version` decides."""
        affected = False
        for event in sorted(self.events, key=lambda e: e.version):
            if event.kind == "introduced" and event.version <= version:
                affected = True
            elif (event.kind == "fixed" and event.version <= version) or (
                    event.kind == "last_affected" and event.version < version):
                affected = False
        return affected

    def describe(self) -> str:
        return ", ".join(f"{e.kind} {e.version}" for e in self.events)


@dataclass(frozen=True)
class Package:
    """An affected package with its ranges; `project` is True when versioned like the project."""

    name: str
    ecosystem: str
    project: bool
    ranges: tuple[Range, ...] = ()
    versions: tuple[Version, ...] = ()
    undecidable: str | None = None  # why its ranges cannot be evaluated, if so


@dataclass(frozen=True)
class Record:
    """One advisory as one source tells it."""

    id: str
    source: str  # "feed" or "osv", for reports
    origin: str  # file or URL
    title: str | None = None
    issue: str | None = None
    published: dt.date | None = None
    vector: str | None = None
    aliases: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    fixed_in: tuple[str, ...] = ()
    fixes: tuple[str, ...] = ()
    packages: tuple[Package, ...] = field(default_factory=tuple)
    mentions: tuple[str, ...] = ()  # Go modules whose release the text links to (the feed)


def parse_timestamp(value: object) -> dt.date | None:
    """The day of an RFC 3339 timestamp as feeds and OSV write it; None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        # RFC 3339 allows a lower-case t and z; Python reads only the upper-case ones
        return dt.datetime.fromisoformat(value.upper()).date()
    except ValueError:
        return None
