"""A distributor's fleet: several patches repos (kubernetes, containerd, etcd, runc, k8s.io/*)
seen together. Each repo's own commands are unchanged; the fleet only reads them.

The repos are named on the command line (`--fleet DIR…`) or listed in a small file
(`fleet: [kubernetes-patches, containerd-patches]`, paths relative to the file).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ksp._yaml import load_yaml
from ksp.errors import FormatError, UsageError
from ksp.repo import PatchesRepo, open_repo
from ksp.status import StatusResult, compute


@dataclass(frozen=True)
class Member:
    name: str  # the folder's name: unique in the fleet, used as the site's subfolder
    repo: PatchesRepo


@dataclass(frozen=True)
class FleetProject:
    name: str
    project: str  # the preset (ksp.yaml `project`)
    status: StatusResult


@dataclass(frozen=True)
class FleetStatus:
    date: str
    projects: list[FleetProject]


def _listed(path: Path) -> list[Path]:
    data = load_yaml(path)
    entries = data.get("fleet") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries or not all(isinstance(e, str)
                                                              for e in entries):
        raise FormatError("fleet file: expected `fleet:` with a list of patches repo folders",
                          path=path, hint="e.g. fleet: [kubernetes-patches, runc-patches]")
    return [(path.parent / e) for e in entries]


def members(paths: Sequence[Path]) -> list[Member]:
    """The fleet's repos in the order given; a file among the paths is a fleet list."""
    folders: list[Path] = []
    for path in paths:
        folders += _listed(path) if path.is_file() else [path]
    found: dict[str, Member] = {}
    for folder in folders:
        repo = open_repo(folder)
        name = repo.root.name
        if name in found:
            raise UsageError(f"two fleet repos are named {name!r}: {found[name].repo.root} and "
                             f"{repo.root}", hint="give each patches repo its own folder name")
        found[name] = Member(name, repo)
    return list(found.values())


def status(fleet: Sequence[Member], today: dt.date) -> FleetStatus:
    return FleetStatus(today.isoformat(), [
        FleetProject(m.name, m.repo.config.project, compute(m.repo.lifecycle(), today, m.repo))
        for m in fleet])
