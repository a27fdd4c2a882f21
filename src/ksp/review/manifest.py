"""A minor's series manifest (`vX.Y/SERIES`): what approvers sign, in one canonical text.

    ksp-series v1
    minor 1.32
    base release-1.32 88881522fde0c0a5e6d3f8b1b1e0e1c2d3e4f5a6
    patch 0001_CVE-2025-5187.patch <sha256 of the file> <sha256 of its diff>
    patch 0002_INFRA-go1.23.patch <sha256> <sha256>

UTF-8, LF line ends, single spaces, a final newline, patch lines in series order (file name
order). `base` is the branch or tag the series applies to and the commit it resolved to when
signed. The file digest pins every byte a consumer applies; the diff digest is what the gate
tested (`ksp gate --record` and `ksp sign` rewrite header lines, never the diff).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ksp.errors import FormatError
from ksp.model import Minor
from ksp.repo import PatchesRepo, patchfile

SERIES = "SERIES"
MAGIC = "ksp-series v1"
_HEX64 = r"[0-9a-f]{64}"
_PATCH_RE = re.compile(rf"^patch (?P<name>\d{{4}}_\S+\.patch) (?P<sha>{_HEX64}) "
                       rf"(?P<diff>{_HEX64})$")
# The review files a minor's folder may hold besides its patches.
REVIEW_FILE_RE = re.compile(r"^(SERIES|GATE\.intoto\.json)(\.@[a-z0-9][a-z0-9-]*\.sig)?$")
_BASE_RE = re.compile(r"^base (?P<ref>\S+) (?P<commit>[0-9a-f]{40}|[0-9a-f]{64})$")


@dataclass(frozen=True)
class Entry:
    name: str  # file name inside the minor's folder
    sha256: str
    diff_sha256: str


@dataclass(frozen=True)
class Manifest:
    minor: Minor
    base_ref: str
    base_commit: str
    entries: tuple[Entry, ...]

    def render(self) -> str:
        lines = [MAGIC, f"minor {self.minor}", f"base {self.base_ref} {self.base_commit}"]
        lines += [f"patch {e.name} {e.sha256} {e.diff_sha256}" for e in self.entries]
        return "\n".join(lines) + "\n"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.render().encode()).hexdigest()

    def tested(self) -> tuple[str, str, tuple[tuple[str, str], ...]]:
        """What a gate run must have tested: the base commit and each diff, in order."""
        return (self.base_ref, self.base_commit,
                tuple((e.name, e.diff_sha256) for e in self.entries))


def diff_sha256(data: bytes) -> str:
    """Of the diff alone (repo/patchfile.py's split), as the gate's evidence records it."""
    return hashlib.sha256(patchfile.split(data)[1]).hexdigest()


def entries(repo: PatchesRepo, minor: Minor) -> tuple[Entry, ...]:
    """The series as the files stand now."""
    out = []
    for ref in repo.series(minor):
        data = repo.path_of(ref).read_bytes()
        out.append(Entry(ref.path.rsplit("/", 1)[-1], hashlib.sha256(data).hexdigest(),
                         diff_sha256(data)))
    return tuple(out)


def path(repo: PatchesRepo, minor: Minor) -> Path:
    return repo.root / minor.folder / SERIES


def parse(text: str, where: Path) -> Manifest:
    lines = text.split("\n")
    if lines[-1] != "" or lines[0] != MAGIC:
        raise FormatError(f"not a series manifest (expected '{MAGIC}' first and a final "
                          "newline)", path=where, line=1, hint="`ksp sign` writes it")
    lines.pop()
    minor_line = re.fullmatch(r"minor (\d+\.\d+)", lines[1]) if len(lines) > 1 else None
    base = _BASE_RE.match(lines[2]) if len(lines) > 2 else None
    if minor_line is None or base is None:
        raise FormatError("expected 'minor X.Y' then 'base REF COMMIT'", path=where, line=2)
    found = []
    for number, line in enumerate(lines[3:], start=4):
        match = _PATCH_RE.match(line)
        if match is None:
            raise FormatError("expected 'patch NNNN_ID.patch SHA256 DIFF_SHA256'", path=where,
                              line=number)
        found.append(Entry(match["name"], match["sha"], match["diff"]))
    manifest = Manifest(Minor.parse(minor_line[1]), base["ref"], base["commit"], tuple(found))
    if manifest.render() != text:
        raise FormatError("manifest is not in canonical form", path=where,
                          hint="regenerate it with `ksp sign`")
    return manifest


def changes(signed: tuple[Entry, ...], current: tuple[Entry, ...]) -> list[str]:
    """What differs, per file: `0003_X.patch changed`, `… added`, `… removed`, `… moved`."""
    old = {e.name: (i, e) for i, e in enumerate(signed)}
    new = {e.name: (i, e) for i, e in enumerate(current)}
    by_sha = {e.sha256: e.name for e in signed}
    out = []
    for name, (i, entry) in new.items():
        if name not in old and by_sha.get(entry.sha256):
            out.append(f"{name} reordered (signed as {by_sha[entry.sha256]})")
        elif name not in old:
            out.append(f"{name} added")
        elif old[name][1].sha256 != entry.sha256:
            out.append(f"{name} changed")
        elif old[name][0] != i:
            out.append(f"{name} moved")
    moved = {e.sha256 for _, e in new.values()}
    out += [f"{name} removed" for name, (_, e) in old.items()
            if name not in new and e.sha256 not in moved]
    return out
