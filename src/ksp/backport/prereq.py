"""Prerequisites: upstream commits that a conflicting fix depends on.

For each conflicting file, `git blame` of the fix's parent on the lines the fix's hunks cover,
limited to commits the target does not have (`<target base>..<fix parent>`), names the commits
that last touched those lines. Applying some of them first (oldest first) may make the fix apply:
that is checked with the same 3-way machinery, and the smallest working set found is reported
as verified; otherwise every candidate is reported, unverified.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from ksp.backport.model import Conflict, FixCommit, PullRequest
from ksp.git import diff as diffmod
from ksp.git.shadow import Shadow

MAX_CANDIDATES = 8
MAX_TRIES = 24


class Prerequisites(NamedTuple):
    commits: tuple[str, ...]
    verified: bool


def candidates(shadow: Shadow, commit: FixCommit, files: Sequence[diffmod.FileDiff],
               conflicts: Sequence[Conflict], base: str) -> list[str]:
    """Commits in base..parent that last touched the fix's lines in the conflicting files."""
    if commit.parent is None:
        return []
    wanted = {c.path for c in conflicts}
    found: list[str] = []
    touched = [f for f in files if f.old_path]
    relevant = [f for f in touched if {f.old_path, f.new_path} & wanted] or touched
    for f in relevant:
        assert f.old_path is not None
        ranges = [r for h in f.hunks for r in ("-L", f"{max(1, h.old_start)},+{max(1, h.old_len)}")]
        proc = shadow.git("blame", "--porcelain", *ranges, f"{base}..{commit.parent}", "--",
                          f.old_path, check=False)
        if proc.returncode != 0:
            continue
        found += _blamed(proc.stdout)
    unique = list(dict.fromkeys(found))
    return _oldest_first(shadow, unique)[:MAX_CANDIDATES]


def _blamed(porcelain: str) -> list[str]:
    """Commits of a porcelain blame that are not boundary (i.e. not already on the target)."""
    commits: list[str] = []
    current, boundary = None, set()
    for line in porcelain.splitlines():
        head = line.split(" ", 1)[0]
        if len(head) == 40 and all(ch in "0123456789abcdef" for ch in head):
            current = head
            if current not in commits:
                commits.append(current)
        elif line == "boundary" and current:
            boundary.add(current)
    return [c for c in commits if c not in boundary and set(c) != {"0"}]


def _oldest_first(shadow: Shadow, shas: list[str]) -> list[str]:
    if len(shas) < 2:
        return shas
    out = shadow.git("rev-list", "--no-walk=sorted", "--topo-order", *shas).stdout.split()
    return list(reversed(out))


def smallest(found: list[str], works: Callable[[list[str]], bool]) -> Prerequisites:
    """The smallest set (in order) that `works` for: singles first, then all, then trimmed."""
    tries = 0
    for sha in found:
        tries += 1
        if tries > MAX_TRIES:
            return Prerequisites(tuple(found), False)
        if works([sha]):
            return Prerequisites((sha,), True)
    if len(found) < 2 or not works(found):
        return Prerequisites(tuple(found), False)
    keep = list(found)
    for sha in list(found):
        if tries > MAX_TRIES:
            break
        trial = [c for c in keep if c != sha]
        tries += 1
        if trial and works(trial):
            keep = trial
    return Prerequisites(tuple(keep), True)


def pull_requests(shadow: Shadow, commits: Sequence[str], fix: str) -> tuple[PullRequest, ...]:
    """The upstream pull requests (merge commits) the prerequisites came in with, each with all
    its commits: a person takes a whole PR, not a commit picked out of its middle.

    The merge of a commit is the oldest merge that is both on the first-parent line of a
    branch holding the fix and a descendant of the commit."""
    tip = _tip_holding(shadow, fix)
    if tip is None:
        return ()
    found: dict[str, PullRequest] = {}
    for sha in commits:
        merge = _merge_of(shadow, sha, tip)
        if merge is None or merge in found:
            continue
        parents = shadow.git("rev-list", "--parents", "-n", "1", merge).stdout.split()[1:]
        if len(parents) < 2:
            continue
        inside = shadow.git("rev-list", "--reverse", "--topo-order", "--no-merges",
                            f"{parents[0]}..{parents[1]}").stdout.split()
        if len(inside) > 1:  # a one-commit PR adds nothing to the prerequisites list
            found[merge] = PullRequest(merge, tuple(inside))
    return tuple(found.values())


def _tip_holding(shadow: Shadow, fix: str) -> str | None:
    out = shadow.git("-C", str(shadow.upstream), "for-each-ref", "--format=%(refname)",
                     "--contains", fix, "refs/heads", "refs/remotes", check=False).stdout.split()
    for preferred in ("refs/heads/main", "refs/heads/master", "refs/remotes/origin/main",
                      "refs/remotes/origin/master"):
        if preferred in out:
            return preferred
    return out[0] if out else None


def _merge_of(shadow: Shadow, sha: str, tip: str) -> str | None:
    ancestry = shadow.git("-C", str(shadow.upstream), "rev-list", "--ancestry-path", "--merges",
                          f"{sha}..{tip}", check=False).stdout.split()
    if not ancestry:
        return None
    first_parent = set(shadow.git("-C", str(shadow.upstream), "rev-list", "--first-parent",
                                  "--merges", f"{sha}..{tip}", check=False).stdout.split())
    on_line = [m for m in ancestry if m in first_parent]
    return on_line[-1] if on_line else None
