"""A git diff as data, and exact hunk application on bytes.

The gate must tell "applies exactly" from "applies only at an offset" from "does not apply",
per hunk, and do it for a 20-patch series on a 30,000-file tree in a fraction of a second. Doing
the matching here, on the few blobs a series touches, avoids one git process and one full index
write per patch; git still does what needs real merging (3-way) and writes every object.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ksp.errors import FormatError

_HUNK_RE = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {b"n": b"\n", b"t": b"\t", b'"': b'"', b"\\": b"\\", b"a": b"\a", b"b": b"\b",
            b"f": b"\f", b"r": b"\r", b"v": b"\v"}


@dataclass
class Hunk:
    """One hunk, as the lines it expects (old) and the lines it leaves (new)."""

    old_start: int
    old_len: int
    new_start: int
    new_len: int
    old: list[bytes] = field(default_factory=list)  # lines with their b"\n" (last may lack it)
    new: list[bytes] = field(default_factory=list)


@dataclass
class FileDiff:
    """One file of a git diff: paths, modes, the pre-image blob and its hunks."""

    old_path: str | None
    new_path: str | None
    old_mode: str | None = None
    new_mode: str | None = None
    binary: bool = False
    hunks: list[Hunk] = field(default_factory=list)
    old_blob: str | None = None  # the pre-image blob id of the `index` line (for 3-way merges)

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""


def _unquote(name: bytes) -> str:
    if name.startswith(b'"') and name.endswith(b'"'):
        out, raw, i = bytearray(), name[1:-1], 0
        while i < len(raw):
            if raw[i : i + 1] == b"\\" and i + 1 < len(raw):
                nxt = raw[i + 1 : i + 2]
                if nxt.isdigit():
                    out.append(int(raw[i + 1 : i + 4], 8))
                    i += 4
                    continue
                out += _ESCAPES.get(nxt, nxt)
                i += 2
                continue
            out += raw[i : i + 1]
            i += 1
        name = bytes(out)
    return name.decode("utf-8", "surrogateescape")


def _path(name: bytes) -> str | None:
    name = name.split(b"\t", 1)[0].rstrip(b"\r")
    if name == b"/dev/null":
        return None
    text = _unquote(name)
    return text[2:] if text[:2] in ("a/", "b/") else text


def _git_header_paths(line: bytes) -> tuple[str | None, str | None]:
    rest = line[len(b"diff --git ") :]
    if rest.startswith(b'"'):
        end = rest.index(b'"', 1)
        while rest[end - 1 : end] == b"\\":
            end = rest.index(b'"', end + 1)
        return _path(rest[: end + 1]), _path(rest[end + 2 :])
    half = len(rest) // 2  # "a/X b/X": unambiguous when both names are the same
    return _path(rest[:half]), _path(rest[half + 1 :])


def parse(diff: bytes) -> list[FileDiff]:
    """Files and hunks of a git diff; input validated by repo.patchfile before it gets here."""
    files: list[FileDiff] = []
    lines = diff.split(b"\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(b"diff --git "):
            old, new = _git_header_paths(line)
            files.append(FileDiff(old, new))
        elif files and not files[-1].hunks:
            i = _extended_header(files[-1], line, i)
        if line.startswith(b"@@") and files:
            i = _read_hunk(files[-1], lines, i)  # `@@@ …` or `@@-1…` is refused there
            continue
        i += 1
    return files


def _extended_header(f: FileDiff, line: bytes, i: int) -> int:
    for prefix, attr in ((b"old mode ", "old_mode"), (b"deleted file mode ", "old_mode"),
                         (b"new mode ", "new_mode"), (b"new file mode ", "new_mode")):
        if line.startswith(prefix):
            setattr(f, attr, line[len(prefix) :].decode().strip())
    if line.startswith(b"new file mode "):
        f.old_path = None
    elif line.startswith(b"deleted file mode "):
        f.new_path = None
    elif line.startswith(b"rename from ") or line.startswith(b"copy from "):
        f.old_path = _unquote(line.split(b" ", 2)[2])
    elif line.startswith(b"rename to ") or line.startswith(b"copy to "):
        f.new_path = _unquote(line.split(b" ", 2)[2])
    elif line.startswith(b"index "):
        blobs = line[6:].split(b" ", 1)
        f.old_blob = blobs[0].split(b"..", 1)[0].decode("ascii", "replace")
        if len(blobs) == 2 and f.old_mode is None:
            f.old_mode = f.new_mode = blobs[1].decode().strip()
    elif line.startswith((b"Binary files ", b"GIT binary patch")):
        f.binary = True
    return i


def _read_hunk(f: FileDiff, lines: list[bytes], i: int) -> int:
    match = _HUNK_RE.match(lines[i])
    if not match:
        raise FormatError(f"bad hunk header {lines[i][:60]!r} at line {i + 1} of the diff",
                          hint="a hunk header reads @@ -START,COUNT +START,COUNT @@")
    a, b, c, d = match.groups()
    hunk = Hunk(int(a), int(b) if b is not None else 1, int(c), int(d) if d is not None else 1)
    old_left, new_left = hunk.old_len, hunk.new_len
    i += 1
    last: list[list[bytes]] = []
    while (old_left > 0 or new_left > 0) and i < len(lines):
        line = lines[i]
        tag, body = line[:1], line[1:] + b"\n"
        if tag in (b" ", b""):
            hunk.old.append(body)
            hunk.new.append(body)
            old_left, new_left, last = old_left - 1, new_left - 1, [hunk.old, hunk.new]
        elif tag == b"-":
            hunk.old.append(body)
            old_left, last = old_left - 1, [hunk.old]
        elif tag == b"+":
            hunk.new.append(body)
            new_left, last = new_left - 1, [hunk.new]
        else:
            break
        i += 1
        i = _no_newline(lines, i, last)
    i = _no_newline(lines, i, last)
    f.hunks.append(hunk)
    return i


def _no_newline(lines: list[bytes], i: int, last: list[list[bytes]]) -> int:
    if i < len(lines) and lines[i].startswith(b"\\ "):
        for side in last:
            side[-1] = side[-1][:-1]
        return i + 1
    return i


def split_lines(data: bytes) -> list[bytes]:
    parts = data.split(b"\n")
    lines = [p + b"\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


@dataclass(frozen=True)
class HunkResult:
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
