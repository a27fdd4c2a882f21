"""The gate's worktree: one per (upstream, minor), in ksp's cache, reused across runs.

It is a linked worktree of the shadow repository (never of the user's clone, whose
`git worktree list` stays unchanged). Moving it to a new commit with `checkout --force` rewrites
only the files that differ, so Go's build cache (GOCACHE, outside the tree) stays warm.
`clean -fdx` then removes everything untracked, build output included: each use starts clean.
A file lock keeps two gate runs from sharing one worktree; a failing run leaves it in place.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from ksp._files import cache_dir
from ksp.errors import KspError
from ksp.git._run import git
from ksp.git.shadow import Shadow
from ksp.model import Minor


def worktree_path(shadow: Shadow, minor: Minor) -> Path:
    return cache_dir() / "worktrees" / shadow.path.name / str(minor)


class Worktree:
    """A checked-out tree of the shadow; `move(commit)` puts it on another commit, clean."""

    def __init__(self, shadow: Shadow, path: Path) -> None:
        self.shadow = shadow
        self.path = path
        self.commit: str | None = None

    def move(self, commit: str) -> None:
        if self.commit == commit:
            return
        git(self.path, "checkout", "-q", "--detach", "--force", commit,
            what=f"cannot check out {commit[:12]} in {self.path}")
        self.clean()
        self.commit = commit

    def clean(self) -> None:
        git(self.path, "clean", "-q", "-f", "-f", "-d", "-x", what=f"cannot clean {self.path}")

    def _belongs(self) -> bool:
        if not (self.path / ".git").is_file():
            return False
        probe = git(self.path, "rev-parse", "--path-format=absolute", "--git-common-dir",
                    check=False)
        return probe.returncode == 0 and Path(probe.stdout.strip()) == self.shadow.path.resolve()

    def _create(self, commit: str) -> None:
        if self.path.exists():
            _remove_tree(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.shadow.git("worktree", "prune")
        self.shadow.git("worktree", "add", "-q", "--detach", "--force", str(self.path), commit)
        self.commit = commit

    def prepare(self, commit: str) -> None:
        """Reuse the worktree if it is ours and sane, else (re)create it; then move to commit."""
        if self._belongs():
            self.commit = None
            try:
                self.move(commit)
                return
            except KspError:
                pass  # a broken worktree (e.g. a killed checkout): start over
        self._create(commit)
        self.clean()


def _remove_tree(path: Path) -> None:
    """Remove a leftover that is not a usable worktree (read-only folders included)."""
    for folder, _dirs, _files in os.walk(path):
        with contextlib.suppress(OSError):
            Path(folder).chmod(0o755)
    shutil.rmtree(path)


@contextmanager
def worktree(shadow: Shadow, minor: Minor, commit: str, *,
             lock_timeout: float = 3600) -> Iterator[Worktree]:
    """The (upstream, minor) worktree on `commit`, locked for the duration of the block."""
    path = worktree_path(shadow, minor)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path) + ".lock")
    try:
        lock.acquire(timeout=lock_timeout)
    except Timeout:
        raise KspError(f"the worktree {path} is in use by another ksp gate",
                       hint="wait for it to finish, or remove the stale .lock file") from None
    try:
        # Worktree creation writes the shadow's worktrees/ folder: one writer at a time.
        with FileLock(str(shadow.path) + ".worktrees.lock"):
            tree = Worktree(shadow, path)
            tree.prepare(commit)
        yield tree
    finally:
        lock.release()
