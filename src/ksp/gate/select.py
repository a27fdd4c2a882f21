"""Which minors the gate runs, and each one's series: the existing patches, then the new ones.

New patches come from `--patch FILE` or, in CI, from `--since REF`: the patch files that a pull
request adds or changes, untracked ones included (repo/changes.py, shared with `ksp lint`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import NamedTuple

from ksp._files import MAX_FILE_BYTES
from ksp.errors import FormatError, KspError, UsageError
from ksp.model import PATCH_NAME_RE, Minor
from ksp.repo.changes import changed_files
from ksp.repo.layout import FOLDER_RE, PatchesRepo
from ksp.repo.patchfile import diff_of


class PlannedPatch(NamedTuple):
    """One patch of a minor's series as the gate read it."""

    file: str  # relative to the patches repo when inside it, else the path given
    path: Path
    new: bool  # given by --patch/--since: the patch under review
    sha256: str  # of the whole file
    diff_sha256: str  # of the diff alone: what applies (stable when --record edits the header)
    diff: bytes
    title: str
    diff_line: int = 1  # the line of the patch file where the diff starts


class MinorPlan(NamedTuple):
    """A minor to gate: its existing series and the new patches, in order."""

    minor: Minor
    patches: tuple[PlannedPatch, ...]

    @property
    def new(self) -> tuple[PlannedPatch, ...]:
        return tuple(p for p in self.patches if p.new)


def read_patch(path: Path, file: str, *, new: bool) -> PlannedPatch:
    """The patch's bytes split into header and diff (repo/patchfile.py's split)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FormatError(f"patch is {size:,} bytes, over the limit of {MAX_FILE_BYTES:,}",
                              path=file, hint="a security backport is small; split it")
        data = path.read_bytes()
    except OSError as exc:
        raise KspError(f"cannot read patch: {exc.strerror}", path=file) from None
    diff = diff_of(data, file)
    start = len(data) - len(diff)
    head = data[:start].split(b"\n", 1)[0]
    title = head.decode("utf-8", "replace").lstrip("# ").strip() or file
    return PlannedPatch(file, path, new, hashlib.sha256(data).hexdigest(),
                        hashlib.sha256(data[start:]).hexdigest(), data[start:], title,
                        data[:start].count(b"\n") + 1)


def changed_patches(repo: PatchesRepo, since: str) -> dict[Minor, list[str]]:
    """Per minor, the patch files (repo-relative) changed since `since`: committed, staged,
    modified or untracked, as `ksp lint --since` sees them (deleted ones drop out later)."""
    found: dict[Minor, list[str]] = {}
    for rel in sorted(changed_files(repo.root, since)):
        parts = rel.split("/")
        if len(parts) == 2 and FOLDER_RE.fullmatch(parts[0]) and PATCH_NAME_RE.fullmatch(parts[1]):
            found.setdefault(Minor.parse(parts[0]), []).append(rel)
    return found


def _given(repo: PatchesRepo, files: list[Path], minors: list[Minor]) -> dict[Minor, list[str]]:
    found: dict[Minor, list[str]] = {}
    for given in files:
        path = given.resolve()
        if not path.is_file():
            raise KspError("patch file not found", path=given)
        inside = path.is_relative_to(repo.root)
        file = path.relative_to(repo.root).as_posix() if inside else str(path)
        folder = path.parent.name
        targets = [Minor.parse(folder)] if FOLDER_RE.fullmatch(folder) else minors
        if not targets:
            raise UsageError(f"cannot tell which minor {given} is for",
                             hint="put it in a v<minor>/ folder, or pass --minor")
        for minor in targets:
            found.setdefault(minor, []).append(file)
    return found


def plan(repo: PatchesRepo, *, minors: list[Minor], patches: list[Path],
         since: str | None) -> list[MinorPlan]:
    """The minors to gate (newest first) and the series of each, new patches last."""
    new: dict[Minor, list[str]] = _given(repo, patches, minors)
    if since:
        for minor, files in changed_patches(repo, since).items():
            new.setdefault(minor, []).extend(files)
    chosen = set(minors) | set(new)
    if not minors and not patches and not since:
        chosen = {m for m in repo.minors() if repo.series(m)}
    return [_series(repo, minor, new.get(minor, [])) for minor in sorted(chosen, reverse=True)]


def _series(repo: PatchesRepo, minor: Minor, new_files: list[str]) -> MinorPlan:
    """The minor's series in name order (a changed patch keeps its place: the patches after it
    are checked on top of it), then new patches from outside the minor's folder."""
    new_set = dict.fromkeys(f for f in new_files if _resolve(repo, f).is_file())
    series = [ref.path for ref in repo.series(minor)]
    patches = [read_patch(_resolve(repo, f), f, new=f in new_set) for f in series]
    outside = sorted((f for f in new_set if f not in set(series)), key=_name)
    patches += [read_patch(_resolve(repo, f), f, new=True) for f in outside]
    return MinorPlan(minor, tuple(patches))


def _resolve(repo: PatchesRepo, file: str) -> Path:
    path = Path(file)
    return path if path.is_absolute() else repo.root / path


def _name(file: str) -> str:
    return file.rsplit("/", 1)[-1]
