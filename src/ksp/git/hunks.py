"""Hunks applied to bytes: exactly where their header says, or at the nearest offset.

The gate must tell "applies exactly" from "applies only at an offset" from "does not apply",
per hunk, for a 20-patch series on a 30,000-file tree in a fraction of a second. Matching here,
on the few blobs a series touches, avoids one git process and one full index write per patch.
"""

from __future__ import annotations

from typing import NamedTuple

from ksp.git.diff import Hunk


def split_lines(data: bytes) -> list[bytes]:
    parts = data.split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


class HunkResult(NamedTuple):
    """Where a hunk applied, as an offset from where it said, or None."""

    number: int
    offset: int | None  # None: no place in the file matches


def apply_hunks(data: bytes, hunks: list[Hunk], *, reverse: bool = False,
                exact: bool = True) -> tuple[bytes | None, list[HunkResult]]:
    """Apply hunks to `data`. exact: each hunk only where its header says; else nearest match."""
    lines = split_lines(data)
    out: list[bytes] = []
    cursor = 0
    results = []
    ok = True
    for number, hunk in enumerate(hunks, start=1):
        old, new = (hunk.new, hunk.old) if reverse else (hunk.old, hunk.new)
        start = hunk.new_start if reverse else hunk.old_start
        want = start - 1 if old else start
        where = _find(lines, old, want, cursor, exact)
        if where is None:
            results.append(HunkResult(number, None))
            ok = False
            continue
        results.append(HunkResult(number, where - want))
        out.extend(lines[cursor:where])
        out.extend(new)
        cursor = where + len(old)
    out.extend(lines[cursor:])
    return (b"".join(out) if ok else None), results


def _find(lines: list[bytes], old: list[bytes], want: int, floor: int, exact: bool) -> int | None:
    def matches(pos: int) -> bool:
        return pos >= floor and lines[pos : pos + len(old)] == old

    if matches(want):
        return want
    if exact:
        return None
    for delta in range(1, len(lines) + 1):
        for pos in (want - delta, want + delta):
            if 0 <= pos <= len(lines) - len(old) and matches(pos):
                return pos
    return None
