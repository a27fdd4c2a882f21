"""ksp.yaml's policy on each diff: paths outside the tree, symlinks, binaries, mode changes,
forbidden paths without a waiver, size limits; and known failures past their expiry."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from ksp._yaml import load_yaml
from ksp.errors import KspError
from ksp.lint.context import LintContext, PatchEntry
from ksp.lint.findings import Finding
from ksp.repo.config import Policy
from ksp.repo.layout import CONFIG
from ksp.repo.patchfile import DiffFile, PatchFile

SYMLINK = "120000"
_RAW_PATH_LINES = ("diff --git ", "rename from ", "rename to ", "copy from ", "copy to ")


def check_size(ctx: LintContext) -> Iterator[Finding]:
    limit = ctx.config.policy.max_patch_bytes
    for entry in ctx.entries():
        if entry.path.is_file() and not entry.path.is_symlink():
            size = entry.path.stat().st_size
            if size > limit:
                yield Finding.error("KSP407", entry.rel, f"patch is {size:,} bytes, over "
                                    f"policy.max_patch_bytes ({limit:,}); not read",
                                    hint="split the patch, or raise the limit in ksp.yaml")


def check_diffs(ctx: LintContext) -> Iterator[Finding]:
    policy = ctx.config.policy
    for entry, patch in ctx.parsed():
        files = patch.files
        first = patch.header_lines + 1
        if len(files) > policy.max_files:
            yield Finding.error("KSP408", entry.rel, f"patch changes {len(files)} files, over "
                                f"policy.max_files ({policy.max_files})", line=first)
        for path in _raw_paths(patch):
            yield from _path_problems(entry, path, first)
        waived = entry.rel in policy.waivers or entry.name in policy.waivers
        for diff_file in files:
            yield from _file_problems(entry, diff_file, policy, waived, first)


def _raw_paths(patch: PatchFile) -> list[str]:
    """Paths as git apply reads them from the extended header lines (hunk lines never start
    with these words), plus the ---/+++ names unidiff parsed."""
    paths: list[str] = []
    for line in patch.diff.split("\n"):
        if line.startswith(_RAW_PATH_LINES):
            words = line.split()[2:] if line.startswith("diff --git ") else [line.split(" ", 2)[2]]
            paths += [w[2:] if w[:2] in ("a/", "b/") else w for w in words]
    for diff_file in patch.files:
        paths += diff_file.paths
    return list(dict.fromkeys(paths))


def _path_problems(entry: PatchEntry, path: str, line: int) -> Iterator[Finding]:
    if path.startswith("/"):
        yield Finding.error("KSP402", entry.rel, f"absolute path {path}", line=line,
                            hint="a patch changes files inside the source tree only")
    parts = path.replace("\\", "/").split("/")
    if ".." in parts:
        yield Finding.error("KSP401", entry.rel, f"path {path} leaves the tree ('..')",
                            line=line, hint="a patch changes files inside the source tree only")
    if any(p.lower() == ".git" for p in parts):
        yield Finding.error("KSP401", entry.rel, f"path {path} is inside .git",
                            line=line, hint="a patch changes files of the source tree only")


def _file_problems(entry: PatchEntry, f: DiffFile, policy: Policy, waived: bool,
                   line: int) -> Iterator[Finding]:
    if SYMLINK in (f.old_mode, f.new_mode) and not policy.allow_symlinks:
        yield Finding.error("KSP403", entry.rel, f"{f.path} is a symlink (mode 120000)",
                            line=line, hint="set policy.allow_symlinks in ksp.yaml if intended")
    if f.binary and not policy.allow_binary:
        yield Finding.error("KSP404", entry.rel, f"binary change to {f.path}", line=line,
                            hint="set policy.allow_binary in ksp.yaml if intended")
    if _mode_change(f) and not policy.allow_mode_changes:
        yield Finding.error("KSP405", entry.rel, f"mode change on {f.path} ({f.old_mode or 'new'}"
                            f" -> {f.new_mode})", line=line,
                            hint="set policy.allow_mode_changes in ksp.yaml if intended")
    forbidden = [p for p in f.paths if forbidden_by(p, policy.forbidden_paths)]
    if forbidden and not waived:
        yield Finding.error("KSP406", entry.rel, f"{forbidden[0]} is under a forbidden path",
                            line=line, hint=f"add {entry.rel} to policy.waivers in ksp.yaml "
                                            "after review")


def _mode_change(f: DiffFile) -> bool:
    if f.old_mode and f.new_mode:
        return f.old_mode != f.new_mode and SYMLINK not in (f.old_mode, f.new_mode)
    created = f.new_mode if f.old_path is None else None
    return created not in (None, "100644", SYMLINK)


def forbidden_by(path: str, patterns: tuple[str, ...]) -> str | None:
    """`dir/` forbids a top-level folder, a glob matches the path, a bare name (Makefile) any
    file of that name, a path with `/` that exact path."""
    for pattern in patterns:
        if any(c in pattern for c in "*?["):
            hit = fnmatch.fnmatchcase(path, pattern)
        elif pattern.endswith("/"):
            hit = path.startswith(pattern)
        elif "/" in pattern:
            hit = path == pattern
        else:
            hit = path == pattern or path.rsplit("/", 1)[-1] == pattern
        if hit:
            return pattern
    return None


def check_known_failures(ctx: LintContext) -> Iterator[Finding]:
    """Known failures are waivers with an expiry; an expired one fails lint."""
    for minor, failures in ctx.config.known_failures.items():
        for number, failure in enumerate(failures):
            if failure.expires < ctx.today:
                yield Finding.error(
                    "KSP006", CONFIG, f"known failure {failure.test} on {minor} expired on "
                    f"{failure.expires}", line=_known_failure_line(ctx, str(minor), number),
                    hint="fix the test, or renew the entry with a new reason and expiry")


def _known_failure_line(ctx: LintContext, minor: str, number: int) -> int | None:
    try:
        doc = load_yaml(ctx.root / CONFIG, roundtrip=True)
        entries = doc["known_failures"]
        key = next(k for k in entries if str(k) == minor)
        return int(entries[key].lc.item(number)[0]) + 1
    except (KspError, KeyError, StopIteration, AttributeError, TypeError, IndexError):
        return None
