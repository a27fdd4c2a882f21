"""Worktrees for conflicts left to a person: in the shadow, never in the user's clone.

`ksp backport --write` checks out a conflicted pick here with the conflict markers relabelled
(names a person reads instead of synthetic commit ids); `--continue` snapshots what was
resolved and refuses while markers remain.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ksp.git._run import git, split_z
from ksp.git.shadow import Shadow


def add_worktree(shadow: Shadow, path: Path, head: str, tree: str) -> None:
    """A worktree at `path` whose HEAD is `head` and whose files are `tree` (index = HEAD)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shadow.git("worktree", "add", "--detach", "-f", str(path), head)
    update_worktree(path, head, tree)


def update_worktree(path: Path, current: str, tree: str) -> None:
    git(path, "read-tree", "-m", "-u", current, tree)
    git(path, "reset", "-q")


def snapshot_worktree(path: Path) -> str:
    """The tree of everything in the worktree now (in its own, ksp-owned index)."""
    git(path, "add", "-A")
    return git(path, "write-tree").stdout.strip()


def remove_worktree(shadow: Shadow, path: Path) -> None:
    if path.exists():
        shadow.git("worktree", "remove", "--force", str(path), check=False)
    shadow.git("worktree", "prune", check=False)


def files_with_markers(path: Path, head: str) -> list[str]:
    """Files of the worktree (changed against `head`, or new) that still hold conflict markers."""
    changed = split_z(git(path, "diff", "-z", "--name-only", head).stdout)
    changed += split_z(git(path, "ls-files", "-z", "-o", "--exclude-standard").stdout)
    found = []
    for rel in sorted(set(changed)):
        file = path / rel
        if not file.is_file() or file.is_symlink():
            continue
        for line in file.read_bytes().split(b"\n"):
            if line.startswith((b"<<<<<<< ", b">>>>>>> ")) or line.rstrip(b"\r") == b"=======":
                found.append(rel)
                break
    return found


def relabel_markers(path: Path, files: Iterable[str], labels: dict[str, str]) -> None:
    """Replace the synthetic commit ids on conflict markers by names a person reads."""
    for rel in files:
        file = path / rel
        if not file.is_file():
            continue
        data = file.read_bytes()
        for old, new in labels.items():
            for mark in (b"<<<<<<< ", b">>>>>>> "):
                data = data.replace(mark + old.encode() + b"\n", mark + new.encode() + b"\n")
        tmp = file.with_name(file.name + ".ksp-tmp")
        tmp.write_bytes(data)
        os.replace(tmp, file)
