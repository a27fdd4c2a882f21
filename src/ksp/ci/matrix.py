"""Which minors a CI run must gate: those a change touches, or every minor in the window.

Read-only git: `merge-base` and `diff` against the working tree, never a checkout.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from ksp.model import Minor, Window
from ksp.repo import PatchesRepo
from ksp.repo.changes import changed_files
from ksp.repo.layout import CONFIG, FOLDER_RE


@dataclass(frozen=True)
class Entry:
    minor: str
    branch: str


def changed_paths(repo: PatchesRepo, since: str) -> list[str]:
    """Paths (relative to the patches repo) changed since the merge base with `since`."""
    return sorted(changed_files(repo.root, since))


def window_minors(repo: PatchesRepo, today: dt.date) -> list[Minor]:
    return repo.lifecycle().in_window(today, Window.EXTENDED)


def changed_minors(repo: PatchesRepo, since: str, today: dt.date) -> list[Minor]:
    """Minors whose folder changed; a changed ksp.yaml (commands, policy) touches them all."""
    paths = changed_paths(repo, since)
    minors = {Minor.parse(p.split("/", 1)[0]) for p in paths
              if "/" in p and FOLDER_RE.fullmatch(p.split("/", 1)[0])}
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
