"""Every version ksp reads, parsed here and ordered by one rule: semver (the `semver` library).

- `Version`: a release or advisory-range version (`1.30.2`, `v1.30.0-rc.1`, the feed's `1.6.x`,
  where `x` is every patch of the minor);
- `semver_of`: a Go module version or a Go release in semver form (`v0.35.0`, pseudo-versions,
  `go1.22.5`), ordered by the spec (pre-releases and pseudo-versions before their release);
- `go_release` / `go_release_parts`: Go's own release names (`go1.22.5`, `1.22`, `1.22rc1`), as
  semver text and as numbers for matching a toolchain to a wish (`1.22` = any `go1.22.x`);
- `git_version_of`: `git version 2.39.5` as numbers (which plumbing options exist).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering
from typing import TYPE_CHECKING

from ksp.model import Minor

if TYPE_CHECKING:
    import semver

_GO_RELEASE = re.compile(r"^(?:go)?(\d+)\.(\d+)(?:\.(\d+))?(?:(rc|beta)(\d+))?$")


def semver_of(version: str) -> semver.Version | None:
    """A Go module or Go release version as semver (`v`/`go` dropped); None if it is not one."""
    import semver  # lazy: 4.6 ms of start-up (only when a version is compared)

    try:
        return semver.Version.parse(version.removeprefix("v").removeprefix("go"))
    except ValueError:
        return None


def go_release(text: str) -> str | None:
    """`go1.22.5`, `1.22` or `1.22rc1` as semver text: `1.22.5`, `1.22.0`, `1.22.0-rc.1`."""
    match = _GO_RELEASE.match(text.strip())
    if not match:
        return None
    major, minor, patch, kind, number = match.groups()
    return f"{major}.{minor}.{patch or 0}" + (f"-{kind}.{number}" if kind else "")


def go_release_parts(text: str) -> tuple[int, int, int | None] | None:
    """`go1.22.12` as (1, 22, 12); `1.22` as (1, 22, None): no patch named."""
    match = _GO_RELEASE.match(text.strip())
    if not match:
        return None
    patch = match.group(3)
    return int(match.group(1)), int(match.group(2)), int(patch) if patch is not None else None


def git_version_of(text: str) -> tuple[int, ...]:
    """`git version 2.39.5` (or `… 2.45.1.windows.1`) as (2, 39, 5)."""
    words = text.split()
    numbers = re.findall(r"\d+", words[2] if len(words) > 2 else "0")
    return tuple(int(n) for n in numbers[:3])


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
        import semver  # lazy: 4.7 ms of start-up

        return semver.Version(self.major, self.minor, self.patch, self.pre)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self.semver() < other.semver()

    def __str__(self) -> str:
        patch = "x" if self.patch == ANY else str(self.patch)
        return f"{self.major}.{self.minor}.{patch}" + (f"-{self.pre}" if self.pre else "")


ZERO = Version(0, 0, 0)
