"""A git diff as data, and exact hunk application on bytes.

The one parser of git diffs in ksp: lint, the gate, new, backport and apply all read a diff here,
so they agree on what a patch touches. Paths are unquoted as git quotes them (C-style: octal
escapes for bytes above 0x7f and control characters, `\\"`, `\\\\`, `\\t`, `\\n`), and every
extended header git writes is read: old/new mode, new/deleted file mode (symlinks are mode
120000, gitlinks 160000), renames and copies with their similarity, `index` lines and binary
patches. `parse(strict=True)` also refuses what `git apply` would refuse or misread (a missing
`diff --git`, a bad or cut-short hunk), naming the line.
Applying hunks to bytes lives next door, in git/hunks.py.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field

from ksp.errors import FormatError

_HUNK_RE = re.compile(rb"^@@ -(\d{1,9})(?:,(\d{1,9}))? \+(\d{1,9})(?:,(\d{1,9}))? @@")
_ESCAPES = {ord("n"): b"\n", ord("t"): b"\t", ord('"'): b'"', ord("\\"): b"\\", ord("a"): b"\a",
            ord("b"): b"\b", ord("f"): b"\f", ord("r"): b"\r", ord("v"): b"\v"}
SYMLINK = "120000"
GITLINK = "160000"


class DiffError(FormatError):
    """A diff that git would refuse or misread; `line` is 1-based within the diff (callers
    that know the file name it and add its header's lines: repo/patchfile.parse_diff)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"{message} (line {line} of the diff)",
                         hint="a hunk header reads @@ -START,COUNT +START,COUNT @@; the patch "
                         "may be cut short: regenerate it with git diff")
        self.reason = message
        self.line = self.diff_line = line


@dataclass
class Hunk:
    """One hunk, as the lines it expects (old) and the lines it leaves (new)."""

    old_start: int
    old_len: int
    new_start: int
    new_len: int
    old: list[bytes] = field(default_factory=list)  # lines with their b"\n" (last may lack it)
    new: list[bytes] = field(default_factory=list)
    added: int = 0
    removed: int = 0


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
    new_blob: str | None = None
    rename: bool = False
    copy: bool = False
    similarity: int | None = None  # of a rename or copy, in percent
    names: list[str] = field(default_factory=list)  # every path any line of it names
    line: int = 1  # its `diff --git` line, 1-based within the diff

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""

    @property
    def paths(self) -> list[str]:
        return [p for p in dict.fromkeys((self.old_path, self.new_path)) if p]

    @property
    def added(self) -> int:
        return sum(h.added for h in self.hunks)

    @property
    def removed(self) -> int:
        return sum(h.removed for h in self.hunks)

    @property
    def symlink(self) -> bool:
        return SYMLINK in (self.old_mode, self.new_mode)

    @property
    def gitlink(self) -> bool:
        return GITLINK in (self.old_mode, self.new_mode)

    @property
    def mode_change(self) -> bool:
        """An executable bit or file type changed, or a file created other than 100644."""
        if self.old_path is None:
            return self.new_mode not in (None, "100644", SYMLINK)
        if self.old_mode and self.new_mode:
            return self.old_mode != self.new_mode and not self.symlink
        return False

    def _name(self, path: str | None) -> str | None:
        if path is not None and path not in self.names:
            self.names.append(path)
        return path


def unsafe_path(path: str) -> str | None:
    """Why git must never write `path`: absolute, leaving the tree, inside `.git` (in any case,
    or as `.git.` / `.git ` that some file systems fold to `.git`), or not a plain path."""
    parts = path.replace("\\", "/").split("/")
    if path.startswith("/"):
        return "is absolute"
    if ".." in parts:
        return "leaves the tree ('..')"
    if any(p.lower().rstrip(". ") == ".git" for p in parts):
        return "is inside .git"
    if any(p in ("", ".") for p in parts):
        return "is not a plain path (empty or '.' part)"
    return None


def unquote(name: bytes) -> bytes:
    """A name as git wrote it (C-quoted when it has special bytes), as raw bytes."""
    if not (len(name) >= 2 and name.startswith(b'"') and name.endswith(b'"')):
        return name
    out, raw, i = bytearray(), name[1:-1], 0
    while i < len(raw):
        if raw[i] == 0x5C and i + 1 < len(raw):  # backslash
            nxt = raw[i + 1]
            octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
            if octal:
                out.append(int(octal.group(), 8) & 0xFF)
                i += 1 + len(octal.group())
                continue
            out += _ESCAPES.get(nxt, bytes([nxt]))
            i += 2
            continue
        out.append(raw[i])
        i += 1
    return bytes(out)


def _text(name: bytes) -> str:
    return unquote(name).decode("utf-8", "surrogateescape")


def _path(name: bytes) -> str | None:
    # git ends a name that has a space with a tab (`--- a/x y\t`), after the quotes when quoted
    if not name.startswith(b'"'):
        name = name.split(b"\t", 1)[0]
    else:
        with contextlib.suppress(ValueError):  # unterminated: kept whole, git apply refuses it
            name = name[: _quoted_end(name) + 1]
    name = name.rstrip(b"\r")
    if name == b"/dev/null":
        return None
    text = _text(name)
    return text[2:] if text[:2] in ("a/", "b/") else text


def _quoted_end(rest: bytes) -> int:
    """Index of the closing quote of the C-quoted name at the start of `rest`."""
    i = 1
    while i < len(rest):
        if rest[i] == 0x5C:
            i += 2
            continue
        if rest[i] == 0x22:
            return i
        i += 1
    raise ValueError("unterminated quoted name")


