"""ksp gate end to end, in process: selection, series verdicts, formats, evidence, --record."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from _gatekit import add_patch, commit_all, git, make_patches_repo
from factories.goupstream import (
    Upstream,
    good_patch,
    good_patch_stacked,
    make_go_upstream,
    patch_that_breaks_test,
    patch_that_drifts,
)
from ksp.cli.main import main


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Upstream:
    return make_go_upstream(tmp_path_factory.mktemp("gate") / "demo")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_patches_repo(tmp_path / "patches")


def gate(capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream, *args: str,
         fmt: str = "json") -> tuple[int, str]:
    capsys.readouterr()
    rc = main(["gate", "--repo", str(repo), "--upstream", str(up.path), "--format", fmt, *args])
    return rc, capsys.readouterr().out


def bad_context(up: Upstream, minor: str) -> str:
    """The good fix with one context line the branch does not have."""
    text = good_patch(up, minor)
    old = ' \tif r.User == "admin" {\n'
    assert old in text
    return text.replace(old, ' \tif r.User == "root" {\n', 1)


def test_a_good_series_passes_in_every_format(capsys: pytest.CaptureFixture[str], repo: Path,
                                              up: Upstream) -> None:
    add_patch(repo, "1.30", 1, good_patch(up, "1.30"))
    add_patch(repo, "1.30", 2, good_patch_stacked(up, "1.30"))
    rc, out = gate(capsys, repo, up, "--no-build", "--no-test")
    assert rc == 0
    data = json.loads(out)
    assert data["result"] == "pass"
    [minor] = data["minors"]
    assert minor["minor"] == "1.30" and minor["base"] == up.rev("release-1.30")
    assert [(p["file"], p["result"]) for p in minor["patches"]] == [
        ("v1.30/0001_CVE-2025-1001.patch", "applied"), ("v1.30/0002_CVE-2025-1002.patch",
                                                        "applied")]
    assert {s["name"]: s["result"] for s in minor["steps"]} == {
        "build": "skipped", "test": "skipped", "typecheck": "skipped"}
    rc, text = gate(capsys, repo, up, "--no-build", "--no-test", fmt="text")
    assert rc == 0 and "gate PASS: 1 minor(s)" in text
    rc, md = gate(capsys, repo, up, "--no-build", "--no-test", fmt="markdown")
    assert md.startswith("<!-- ksp-gate -->\n## ksp gate: ✅ pass")
    assert "| 2 | `v1.30/0002_CVE-2025-1002.patch` | ✅ applied |" in md
    rc, xml = gate(capsys, repo, up, "--no-build", "--no-test", fmt="junit")
    suite = ET.fromstring(xml).find("testsuite")
    assert suite is not None and suite.get("name") == "ksp-gate.1.30"
    assert suite.get("failures") == "0" and suite.get("tests") == "5"


def test_a_new_patch_that_does_not_apply_fails_naming_patch_file_and_hunk(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream, tmp_path: Path) -> None:
    add_patch(repo, "1.31", 1, good_patch(up, "1.31"))
    new = add_patch(repo, "1.31", 2, bad_context(up, "1.31"))
    rc, out = gate(capsys, repo, up, "--no-build", "--no-test", "--patch", str(new))
    assert rc == 1
    minor = json.loads(out)["minors"][0]
    assert minor["result"] == "fail"
    first, second = minor["patches"]
    assert first["result"] == "applied" and not first["new"]
    assert second["file"] == "v1.31/0002_CVE-2025-1002.patch" and second["new"]
    assert second["result"] == "failed"
    assert second["detail"].startswith("pkg/auth/auth.go: hunk(s) #1 do not apply")
    assert second["failed_hunks"][0]["path"] == "pkg/auth/auth.go"
    rc, xml = gate(capsys, repo, up, "--no-build", "--no-test", "--patch", str(new),
                   fmt="junit")
    failures = ET.fromstring(xml).findall(".//failure")
    assert [f.get("type") for f in failures] == ["failed"]
    rc, md = gate(capsys, repo, up, "--no-build", "--no-test", "--patch", str(new),
                  fmt="markdown")
    assert "❌ failed | pkg/auth/auth.go: hunk(s) #1 do not apply" in md


def test_drift_fails_unless_allowed(capsys: pytest.CaptureFixture[str], repo: Path,
                                    up: Upstream) -> None:
    add_patch(repo, "1.31", 1, patch_that_drifts(up, "1.31"))
    rc, out = gate(capsys, repo, up, "--no-build", "--no-test")
    patch = json.loads(out)["minors"][0]["patches"][0]
    assert rc == 1 and patch["result"] == "drift"
    assert patch["detail"] == "applies only with offsets: pkg/auth/auth.go hunk #1 at offset +3"
    rc, _ = gate(capsys, repo, up, "--no-build", "--no-test", "--allow-drift")
    assert rc == 0


def test_since_finds_the_minors_and_new_patches_of_a_change(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream) -> None:
    add_patch(repo, "1.30", 1, good_patch(up, "1.30"))
    add_patch(repo, "1.32", 1, good_patch(up, "1.32"))
    base = commit_all(repo, "existing series")
    git(repo, "checkout", "-q", "-b", "pr")
    add_patch(repo, "1.30", 2, good_patch_stacked(up, "1.30"))
    commit_all(repo, "new patch for 1.30")
    status_before = git(repo, "status", "--porcelain=v2")
    rc, out = gate(capsys, repo, up, "--no-build", "--no-test", "--since", base)
    assert rc == 0
    [minor] = json.loads(out)["minors"]
    assert minor["minor"] == "1.30"
    assert [(p["file"], p["new"]) for p in minor["patches"]] == [
        ("v1.30/0001_CVE-2025-1001.patch", False), ("v1.30/0002_CVE-2025-1002.patch", True)]
    assert git(repo, "status", "--porcelain=v2") == status_before  # .ksp/ is ignored


def test_base_tag_uses_the_final_release_tag(capsys: pytest.CaptureFixture[str], repo: Path,
                                             up: Upstream) -> None:
    add_patch(repo, "1.30", 1, good_patch(up, "1.30"))
    _, out = gate(capsys, repo, up, "--no-build", "--no-test", "--base", "tag")
    minor = json.loads(out)["minors"][0]
    assert minor["base_ref"] == "v1.30.1" and minor["base"] == up.rev("v1.30.1")


def test_a_missing_branch_fails_that_minor_only(capsys: pytest.CaptureFixture[str], repo: Path,
                                                up: Upstream) -> None:
    add_patch(repo, "1.30", 1, good_patch(up, "1.30"))
    add_patch(repo, "1.29", 1, good_patch(up, "1.30"))
    rc, out = gate(capsys, repo, up, "--no-build", "--no-test", "--jobs", "2")
    results = {m["minor"]: (m["result"], m["error"]) for m in json.loads(out)["minors"]}
    assert rc == 1
    assert results["1.30"] == ("pass", None)
    assert results["1.29"][0] == "fail" and "'release-1.29' not found" in results["1.29"][1]


def test_evidence_record_names_patches_and_base(capsys: pytest.CaptureFixture[str], repo: Path,
                                                up: Upstream, tmp_path: Path) -> None:
    patch = add_patch(repo, "1.30", 1, good_patch(up, "1.30"))
    _, out = gate(capsys, repo, up, "--no-build", "--no-test", "--evidence-dir",
                   str(tmp_path / "ev"))
    minor = json.loads(out)["minors"][0]
    record_path = tmp_path / "ev" / "1.30" / "evidence.json"
    assert minor["evidence"] == str(record_path)
    record = json.loads(record_path.read_text())
    assert record["upstream"]["base"] == up.rev("release-1.30")
    assert record["upstream"]["url"] == "https://example.com/demo/demo"
    import hashlib
    assert record["patches"][0]["sha256"] == hashlib.sha256(patch.read_bytes()).hexdigest()
    assert minor["evidence_sha256"] == hashlib.sha256(record_path.read_bytes()).hexdigest()
    assert record["result"] == "pass" and record["ksp"]


def test_record_rewrites_only_the_testing_line_and_the_index_sha(
        repo: Path, up: Upstream) -> None:
    import datetime as dt
    import hashlib

    from ksp.gate import evidence
    from ksp.gate.run import GateRequest, run_gate
    from ksp.repo import open_repo

    patch = add_patch(repo, "1.30", 1, good_patch(up, "1.30"), index=True)
    before = patch.read_text()
    patches = open_repo(repo)
    result = run_gate(GateRequest(patches, up.path, patches=(patch,), build=False, test=False,
                                  progress=False))
    written = evidence.record(patches, result, dt.date(2026, 11, 22))
    assert written == [patch]
    after = patch.read_text()
    base = up.rev("release-1.30")[:12]
    line = (f"# Testing: ksp gate pass on {base} (release-1.30), 2026-11-22, evidence "
            f"sha256:{result.minors[0].evidence_sha256}")
    assert after == before.replace("# Testing: pending", line)
    digest = hashlib.sha256(after.encode()).hexdigest()
    assert f'sha256: "{digest}"' in (repo / "index.yaml").read_text() or \
        f"sha256: {digest}" in (repo / "index.yaml").read_text()


def test_lint_checks_the_testing_line_against_the_evidence_record(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream) -> None:
    import datetime as dt

    from ksp.gate import evidence
    from ksp.gate.run import GateRequest, run_gate
    from ksp.repo import open_repo

    patch = add_patch(repo, "1.30", 1, good_patch(up, "1.30"), index=True)
    patches = open_repo(repo)
    result = run_gate(GateRequest(patches, up.path, patches=(patch,), build=False, test=False,
                                  progress=False))
    evidence.record(patches, result, dt.date(2026, 11, 22))

    def evidence_findings() -> list[dict[str, object]]:
        capsys.readouterr()
        main(["lint", "--repo", str(repo), "--pre-review", "--format", "json"])
        findings = json.loads(capsys.readouterr().out)["findings"]
        return [f for f in findings if f["code"] == "KSP190"]

    assert evidence_findings() == []
    text = patch.read_text()
    added = next(line for line in text.splitlines() if line.startswith("+") and
                 not line.startswith("+++"))
    patch.write_text(text.replace(added, added + " // changed after the gate", 1))
    (finding,) = evidence_findings()
    assert finding["severity"] == "error" and "diff changed" in str(finding["message"])


def test_record_needs_a_run_that_builds_or_tests(capsys: pytest.CaptureFixture[str],
                                                 repo: Path, up: Upstream) -> None:
    add_patch(repo, "1.30", 1, good_patch(up, "1.30"))
    rc = main(["gate", "--repo", str(repo), "--upstream", str(up.path), "--no-build",
               "--no-test", "--record"])
    assert rc == 2
    assert "--record needs a run that builds or tests" in capsys.readouterr().err
    assert not (repo / ".ksp").exists()  # refused before anything ran


def test_an_upstream_that_is_not_a_clone_is_a_one_line_error(
        capsys: pytest.CaptureFixture[str], repo: Path, tmp_path: Path) -> None:
    add_patch(repo, "1.30", 1, "diff --git a/x b/x\n")
    capsys.readouterr()
    rc = main(["gate", "--repo", str(repo), "--upstream", str(tmp_path), "--no-build",
               "--no-test"])
    assert rc == 1
    assert f"ksp: error: {tmp_path} is not a git repository" in capsys.readouterr().err


@pytest.mark.go
def test_build_and_test_catch_a_patch_that_breaks_a_test(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream) -> None:
    good = add_patch(repo, "1.30", 1, good_patch(up, "1.30"))
    rc, out = gate(capsys, repo, up, "--patch", str(good))
    minor = json.loads(out)["minors"][0]
    assert rc == 0, minor["steps"]
    assert {s["name"]: s["result"] for s in minor["steps"]}["test"] == "pass"
    good.unlink()  # the test-breaking patch is made on the branch tip alone
    bad = add_patch(repo, "1.30", 2, patch_that_breaks_test(up, "1.30"), advisory="CVE-2025-9")
    rc, out = gate(capsys, repo, up, "--patch", str(bad))
    minor = json.loads(out)["minors"][0]
    assert rc == 1
    assert [p["result"] for p in minor["patches"]] == ["applied"]
    assert {s["name"]: s["result"] for s in minor["steps"]}["test"] == "fail"
