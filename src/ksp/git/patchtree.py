"""The touched part of a tree, held in memory, and diffs applied to it hunk by hunk.

The series engine and the backport triage ask the same questions of a diff on a commit (does
it apply exactly, only at an offset, in reverse, or by a 3-way merge of one file?) without an
index or a checkout: the few blobs a diff touches are read through one `git cat-file --batch`
and the hunks are matched here (ksp.git.hunks). Only binary diffs are left to the real
`git apply` (ksp.git._fallback).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from ksp.git import _fallback
from ksp.git import diff as diffmod
from ksp.git import hunks as hunksmod
from ksp.git.fastimport import Changes
from ksp.git.shadow import ObjectReader, Shadow


@dataclass
class TouchedTree:
    """The touched part of the tree as the series goes: path -> (mode, bytes) or None (deleted)."""

    shadow: Shadow
    base: str
    reader: ObjectReader
    files: dict[str, tuple[str, bytes] | None] = field(default_factory=dict)

    def preload(self, paths: list[str]) -> None:
        missing = [p for p in paths if p not in self.files]
        entries = self.reader.entries(self.base, missing)
        blobs = dict(zip(entries, self.reader.read_many([e[1] for e in entries.values()]),
                         strict=True))
        for path in missing:
            entry, got = entries.get(path), blobs.get(path)
            self.files[path] = None if entry is None else (entry[0], got[1] if got else b"")

    def get(self, path: str) -> tuple[str, bytes] | None:
        return self.files.get(path)


def apply_file(tree: TouchedTree, f: diffmod.FileDiff, *, reverse: bool, exact: bool
               ) -> tuple[dict[str, tuple[str, bytes] | None], list[hunksmod.HunkResult]]:
    """The new state of the paths `f` touches, or raise NoApply with the hunk results."""
    src, dst = (f.new_path, f.old_path) if reverse else (f.old_path, f.new_path)
    dst_mode = f.old_mode if reverse else f.new_mode
    current = tree.get(src) if src else None
    if src is not None and current is None:
        raise NoApply(f"{src}: does not exist", [])
    if src is None and dst is not None and tree.get(dst) is not None:
        raise NoApply(f"{dst}: already exists", [])
    data = current[1] if current else b""
    new_data, results = hunksmod.apply_hunks(data, f.hunks, reverse=reverse, exact=exact)
    if new_data is None:
        raise NoApply(f"{f.path}: hunks do not match", results)
    if dst is None:
        if new_data:
            raise NoApply(f"{src}: file to delete has other content", results)
        return {src or "": None}, results
    mode = dst_mode or (current[0] if current else "100644")
    changes: dict[str, tuple[str, bytes] | None] = {dst: (mode, new_data)}
    if src and src != dst:
        changes[src] = None
    return changes, results


class NoApply(Exception):
    def __init__(self, reason: str, hunks: list[hunksmod.HunkResult]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.hunks = hunks


def try_files(tree: TouchedTree, files: list[diffmod.FileDiff], *, reverse: bool, exact: bool
         ) -> tuple[dict[str, tuple[str, bytes] | None], list[str]]:
    """All files of one patch, or NoApply. Returns changes and notes on offsets."""
    changes: dict[str, tuple[str, bytes] | None] = {}
    notes = []
    for f in files:
        if f.binary:
            raise NoApply(f"{f.path}: binary patch", [])
        file_changes, results = apply_file(tree, f, reverse=reverse, exact=exact)
        changes.update(file_changes)
        notes += [f"{f.path} hunk #{r.number} at offset {r.offset:+d}" for r in results
                  if r.offset]
    return changes, notes


def merge_file(tree: TouchedTree, f: diffmod.FileDiff) -> Changes:
    """One file by a 3-way merge of its pre-image blob, the current content and the patch."""
    current = tree.get(f.path)
    if f.old_path != f.new_path or current is None:
        raise NoApply(f"{f.path}: hunks do not match", [])
    base = tree.reader.read(f.old_blob) if f.old_blob else None
    if base is None or base[0] != "blob":
        raise NoApply(f"{f.path}: hunks do not match, and the pre-image blob "
                       f"{f.old_blob or '(none)'} is unknown, so no 3-way merge", [])
    theirs, _ = hunksmod.apply_hunks(base[1], f.hunks, exact=True)
    merged = None if theirs is None else _fallback.merge_file(current[1], base[1], theirs)
    if merged is None:
        raise NoApply(f"{f.path}: hunks do not match, and a 3-way merge conflicts", [])
    return {f.path: (f.new_mode or current[0], merged)}


def try_merge(tree: TouchedTree, files: list[diffmod.FileDiff]) -> tuple[Changes, list[str]]:
    """Each file exactly, with offsets, or else by a 3-way merge; raises NoApply."""
    changes: Changes = {}
    merged = []
    for f in files:
        try:
            file_changes, _ = apply_file(tree, f, reverse=False, exact=False)
        except NoApply:
            file_changes = merge_file(tree, f)
            merged.append(f.path)
        changes.update(file_changes)
    return changes, merged


class ApplyCheck(NamedTuple):
    """`git apply --check` answered in memory: ok, and where hunks needed an offset."""

    ok: bool
    offsets: tuple[tuple[str, int, int], ...]  # (path, hunk, offset) for hunks not where expected
    error: str = ""


def check(shadow: Shadow, reader: ObjectReader, onto: str, files: list[diffmod.FileDiff], *,
          reverse: bool = False) -> ApplyCheck:
    """Does the diff apply to `onto` without fuzz or 3-way (offsets allowed, as `git apply`)?

    Text diffs only (the caller leaves a binary one to git)."""
    tree = TouchedTree(shadow, onto, reader)
    tree.preload(sorted({p for f in files for p in (f.old_path, f.new_path) if p}))
    try:
        try_files(tree, files, reverse=reverse, exact=True)
        return ApplyCheck(True, ())
    except NoApply:
        pass
    try:
        offsets = _offsets(tree, files, reverse)
        return ApplyCheck(True, offsets)
    except NoApply as exc:  # git's last line for the same failure
        path = exc.reason.split(":", 1)[0]
        if exc.hunks:
            return ApplyCheck(False, (), f"error: {path}: patch does not apply")
        return ApplyCheck(False, (), f"error: {exc.reason}")


def _offsets(tree: TouchedTree, files: list[diffmod.FileDiff], reverse: bool
             ) -> tuple[tuple[str, int, int], ...]:
    out: list[tuple[str, int, int]] = []
    for f in files:
        changes, results = apply_file(tree, f, reverse=reverse, exact=False)
        tree.files.update(changes)
        out += [(f.path, r.number, r.offset) for r in results if r.offset]
    return tuple(out)
