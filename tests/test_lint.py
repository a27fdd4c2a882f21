"""`ksp lint`: the checks one by one, the output formats, --since, --upstream, the registry."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ksp import lint
from ksp.cli.main import main
from ksp.lint import Finding, LintContext
from ksp.repo import open_repo

DAY = "2026-11-22"
VECTOR4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
DIFF = (
    "diff --git a/pkg/auth/check.go b/pkg/auth/check.go\n"
    "index 1111111..2222222 100644\n"
    "--- a/pkg/auth/check.go\n"
    "+++ b/pkg/auth/check.go\n"
    "@@ -1,2 +1,3 @@\n"
    " package auth\n"
    "+// deny guests\n"
    " func Check() {}\n"
)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                          text=True).stdout


def add(root: Path, tmp: Path, advisory: str, minor: str, *extra: str) -> Path:
    source = tmp / f"{advisory}-{minor}.diff"
    source.write_text(DIFF)
    assert main(["new", advisory, "--minor", minor, "--diff", str(source), "--repo", str(root),
                 "--title", "t", "--cvss-vector", VECTOR4, "--original-patch",
                 "https://github.com/kubernetes/kubernetes/pull/1", "--cve-issue",
                 "https://github.com/kubernetes/kubernetes/issues/2", "--components",
                 "kube-apiserver", "--fixer", "@f", "--reviewer", "@src", "--testing",
                 "Validated on 2026-11-20", "--date", DAY, *extra]) == 0
    return next((root / f"v{minor}").glob(f"*_{advisory}.patch"))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("lint")
    root = tmp / "patches"
    assert main(["init", str(root)]) == 0
    (root / "OWNERS").write_text("approvers: [src]\nreviewers: [f]\n")
    add(root, tmp, "CVE-2025-5187", "1.33")
    add(root, tmp, "CVE-2025-1111", "1.33")
    return root


@pytest.fixture
def repo(template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = tmp_path / "patches"
    shutil.copytree(template, root)
    capsys.readouterr()
    return root


def run(root: Path, *extra: str) -> dict[str, Any]:
    main(["lint", "--repo", str(root), "--date", DAY, "--format", "json", *extra])
    result: dict[str, Any] = json.loads(_out.readouterr().out)
    return result


@pytest.fixture(autouse=True)
def _capture(capsys: pytest.CaptureFixture[str]) -> None:
    global _out  # noqa: PLW0603 - the helper above reads the test's capsys
    _out = capsys


_out: pytest.CaptureFixture[str]


def codes(result: dict[str, Any]) -> list[str]:
    return [f["code"] for f in result["findings"]]


def rehash(root: Path, rel: str) -> None:
    """Put the patch's current sha256 into index.yaml, as a fixer would."""
    index = root / "index.yaml"
    text = index.read_text()
    start = text.index(f"patch: {rel}, sha256: ") + len(f"patch: {rel}, sha256: ")
    digest = hashlib.sha256((root / rel).read_bytes()).hexdigest()
    index.write_text(text[:start] + digest + text[start + 64:])


