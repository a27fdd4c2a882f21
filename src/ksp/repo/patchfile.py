"""Patch files: a header of `#` lines, then a git diff that `git apply` reads.

The header round-trips byte for byte: it is kept as its raw lines, and a field that is set is the
only line rewritten. Unknown keys are kept (lint warns about them), never dropped.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import NamedTuple

from ksp._files import read_text
from ksp.errors import FormatError
from ksp.git import diff as diffmod
from ksp.git.diff import FileDiff
from ksp.model import PatchKind, Rating

MAX_PATCH_BYTES = 5 * 1024 * 1024
#: `Testing:` before `ksp gate --record` writes the evidence (`ksp new` and backport write it).
PENDING = "pending"
TESTING_PENDING = f"{PENDING}: run `ksp gate --record` to write the evidence"
TITLE_RE = re.compile(r"^# (?P<kind>Security|Infrastructure) patch for (?P<id>\S+)\s*$")
FIELD_RE = re.compile(r"^# (?P<key>[A-Z][A-Za-z0-9 ./-]{0,40}?):(?: (?P<value>.*))?$")
SEVERITY_RE = re.compile(
    r"^(?P<rating>NONE|LOW|MEDIUM|HIGH|CRITICAL)(?: \(CVSS (?P<score>\d+(?:\.\d)?)\))?$"
)

SECURITY_REQUIRED = (
    "Original patch", "CVE issue", "Severity", "Affected components", "Testing", "CVE Fixer",
    "SRC Reviewer",
)
INFRA_REQUIRED = (
    "Reason", "Upstream reference", "Affected components", "Testing", "Fixer", "SRC Reviewer",
)
KNOWN_KEYS = frozenset(
    SECURITY_REQUIRED
    + INFRA_REQUIRED
    + ("CVSS vector", "Backport", "Tests", "Drop when", "Upstream commits", "Notes")
)
# Canonical order, used when a missing field is added.
ORDER = (
    "Original patch", "Upstream commits", "Upstream reference", "Reason", "CVE issue", "Severity",
    "CVSS vector", "Affected components", "Backport", "Tests", "Drop when", "",
    "Testing", "CVE Fixer", "Fixer", "SRC Reviewer",
)


CONTROL_RE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def check_value(key: str, value: str) -> str:
    """A header value (or id) is one line of text: a newline would inject header lines."""
    bad = CONTROL_RE.search(value)
    if bad:
        raise FormatError(f"{key} {value[:40]!r} has a control character "
                          f"({bad.group()!r}); header values are one line of text",
                          hint="remove the newline or control character")
    return value


def _rank(key: str) -> int:
    return ORDER.index(key) if key in ORDER else ORDER.index("")


class HeaderLine(NamedTuple):
    raw: str  # the line as written, without its newline
    key: str | None = None
    value: str = ""


class PatchHeader(NamedTuple):
    """The parsed header; `lines` keeps every line so that render() gives the same bytes."""

    kind: PatchKind
    advisory: str
    lines: tuple[HeaderLine, ...]

    def get(self, key: str) -> str | None:
        for line in self.lines:
            if line.key == key:
                return line.value
        return None

    def keys(self) -> list[str]:
        return [line.key for line in self.lines if line.key]

    def set(self, key: str, value: str) -> PatchHeader:
        """Return a header with `key` set; other lines keep their exact bytes."""
        check_value(key, value)
        new = HeaderLine(f"# {key}: {value}".rstrip(), key, value)
        lines = list(self.lines)
        for i, line in enumerate(lines):
            if line.key == key:
                lines[i] = new
                return self._replace(lines=tuple(lines))
        lines.insert(self._insert_at(key), new)
        return self._replace(lines=tuple(lines))

    def _insert_at(self, key: str) -> int:
        rank = _rank(key)
        for i, line in enumerate(self.lines[1:], start=1):
            if line.key and _rank(line.key) > rank:
                before_separator = self.lines[i - 1].raw == "#" and rank < _rank("")
                return i - 1 if before_separator else i
        return len(self.lines) - 1 if self.lines[-1].raw == "#" else len(self.lines)

    def render(self) -> str:
        return "".join(line.raw + "\n" for line in self.lines)

    @property
    def severity(self) -> tuple[Rating, float | None] | None:
        value = self.get("Severity")
        match = SEVERITY_RE.match(value or "")
        if not match:
            return None
        score = float(match["score"]) if match["score"] else None
        return Rating(match["rating"]), score

    @property
    def components(self) -> list[str]:
        value = self.get("Affected components") or ""
        return [c.strip() for c in value.split(",") if c.strip()]


class PatchFile(NamedTuple):
    path: Path
    header: PatchHeader
    diff: str
    header_lines: int
    sha256: str

    @property
    def files(self) -> list[FileDiff]:
        return parse_diff(self.diff, self.path, first_line=self.header_lines + 1)

    def render(self) -> str:
        return self.header.render() + self.diff


def parse_header(text: str, path: Path) -> tuple[PatchHeader, int]:
    """Parse the leading `#` lines; returns the header and how many lines it has."""
    raw_lines = text.split("\n")
    lines: list[HeaderLine] = []
    for number, raw in enumerate(raw_lines, start=1):
        if not raw.startswith("#"):
            break
        lines.append(_header_line(raw, number, path, seen={ln.key for ln in lines if ln.key}))
    if not lines:
        raise FormatError("patch has no header (expected '# Security patch for <ID>' first)",
                          path=path, line=1, hint="run `ksp new` to write the header")
    title = TITLE_RE.match(lines[0].raw)
    if not title:
        raise FormatError(
            f"first header line must be '# Security patch for <ID>' or "
            f"'# Infrastructure patch for <ID>', got {lines[0].raw[:60]!r}",
            path=path, line=1,
        )
    kind = PatchKind.SECURITY if title["kind"] == "Security" else PatchKind.INFRASTRUCTURE
    return PatchHeader(kind, title["id"], tuple(lines)), len(lines)


def _header_line(raw: str, number: int, path: Path, seen: set[str]) -> HeaderLine:
    if "\r" in raw:
        raise FormatError("header line has a carriage return (CRLF line ends)", path=path,
                          line=number, hint="save the file with LF line ends")
    match = FIELD_RE.match(raw)
    if number == 1 or not match:
        return HeaderLine(raw)
    key = match["key"]
    if key in seen:
        raise FormatError(f"header key '{key}' appears twice", path=path, line=number)
    return HeaderLine(raw, key, (match["value"] or "").strip())


def split(data: bytes) -> tuple[bytes, bytes]:
    """A patch file's header (its leading `#` lines) and the diff after it: the one split."""
    end = 0
    while data.startswith(b"#", end):
        newline = data.find(b"\n", end)
        end = len(data) if newline < 0 else newline + 1
    return data[:end], data[end:]


