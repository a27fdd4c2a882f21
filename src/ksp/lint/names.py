"""Layout checks: minor folders, patch file names, series numbering, support windows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ksp.lint.context import LintContext
from ksp.lint.findings import Finding
from ksp.model import ADVISORY_ID_RE, PATCH_NAME_RE, Minor, Window
from ksp.repo.layout import FOLDER_RE
from ksp.review.manifest import REVIEW_FILE_RE


def check_folders(ctx: LintContext) -> Iterator[Finding]:
    """Top-level folders that look like a minor but do not parse (`v1.x`, `1.30`, `v1.30.1`)."""
    for path in sorted(ctx.root.iterdir()):
        if not path.is_dir() or FOLDER_RE.fullmatch(path.name):
            continue
        looks_like_minor = path.name[:1].isdigit() or (
            path.name[:1] == "v" and path.name[1:2].isdigit())
        if looks_like_minor:
            yield Finding.error(
                "KSP104", path.name, f"minor folder '{path.name}' does not parse",
                hint="name it v<major>.<minor>, e.g. v1.30")


def check_files(ctx: LintContext) -> Iterator[Finding]:
    """Every file in a minor folder is `NNNN_<ID>.patch` with a valid advisory id."""
    for _minor, folder in ctx.minor_folders():
        for path in ctx.folder_files(folder):
            rel = f"{folder.name}/{path.name}"
            if ctx.in_scope(rel):
                yield from _file_name(rel, path)


def _file_name(rel: str, path: Path) -> Iterator[Finding]:
    match = PATCH_NAME_RE.fullmatch(path.name)
    if REVIEW_FILE_RE.match(path.name) and path.is_file() and not path.is_symlink():
        return  # the signed manifest, the gate attestation and their signatures
    if path.is_dir() and not path.is_symlink():
        yield Finding.error("KSP101", rel, "a folder inside a minor folder",
                            hint="a minor folder holds NNNN_<ID>.patch files and the review files "
                                 "(SERIES, GATE.intoto.json and their .sig)")
    elif not match:
        yield Finding.error("KSP101", rel, f"file name '{path.name}' is not NNNN_<ID>.patch",
                            hint="e.g. 0001_CVE-2025-5187.patch (four digits, the advisory id)")
    elif not ADVISORY_ID_RE.fullmatch(match["id"]):
        yield Finding.error("KSP101", rel, f"'{match['id']}' is not an advisory id",
                            hint="use a CVE id, a GHSA id or INFRA-<slug>")


def check_numbering(ctx: LintContext) -> Iterator[Finding]:
    """Numbers are unique in a folder (an error) and run 1, 2, 3… (a gap is a warning)."""
    folders = {e.rel.split("/", 1)[0] for e in ctx.entries()}
    for _minor, folder in ctx.minor_folders():
        if folder.name not in folders:
            continue
        seen: dict[int, str] = {}
        for path in ctx.folder_files(folder):
            match = PATCH_NAME_RE.fullmatch(path.name)
            if not match:
                continue
            number, rel = int(match["number"]), f"{folder.name}/{path.name}"
            if number in seen:
                yield Finding.error("KSP102", rel, f"number {number:04d} is also used by "
                                    f"{seen[number]}", hint="renumber so that each is unique")
            seen.setdefault(number, path.name)
        missing = sorted(set(range(1, max(seen, default=0) + 1)) - set(seen))
        if missing:
            yield Finding.warning(
                "KSP103", folder.name,
                "series numbering has a gap: " + ", ".join(f"{n:04d}" for n in missing),
                hint="renumber the files so that the series runs 0001, 0002, …")


def check_windows(ctx: LintContext) -> Iterator[Finding]:
    """A patch for an expired minor is an error; a minor lifecycle data lacks is a warning."""
    if ctx.lifecycle is None:
        return
    warned: set[Minor] = set()
    for entry in ctx.entries():
        window = ctx.lifecycle.window(entry.minor, ctx.today)
        if window is Window.EXPIRED:
            until = ctx.lifecycle.extended_until(entry.minor)
            yield Finding.error(
                "KSP105", entry.rel,
                f"minor {entry.minor} is expired (extended window ended {until})",
                hint="patches are kept only for the extended window; remove the minor's folder")
        elif window is Window.UNKNOWN and entry.minor not in warned:
            warned.add(entry.minor)
            yield Finding.warning(
                "KSP106", entry.minor.folder,
                f"no support window for {entry.minor}: checked as if supported",
                hint=ctx.lifecycle.unplaced_reason(entry.minor))