def edit_patch(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    rehash(root, rel)


P1 = "v1.33/0001_CVE-2025-5187.patch"


def test_clean_repo_passes_with_cvss4(repo: Path) -> None:
    result = run(repo)
    assert result == {"result": "pass", "errors": 0, "warnings": 0, "findings": []}
    assert "CRITICAL (CVSS 9.3)" in (repo / P1).read_text()


def test_text_output_lines(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edit_patch(repo, P1, "# CVE Fixer: @f", "# CVE Fixer: @f\n# Colour: red")
    assert main(["lint", "--repo", str(repo), "--date", DAY]) == 0
    out = capsys.readouterr().out
    assert f"{P1}:10: warning KSP204: unknown header key 'Colour' (kept as is; check its " \
           "spelling)" in out
    assert out.rstrip().endswith("pass: 0 error(s), 1 warning(s)")


def test_reviewer_required_unless_pre_review(repo: Path) -> None:
    edit_patch(repo, P1, "# SRC Reviewer: @src", "# SRC Reviewer:")
    assert codes(run(repo)) == ["KSP203"]
    assert run(repo, "--pre-review")["result"] == "pass"


def test_pending_testing_warns_after_review(repo: Path) -> None:
    edit_patch(repo, P1, "# Testing: Validated on 2026-11-20", "# Testing: pending")
    result = run(repo)
    assert (result["result"], codes(result)) == ("pass", ["KSP212"])


def test_severity_checks(repo: Path) -> None:
    edit_patch(repo, P1, "CRITICAL (CVSS 9.3)", "CRITICAL (CVSS 9.0)")
    assert set(codes(run(repo))) == {"KSP210", "KSP306"}
    edit_patch(repo, P1, "CRITICAL (CVSS 9.0)", "CRITICAL (CVSS 9.3)")
    edit_patch(repo, P1, "VC:H/VI:H", "VC:Q/VI:H")
    assert set(codes(run(repo))) == {"KSP209", "KSP306"}


def test_index_severity_is_checked_against_its_vector(repo: Path) -> None:
    index = repo / "index.yaml"
    index.write_text(index.read_text().replace("score: 9.3", "score: 5.0", 1))
    result = run(repo)
    assert "KSP210" in codes(result) and "KSP306" in codes(result)


def test_index_status_must_be_live(repo: Path) -> None:
    index = repo / "index.yaml"
    index.write_text(index.read_text().replace("status: in-progress", "status: needed", 1))
    assert codes(run(repo)) == ["KSP303"]


def test_advisory_missing_from_index(repo: Path, tmp_path: Path) -> None:
    (repo / "v1.33" / "0003_CVE-2025-2222.patch").write_text(
        (repo / P1).read_text().replace("CVE-2025-5187", "CVE-2025-2222"))
    assert codes(run(repo)) == ["KSP301"]


def test_numbering_duplicates_and_gaps(repo: Path) -> None:
    shutil.copy(repo / P1, repo / "v1.33" / "0001_CVE-2025-9999.patch")
    folder = repo / "v1.33"
    (folder / "0002_CVE-2025-1111.patch").rename(folder / "0004_CVE-2025-1111.patch")
    found = codes(run(repo))
    assert "KSP102" in found and "KSP103" in found


def test_unknown_minor_is_a_warning(repo: Path, tmp_path: Path) -> None:
    add(repo, tmp_path, "CVE-2025-3333", "1.99")
    _out.readouterr()
    result = run(repo)
    assert (result["result"], codes(result)) == ("pass", ["KSP106"])


def test_waiver_allows_a_forbidden_path(repo: Path) -> None:
    path = repo / P1
    path.write_text(path.read_text().replace("pkg/auth/check.go", "Makefile"))
    rehash(repo, P1)
    assert codes(run(repo)) == ["KSP406"]
    config = repo / "ksp.yaml"
    config.write_text(config.read_text().replace("waivers: []", f"waivers: ['{P1}']"))
    assert run(repo)["result"] == "pass"


def test_policy_limits(repo: Path) -> None:
    config = repo / "ksp.yaml"
    text = config.read_text()
    config.write_text(text.replace("max_files: 200", "max_files: 0"))
    assert codes(run(repo)) == ["KSP408", "KSP408"]
    config.write_text(text.replace("max_patch_bytes: 1048576", "max_patch_bytes: 500"))
    assert codes(run(repo)) == ["KSP407", "KSP407"]


def test_since_lints_only_changed_patches(repo: Path) -> None:
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "start")
    bad = repo / "v1.33" / "0002_CVE-2025-1111.patch"
    bad.write_text(bad.read_text().replace("# Severity:", "# Severity: LOUD\n# Sev:"))
    git(repo, "commit", "-q", "-am", "break 0002")
    edit_patch(repo, P1, "# CVE Fixer: @f", "# CVE Fixer: @f\n# Colour: red")
    since = run(repo, "--since", "HEAD")
    assert {f["file"] for f in since["findings"]} == {P1}
    assert "KSP208" not in codes(since)
    assert "KSP208" in codes(run(repo))
    assert main(["lint", "--repo", str(repo), "--since", "no-such-ref"]) == 2


def test_upstream_commits_must_exist(repo: Path, tmp_path: Path) -> None:
    up = tmp_path / "up"
    up.mkdir()
    git(up, "init", "-q", "-b", "main")
    git(up, "commit", "-q", "--allow-empty", "-m", "x")
    sha = git(up, "rev-parse", "HEAD").strip()
    edit_patch(repo, P1, "# Original patch: https://github.com/kubernetes/kubernetes/pull/1",
               f"# Original patch: https://github.com/kubernetes/kubernetes/commit/{sha}\n"
               f"# Upstream commits: {sha}, {'0' * 40}")
    result = run(repo, "--upstream", str(up))
    assert codes(result) == ["KSP501"]
    assert "0" * 40 in result["findings"][0]["message"]
    assert run(repo)["result"] == "pass"


def test_the_registry_takes_a_new_check(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def evidence(ctx: LintContext) -> list[Finding]:
        return [Finding.error("KSP601", e.rel, "no evidence") for e, _ in ctx.parsed()]

    monkeypatch.setattr(lint.registry, "CHECKS", [*lint.registry.CHECKS, evidence])
    monkeypatch.setattr(lint, "CHECKS", lint.registry.CHECKS)
    result = lint.run(open_repo(repo), dt.date(2026, 11, 22))
    assert [f.code for f in result.findings] == ["KSP601", "KSP601"]
    assert result.result == "fail"
