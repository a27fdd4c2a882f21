"""Where things are in a patches repo, and the series of each minor in order."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from ksp.errors import FormatError, NotAPatchesRepo
from ksp.model import PATCH_NAME_RE, Advisory, AdvisoryId, Minor, PatchRef
from ksp.repo import config as config_mod
from ksp.repo.config import Config
from ksp.repo.journal import recover_if_needed

if TYPE_CHECKING:  # imported where used: jsonschema and the lifecycle data cost ~200 ms
    from ksp.lifecycle import Lifecycle
    from ksp.repo.index import IndexDocument

FOLDER_RE = re.compile(r"^v\d+\.\d+$")
CONFIG = "ksp.yaml"
INDEX = "index.yaml"


@dataclass
class PatchesRepo:
    """A patches repo. With `trusted_base` (a commit), ksp.yaml and the lifecycle file are read
    from that commit, never from the working tree: how a pull request is checked is not up to
    the pull request (see `ksp.repo.trusted`)."""

    root: Path
    trusted_base: str | None = None

    @cached_property
    def config(self) -> Config:
        if self.trusted_base is None:
            return config_mod.load(self.root / CONFIG)
        from ksp.repo.trusted import read_trusted_text  # lazy: 3.6 ms of start-up

        text = read_trusted_text(self.root, CONFIG, self.trusted_base)
        if text is None:
            raise FormatError(f"no {CONFIG} in the base commit {self.trusted_base[:12]}",
                              path=self.root / CONFIG,
                              hint="a pull request is checked with the base branch's ksp.yaml; "
                                   "merge a reviewed ksp.yaml first")
        return config_mod.load(self.root / CONFIG, text=text)

    def at_base(self, ref: str) -> PatchesRepo:
        """This repo, with its configuration taken from `ref` (resolved to a commit)."""
        from ksp.repo.trusted import resolve_base  # lazy: 3.5 ms of start-up

        return PatchesRepo(self.root, resolve_base(self.root, ref))

    @property
    def index_path(self) -> Path:
        return self.root / INDEX

    def index(self) -> IndexDocument:
        """The index for readers: parse and validation cached by content, lines on demand
        (editors use `repo.index.edit`, which loads round-trip under the lock)."""
        from ksp.repo.index import IndexDocument  # lazy: 2.1 ms of start-up

        return IndexDocument.load(self.index_path, roundtrip=False)

    def advisories(self) -> dict[AdvisoryId, Advisory]:
        return self.index().advisories()

    def lifecycle(self) -> Lifecycle:
        from ksp import lifecycle as lifecycle_mod  # lazy: 2.6 ms of start-up

        cfg = self.config
        path = None
        if cfg.lifecycle:
            path = (self.root / cfg.lifecycle).resolve()
            if not path.is_relative_to(self.root.resolve()):
                raise FormatError("ksp.yaml: lifecycle file must be inside the repo",
                                  path=self.root / CONFIG)
        text = None
        if path is not None and self.trusted_base is not None:
            from ksp.repo.trusted import read_trusted_text  # lazy: 3.7 ms of start-up

            # The path as written, not as the PR's working tree resolves it (symlinks).
            rel = os.path.normpath(str(cfg.lifecycle)).replace(os.sep, "/")
            if rel.startswith(("../", "/")) or rel == "..":
                raise FormatError("ksp.yaml: lifecycle file must be inside the repo",
                                  path=self.root / CONFIG)
            text = read_trusted_text(self.root, rel, self.trusted_base)
            path = self.root / rel
            if text is None:
                raise FormatError(f"lifecycle file {rel} is not in the base commit "
                                  f"{self.trusted_base[:12]}", path=self.root / CONFIG)
        # The preset's embedded data (none for `go`), with the repo's own file merged over it.
        name = cfg.upstream.rstrip("/").rsplit("/", 1)[-1] or cfg.project
        project = "kubernetes" if cfg.lifecycle_data == ("kubernetes.yaml",) else name
        base = lifecycle_mod.embedded(cfg.lifecycle_data, project=project) \
            if cfg.lifecycle_data else lifecycle_mod.Lifecycle(name, {})
        return lifecycle_mod.from_files([path] if path else [], project=base.project,
                                        extended_months=cfg.extended_months, base=base,
                                        text=text)

    def minor_folders(self) -> list[Path]:
        """Every top-level folder that looks like a minor folder (`v…`), valid or not."""
        return sorted(p for p in self.root.iterdir()
                      if p.is_dir() and p.name.startswith("v") and p.name[1:2].isdigit())

    def minors(self) -> list[Minor]:
        return sorted((Minor.parse(p.name) for p in self.minor_folders()
                       if FOLDER_RE.fullmatch(p.name)), reverse=True)

    def series(self, minor: Minor) -> list[PatchRef]:
        """The minor's patches sorted by name: the order in which they apply."""
        folder = self.root / minor.folder
        if not folder.is_dir():
            return []
        refs = []
        for path in sorted(folder.iterdir()):
            match = PATCH_NAME_RE.fullmatch(path.name)
            if match and path.is_file():
                refs.append(PatchRef(minor, int(match["number"]), AdvisoryId(match["id"]),
                                     f"{minor.folder}/{path.name}"))
        return refs

    def next_number(self, minor: Minor) -> int:
        series = self.series(minor)
        return series[-1].number + 1 if series else 1

    def path_of(self, ref: PatchRef) -> Path:
        return self.root / ref.path


def open_repo(root: Path) -> PatchesRepo:
    if not (root / CONFIG).is_file():
        raise NotAPatchesRepo(f"no {CONFIG} in {root}", hint="run `ksp init DIR` to create one")
    recover_if_needed(root)
    return PatchesRepo(root.resolve())


def find_repo(start: Path | None = None) -> PatchesRepo | None:
    """The patches repo containing `start` (default: the current folder), if any."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG).is_file() and (folder / INDEX).exists():
            recover_if_needed(folder)  # an operation a crash cut short is finished first
            return PatchesRepo(folder)
    return None
