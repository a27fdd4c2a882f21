"""A pull request is untrusted input: in `--since` mode ksp.yaml and the lifecycle file come from
the base commit. A branch that weakens ksp.yaml and adds a test-breaking patch fails both lint and
the gate (real git, real Go)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _gatekit import add_patch, commit_all, git, make_patches_repo
from factories.goupstream import Upstream, make_go_upstream, patch_that_breaks_test
from ksp.cli.main import main
from ksp.repo.trusted import read_trusted

WEAKENED = {
    "test: 'go test {packages}'": "test: 'true'",
    "build: 'go build {targets}'": "build: 'sh -c \"echo pwned > /tmp/ksp-pwned-$$\"'",
    "  forbidden_paths: [": "  forbidden_paths: []\n  old_forbidden: [",
    "allow_symlinks: false": "allow_symlinks: true",
}


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Upstream:
    return make_go_upstream(tmp_path_factory.mktemp("trusted") / "demo")


def weaken(root: Path) -> None:
    text = (root / "ksp.yaml").read_text()
    for old, new in WEAKENED.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    (root / "ksp.yaml").write_text(text.replace("  old_forbidden: [", "  # ["))


def pull_request(tmp_path: Path, up: Upstream) -> Path:
    """main: a plain patches repo; branch `pr`: ksp.yaml weakened plus a test-breaking patch."""
    repo = make_patches_repo(tmp_path / "patches")
    git(repo, "checkout", "-q", "-b", "pr")
    weaken(repo)
    add_patch(repo, "1.31", 1, patch_that_breaks_test(up, "1.31"), index=True)
    commit_all(repo, "weaken the checks and break a test")
    return repo


def test_read_trusted_reads_the_base_commit_not_the_work_tree(tmp_path: Path) -> None:
    repo = make_patches_repo(tmp_path / "patches")
    base = git(repo, "rev-parse", "HEAD").strip()
    committed = (repo / "ksp.yaml").read_bytes()
    (repo / "ksp.yaml").write_text("test: 'true'\n")
    assert read_trusted(repo, "ksp.yaml", base) == committed
    assert read_trusted(repo, "OWNERS", base) is None


def test_a_pr_that_weakens_ksp_yaml_fails_lint_naming_the_keys(
        tmp_path: Path, up: Upstream, capsys: pytest.CaptureFixture[str]) -> None:
    repo = pull_request(tmp_path, up)
    capsys.readouterr()
    rc = main(["lint", "--repo", str(repo), "--since", "main", "--pre-review", "--format",
               "json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert rc == 1
    [trusted] = [f for f in findings if f["code"] == "KSP007"]
    assert trusted["file"] == "ksp.yaml"
    for key in ("build", "test", "policy.forbidden_paths", "policy.allow_symlinks"):
        assert key in trusted["message"], trusted["message"]
    # Without --since (a local run) the working tree's ksp.yaml is the configuration.
    rc = main(["lint", "--repo", str(repo), "--pre-review", "--format", "json"])
    codes = {f["code"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert "KSP007" not in codes


@pytest.mark.go
def test_a_pr_that_weakens_ksp_yaml_fails_the_gate_with_the_base_test_command(
        tmp_path: Path, up: Upstream, capsys: pytest.CaptureFixture[str]) -> None:
    repo = pull_request(tmp_path, up)
    before = set(Path("/tmp").glob("ksp-pwned-*"))
    capsys.readouterr()
    rc = main(["gate", "--repo", str(repo), "--upstream", str(up.path), "--since", "main",
               "--format", "json", "--evidence-dir", str(tmp_path / "evidence")])
    out = json.loads(capsys.readouterr().out)
    assert rc == 1 and out["result"] == "fail"
    [minor] = out["minors"]
    steps = {s["name"]: s for s in minor["steps"]}
    assert steps["test"]["result"] == "fail"
    assert all(c != "true" for s in minor["steps"] for c in [s.get("command", "")])
    assert set(Path("/tmp").glob("ksp-pwned-*")) == before  # the PR's build command never ran


LIFECYCLE = """schema: ksp-lifecycle/v1
project: demo
releases:
- minor: '1.31'
  released: 2024-01-01
  eol_planned: {eol}
"""


def test_the_lifecycle_file_comes_from_the_base_too(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Base: 1.31 expired long ago (a patch for it is an error). The PR moves its end of life
    into the future: lint still sees the base's dates, and names the change."""
    repo = make_patches_repo(tmp_path / "patches")
    (repo / "lifecycle.yaml").write_text(LIFECYCLE.format(eol="2020-01-01"))
    config = (repo / "ksp.yaml").read_text().replace("lifecycle: embedded",
                                                     "lifecycle: lifecycle.yaml")
    (repo / "ksp.yaml").write_text(config)
    commit_all(repo, "lifecycle")
    git(repo, "checkout", "-q", "-b", "pr")
    (repo / "lifecycle.yaml").write_text(LIFECYCLE.format(eol="2030-01-01"))
    add_patch(repo, "1.31", 1, "diff --git a/x.go b/x.go\n--- a/x.go\n+++ b/x.go\n"
              "@@ -1 +1 @@\n-a\n+b\n", index=True)
    commit_all(repo, "revive 1.31")
    capsys.readouterr()
    assert main(["lint", "--repo", str(repo), "--since", "main", "--pre-review", "--date",
                 "2026-11-22", "--format", "json"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    codes = {(f["code"], f["file"]) for f in findings}
    assert ("KSP105", "v1.31/0001_CVE-2025-1001.patch") in codes  # expired, per the base
    [changed] = [f for f in findings if f["code"] == "KSP007"]
    assert changed["file"] == "lifecycle.yaml" and "releases[0]" in changed["message"]


def test_a_base_without_ksp_yaml_is_refused_not_replaced_by_the_prs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_patches_repo(tmp_path / "patches")
    git(repo, "rm", "-q", "ksp.yaml")
    commit_all(repo, "no config")
    base = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "-b", "pr")
    (repo / "ksp.yaml").write_text("schema: ksp/v1\nproject: go\ntest: 'true'\n")
    commit_all(repo, "my own config")
    capsys.readouterr()
    assert main(["lint", "--repo", str(repo), "--since", base, "--format", "json"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert any(f["code"] == "KSP001" and "base commit" in f["message"] for f in findings)


def test_a_pr_that_edits_the_ci_workflow_needs_review(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_patches_repo(tmp_path / "patches")
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / ".github" / "workflows" / "ksp.yml").write_text("name: ksp\n")
    commit_all(repo, "workflow")
    git(repo, "checkout", "-q", "-b", "pr")
    (repo / ".github" / "workflows" / "ksp.yml").write_text("name: ksp\n# lint skipped\n")
    commit_all(repo, "skip lint")
    capsys.readouterr()
    assert main(["lint", "--repo", str(repo), "--since", "main", "--format", "json"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [f["file"] for f in findings if f["code"] == "KSP007"] == [".github/workflows/ksp.yml"]
