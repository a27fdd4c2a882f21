"""`ksp new` from a plain diff, a format-patch mail and upstream commits (real git)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ksp.cli.main import main
from ksp.model import AdvisoryId
from ksp.repo import patchfile
from ksp.repo.index import IndexDocument

DAY = "2026-11-22"
ISSUE = "https://github.com/kubernetes/kubernetes/issues/133471"
SECURITY = ["--cve-issue", ISSUE, "--severity", "high", "--components", "kube-apiserver",
            "--fixer", "@fixer", "--date", DAY]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def upstream(tmp_path: Path) -> Path:
    """A small upstream with three commits on main: base, fix part 1, fix part 2."""
    up = tmp_path / "upstream"
    up.mkdir()
    git(up, "init", "-q", "-b", "main")
    (up / "cmd" / "kube-apiserver").mkdir(parents=True)
    (up / "cmd" / "kube-apiserver" / "main.go").write_text("package main\n\nfunc main() {}\n")
    git(up, "add", "-A")
    git(up, "commit", "-q", "-m", "base")
    for n in (1, 2):
        path = up / "cmd" / "kube-apiserver" / "main.go"
        path.write_text(path.read_text() + f"\n// fix part {n}\n")
        git(up, "commit", "-q", "-am", f"Fix part {n}")
    return up


def lint(root: Path, *extra: str) -> int:
    return main(["lint", "--repo", str(root), "--date", DAY, "--pre-review", *extra])


def test_from_upstream_commit_writes_header_and_index(
        repo: Path, upstream: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sha = git(upstream, "rev-parse", "HEAD").strip()
    assert main(["new", "CVE-2025-5187", "--minor", "1.33", "--upstream", str(upstream),
                 "--commit", sha, "--repo", str(repo), "--format", "json", *SECURITY]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["path"] == "v1.33/0001_CVE-2025-5187.patch"
    patch = patchfile.load(repo / result["path"])
    assert patch.header.get("Upstream commits") == sha
    assert patch.header.get("Original patch") == \
        f"https://github.com/kubernetes/kubernetes/commit/{sha}"
    assert patch.diff == git(upstream, "diff", "--full-index", "HEAD^", "HEAD")
    state = IndexDocument.load(repo / "index.yaml").advisories()[AdvisoryId("CVE-2025-5187")].minors
    only = next(iter(state.values()))
    assert (only.status.value, only.patch, only.sha256) == (
        "in-progress", result["path"], patch.sha256)
    assert lint(repo, "--upstream", str(upstream)) == 0


def test_from_a_commit_range_and_next_number(repo: Path, upstream: Path) -> None:
    base = git(upstream, "rev-parse", "HEAD~2").strip()
    assert main(["new", "CVE-2025-1111", "--minor", "1.33", "--upstream", str(upstream),
                 "--commit", f"{base}..HEAD", "--repo", str(repo), "--title", "t",
                 *SECURITY]) == 0
    assert main(["new", "CVE-2025-2222", "--minor", "1.33", "--upstream", str(upstream),
                 "--commit", "HEAD~1", "HEAD", "--repo", str(repo), "--title", "u",
                 *SECURITY]) == 0
    first = patchfile.load(repo / "v1.33" / "0001_CVE-2025-1111.patch")
    second = patchfile.load(repo / "v1.33" / "0002_CVE-2025-2222.patch")
    assert first.diff == git(upstream, "diff", "--full-index", base, "HEAD")
    assert len((first.header.get("Upstream commits") or "").split(", ")) == 2
    assert second.diff == first.diff
    assert lint(repo) == 0


def test_commits_out_of_order_are_refused(repo: Path, upstream: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["new", "CVE-2025-1111", "--minor", "1.33", "--upstream", str(upstream),
               "--commit", "HEAD", "HEAD~1", "--repo", str(repo), "--title", "t", *SECURITY])
    assert rc == 2
    assert "oldest first" in capsys.readouterr().err
    assert not (repo / "v1.33").exists()


def test_from_a_format_patch_mail(repo: Path, upstream: Path, tmp_path: Path) -> None:
    out = tmp_path / "mails"
    git(upstream, "format-patch", "-1", "HEAD", "-o", str(out))
    mail = next(out.iterdir())
    sha = git(upstream, "rev-parse", "HEAD").strip()
    assert main(["new", "CVE-2025-5187", "--minor", "1.32", "--mail", str(mail), "--repo",
                 str(repo), *SECURITY]) == 0
    patch = patchfile.load(repo / "v1.32" / "0001_CVE-2025-5187.patch")
    assert patch.header.get("Upstream commits") == sha
    assert "by Test Fixer <fixer@example.com>" in (patch.header.get("Notes") or "")
    expected = git(upstream, "diff", "HEAD^", "HEAD").split("\n")
    assert patch.diff.split("\n")[2:] == expected[2:]  # the abbreviated `index` line differs
    advisory = IndexDocument.load(repo / "index.yaml").advisories()[AdvisoryId("CVE-2025-5187")]
    assert advisory.title == "Fix part 2"
    assert lint(repo) == 0


def test_infrastructure_patch(repo: Path, tmp_path: Path) -> None:
    diff = tmp_path / "go.diff"
    diff.write_text("diff --git a/.go-version b/.go-version\nindex 1111111..2222222 100644\n"
                    "--- a/.go-version\n+++ b/.go-version\n@@ -1 +1 @@\n-1.22.12\n+1.24.9\n")
    args = ["new", "INFRA-go-1.24.9", "--minor", "1.32", "--diff", str(diff), "--repo",
            str(repo), "--reason", "Go 1.22 is out of support", "--upstream-ref",
            "https://github.com/kubernetes/kubernetes/pull/1", "--components",
            "kube-apiserver", "--fixer", "@fixer", "--date", DAY]
    # .go-version is a forbidden path by default: new refuses it, writing nothing, until a
    # reviewer waives the advisory in ksp.yaml
    before = (repo / "index.yaml").read_bytes()
    assert main(args) == 1
    assert not (repo / "v1.32").exists() or not list((repo / "v1.32").iterdir())
    assert (repo / "index.yaml").read_bytes() == before
    path = repo / "ksp.yaml"
    path.write_text(path.read_text().replace("waivers: []", "waivers: [INFRA-go-1.24.9]"))
    assert main(args) == 0
    text = (repo / "v1.32" / "0001_INFRA-go-1.24.9.patch").read_text()
    assert text.startswith("# Infrastructure patch for INFRA-go-1.24.9\n")
    assert "# Reason: Go 1.22 is out of support\n" in text
    advisory = IndexDocument.load(repo / "index.yaml").advisories()[AdvisoryId("INFRA-go-1.24.9")]
    assert advisory.kind.value == "infrastructure"
    assert lint(repo) == 0


def test_existing_advisory_values_are_reused(repo: Path, tmp_path: Path) -> None:
    diff = tmp_path / "d.diff"
    diff.write_text("diff --git a/cmd/kube-apiserver/a.go b/cmd/kube-apiserver/a.go\n"
                    "index 1111111..2222222 100644\n--- a/cmd/kube-apiserver/a.go\n"
                    "+++ b/cmd/kube-apiserver/a.go\n@@ -1 +1 @@\n-a\n+b\n")
    common = ["--diff", str(diff), "--repo", str(repo), "--fixer", "@f", "--date", DAY,
              "--original-patch", "https://github.com/kubernetes/kubernetes/pull/9"]
    assert main(["new", "CVE-2025-5187", "--minor", "1.33", "--title", "t", "--cve-issue",
                 ISSUE, "--cvss-vector", "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:L",
                 *common]) == 0
    assert main(["new", "CVE-2025-5187", "--minor", "1.32", *common]) == 0
    header = patchfile.load(repo / "v1.32" / "0001_CVE-2025-5187.patch").header
    assert header.get("Severity") == "MEDIUM (CVSS 6.7)"
    assert header.get("CVE issue") == ISSUE
    assert header.get("Affected components") == "kube-apiserver"  # from the component map
    assert lint(repo) == 0


def test_second_patch_for_same_advisory_and_minor_is_refused(
        repo: Path, upstream: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["new", "CVE-2025-5187", "--minor", "1.33", "--upstream", str(upstream), "--commit",
            "HEAD", "--repo", str(repo), "--title", "t", *SECURITY]
    assert main(argv) == 0
    before = (repo / "index.yaml").read_bytes()
    assert main(argv) == 2
    assert "already has a patch" in capsys.readouterr().err
    assert sorted(p.name for p in (repo / "v1.33").iterdir()) == ["0001_CVE-2025-5187.patch"]
    assert (repo / "index.yaml").read_bytes() == before


def test_missing_values_are_a_usage_error_and_nothing_is_written(
        repo: Path, upstream: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["new", "CVE-2025-5187", "--minor", "1.33", "--upstream", str(upstream),
               "--commit", "HEAD", "--repo", str(repo), "--date", DAY])
    err = capsys.readouterr().err
    assert rc == 2
    assert "--cve-issue URL" in err and "--fixer @handle" in err
    assert not (repo / "v1.33").exists()


def test_expired_and_unknown_minors_are_accepted_with_a_warning(
        repo: Path, upstream: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for minor, word in (("1.25", "expired"), ("1.99", "does not know")):
        assert main(["new", "CVE-2025-5187", "--minor", minor, "--upstream", str(upstream),
                     "--commit", "HEAD", "--repo", str(repo), "--title", "t", *SECURITY]) == 0
        assert word in capsys.readouterr().err
        assert (repo / f"v{minor}" / "0001_CVE-2025-5187.patch").is_file()


def test_severity_disagreeing_with_vector_is_refused(repo: Path, upstream: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["new", "CVE-2025-5187", "--minor", "1.33", "--upstream", str(upstream),
               "--commit", "HEAD", "--repo", str(repo), "--title", "t", *SECURITY,
               "--cvss-vector", "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:L"])
    assert rc == 2
    assert "disagrees" in capsys.readouterr().err
