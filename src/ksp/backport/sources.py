"""Where else the fix already exists: its backports on other release branches.

A backport made upstream for a newer minor is usually the best start for the next older one:
it already carries the adjustments that minor needed. Versions are found three ways, on the
commits of each release branch that the fix's history does not contain: by the
`(cherry picked from commit <sha>)` trailer, by `git patch-id --stable` (the same change), and,
for commits touching the same files, by the same subject line (a backport adjusted by hand).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ksp.backport.model import FixCommit, Source
from ksp.git.shadow import Shadow
from ksp.model import Minor

Branches = Mapping[Minor, tuple[str, str]]  # minor -> (branch name, tip commit)


def patch_ids(shadow: Shadow, shas: Sequence[str]) -> dict[str, str]:
    """commit -> stable patch-id (merges and empty commits have none)."""
    if not shas:
        return {}
    log = shadow.git("log", "--no-walk=unsorted", "-p", "--no-merges", "--format=commit %H",
                     *shas).stdout
    out = shadow.git("patch-id", "--stable", input=log).stdout
    return {commit: pid for pid, commit in (line.split() for line in out.splitlines() if line)}


def find(shadow: Shadow, fix: Sequence[FixCommit], branches: Branches,
         paths: Sequence[str]) -> list[Source]:
    """A source per release branch that holds a version of every commit of the fix."""
    tips = {sha: minor for minor, (_, sha) in branches.items()}
    if not tips or not fix:
        return []
    exclude = [f"^{c.sha}" for c in fix]
    found: dict[Minor, dict[str, tuple[str, str]]] = {}  # minor -> fix sha -> (version, method)
    _by_trailer(shadow, fix, tips, exclude, found)
    _by_content(shadow, fix, tips, exclude=exclude, paths=paths, found=found)
    sources = []
    for minor, versions in found.items():
        if all(c.sha in versions for c in fix):
            commits = tuple(_version(shadow, c, *versions[c.sha]) for c in fix)
            sources.append(Source(branches[minor][0], commits, minor))
    return sources


def _log(shadow: Shadow, tips: Mapping[str, Minor], exclude: list[str], *args: str
         ) -> list[tuple[str, Minor, str, str]]:
    """(commit, branch minor, subject, body) of branch commits not in the fix's history."""
    out = shadow.git("log", "--no-merges", "--source", "--format=%H%x00%S%x00%s%x00%B%x00%x01",
                     *args, *tips, *exclude, "--").stdout
    rows = []
    for record in out.split("\x01"):
        parts = record.strip("\n").split("\x00")
        if len(parts) >= 4 and parts[1] in tips:
            rows.append((parts[0], tips[parts[1]], parts[2], parts[3]))
    return rows


def _by_trailer(shadow: Shadow, fix: Sequence[FixCommit], tips: Mapping[str, Minor],
                exclude: list[str], found: dict[Minor, dict[str, tuple[str, str]]]) -> None:
    greps = [f"--grep=cherry picked from commit {c.sha}" for c in fix]
    for commit, minor, _, body in _log(shadow, tips, exclude, "--fixed-strings", *greps):
        for c in fix:
            if f"cherry picked from commit {c.sha}" in body:
                found.setdefault(minor, {}).setdefault(c.sha, (commit, "trailer"))


def _by_content(shadow: Shadow, fix: Sequence[FixCommit], tips: Mapping[str, Minor], *,
                exclude: list[str], paths: Sequence[str],
                found: dict[Minor, dict[str, tuple[str, str]]]) -> None:
    if not paths:
        return
    out = shadow.git("log", "--no-merges", "--source", "--format=%H%x00%S%x00%s",
                     *tips, *exclude, "--", *paths).stdout
    rows = [line.split("\x00") for line in out.splitlines() if line.count("\x00") == 2]
    rows = [r for r in rows if r[1] in tips]
    if not rows:
        return
    ids = patch_ids(shadow, [r[0] for r in rows] + [c.apply for c in fix])
    for commit, tip, subject in rows:
        minor = tips[tip]
        for c in fix:
            if ids.get(commit) and ids.get(commit) == ids.get(c.apply):
                found.setdefault(minor, {}).setdefault(c.sha, (commit, "patch-id"))
            elif c.subject and subject == c.subject:
                found.setdefault(minor, {}).setdefault(c.sha, (commit, "subject"))


def _version(shadow: Shadow, fix: FixCommit, commit: str, method: str) -> FixCommit:
    parents = shadow.git("rev-list", "--parents", "-n", "1", commit).stdout.split()[1:]
    return FixCommit(fix.sha, commit, parents[0] if parents else None, fix.subject, method)


def order(sources: Sequence[Source], original: Source, target: Minor) -> list[Source]:
    """Nearest newer branch first, then the other newer ones, the original, older branches."""
    others = [s for s in sources if s.minor is not None and s.minor != target]
    newer = sorted((s for s in others if s.minor is not None and s.minor > target),
                   key=lambda s: s.minor or target)
    older = sorted((s for s in others if s.minor is not None and s.minor < target),
                   key=lambda s: s.minor or target, reverse=True)
    return [*newer, original, *older]
