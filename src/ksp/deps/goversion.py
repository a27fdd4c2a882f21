"""The Go a minor builds with, for `ksp status`: cheap, without the series engine.

Read from the release branch in the upstream clone (one `git cat-file --batch` for all minors):
`.go-version`, else go.mod's `toolchain`, else its `go` line; a series patch that rewrites
`.go-version` (an INFRA-go bump) wins. `ksp deps` reads the same through the series engine.
"""

from __future__ import annotations

import re
from pathlib import Path

from ksp import gomod, versions
from ksp.git.shadow import ObjectReader
from ksp.model import Minor
from ksp.repo.layout import PatchesRepo

_GO_VERSION_LINE = re.compile(r"^\+(?:go)?(\d+\.\d+(?:\.\d+)?)\s*$", re.MULTILINE)


def minor_go(repo: PatchesRepo, upstream: Path, minors: list[Minor]) -> dict[Minor, str]:
    if not (upstream / ".git").exists() and not (upstream / "HEAD").is_file():
        return {}
    out: dict[Minor, str] = {}
    with ObjectReader(upstream) as reader:
        for minor in minors:
            branch = repo.config.branch_for(minor)
            found = _series_go(repo, minor) or _branch_go(reader, branch) \
                or _branch_go(reader, f"origin/{branch}")
            if found:
                out[minor] = found
    return out


def _read(reader: ObjectReader, spec: str) -> str | None:
    got = reader.read(spec)
    return got[1].decode("utf-8", "replace") if got and got[0] == "blob" else None


def _branch_go(reader: ObjectReader, ref: str) -> str | None:
    text = _read(reader, f"{ref}:.go-version")
    if text and (found := versions.go_release(text.strip())):
        return found
    mod = _read(reader, f"{ref}:go.mod")
    if mod is None:
        return None
    parsed = gomod.parse_go_mod(mod)
    for value in (parsed.toolchain, parsed.go):
        if value and (found := versions.go_release(value)):
            return found
    return None


def _series_go(repo: PatchesRepo, minor: Minor) -> str | None:
    found = None
    for ref in repo.series(minor):
        text = repo.path_of(ref).read_text(errors="replace")
        at = text.find("+++ b/.go-version\n")
        if at >= 0 and (match := _GO_VERSION_LINE.search(text, at)):
            found = versions.go_release(match.group(1))
    return found
