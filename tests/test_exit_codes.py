"""Exit 4, "could not run", is apart from 1 (findings): no Go toolchain, a git failure, a corrupt
cache. CI can then tell "the patch is bad" from "the runner is broken"."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from _gatekit import add_patch, commit_all, make_patches_repo
from factories.goupstream import Upstream, good_patch, make_go_upstream
from ksp.cli.main import EPILOG, main


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Upstream:
    return make_go_upstream(tmp_path_factory.mktemp("exit") / "demo")


@pytest.fixture
def repo(tmp_path: Path, up: Upstream, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KSP_CACHE_DIR", str(tmp_path / "cache"))
    root = make_patches_repo(tmp_path / "patches")
    add_patch(root, "1.31", 1, good_patch(up, "1.31"))
    commit_all(root, "a patch")
    return root


def gate(repo: Path, up: Upstream, *flags: str) -> list[str]:
    return ["gate", "--repo", str(repo), "--upstream", str(up.path), "--minor", "1.31",
            "--evidence-dir", str(repo.parent / "evidence"), *flags]


def errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("ksp: error:")]


def test_no_go_toolchain_is_exit_4(repo: Path, up: Upstream, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    only_git = tmp_path / "bin"
    only_git.mkdir()
    (only_git / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    monkeypatch.setenv("PATH", str(only_git))
    monkeypatch.delenv("KSP_GO_TOOLCHAINS", raising=False)
    rc = main(gate(repo, up, "--no-test"))
    err = capsys.readouterr().err
    assert rc == 4, err
    [line] = errors(err)
    assert "no Go toolchain" in line


def test_a_corrupt_upstream_clone_is_exit_4(repo: Path, up: Upstream, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    clone = tmp_path / "clone"
    shutil.copytree(up.path, clone, symlinks=True)
    for obj in (clone / ".git" / "objects").rglob("*"):
        if (obj.is_file() and obj.parent.name not in ("info", "pack")) or obj.suffix == ".pack":
            obj.write_bytes(b"corrupt")
    rc = main(["gate", "--repo", str(repo), "--upstream", str(clone), "--minor", "1.31",
               "--no-build", "--no-test", "--evidence-dir", str(tmp_path / "evidence")])
    err = capsys.readouterr().err
    assert rc == 4, err
    assert len(errors(err)) == 1 and "Traceback" not in err


def test_findings_stay_exit_1(repo: Path, up: Upstream, capsys: pytest.CaptureFixture[str]
                              ) -> None:
    (repo / "v1.31" / "0001_CVE-2025-1001.patch").write_text(
        (repo / "v1.31" / "0001_CVE-2025-1001.patch").read_text().replace(
            'if r.User == "admin" {', 'if r.User == "root" {'))
    assert main(gate(repo, up, "--no-build", "--no-test")) == 1


def test_the_codes_are_documented() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    assert "| 4 | could not run" in readme
    assert "4 could not run" in EPILOG.replace("\n ", "")
    assert os.EX_OK == 0
