"""Where else the fix already exists: its backports on other release branches.

A backport made upstream for a newer minor is usually the best start for the next older one:
it already carries the adjustments that minor needed. Versions are found on the commits of each
release branch since its fork from the fix, by the same rules that tell a target it already has
the fix: the `(cherry picked from commit <sha>)` trailer, `git patch-id --stable`, or the same
subject and author (a backport adjusted by hand, or whose paths moved).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ksp._parallel import in_threads
from ksp.backport import already
from ksp.backport.model import FixCommit, Source
from ksp.git.shadow import Shadow
from ksp.model import Minor

Branches = Mapping[Minor, tuple[str, str]]  # minor -> (branch name, tip commit)


def find(finder: already.Finder, branches: Branches, *, jobs: int = 1) -> list[Source]:
    """A source per release branch that holds a version of every commit of the fix, found by
    the rules that tell a target it already has the fix (ksp.backport.already.on_branch).
    The branches are searched on `jobs` threads; the finder remembers each for the targets."""
    items = sorted(branches.items(), reverse=True)
    found = in_threads(items, lambda item: _on_branch(finder, item[0], *item[1]), jobs=jobs,
                       name="ksp-sources")
    return [source for source in found if source is not None]


def _on_branch(finder: already.Finder, minor: Minor, name: str, tip: str) -> Source | None:
    if finder.ancestor(tip) is not None:
        return None  # the fix itself is on that branch: nothing else to start from
    versions = finder.on_branch(tip)
    if not finder.fix or not all(c.sha in versions for c in finder.fix):
        return None
    commits = tuple(_version(finder.shadow, c, versions[c.sha].commit or c.sha,
                             versions[c.sha].by) for c in finder.fix)
    return Source(name, commits, minor)


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
