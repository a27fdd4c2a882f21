"""ksp apply on real git consumer trees: check first, all or nothing, skip what is there."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ksp.cli.main import main
from ksp.model import PatchKind
from ksp.repo.patchfile import new_header

FILES = {
    "pkg/auth/auth.go": "package auth\n\nfunc Allowed(user string) bool {\n\treturn true\n}\n",
    "pkg/proxy/proxy.go": "package proxy\n\nconst Limit = 100\n\nfunc Pass() bool {\n"
                          "\treturn true\n}\n",
    "pkg/kubelet/logs.go": "package kubelet\n\nconst Mode = 0o644\n",
}
EDITS = [  # one edit per patch; the third builds on the first (stacked)
    ("CVE-2025-0001", "pkg/auth/auth.go", "\treturn true\n", "\treturn user != \"\"\n"),
    ("CVE-2025-0002", "pkg/proxy/proxy.go", "const Limit = 100\n", "const Limit = 10\n"),
    ("CVE-2025-0003", "pkg/auth/auth.go", "func Allowed(", "// Allowed refuses anonymous.\n"
                                                          "func Allowed("),
]


def git(cwd: Path, *args: str, input: str | None = None) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                          text=True, input=input).stdout


def commit_files(repo: Path, files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def make_consumer(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "-q")
    commit_files(path, FILES, "v1.30.14")
    return path


def make_series(tmp_path: Path, edits: list[tuple[str, str, str, str]]) -> Path:
    """A patches repo with one patch per edit, each made by `git diff` on top of the last."""
    repo = tmp_path / "patches"
    assert main(["init", str(repo)]) == 0
    scratch = make_consumer(tmp_path / "scratch")
    for number, (ident, name, old, new) in enumerate(edits, start=1):
        target = scratch / name
        target.write_text(target.read_text().replace(old, new, 1))
        diff = git(scratch, "diff")
        git(scratch, "commit", "-q", "-am", ident)
        header = new_header(PatchKind.SECURITY, ident, {
            "Original patch": f"https://github.com/kubernetes/kubernetes/pull/{130000 + number}",
            "CVE issue": f"https://github.com/kubernetes/kubernetes/issues/{131000 + number}",
            "Severity": "MEDIUM (CVSS 6.5)", "Affected components": "kube-apiserver",
            "Testing": "Validated against v1.30.14 on 2026-01-01", "CVE Fixer": "@fixer",
            "SRC Reviewer": "@reviewer",
        })
        folder = repo / "v1.30"
        folder.mkdir(exist_ok=True)
        (folder / f"{number:04d}_{ident}.patch").write_text(header.render() + diff)
    return repo


def snapshot(tree: Path) -> dict[str, str]:
    """Every file of the tree and every ref, by content hash, plus the index's entries.

    Objects, reflogs and the index file's own bytes (stat data) may change; what the user sees
    (files, branches, HEAD, staged content) must not.
    """
    out = {"index": git(tree, "ls-files", "--stage")}
    for path in sorted(tree.rglob("*")):
        parts = path.relative_to(tree).parts
        if path.is_file() and not {"objects", "logs"} & set(parts) and path.name not in (
                "ORIG_HEAD", "COMMIT_EDITMSG", "index"):
            out["/".join(parts)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def worktree(tree: Path) -> dict[str, str]:
    return {str(p.relative_to(tree)): p.read_text() for p in sorted(tree.rglob("*.go"))}


@pytest.fixture
def consumer(tmp_path: Path) -> Path:
    return make_consumer(tmp_path / "kubernetes")


def test_applies_series_in_order(tmp_path: Path, consumer: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_series(tmp_path, EDITS)
    rc = main(["apply", "--repo", str(repo), "--minor", "1.30", "--to", str(consumer)])
    out = capsys.readouterr().out
    assert rc == 0, out
    auth = (consumer / "pkg/auth/auth.go").read_text()
    assert "return user != \"\"" in auth and "// Allowed refuses anonymous." in auth
    assert "const Limit = 10\n" in (consumer / "pkg/proxy/proxy.go").read_text()
    assert "3 applied, 0 already present; build v1.30.14+ksp.3" in out
    assert git(consumer, "log", "--oneline").count("\n") == 1  # no commit without --commit


def test_third_of_three_fails_leaves_tree_byte_identical(
        tmp_path: Path, consumer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = (*EDITS[:2], ("CVE-2025-0003", "pkg/kubelet/logs.go", "0o644", "0o600"))
    repo = make_series(tmp_path, list(bad))
    # The consumer's kubelet file differs from the one the third patch was made for.
    commit_files(consumer, {"pkg/kubelet/logs.go": "package kubelet\n\nconst Mode = 0o640\n"},
                 "local change")
    before = snapshot(consumer)
    rc = main(["apply", "--repo", str(repo), "--minor", "1.30", "--to", str(consumer),
               "--commit"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "v1.30/0003_CVE-2025-0003.patch does not apply" in err
    assert "pkg/kubelet/logs.go" in err and "nothing was changed" in err
    assert snapshot(consumer) == before
    assert git(consumer, "status", "--porcelain") == ""


def test_already_applied_patch_is_skipped(tmp_path: Path, consumer: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_series(tmp_path, EDITS)
    _, name, old, new = EDITS[1]
    commit_files(consumer, {name: (consumer / name).read_text().replace(old, new)},
                 "cherry-pick upstream fix")
    capsys.readouterr()
    rc = main(["apply", "--repo", str(repo), "--minor", "1.30", "--to", str(consumer),
               "--format", "json"])
    out = capsys.readouterr().out
    assert rc == 0
    import json

    data = json.loads(out)
    assert [p["action"] for p in data["patches"]] == ["apply", "skip", "apply"]
    assert data["applied"] == ["v1.30/0001_CVE-2025-0001.patch", "v1.30/0003_CVE-2025-0003.patch"]
    assert (consumer / name).read_text().count("const Limit = 10\n") == 1


def test_commit_writes_one_commit_per_patch_with_trailers(
        tmp_path: Path, consumer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_series(tmp_path, EDITS)
    rc = main(["apply", "--repo", str(repo), "--minor", "1.30", "--to", str(consumer),
               "--commit"])
    assert rc == 0, capsys.readouterr().err
    log = git(consumer, "log", "--reverse", "--format=%(trailers:only,unfold)%x00",
              "HEAD~3..HEAD")
    messages = [m.strip() for m in log.split("\0") if m.strip()]
    assert len(messages) == 3
    first = dict(line.split(": ", 1) for line in messages[0].splitlines())
    patch = repo / "v1.30/0001_CVE-2025-0001.patch"
    assert first == {
        "Ksp-Advisory": "CVE-2025-0001",
        "Ksp-Original-Patch": "https://github.com/kubernetes/kubernetes/pull/130001",
        "Ksp-Patch-Sha256": hashlib.sha256(patch.read_bytes()).hexdigest(),
        "Ksp-Build": "v1.30.14+ksp.3",
    }
    assert all("Ksp-Build: v1.30.14+ksp.3" in m for m in messages)
    assert "-ksp." not in git(consumer, "log", "--format=%B")
    assert git(consumer, "status", "--porcelain") == ""


def test_build_id_names_the_release_tag_the_tree_is_on(
        tmp_path: Path, consumer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A tree on v1.30.9 is not the lifecycle's final v1.30.14: the trailer says what it is."""
    git(consumer, "tag", "v1.30.9")
    repo = make_series(tmp_path, EDITS[:1])
    rc = main(["apply", "--repo", str(repo), "--minor", "1.30", "--to", str(consumer),
               "--commit"])
    assert rc == 0, capsys.readouterr().err
    assert "Ksp-Build: v1.30.9+ksp.1" in git(consumer, "log", "-1", "--format=%B")


