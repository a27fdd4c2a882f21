"""The series engine's fallbacks: 3-way merges (drift) and binary patches (real git apply)."""

from __future__ import annotations

from pathlib import Path

import pytest

from _gatekit import git
from ksp.git.series import Outcome, PatchInput, apply_series
from ksp.git.shadow import Shadow

LINES = "".join(f"line {i}\n" for i in range(1, 31))


@pytest.fixture
def upstream(tmp_path: Path) -> Path:
    repo = tmp_path / "up"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "a.txt").write_text(LINES)
    (repo / "logo.bin").write_bytes(bytes(range(256)) * 4)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    return repo


def diff_of(repo: Path, path: str, data: bytes, *, binary: bool = False) -> bytes:
    """The diff of one file's new content against HEAD; the repo is left as it was."""
    old = (repo / path).read_bytes()
    (repo / path).write_bytes(data)
    try:
        return git(repo, "diff", "--full-index", *(["--binary"] if binary else []),
                   "--", path).encode("utf-8", "surrogateescape")
    finally:
        (repo / path).write_bytes(old)


def branch_edit(repo: Path, data: str) -> str:
    """Commit a branch-only change of a.txt on `release`; returns the new tip."""
    git(repo, "branch", "-f", "release", "main")
    git(repo, "checkout", "-q", "release")
    (repo / "a.txt").write_text(data)
    git(repo, "commit", "-qam", "branch edit")
    tip = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "main")
    return tip


def read(shadow: Shadow, commit: str, path: str) -> bytes:
    return git(shadow.path, "cat-file", "blob", f"{commit}:{path}").encode()


def test_a_patch_that_only_merges_three_way_is_drift(upstream: Path) -> None:
    fix = diff_of(upstream, "a.txt", LINES.replace("line 15\n", "line 15 fixed\n").encode())
    # The branch changed a context line of the hunk: exact and offset matching fail.
    tip = branch_edit(upstream, LINES.replace("line 13\n", "line 13 (branch)\n"))
    shadow = Shadow.open(upstream)
    result = apply_series(shadow, tip, [PatchInput("0001.patch", fix)], allow_drift=True)
    assert result.patches[0].result is Outcome.DRIFT
    assert result.patches[0].detail == "needs a 3-way merge: a.txt"
    assert result.head is not None
    merged = read(shadow, result.head, "a.txt").decode()
    assert "line 13 (branch)\n" in merged and "line 15 fixed\n" in merged
    assert result.ok
    strict = apply_series(shadow, tip, [PatchInput("0001.patch", fix)])
    assert not strict.ok


def test_a_conflicting_three_way_merge_fails_with_file_and_hunk(upstream: Path) -> None:
    fix = diff_of(upstream, "a.txt", LINES.replace("line 15\n", "line 15 fixed\n").encode())
    tip = branch_edit(upstream, LINES.replace("line 15\n", "line 15 (branch)\n"))
    result = apply_series(Shadow.open(upstream), tip, [PatchInput("0001.patch", fix),
                                                       PatchInput("0002.patch", fix)])
    first = result.patches[0]
    assert first.result is Outcome.FAILED
    assert first.detail.startswith("a.txt: hunk(s) #1 do not apply")
    assert "3-way merge conflicts" in first.detail
    assert [(h.path, h.hunk, h.line) for h in first.failed_hunks] == [("a.txt", 1, 12)]
    assert result.patches[1].result is Outcome.SKIPPED
    assert result.head is None


def test_an_unknown_preimage_blob_means_no_three_way_merge(upstream: Path) -> None:
    fix = diff_of(upstream, "a.txt", LINES.replace("line 15\n", "line 15 fixed\n").encode())
    fix = fix.replace(b"index ", b"index 1234567", 1)  # a pre-image nobody has
    tip = branch_edit(upstream, LINES.replace("line 13\n", "line 13 (branch)\n"))
    result = apply_series(Shadow.open(upstream), tip, [PatchInput("0001.patch", fix)])
    assert result.patches[0].result is Outcome.FAILED
    assert "is unknown, so no 3-way merge" in result.patches[0].detail


def test_binary_patches_apply_with_git_and_are_recognised_when_present(upstream: Path) -> None:
    new = bytes(reversed(range(256))) * 4
    patch = diff_of(upstream, "logo.bin", new, binary=True)
    base = git(upstream, "rev-parse", "HEAD").strip()
    shadow = Shadow.open(upstream)
    result = apply_series(shadow, base, [PatchInput("0001.patch", patch)])
    assert result.patches[0].result is Outcome.APPLIED
    assert result.head is not None
    assert git(shadow.path, "rev-parse", f"{result.head}:logo.bin").strip() == \
        git(upstream, "hash-object", "--stdin", input=new).strip()
    again = apply_series(shadow, result.head, [PatchInput("0001.patch", patch)])
    assert again.patches[0].result is Outcome.ALREADY_APPLIED


def test_a_binary_patch_for_other_content_fails(upstream: Path) -> None:
    patch = diff_of(upstream, "logo.bin", b"\0new" * 100, binary=True)
    (upstream / "logo.bin").write_bytes(b"\0other" * 50)
    git(upstream, "commit", "-qam", "other logo")
    base = git(upstream, "rev-parse", "HEAD").strip()
    result = apply_series(Shadow.open(upstream), base, [PatchInput("0001.patch", patch)])
    assert result.patches[0].result is Outcome.FAILED
    assert result.patches[0].detail == "binary patch does not apply (git apply)"


def test_no_temporary_ref_is_left_in_the_shadow(upstream: Path) -> None:
    fix = diff_of(upstream, "a.txt", LINES.replace("line 2\n", "line 2 fixed\n").encode())
    shadow = Shadow.open(upstream)
    base = git(upstream, "rev-parse", "HEAD").strip()
    result = apply_series(shadow, base, [PatchInput("0001.patch", fix)])
    assert result.patches[0].result is Outcome.APPLIED
    assert git(shadow.path, "for-each-ref") == ""
