"""`ksp.lint.names` on a fresh patches repo, check by check: minor folders, file names, series
numbering, support windows (the fast runner of the mutation pass for the lint layer)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ksp.lint import names
from ksp.lint.context import LintContext, LintOptions
from ksp.lint.findings import Finding, Level
from ksp.repo import PatchesRepo

TODAY = dt.date(2026, 11, 22)  # 1.30 expired on 2026-07-15 (extended), 1.33 is extended


def context(root: Path) -> LintContext:
    return LintContext.build(PatchesRepo(root), TODAY, LintOptions())


def touch(root: Path, *rels: str) -> None:
    for rel in rels:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("# placeholder\n")


def brief(findings: list[Finding]) -> list[tuple[str, str, str, str]]:
    return [(f.severity.value, f.code, f.file, f.message) for f in findings]


def test_folders_that_look_like_a_minor_but_do_not_parse(repo: Path) -> None:
    for name in ("v1.x", "1.30", "v1.30.1", "v2", "vendor", "docs", "v1.31", "x1.30"):
        (repo / name).mkdir()
    touch(repo, "7.txt")  # a file, not a folder
    found = list(names.check_folders(context(repo)))
    assert brief(found) == [
        ("error", "KSP104", name, f"minor folder '{name}' does not parse")
        for name in ("1.30", "v1.30.1", "v1.x", "v2")]
    assert all(f.hint == "name it v<major>.<minor>, e.g. v1.30" for f in found)


def test_each_file_in_a_minor_folder_is_a_numbered_advisory_patch(repo: Path) -> None:
    touch(repo, "v1.33/0001_CVE-2025-0001.patch", "v1.33/0002_GHSA-2c2c-3f3f-4g4g.patch",
          "v1.33/0003_INFRA-go-1.24.patch", "v1.33/notes.txt", "v1.33/0004_BOGUS-1.patch",
          "v1.33/SERIES", "v1.33/GATE.intoto.json.@src.sig", "v1.33/sub/x", "v1.33/.gitkeep")
    found = list(names.check_files(context(repo)))
    assert brief(found) == [
        ("error", "KSP101", "v1.33/0004_BOGUS-1.patch", "'BOGUS-1' is not an advisory id"),
        ("error", "KSP101", "v1.33/notes.txt", "file name 'notes.txt' is not NNNN_<ID>.patch"),
        ("error", "KSP101", "v1.33/sub", "a folder inside a minor folder"),
    ]
    assert [f.hint for f in found] == [
        "use a CVE id, a GHSA id or INFRA-<slug>",
        "e.g. 0001_CVE-2025-5187.patch (four digits, the advisory id)",
        "a minor folder holds NNNN_<ID>.patch files and the review files "
        "(SERIES, GATE.intoto.json and their .sig)"]


def test_review_file_names_count_only_as_plain_files(repo: Path) -> None:
    (repo / "v1.33" / "SERIES").mkdir(parents=True)  # a folder with a review file's name
    (repo / "v1.33" / "GATE.intoto.json").symlink_to(repo / "index.yaml")
    found = brief(list(names.check_files(context(repo))))
    assert found == [
        ("error", "KSP101", "v1.33/GATE.intoto.json",
         "file name 'GATE.intoto.json' is not NNNN_<ID>.patch"),
        ("error", "KSP101", "v1.33/SERIES", "a folder inside a minor folder")]


def test_files_out_of_scope_are_not_named(repo: Path) -> None:
    touch(repo, "v1.33/notes.txt", "v1.33/other.txt")
    ctx = context(repo)
    ctx.scope = frozenset({"v1.33/other.txt"})
    assert [f.file for f in names.check_files(ctx)] == ["v1.33/other.txt"]


def test_numbers_are_unique_and_gaps_are_warnings(repo: Path) -> None:
    touch(repo, "v1.33/00-notes.txt", "v1.33/0001_CVE-2025-0001.patch",  # notes sort first
          "v1.33/0001_CVE-2025-0002.patch", "v1.33/0004_CVE-2025-0004.patch", "v1.33/README.txt",
          "v1.32/0001_CVE-2025-0001.patch", "v1.32/0002_CVE-2025-0002.patch")
    found = list(names.check_numbering(context(repo)))
    assert brief(found) == [
        ("error", "KSP102", "v1.33/0001_CVE-2025-0002.patch",
         "number 0001 is also used by 0001_CVE-2025-0001.patch"),
        ("warning", "KSP103", "v1.33", "series numbering has a gap: 0002, 0003"),
    ]
    assert found[0].hint == "renumber so that each is unique"
    assert found[1].hint == "renumber the files so that the series runs 0001, 0002, …"


def test_numbering_is_checked_only_in_folders_with_patches_in_scope(repo: Path) -> None:
    touch(repo, "v1.32/0002_CVE-2025-0002.patch", "v1.33/0003_CVE-2025-0003.patch")
    ctx = context(repo)
    ctx.scope = frozenset({"v1.33/0003_CVE-2025-0003.patch"})  # v1.32, before it, is not
    assert brief(list(names.check_numbering(ctx))) == [
        ("warning", "KSP103", "v1.33", "series numbering has a gap: 0001, 0002")]


def test_expired_minors_are_errors_and_unknown_minors_one_warning_each(repo: Path) -> None:
    touch(repo, "v1.30/0001_CVE-2025-0001.patch", "v1.30/0002_CVE-2025-0002.patch",
          "v1.33/0001_CVE-2025-0001.patch",
          "v1.99/0001_CVE-2025-0001.patch", "v1.99/0002_CVE-2025-0002.patch")
    found = list(names.check_windows(context(repo)))
    assert brief(found) == [
        ("error", "KSP105", f"v1.30/000{n}_CVE-2025-000{n}.patch",
         "minor 1.30 is expired (extended window ended 2026-07-15)") for n in (1, 2)
    ] + [("warning", "KSP106", "v1.99", "no support window for 1.99: checked as if supported")]
    assert found[0].severity is Level.ERROR
    assert found[0].hint == ("patches are kept only for the extended window; remove the minor's "
                             "folder")
    assert found[2].hint is not None
    assert found[2].hint.startswith("kubernetes 1.99 is not in the lifecycle data")


def test_without_lifecycle_data_no_window_is_judged(repo: Path) -> None:
    touch(repo, "v1.30/0001_CVE-2025-0001.patch")
    ctx = context(repo)
    ctx.lifecycle = None
    assert list(names.check_windows(ctx)) == []
