"""`ksp init` makes its folder a git repository (lint --since, the gate's --since, CI and review
all assume one) and, unless asked not to, records the scaffold as the first commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ksp.git._run import git, is_repo


@dataclass(frozen=True)
class InitGit:
    initialised: bool  # False: the folder was already inside a git repository
    commit: str | None = None
    note: str | None = None  # why no commit was made


def make_repo(root: Path, files: Sequence[str], *, commit: bool) -> InitGit:
    if is_repo(root):
        return InitGit(False, note="inside an existing git repository: nothing committed")
    git(root, "init", "-q")
    git(root, "add", "--", *files)
    if not commit:
        return InitGit(True, note="--no-commit: the files are staged")
    made = git(root, "commit", "-q", "-m", "Patches repository created by ksp init", check=False)
    if made.returncode != 0:  # typically no user.name / user.email: leave that to the user
        why = next((line for line in made.stderr.splitlines() if line.strip()), "failed")
        return InitGit(True, note=f"git commit: {why.strip()}; the files are staged, commit "
                                  "them yourself")
    return InitGit(True, git(root, "rev-parse", "HEAD").stdout.strip())
