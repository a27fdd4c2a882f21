"""What a change touches in a patches repo: the files changed since a ref, for `--since`.

One mechanism for every command with `--since` (lint, gate): the files that differ between the
merge base of REF and HEAD and the working tree (committed, staged or not), plus untracked files
(not ignored). Comparing with the merge base, not REF itself, leaves out what REF's branch
changed after the change forked from it (`origin/main` moving on is not the pull request).
"""

from __future__ import annotations

from pathlib import Path

from ksp.errors import UsageError
from ksp.git._run import git, is_repo, split_z


def changed_files(root: Path, ref: str) -> frozenset[str]:
    """Files changed since `ref` (committed or not) and untracked files, relative to `root`."""
    if not is_repo(root):
        raise UsageError(f"--since {ref}: {root} is not in a git repository",
                         hint="--since compares against the patches repo's git history")
    probe = git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
    if probe.returncode != 0:
        raise UsageError(f"--since {ref}: not a commit in {root}",
                         hint="give a branch, tag or commit of the patches repo's git history")
    diff = git(root, "diff", "--name-only", "--relative", "--no-renames", "-z", "--merge-base",
               ref, "--", check=False)
    if diff.returncode != 0:
        raise UsageError(f"--since {ref}: no common history with HEAD in {root}",
                         hint="give a commit that HEAD's branch was forked from")
    untracked = git(root, "ls-files", "--others", "--exclude-standard", "-z").stdout
    return frozenset(split_z(diff.stdout) + split_z(untracked))
