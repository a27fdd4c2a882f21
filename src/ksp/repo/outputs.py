"""`--out FILE` never overwrites a file of the patches repo (`ksp vex --out index.yaml`).

A command's output may go inside the patches repo (a workflow under .github/workflows, the
lifecycle file named in ksp.yaml), but never over the repo's own records: ksp.yaml, index.yaml,
the consumer docs, anything in a minor folder or in .git. `allowed` names the one file a
command is there to write (the lifecycle file for `lifecycle import`).
"""

from __future__ import annotations

from pathlib import Path

from ksp.errors import UsageError
from ksp.repo.layout import CONFIG, FOLDER_RE, INDEX

PROTECTED_FILES = (CONFIG, INDEX, "README.md", "OWNERS", "CONTRIBUTING.md", ".gitignore",
                   "ALLOWED_SIGNERS", "CHANGELOG.md", "LICENSE")


def check_out(out: Path, repo_root: Path | None, *, allowed: Path | None = None) -> None:
    """UsageError when writing `out` would overwrite a record of the patches repo."""
    if repo_root is None:
        return
    root = repo_root.resolve()
    target = out.resolve()
    if allowed is not None and target == allowed.resolve():
        return
    if target.is_dir() or target == root or root.is_relative_to(target):
        raise UsageError(f"--out {out}: is a folder", hint="give a file name")
    if not target.is_relative_to(root):
        return
    parts = target.relative_to(root).parts
    if (len(parts) == 1 and parts[0] in PROTECTED_FILES) or parts[0] == ".git" \
            or (len(parts) > 1 and FOLDER_RE.fullmatch(parts[0])):
        raise UsageError(f"--out {out}: refusing to overwrite a file of the patches repo",
                         hint="write the output outside the repo, or to a new file in it")
