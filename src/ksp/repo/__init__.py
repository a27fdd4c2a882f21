"""The patches repo: ksp.yaml, index.yaml, the patch series of each minor."""

from __future__ import annotations

from ksp.repo.layout import PatchesRepo, find_repo, open_repo

__all__ = ["PatchesRepo", "find_repo", "open_repo"]