def _git_header_paths(line: bytes) -> tuple[str | None, str | None]:
    rest = line[len(b"diff --git ") :].rstrip(b"\r")
    if rest.startswith(b'"'):
        end = _quoted_end(rest)
        return _path(rest[: end + 1]), _path(rest[end + 2 :])
    if rest.endswith(b'"') and b' "' in rest:
        at = rest.index(b' "')
        return _path(rest[:at]), _path(rest[at + 1 :])
    half = len(rest) // 2  # "a/X b/X": unambiguous when both names are the same (git apply
    # also takes a tab between them)
    if rest[half : half + 1] in (b" ", b"\t") and rest[:half][2:] == rest[half + 1 :][2:]:
        return _path(rest[:half]), _path(rest[half + 1 :])
    at = rest.find(b" b/")  # different names (a rename): the ---/+++ or rename lines decide
    return (_path(rest[:at]), _path(rest[at + 1 :])) if at > 0 else (_path(rest), None)


def parse(diff: bytes, *, strict: bool = False) -> list[FileDiff]:
    """Files and hunks of a git diff. A bad hunk header is always an error (DiffError); with
    `strict`, so are a diff that does not start with `diff --git`, a hunk cut short, and
    `---`/`+++` names that disagree with the `diff --git` line (git refuses those too)."""
    files: list[FileDiff] = []
    lines = diff.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if strict and not (lines and lines[0].startswith(b"diff --git ")):
        raise DiffError("expected a 'diff --git' line", 1)
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(b"diff --git "):
            try:
                old, new = _git_header_paths(line)
            except ValueError:
                raise DiffError("unterminated quoted file name", i + 1) from None
            f = FileDiff(old, new, line=i + 1)
            f._name(old)
            f._name(new)
            files.append(f)
        elif line.startswith(b"@@") and files:  # `@@@ …` or `@@-1…` is refused there
            i = _read_hunk(files[-1], lines, i, strict)
            continue
        elif files and not files[-1].hunks:
            _extended_header(files[-1], line, i + 1, strict)
        i += 1
    return files


def _extended_header(f: FileDiff, line: bytes, number: int, strict: bool) -> None:
    line = line.rstrip(b"\r")
    key, _, value = line.partition(b" ")
    two = b" ".join(line.split(b" ", 2)[:2])
    rest = line.split(b" ", 2)[2] if line.count(b" ") >= 2 else b""
    if two in (b"old mode", b"deleted file") or line.startswith(b"deleted file mode "):
        f.old_mode = line.rsplit(b" ", 1)[-1].decode("ascii", "replace")
        if two == b"deleted file":
            f.new_path = None
    elif two in (b"new mode", b"new file"):
        f.new_mode = line.rsplit(b" ", 1)[-1].decode("ascii", "replace")
        if two == b"new file":
            f.old_path = None
    elif two in (b"rename from", b"copy from"):
        f.old_path = f._name(_text(rest))
        f.rename, f.copy = key == b"rename", key == b"copy"
    elif two in (b"rename to", b"copy to"):
        f.new_path = f._name(_text(rest))
    elif two in (b"similarity index", b"dissimilarity index"):
        digits = rest.rstrip(b"%")
        f.similarity = int(digits) if digits.isdigit() and len(digits) <= 3 else None
    elif key == b"index":
        _index_line(f, value)
    elif line.startswith((b"Binary files ", b"GIT binary patch")):
        f.binary = True
    elif key in (b"---", b"+++"):
        _name_line(f, key, value, number, strict)


def _index_line(f: FileDiff, value: bytes) -> None:
    blobs = value.split(b" ", 1)
    old, _, new = blobs[0].partition(b"..")
    f.old_blob = old.decode("ascii", "replace")
    f.new_blob = new.decode("ascii", "replace") or None
    if len(blobs) == 2 and f.old_mode is None and f.new_mode is None:
        f.old_mode = f.new_mode = blobs[1].decode("ascii", "replace").strip()


def _name_line(f: FileDiff, key: bytes, value: bytes, number: int, strict: bool) -> None:
    name = f._name(_path(value))
    mine = f.old_path if key == b"---" else f.new_path
    if strict and mine is not None and name is not None and name != mine:
        raise DiffError(f"'{key.decode()}' names {name!r}, the 'diff --git' line {mine!r}",
                        number)
    if mine is None and name is not None and not (f.old_mode or f.new_mode):
        if key == b"---":
            f.old_path = name
        else:
            f.new_path = name


def _read_hunk(f: FileDiff, lines: list[bytes], i: int, strict: bool) -> int:
    match = _HUNK_RE.match(lines[i])
    if not match:
        raise DiffError(f"bad hunk header {lines[i][:60].decode('utf-8', 'replace')!r}", i + 1)
    a, b, c, d = match.groups()
    hunk = Hunk(int(a), int(b) if b is not None else 1, int(c), int(d) if d is not None else 1)
    old_left, new_left = hunk.old_len, hunk.new_len
    start = i
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
            old_left, last, hunk.removed = old_left - 1, [hunk.old], hunk.removed + 1
        elif tag == b"+":
            hunk.new.append(body)
            new_left, last, hunk.added = new_left - 1, [hunk.new], hunk.added + 1
        else:
            break
        i += 1
        i = _no_newline(lines, i, last)
    if strict and (old_left > 0 or new_left > 0 or old_left < 0 or new_left < 0):
        raise DiffError(f"hunk at line {start + 1} is cut short or its line counts are wrong "
                        f"(@@ -{hunk.old_len} +{hunk.new_len})", i + 1 if i < len(lines) else i)
    i = _no_newline(lines, i, last)
    f.hunks.append(hunk)
    return i


def _no_newline(lines: list[bytes], i: int, last: list[list[bytes]]) -> int:
    if i < len(lines) and lines[i].startswith(b"\\ "):
        for side in last:
            side[-1] = side[-1][:-1]
        return i + 1
    return i
