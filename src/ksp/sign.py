"""`ksp sign`: the SRC reviewer's sign-off written into a patch header, with the index kept true.

Filling in `SRC Reviewer:` by hand changes the file, so its sha256 in index.yaml no longer
matches and lint fails. Signing rewrites only that header line (byte-exact elsewhere) and the
sha256 of every index state that names the file, in one journalled operation under the lock
(repo/journal.py). The diff does not change,
so the gate evidence that `Testing:` names stays valid.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from ksp.errors import UsageError
from ksp.repo import PatchesRepo, patchfile
from ksp.repo import index as index_mod


@dataclass(frozen=True)
class Signed:
    """One signed patch: its file as the index names it, the reviewer and the new sha256."""

    patch: str
    reviewer: str
    sha256: str
    index_entries: int


def sign(repo: PatchesRepo, paths: list[Path], reviewer: str) -> list[Signed]:
    if not reviewer.strip() or any(c.isspace() for c in reviewer.strip()):
        raise UsageError(f"--reviewer {reviewer!r}: expected one handle such as @src-member")
    planned = [_plan(repo, path, reviewer.strip()) for path in paths]  # all checked first
    out = []
    with index_mod.edit(repo.index_path) as document:
        for rel, _, text in planned:
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            out.append(Signed(rel, reviewer.strip(), digest, document.set_patch_sha(rel, digest)))
        for _, path, text in planned:
            document.stage(path, text)
    return out


def _plan(repo: PatchesRepo, path: Path, reviewer: str) -> tuple[str, Path, str]:
    resolved = path.resolve()
    if not resolved.is_relative_to(repo.root):
        raise UsageError(f"{path} is not inside the patches repo {repo.root}")
    parsed = patchfile.load(resolved)
    text = parsed.header.set("SRC Reviewer", reviewer).render() + parsed.diff
    return resolved.relative_to(repo.root).as_posix(), resolved, text
