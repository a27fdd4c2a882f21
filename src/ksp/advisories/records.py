"""What an advisory source says, in one shape for the feed and OSV alike.

Versions are compared as semver numbers; `x` (as in the feed's "1.6.x") means every patch of the
minor. A Go staging module's `v0.30.2` is Kubernetes 1.30.2, so callers normalise before parsing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ksp.versions import Version


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
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None
