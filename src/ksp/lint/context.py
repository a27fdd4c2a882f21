"""What every check sees: the repo, its loaded files, the date, the options and the scope.

Loading happens once here. A file that does not load becomes a finding (with its file and line)
and the checks that need it skip it, so that one broken file never hides the others.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ksp import lifecycle as lifecycle_mod
from ksp.errors import KspError
from ksp.lifecycle import Lifecycle
from ksp.lint.findings import Finding, from_error
from ksp.model import PATCH_NAME_RE, Minor
from ksp.repo import PatchesRepo
from ksp.repo import patchfile as patchfile_mod
from ksp.repo.changes import changed_files
from ksp.repo.config import Config
from ksp.repo.index import IndexDocument
from ksp.repo.layout import CONFIG, FOLDER_RE, INDEX
from ksp.repo.patchfile import PatchFile


@dataclass(frozen=True)
class LintOptions:
    pre_review: bool = False  # SRC Reviewer may be empty, Testing may be pending
    since: str | None = None  # lint only patch files changed since this ref
    upstream: Path | None = None  # a clone of the upstream: referenced commits must exist


@dataclass(frozen=True)
class PatchEntry:
    """A patch file in a valid minor folder, by its path relative to the repo root."""

    minor: Minor
    rel: str
    path: Path

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class LintContext:
    repo: PatchesRepo
    today: dt.date
    options: LintOptions = field(default_factory=LintOptions)
    config: Config = field(default_factory=Config)
    index: IndexDocument | None = None
    lifecycle: Lifecycle | None = None
    scope: frozenset[str] | None = None  # repo-relative files in scope; None: everything
    problems: list[Finding] = field(default_factory=list)  # files that did not load
    _patches: dict[str, PatchFile | None] = field(default_factory=dict)

    @classmethod
    def build(cls, repo: PatchesRepo, today: dt.date, options: LintOptions) -> LintContext:
        if options.since and repo.trusted_base is None:
            repo = repo.at_base(options.since)  # checked with the base's ksp.yaml, not the PR's
        ctx = cls(repo, today, options)
        try:
            ctx.config = repo.config
        except KspError as exc:
            ctx.problems.append(from_error("KSP001", exc, repo.root, CONFIG))
        ctx.lifecycle = ctx._load_lifecycle()
        try:
            ctx.index = repo.index()
        except KspError as exc:
            ctx.problems.append(from_error("KSP002", exc, repo.root, INDEX))
        if options.since:
            ctx.scope = changed_files(repo.root, options.since)
        return ctx

    def _load_lifecycle(self) -> Lifecycle | None:
        try:
            return self.repo.lifecycle() if not self.problems else lifecycle_mod.embedded()
        except KspError as exc:
            self.problems.append(from_error("KSP003", exc, self.repo.root, CONFIG))
            return None

    @property
    def root(self) -> Path:
        return self.repo.root

    def in_scope(self, rel: str) -> bool:
        return self.scope is None or rel in self.scope

    def minor_folders(self) -> list[tuple[Minor, Path]]:
        return [(Minor.parse(p.name), p) for p in self.repo.minor_folders()
                if FOLDER_RE.fullmatch(p.name)]

    def folder_files(self, folder: Path) -> list[Path]:
        """Files and folders in a minor folder, hidden ones (.gitkeep) left out."""
        return sorted(p for p in folder.iterdir() if not p.name.startswith("."))

    def entries(self) -> list[PatchEntry]:
        """Well-named patch files in scope, in series order per minor."""
        found = []
        for minor, folder in self.minor_folders():
            for path in self.folder_files(folder):
                rel = f"{folder.name}/{path.name}"
                if PATCH_NAME_RE.fullmatch(path.name) and self.in_scope(rel) \
                        and (path.is_file() or path.is_symlink()):
                    found.append(PatchEntry(minor, rel, path))
        return found

    def patch(self, entry: PatchEntry) -> PatchFile | None:
        """The parsed patch, or None when it does not load (see `load_findings`)."""
        if entry.rel not in self._patches:
            self._patches[entry.rel] = self._load(entry)
        return self._patches[entry.rel]

    def _load(self, entry: PatchEntry) -> PatchFile | None:
        limit = self.config.policy.max_patch_bytes
        if not entry.path.is_symlink() and entry.path.stat().st_size > limit:
            return None  # reported by the policy check; not read at all
        try:
            return patchfile_mod.load(entry.path, limit=max(limit, 1))
        except KspError as exc:
            self.problems.append(from_error("KSP201", exc, self.root, entry.rel))
            return None

    def parsed(self) -> list[tuple[PatchEntry, PatchFile]]:
        pairs = [(e, self.patch(e)) for e in self.entries()]
        return [(e, p) for e, p in pairs if p is not None]