def diff_of(data: bytes, path: str | Path) -> bytes:
    """The diff of a patch file's bytes, or an error naming the line where it should start."""
    head, body = split(data)
    if not body.startswith(b"diff --git "):
        raise FormatError("expected 'diff --git' right after the header", path=path,
                          line=head.count(b"\n") + 1,
                          hint="the body must be a git diff (git diff / format-patch)")
    return body


def parse_diff(diff: str | bytes, path: str | Path, first_line: int = 1) -> list[FileDiff]:
    """Files of a git diff (the one parser, git/diff.py, in strict mode); a diff cut short or
    not a git diff is an error with its line in the patch file."""
    raw = diff.encode("utf-8", "surrogateescape") if isinstance(diff, str) else diff
    if not raw.startswith(b"diff --git "):
        raise FormatError("expected 'diff --git' right after the header", path=path,
                          line=first_line,
                          hint="the body must be a git diff (git diff / format-patch)")
    for number, line in enumerate(raw.split(b"\n"), start=first_line):
        # Hunk lines may carry a CR (a CRLF file's content); git's own lines never do.
        if line.endswith(b"\r") and line.startswith((b"diff --git ", b"@@ ", b"index ")):
            raise FormatError("diff has CRLF line ends", path=path, line=number,
                              hint="save the patch with LF line ends")
    try:
        files = diffmod.parse(raw, strict=True)
    except diffmod.DiffError as exc:
        raise FormatError(f"diff is malformed: {exc.reason}", path=path,
                          line=exc.diff_line + first_line - 1,
                          hint="the patch may be cut short; regenerate it with git diff") from None
    if not files:
        raise FormatError("diff changes no file", path=path, line=first_line)
    return files


def parse(text: str, path: Path) -> PatchFile:
    header, count = parse_header(text, path)
    head, body = split(text.encode("utf-8", "surrogateescape"))
    diff = body.decode("utf-8", "surrogateescape")
    if head.count(b"\n") != count:  # a last header line without a newline: no diff at all
        raise FormatError("expected 'diff --git' right after the header", path=path,
                          line=count + 1)
    parse_diff(diff, path, first_line=count + 1)
    digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
    return PatchFile(path, header, diff, count, digest)


def load(path: Path, *, limit: int = MAX_PATCH_BYTES) -> PatchFile:
    if path.is_symlink():
        raise FormatError("patch file is a symlink", path=path, hint="commit the file itself")
    # the header is UTF-8 text; the diff is upstream content, kept byte for byte
    return parse(read_text(path, limit=limit, what="patch", bytes_from=b"diff --git "), path)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def new_header(kind: PatchKind, advisory: str, fields: dict[str, str]) -> PatchHeader:
    """A header in canonical order, with a `#` separator before the evidence block."""
    word = "Security" if kind is PatchKind.SECURITY else "Infrastructure"
    check_value("advisory id", advisory)
    for key, value in fields.items():
        check_value(key, value)
    lines = [HeaderLine(f"# {word} patch for {advisory}")]
    required = SECURITY_REQUIRED if kind is PatchKind.SECURITY else INFRA_REQUIRED
    keys = [k for k in ORDER if k and (k in fields or k in required)]
    evidence = ORDER.index("")
    # Fields outside ORDER (Notes, a project's own keys) go before the evidence block.
    at = next((i for i, k in enumerate(keys) if _rank(k) > evidence), len(keys))
    keys[at:at] = [k for k in fields if k not in ORDER]
    separated = False  # one `#` line before the evidence block, not one per evidence key
    for key in keys:
        if _rank(key) > evidence and not separated:
            separated = True
            if lines[-1].raw != "#":
                lines.append(HeaderLine("#"))
        value = fields.get(key, "")
        lines.append(HeaderLine(f"# {key}: {value}".rstrip(), key, value))
    lines.append(HeaderLine("#"))
    return PatchHeader(kind, advisory, tuple(lines))
