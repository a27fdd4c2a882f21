"""Which minors a CI run must gate: those a change touches, or every minor in the window.

Read-only git: `merge-base` and `diff` against the working tree, never a checkout.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from ksp.errors import UsageError
from ksp.git._run import git, split_z
from ksp.model import Minor, Window
from ksp.repo import PatchesRepo
from ksp.repo.layout import CONFIG, FOLDER_RE


@dataclass(frozen=True)
class Entry:
    minor: str
    branch: str


def changed_paths(repo: PatchesRepo, since: str) -> list[str]:
    """Paths (relative to the patches repo) changed since the merge base with `since`."""
    known = git(repo.root, "rev-parse", "--verify", "--quiet", f"{since}^{{commit}}", check=False)
    if known.returncode != 0:
        raise UsageError(f"unknown git ref: {since}",
                         hint="fetch it first (in CI: actions/checkout with fetch-depth: 0)")
    base = git(repo.root, "merge-base", since, "HEAD", what=f"no merge base with {since}")
    diff = git(repo.root, "diff", "--name-only", "-z", "--no-renames", "--relative",
               base.stdout.strip())
    untracked = git(repo.root, "ls-files", "--others", "--exclude-standard", "-z")
    return sorted(set(split_z(diff.stdout)) | set(split_z(untracked.stdout)))


def window_minors(repo: PatchesRepo, today: dt.date) -> list[Minor]:
    return repo.lifecycle().in_window(today, Window.EXTENDED)


def changed_minors(repo: PatchesRepo, since: str, today: dt.date) -> list[Minor]:
    """Minors whose folder changed; a changed ksp.yaml (commands, policy) touches them all."""
    paths = changed_paths(repo, since)
    minors = {Minor.parse(p.split("/", 1)[0]) for p in paths
              if "/" in p and FOLDER_RE.match(p.split("/", 1)[0])}
    if CONFIG in paths:
        minors.update(window_minors(repo, today))
    existing = set(repo.minors())
    return sorted((m for m in minors if m in existing), reverse=True)


def entries(repo: PatchesRepo, minors: list[Minor]) -> list[Entry]:
    return [Entry(str(m), repo.config.branch_for(m)) for m in minors]


def to_json(items: list[Entry]) -> str:
    """One line, as GitHub's `fromJSON` and `$GITHUB_OUTPUT` want it."""
    return json.dumps({"include": [{"minor": e.minor, "branch": e.branch} for e in items]},
                      separators=(",", ":"))
