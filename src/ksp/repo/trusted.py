"""Trusted files: what a pull request is checked with comes from the base branch, not the PR.

In `--since BASE` mode (CI), the pull request's working tree is untrusted input. The files that
decide how it is checked (ksp.yaml: commands, policy, known failures, components; the lifecycle
file; the review helper's OWNERS and allowed signers) are read from the BASE commit with
`git show BASE:path`, so nothing the PR changes can change its own checks. Any code that needs
such a file calls `read_trusted`.
"""

from __future__ import annotations

from pathlib import Path

from ksp._files import MAX_FILE_BYTES
from ksp.errors import FormatError, UsageError
from ksp.git._run import git, git_bytes


def resolve_base(root: Path, ref: str) -> str:
    """The commit that `ref` names in the patches repo's history (UsageError when it does not)."""
    probe = git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}",
                check=False)
    if probe.returncode != 0 or not probe.stdout.strip():
        raise UsageError(f"--since {ref}: not a commit in {root}",
                         hint="give a branch, tag or commit of the patches repo's git history")
    return probe.stdout.strip()


def merge_base(root: Path, ref: str) -> str | None:
    """Where HEAD forked from `ref`: the base a pull request's changes are measured against."""
    proc = git(root, "merge-base", resolve_base(root, ref), "HEAD", check=False)
    return proc.stdout.strip() or None


def read_trusted(root: Path, relpath: str, base: str, *,
                 limit: int = MAX_FILE_BYTES) -> bytes | None:
    """`relpath` (relative to `root`, the patches repo) as committed in `base`; None when the
    file does not exist there. Refuses a file over `limit` bytes and anything but a blob."""
    spec = f"{base}:./{relpath}"
    probe = git(root, "cat-file", "--batch-check=%(objecttype) %(objectsize)",
                input=spec + "\n").stdout.split()
    if len(probe) != 2 or probe[1] == "missing":
        return None
    where = root / relpath
    kind, size = probe[0], int(probe[1])
    if kind != "blob":
        raise FormatError(f"not a file in {base[:12]} (a {kind})", path=where)
    if size > limit:
        raise FormatError(f"{size:,} bytes in {base[:12]}, over the limit of {limit:,}",
                          path=where)
    return git_bytes(root, "cat-file", "blob", spec)


def read_trusted_text(root: Path, relpath: str, base: str) -> str | None:
    """`read_trusted`, decoded as UTF-8 (a FormatError with the line otherwise)."""
    data = read_trusted(root, relpath, base)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"not valid UTF-8 in {base[:12]}", path=root / relpath,
                          line=data[: exc.start].count(b"\n") + 1) from None
