"""The virtual series base: patches checked and written as commits without a checkout."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ksp.errors import KspError
from ksp.git.series import Outcome, PatchInput, apply_series
from ksp.git.shadow import Shadow


def run(repo: Path, *args: str, input: bytes | None = None) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], input=input, capture_output=True,
                          check=True).stdout.decode()


def snapshot(repo: Path) -> tuple[str, ...]:
    """Everything of a clone that the gate promises not to change."""
    return (
        run(repo, "for-each-ref"),
        run(repo, "rev-parse", "HEAD"),
        (repo / ".git" / "index").read_bytes().hex(),
        run(repo, "status", "--porcelain=v2", "--ignored"),
        run(repo, "stash", "list"),
        run(repo, "worktree", "list", "--porcelain"),
        run(repo, "count-objects", "-v"),
    )


@pytest.fixture
def upstream(tmp_path: Path) -> Path:
    repo = tmp_path / "up"
    repo.mkdir()
    run(repo, "init", "-q", "-b", "main")
    (repo / "a.txt").write_text("".join(f"line {i}\n" for i in range(1, 41)))
    (repo / "dir with space").mkdir()
    (repo / "dir with space" / "b.go").write_text("package b\n\nfunc B() int { return 1 }")
    (repo / "old.txt").write_text("rename me\n")
    (repo / "gone.txt").write_text("delete me\n")
    run(repo, "add", "-A")
    run(repo, "commit", "-qm", "base")
    run(repo, "branch", "release-1.30")
    return repo


def diff_of(repo: Path, edit: dict[str, str | None], *, renames: dict[str, str] | None = None,
            chmod: str | None = None) -> bytes:
    """A git diff of the given edits against HEAD, leaving the repo as it was."""
    for path, text in edit.items():
        target = repo / path
        if text is None:
            run(repo, "rm", "-q", path)
        else:
            target.write_text(text)
    for old, new in (renames or {}).items():
        run(repo, "mv", old, new)
    if chmod:
        (repo / chmod).chmod(0o755)
    run(repo, "add", "-A")
    patch = subprocess.run(["git", "-C", str(repo), "diff", "--cached", "-M", "--full-index"],
                           capture_output=True, check=True).stdout
    run(repo, "reset", "-q", "--hard", "HEAD")
    if chmod:
        (repo / chmod).chmod(0o644)
    return patch


def lines(repo: Path, *changes: tuple[int, str]) -> str:
    text = (repo / "a.txt").read_text().splitlines(keepends=True)
    for number, value in changes:
        text[number - 1] = value + "\n"
    return "".join(text)


def test_series_applies_in_order_and_writes_commits(upstream: Path) -> None:
    p1 = diff_of(upstream, {"a.txt": lines(upstream, (5, "five"))})
    # p2 is made on top of p1's content: the series is cumulative.
    (upstream / "a.txt").write_text(lines(upstream, (5, "five")))
    run(upstream, "commit", "-qam", "p1")
    p2 = diff_of(upstream, {"a.txt": lines(upstream, (30, "thirty"))})
    run(upstream, "reset", "-q", "--hard", "HEAD~1")
    before = snapshot(upstream)
    shadow = Shadow.open(upstream)
    base = shadow.resolve("release-1.30")
    series = [PatchInput("0001.patch", p1), PatchInput("0002.patch", p2)]
    result = apply_series(shadow, base, series)
    assert [p.result for p in result.patches] == [Outcome.APPLIED, Outcome.APPLIED]
    assert result.ok and result.head and result.changed == ("a.txt",)
    content = run(shadow.path, "show", f"{result.head}:a.txt")
    assert "five\n" in content and "thirty\n" in content
    parent = run(shadow.path, "rev-parse", f"{result.head}~2")
    assert parent.strip() == base
    assert snapshot(upstream) == before, "the user's clone must not change"
    again = apply_series(shadow, base, series)
    assert again.head == result.head, "commits are deterministic for the same input"


def test_new_delete_rename_mode_and_quoted_paths(upstream: Path) -> None:
    patch = diff_of(upstream, {"new.txt": "hello\n", "gone.txt": None,
                               "dir with space/b.go": "package b\n\nfunc B() int { return 2 }\n"},
                    renames={"old.txt": "renamed.txt"}, chmod="a.txt")
    shadow = Shadow.open(upstream)
    base = shadow.resolve("release-1.30")
    result = apply_series(shadow, base, [PatchInput("p", patch)])
    assert result.patches[0].result is Outcome.APPLIED, result.patches[0].detail
    assert result.head
    tree = run(shadow.path, "ls-tree", "-r", "--name-only", result.head).split("\n")
    assert "new.txt" in tree and "renamed.txt" in tree
    assert "gone.txt" not in tree and "old.txt" not in tree
    mode = run(shadow.path, "ls-tree", result.head, "a.txt").split()[0]
    assert mode == "100755"
    body = run(shadow.path, "show", f"{result.head}:dir with space/b.go")
    assert body.endswith("return 2 }\n")


def test_already_applied_is_recognised(upstream: Path) -> None:
    patch = diff_of(upstream, {"a.txt": lines(upstream, (10, "ten"))})
    shadow = Shadow.open(upstream)
    base = shadow.resolve("release-1.30")
    result = apply_series(shadow, base, [PatchInput("a", patch), PatchInput("b", patch)])
    assert [p.result for p in result.patches] == [Outcome.APPLIED, Outcome.ALREADY_APPLIED]
    assert result.ok


def test_offset_is_drift_and_fails_unless_allowed(upstream: Path) -> None:
    patch = diff_of(upstream, {"a.txt": lines(upstream, (20, "twenty"))})
    (upstream / "a.txt").write_text("extra 1\nextra 2\n" + (upstream / "a.txt").read_text())
    run(upstream, "commit", "-qam", "two lines above the hunk")
    shadow = Shadow.open(upstream)
    head = shadow.resolve("main")
    result = apply_series(shadow, head, [PatchInput("p", patch)])
    assert result.patches[0].result is Outcome.DRIFT
    assert "offset +2" in result.patches[0].detail
    assert not result.ok
    assert apply_series(shadow, head, [PatchInput("p", patch)], allow_drift=True).ok


def test_failure_names_file_and_hunk_and_skips_the_rest(upstream: Path) -> None:
    good = diff_of(upstream, {"a.txt": lines(upstream, (3, "three"))})
    bad = diff_of(upstream, {"a.txt": lines(upstream, (3, "three"), (35, "thirty-five"))})
    bad = bad.replace(b" line 33\n", b" line 33 changed\n")
    shadow = Shadow.open(upstream)
    base = shadow.resolve("release-1.30")
    result = apply_series(shadow, base, [PatchInput("bad", bad), PatchInput("good", good)])
    first, second = result.patches
    assert first.result is Outcome.FAILED
    assert first.failed_hunks and first.failed_hunks[0].path == "a.txt"
    assert first.failed_hunks[0].hunk == 2
    assert second.result is Outcome.SKIPPED
    assert result.head is None and not result.ok


def test_missing_newline_at_end_of_file(upstream: Path) -> None:
    patch = diff_of(upstream, {"dir with space/b.go": "package b\n\nfunc B() int { return 3 }"})
    assert b"\\ No newline at end of file" in patch
    shadow = Shadow.open(upstream)
    result = apply_series(shadow, shadow.resolve("release-1.30"), [PatchInput("p", patch)])
    assert result.patches[0].result is Outcome.APPLIED
    body = run(shadow.path, "show", f"{result.head}:dir with space/b.go")
    assert body == "package b\n\nfunc B() int { return 3 }"


@pytest.mark.parametrize("path", ["../outside.txt", ".git/hooks/post-checkout", "a/../../b",
                                  "/etc/passwd", "sub/.GIT/config"])
def test_unsafe_paths_fail_and_write_nothing(upstream: Path, path: str) -> None:
    diff = (f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..3e75765\n"
            f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+owned\n").encode()
    shadow = Shadow.open(upstream)
    objects = run(shadow.path, "count-objects", "-v")
    result = apply_series(shadow, shadow.resolve("release-1.30"), [PatchInput("evil", diff)])
    (patch,) = result.patches
    assert patch.result is Outcome.FAILED and "unsafe path" in patch.detail
    assert result.head is None
    assert run(shadow.path, "count-objects", "-v") == objects


def test_a_linked_worktree_and_a_bare_clone_find_the_same_objects(upstream: Path,
                                                                   tmp_path: Path) -> None:
    linked = tmp_path / "linked"
    run(upstream, "worktree", "add", "-q", "--detach", str(linked), "release-1.30")
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(upstream), str(bare)], check=True)
    main, other = Shadow.open(upstream), Shadow.open(linked)
    assert other.path == main.path, "a worktree shares its clone's objects and shadow"
    for clone in (upstream, linked, bare, upstream / "dir with space"):
        shadow = Shadow.open(clone)
        assert shadow.resolve("release-1.30") == main.resolve("release-1.30")
    with pytest.raises(KspError):
        Shadow.open(tmp_path)
