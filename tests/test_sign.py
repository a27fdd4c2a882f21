"""ksp sign on a `ksp init` repo: the sign-off keeps index.yaml's sha256 true, writes the signed
series manifest, and refuses before writing anything."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from _reviewkit import Key, keygen, write_owners, write_signers
from _samples import DIFF
from ksp.cli.main import main


def lint_errors(repo: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> list[str]:
    capsys.readouterr()
    main(["lint", "--repo", str(repo), "--format", "json", "--date", "2026-11-22", *flags])
    findings = json.loads(capsys.readouterr().out)["findings"]
    return [f["code"] for f in findings if f["severity"] == "error"]


@pytest.fixture
def key(repo: Path, tmp_path: Path) -> Key:
    key = keygen(tmp_path, "src-member")
    write_owners(repo, ["src-member"])
    write_signers(repo, [key])
    return key


@pytest.fixture
def patch(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    diff = tmp_path / "fix.diff"
    diff.write_text(DIFF)
    assert main(["new", "CVE-2025-5187", "--repo", str(repo), "--minor", "1.33", "--diff",
                 str(diff), "--title", "Nodes can delete themselves", "--original-patch",
                 "https://github.com/kubernetes/kubernetes/pull/133467", "--cve-issue",
                 "https://github.com/kubernetes/kubernetes/issues/133471", "--cvss-vector",
                 "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:L", "--components",
                 "kube-apiserver", "--fixer", "@fixer", "--testing",
                 "Validated against v1.33.13 on 2026-11-20", "--date", "2026-11-22"]) == 0
    capsys.readouterr()
    return repo / "v1.33" / "0001_CVE-2025-5187.patch"


def sign(repo: Path, key: Key, *patches: Path, reviewer: str = "@src-member") -> int:
    return main(["sign", *map(str, patches), "--repo", str(repo), "--reviewer", reviewer,
                 "--key", str(key.private), "--upstream", str(repo.parent / "up")])


@pytest.fixture
def upstream(repo: Path) -> Path:
    """A clone with the minor's release branch, for the manifest's base commit."""
    import subprocess

    up = repo.parent / "up"
    up.mkdir()
    subprocess.run(["git", "-C", str(up), "init", "-q", "-b", "release-1.33"], check=True)
    subprocess.run(["git", "-C", str(up), "commit", "-q", "--allow-empty", "-m", "base"],
                   check=True)
    return up


def test_signing_keeps_lint_green_but_for_the_attestation(
        repo: Path, patch: Path, key: Key, upstream: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert "KSP203" in lint_errors(repo, capsys), "an empty SRC Reviewer is an error"
    before = patch.read_text()
    rc = sign(repo, key, patch)
    assert rc == 0, capsys.readouterr().err
    after = patch.read_text()
    assert after == before.replace("# SRC Reviewer:\n", "# SRC Reviewer: @src-member\n")
    digest = hashlib.sha256(after.encode()).hexdigest()
    assert digest in (repo / "index.yaml").read_text()
    assert f"patch 0001_CVE-2025-5187.patch {digest} " in (repo / "v1.33" / "SERIES").read_text()
    # Signed, but no gate attestation for the signed series yet.
    assert lint_errors(repo, capsys) == ["KSP620"]


def test_editing_by_hand_is_what_breaks_lint(repo: Path, patch: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """The reason `ksp sign` exists: a hand edit leaves the index's sha256 stale."""
    write_owners(repo, ["src-member"])
    text = patch.read_text().replace("# SRC Reviewer:\n", "# SRC Reviewer: @src-member\n")
    patch.write_text(text)
    assert lint_errors(repo, capsys) == ["KSP304"]


def test_a_patch_outside_the_repo_is_refused_and_nothing_changes(
        repo: Path, patch: Path, key: Key, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    stray = tmp_path / "stray.patch"
    stray.write_text(patch.read_text())
    index = (repo / "index.yaml").read_bytes()
    rc = sign(repo, key, patch, stray)
    assert rc == 2
    assert "is not inside the patches repo" in capsys.readouterr().err
    assert (repo / "index.yaml").read_bytes() == index
    assert "# SRC Reviewer:\n" in patch.read_text()
    assert not (repo / "v1.33" / "SERIES").exists()


def test_no_base_commit_is_a_usage_error_that_writes_nothing(
        repo: Path, patch: Path, key: Key, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["sign", str(patch), "--repo", str(repo), "--reviewer", "@src-member", "--key",
               str(key.private)])
    assert rc == 2
    assert "no base commit for the series manifest" in capsys.readouterr().err
    assert "# SRC Reviewer:\n" in patch.read_text()