def test_move_refused_leaves_tree_as_it_was(tmp_path: Path, consumer: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """--force --commit with a local change in a file the series changes: the one step that
    moves the tree refuses before writing anything; HEAD, index and files stay as they were."""
    repo = make_series(tmp_path, EDITS)
    (consumer / "pkg/proxy/proxy.go").write_text(FILES["pkg/proxy/proxy.go"] + "// local\n")
    before_files, head = worktree(consumer), git(consumer, "rev-parse", "HEAD")
    before = snapshot(consumer)
    rc = main(["apply", "--repo", str(repo), "--minor", "1.30", "--to", str(consumer),
               "--commit", "--force"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "nothing was changed" in err
    assert git(consumer, "rev-parse", "HEAD") == head
    assert worktree(consumer) == before_files
    assert snapshot(consumer) == before


def test_untracked_file_in_the_way_is_refused_up_front(
        tmp_path: Path, consumer: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edits = [("CVE-2025-0004", "pkg/new/new.go", "", "package new\n")]
    repo = make_series(tmp_path, [])
    scratch = make_consumer(tmp_path / "scratch2")
    (scratch / "pkg/new").mkdir(parents=True)
    (scratch / "pkg/new/new.go").write_text("package new\n")
    git(scratch, "add", "-N", "pkg/new/new.go")
    diff = git(scratch, "diff")
    header = new_header(PatchKind.SECURITY, edits[0][0], {"Testing": "x"})
    (repo / "v1.30").mkdir()
    (repo / "v1.30" / "0001_CVE-2025-0004.patch").write_text(header.render() + diff)
    (consumer / "pkg/new").mkdir()
    (consumer / "pkg/new/new.go").write_text("mine\n")
    before = snapshot(consumer)
    status = git(consumer, "status", "--porcelain", "--ignored")
    for extra in ([], ["--commit"]):
        rc = main(["apply", "--repo", str(repo), "--minor", "1.30", "--to", str(consumer),
                   *extra])
        assert rc == 1
        assert "pkg/new/new.go exists" in capsys.readouterr().err
        assert snapshot(consumer) == before
        assert git(consumer, "status", "--porcelain", "--ignored") == status
    (consumer / "pkg/new/new.go").unlink()
    assert main(["apply", "--repo", str(repo), "--minor", "1.30", "--to", str(consumer),
                 "--commit"]) == 0
    assert (consumer / "pkg/new/new.go").read_text() == "package new\n"
    assert git(consumer, "status", "--porcelain") == ""


def test_stale_index_of_a_copied_clone_is_refreshed(tmp_path: Path, consumer: Path) -> None:
    """`cp -a` of a clone leaves stat data that does not match: not a change, not a refusal."""
    repo = make_series(tmp_path, EDITS)
    copy = tmp_path / "copy"
    shutil.copytree(consumer, copy, symlinks=True)
    for path in copy.rglob("*.go"):
        os.utime(path, (1, 1))
    assert main(["apply", "--repo", str(repo), "--minor", "1.30", "--to", str(copy),
                 "--commit"]) == 0
    assert git(copy, "status", "--porcelain") == ""
    assert "return user" in (copy / "pkg/auth/auth.go").read_text()


def test_dirty_tree_refused_unless_forced(tmp_path: Path, consumer: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_series(tmp_path, EDITS[:2])
    (consumer / "pkg/kubelet/logs.go").write_text("package kubelet\n\nconst Mode = 0o600\n")
    rc = main(["apply", "--repo", str(repo), "--minor", "1.30", "--to", str(consumer)])
    assert rc == 2
    assert "uncommitted changes" in capsys.readouterr().err
    assert "return true" in (consumer / "pkg/auth/auth.go").read_text()
    rc = main(["apply", "--repo", str(repo), "--minor", "1.30", "--to", str(consumer), "--force"])
    assert rc == 0
    assert "return user" in (consumer / "pkg/auth/auth.go").read_text()
    assert "0o600" in (consumer / "pkg/kubelet/logs.go").read_text()  # the local change stays


def test_dry_run_changes_nothing(tmp_path: Path, consumer: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_series(tmp_path, EDITS)
    before = snapshot(consumer)
    rc = main(["apply", "--repo", str(repo), "--minor", "1.30", "--to", str(consumer),
               "--dry-run"])
    assert rc == 0
    assert "3 would apply" in capsys.readouterr().out
    assert snapshot(consumer) == before


def test_not_a_git_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_series(tmp_path, EDITS[:1])
    plain = tmp_path / "plain"
    plain.mkdir()
    assert main(["apply", "--repo", str(repo), "--minor", "1.30", "--to", str(plain)]) == 2
    assert "not a git work tree" in capsys.readouterr().err
