"""`ksp ci`: generated GitHub Actions and Prow definitions, the job matrix, and vex-check."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from _site_repo import TODAY, make_repo
from ksp.cli.main import main


def _yaml(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "patches")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    return root


def _github_schema() -> dict[str, Any]:
    """SchemaStore's GitHub workflow schema, as vendored by the check-jsonschema package."""
    import check_jsonschema  # a test dependency: missing is a failure, not a skip

    path = (Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor" /
            "github-workflows.json")
    return dict(json.loads(path.read_text()))


def test_github_workflow_is_valid_and_has_the_jobs(repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "ksp.yml"
    assert main(["ci", "github", "--repo", str(repo), "--out", str(out)]) == 0
    wf = _yaml(out.read_text())
    jsonschema.Draft7Validator(_github_schema()).validate(wf)
    assert {"pull_request", "schedule", "workflow_dispatch"} <= set(wf["on"])
    jobs = wf["jobs"]
    assert {"lint", "matrix", "gate", "report", "window", "tip", "scan"} <= set(jobs)
    for name, job in jobs.items():
        needs = job.get("needs", [])
        assert set([needs] if isinstance(needs, str) else needs) <= set(jobs), name
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), (name, step)
    runs = {name: "\n".join(s.get("run", "") for s in job["steps"]) for name, job in jobs.items()}
    assert 'ksp lint --since "origin/$BASE_REF"' in runs["lint"]
    assert jobs["lint"]["steps"][-1]["env"]["BASE_REF"] == "${{ github.base_ref }}"
    assert 'ksp ci matrix --since "origin/$BASE_REF"' in runs["matrix"]
    assert "ksp ci matrix --all" in runs["window"]
    gate = jobs["gate"]
    assert gate["needs"] == ["lint", "matrix"]  # the PR's Go code runs only after lint
    assert gate["strategy"]["matrix"] == "${{ fromJSON(needs.matrix.outputs.minors) }}"
    assert jobs["matrix"]["outputs"]["minors"] == "${{ steps.minors.outputs.minors }}"
    assert "--format json" in runs["gate"] and "--format markdown" in runs["gate"]
    assert '--minor "$MINOR" --since "origin/$BASE_REF"' in runs["gate"]
    uses = {name: [s.get("uses", "") for s in job["steps"]] for name, job in jobs.items()}
    assert any(u.startswith("actions/cache@") for u in uses["gate"])
    assert any(u.startswith("actions/upload-artifact@") for u in uses["gate"])
    cache_keys = [s["with"]["key"] for s in gate["steps"] if s.get("uses", "").startswith(
        "actions/cache@")]
    assert all("matrix.minor" in key for key in cache_keys) and len(cache_keys) == 2
    script = jobs["report"]["steps"][-1]["with"]["script"]
    assert "updateComment" in script and "createComment" in script
    assert jobs["report"]["steps"][-1]["env"]["MARKER"].startswith("<!--")
    assert "issues.create(" in jobs["tip"]["steps"][-1]["with"]["script"]
    assert "--vex vex.json" in runs["scan"] and "grype dir:bin --vex" in runs["scan"]
    assert 'ksp ci vex-check --minor "$MINOR"' in runs["scan"]
    assert wf["permissions"] == {"contents": "read"}


