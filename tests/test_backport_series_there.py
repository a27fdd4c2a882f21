"""The minor's own series already carries the fix; `ksp new --commit` rebases onto the series.

The real shape: a fixer runs `ksp backport` for a CVE whose patch the minor already has (today
"conflict + 6 prerequisites"), or adds an upstream commit with `ksp new` that only applies with
a 3-way merge on top of the series (the gate then failed it as drift).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from _backportkit import SCENARIOS, base_upstream, edit, fix_line
from ksp.cli.main import main
from ksp.repo import patchfile
from test_backport_cli import HEADER_FLAGS, backport, patches_repo, run_json

NEW_FLAGS = (*HEADER_FLAGS, "--fixer", "@fixer", "--date", "2026-11-22")


def write_first(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str = "clean"
                ) -> tuple[Path, list[str]]:
    sc = SCENARIOS[name](tmp_path)
    repo = patches_repo(tmp_path, capsys)
    argv = backport(sc, "--to", "1.32", repo=repo)
    assert main([*argv, "--write", *HEADER_FLAGS]) in (0, 1)
    capsys.readouterr()
    return repo, argv


def test_series_patch_with_the_fix_is_already_applied(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _repo, argv = write_first(tmp_path, capsys)
    rc, data, _ = run_json(argv, capsys)
    target = data["targets"][0]
    assert rc == 0 and target["result"] == "already-applied"
    assert target["already_applied"] == {"by": "series-patch-id",
                                         "patch": "v1.32/0001_CVE-2099-0001.patch"}


def test_index_saying_patched_is_already_applied(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo, argv = write_first(tmp_path, capsys)
    index = repo / "index.yaml"
    index.write_text(index.read_text().replace("status: in-progress", "status: patched"))
    rc, data, _ = run_json(argv, capsys)
    evidence = data["targets"][0]["already_applied"]
    assert rc == 0 and evidence["by"] == "series-index"
    assert evidence["patch"] == "v1.32/0001_CVE-2099-0001.patch"


def test_series_tree_that_has_the_fix_in_another_patch_reverse_applies(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    up = base_upstream(tmp_path / "up")
    fix = fix_line(up)
    repo = patches_repo(tmp_path, capsys)
    text = up.read("release-1.32", "pkg/auth/check.go")
    (tmp_path / "new.go").write_text(edit(text, "\tline 15\n", "\tline 15 checked\n"))
    (tmp_path / "old.go").write_text(text)
    diff = subprocess.run(["git", "diff", "--no-index", "old.go", "new.go"], cwd=tmp_path,
                          capture_output=True, text=True, check=False).stdout
    diff = diff.replace("a/old.go", "a/pkg/auth/check.go").replace("b/new.go",
                                                                   "b/pkg/auth/check.go")
    diff += ("diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n"
             "@@ -1 +1 @@\n-upstream\n+upstream, patched\n")
    (tmp_path / "combined.diff").write_text(diff)
    assert main(["new", "CVE-2099-0002", "--minor", "1.32", "--diff",
                 str(tmp_path / "combined.diff"), "--repo", str(repo), "--title", "other",
                 "--original-patch", "https://github.com/example/up/pull/3",
                 *NEW_FLAGS]) == 0
    capsys.readouterr()
    rc, data, _ = run_json(["backport", "CVE-2099-0001", "--upstream", str(up.path),
                            "--commit", fix, "--to", "1.32", "--repo", str(repo)], capsys)
    target = data["targets"][0]
    assert rc == 0 and target["result"] == "already-applied"
    assert target["already_applied"]["by"] == "reverse-apply"


def test_new_from_a_commit_is_rebased_onto_the_series(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The fix needs a 3-way merge on 1.32: `ksp new` writes the merged patch (Backport:
    adjusted), which the gate applies exactly (no drift)."""
    sc = SCENARIOS["three-way"](tmp_path)
    repo = patches_repo(tmp_path, capsys)
    assert main(["new", "CVE-2099-0001", "--minor", "1.32", "--upstream", str(sc.up.path),
                 "--commit", sc.fix[0], "--repo", str(repo), *NEW_FLAGS]) == 0
    capsys.readouterr()
    patch = patchfile.load(repo / "v1.32" / "0001_CVE-2099-0001.patch")
    assert patch.header.get("Backport") == "adjusted"
    assert "line 13 // branch" in patch.diff  # the branch's context, not main's
    rc, data, _ = run_json(["gate", "--repo", str(repo), "--upstream", str(sc.up.path),
                            "--minor", "1.32", "--no-build", "--no-test"], capsys)
    assert rc == 0 and data["minors"][0]["patches"][0]["result"] == "applied"


def test_new_refuses_a_conflict_and_names_backport_write(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS["unresolvable"](tmp_path)
    repo = patches_repo(tmp_path, capsys)
    before = sorted(p.name for p in repo.rglob("*"))
    rc = main(["new", "CVE-2099-0001", "--minor", "1.32", "--upstream", str(sc.up.path),
               "--commit", sc.fix[0], "--repo", str(repo), *NEW_FLAGS])
    err = capsys.readouterr().err
    assert rc == 1 and "conflict on 1.32's base + series (pkg/auth/check.go)" in err
    assert f"ksp backport CVE-2099-0001 --upstream {sc.up.path} --commit {sc.fix[0][:12]} " \
           "--to 1.32 --write" in err
    assert sorted(p.name for p in repo.rglob("*")) == before


def test_new_refuses_a_fix_the_minor_already_has(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    up = base_upstream(tmp_path / "up")
    fix = fix_line(up)
    up.git("branch", "-f", "release-1.32", "main")
    repo = patches_repo(tmp_path, capsys)
    rc = main(["new", "CVE-2099-0001", "--minor", "1.32", "--upstream", str(up.path),
               "--commit", fix, "--repo", str(repo), *NEW_FLAGS])
    err = capsys.readouterr().err
    assert rc == 1 and "already on 1.32 (ancestor" in err
    assert not (repo / "v1.32").exists()