def test_github_workflow_on_stdout(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ci", "github", "--repo", str(repo), "--install", "ksp @ git+https://x/ksp"]) == 0
    wf = _yaml(capsys.readouterr().out)
    assert wf["env"]["KSP_INSTALL"] == "ksp @ git+https://x/ksp"
    assert wf["env"]["UPSTREAM_URL"] == "https://github.com/kubernetes/kubernetes"


def test_prow_presubmits(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _git(repo, "remote", "add", "origin", "git@github.com:example/security-patches.git")
    assert main(["ci", "prow", "--repo", str(repo), "--date", TODAY]) == 0
    doc = _yaml(capsys.readouterr().out)
    jobs = doc["presubmits"]["example/security-patches"]
    names = [j["name"] for j in jobs]
    assert names == ["pull-ksp-lint", "pull-ksp-gate-1-34", "pull-ksp-gate-1-33",
                     "pull-ksp-gate-1-32"]
    assert len(set(names)) == len(names)
    for job in jobs:
        assert isinstance(job["always_run"], bool) and job["decorate"] is True
        container = job["spec"]["containers"][0]
        assert all(isinstance(x, str) for x in container["command"] + container["args"])
    assert jobs[0]["always_run"] is True
    gate = jobs[3]
    assert gate["run_if_changed"] == r"^(v1\.32/|ksp\.yaml$)"
    assert gate["extra_refs"][0]["base_ref"] == "release-1.32"
    assert "ksp gate --upstream /home/prow/go/src/k8s.io/kubernetes --minor 1.32" in \
        gate["spec"]["containers"][0]["args"][0]


def test_prow_needs_a_slug(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ci", "prow", "--repo", str(repo)]) == 2
    assert "--repo-slug" in capsys.readouterr().err


def _matrix(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, str]]:
    assert main(["ci", "matrix", "--repo", str(repo), "--date", TODAY, *args]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # one line, for $GITHUB_OUTPUT
    return list(json.loads(out)["include"])


def test_matrix_since_lists_touched_minors(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _git(repo, "checkout", "-q", "-b", "pr")
    assert _matrix(repo, capsys, "--since", "main") == []
    patch = repo / "v1.33" / "0001_CVE-2025-13281.patch"
    patch.write_text(patch.read_text() + " ")
    _git(repo, "commit", "-q", "-am", "touch 1.33")
    (repo / "v1.32" / "0003_CVE-2025-1767.patch").write_text("untracked\n")
    status_before = _git(repo, "status", "--porcelain")
    assert _matrix(repo, capsys, "--since", "main") == [
        {"minor": "1.33", "branch": "release-1.33"}, {"minor": "1.32", "branch": "release-1.32"}]
    assert _git(repo, "status", "--porcelain") == status_before
    assert _git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "pr"


def test_matrix_config_change_gates_the_window(repo: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "ksp.yaml").write_text((repo / "ksp.yaml").read_text() + "# tweak\n")
    minors = [e["minor"] for e in _matrix(repo, capsys, "--since", "HEAD")]
    assert minors == ["1.33", "1.32"]  # 1.34 is in the window but has no folder


def test_matrix_all_is_the_extended_window(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert [e["minor"] for e in _matrix(repo, capsys, "--all")] == ["1.34", "1.33", "1.32"]


def test_matrix_unknown_ref(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ci", "matrix", "--repo", str(repo), "--since", "origin/nope"]) == 2
    assert "--since origin/nope: not a commit" in capsys.readouterr().err


# Shapes of real reports: Trivy `--format json` (SchemaVersion 2) and Grype `-o json`.
TRIVY: dict[str, Any] = {
    "SchemaVersion": 2, "ArtifactName": "bin", "ArtifactType": "filesystem",
    "Results": [
        {"Target": "kube-apiserver", "Class": "lang-pkgs", "Type": "gobinary",
         "Vulnerabilities": [
             {"VulnerabilityID": "CVE-2025-5187", "VendorIDs": ["GHSA-78w4-5xq6-6f5f"],
              "PkgName": "k8s.io/kubernetes", "PkgIdentifier": {
                  "PURL": "pkg:golang/k8s.io/kubernetes@v1.32.7"},
              "InstalledVersion": "v1.32.7", "FixedVersion": "1.32.8", "Status": "fixed",
              "Severity": "MEDIUM"},
             {"VulnerabilityID": "CVE-2025-1767", "PkgName": "k8s.io/kubernetes",
              "InstalledVersion": "v1.32.7", "Severity": "MEDIUM"}]},
        {"Target": "kubelet", "Class": "lang-pkgs", "Type": "gobinary"},
    ],
}
GRYPE: dict[str, Any] = {
    "matches": [
        {"vulnerability": {"id": "GHSA-xxxx-yyyy-zzzz", "dataSource": "https://github.com/advisories",
                           "namespace": "github:language:go", "severity": "Medium"},
         "relatedVulnerabilities": [{"id": "CVE-2025-13281", "namespace": "nvd:cpe"}],
         "matchDetails": [],
         "artifact": {"name": "k8s.io/kubernetes", "version": "v1.32.7", "type": "go-module",
                      "locations": [{"path": "/kube-controller-manager"}],
                      "purl": "pkg:golang/k8s.io/kubernetes@v1.32.7"}},
    ],
    "ignoredMatches": [],
    "source": {"type": "directory", "target": "bin"},
    "descriptor": {"name": "grype", "version": "0.86.1"},
}


def _report(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_vex_check_flags_patched_cves_still_reported(
        repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trivy = _report(tmp_path, "trivy.json", TRIVY)
    grype = _report(tmp_path, "grype.json", GRYPE)
    rc = main(["ci", "vex-check", "--repo", str(repo), "--minor", "1.32",
               "--report", str(trivy), "--report", str(grype)])
    out = capsys.readouterr().out
    assert rc == 1
    assert "CVE-2025-5187" in out and "CVE-2025-13281 (GHSA-xxxx-yyyy-zzzz) grype" in out
    assert "CVE-2025-1767" not in out  # needed on 1.32: being reported is right


def test_vex_check_passes_when_suppressed(repo: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    suppressed = dict(TRIVY, Results=[dict(TRIVY["Results"][0], Vulnerabilities=[
        TRIVY["Results"][0]["Vulnerabilities"][1]])])
    grype = dict(GRYPE, matches=[], ignoredMatches=GRYPE["matches"])
    rc = main(["ci", "vex-check", "--repo", str(repo), "--minor", "1.32", "--format", "json",
               "--report", str(_report(tmp_path, "t.json", suppressed)),
               "--report", str(_report(tmp_path, "g.json", grype))])
    assert rc == 0
    assert json.loads(capsys.readouterr().out)["unsuppressed"] == []


def test_vex_check_other_minor_not_patched(repo: Path, tmp_path: Path) -> None:
    # CVE-2025-13281 is only `needed` on 1.34: a finding there is expected.
    assert main(["ci", "vex-check", "--repo", str(repo), "--minor", "1.34",
                 "--report", str(_report(tmp_path, "g.json", GRYPE))]) == 0


@pytest.mark.parametrize("content", ["{not json", '{"hello": 1}', "[]"])
def test_vex_check_bad_report(repo: Path, tmp_path: Path, content: str,
                              capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "scan.json"
    bad.write_text(content)
    assert main(["ci", "vex-check", "--repo", str(repo), "--minor", "1.32",
                 "--report", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "scan.json" in err and err.count("\n") <= 2
