"""ksp gate end to end, in process: selection, series verdicts, formats, evidence, --record."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from _gatekit import add_patch, commit_all, gate_cli, git, make_patches_repo
from factories.goupstream import (
    Upstream,
    good_patch,
    good_patch_stacked,
    make_go_upstream,
    patch_that_breaks_test,
    patch_that_drifts,
)
from ksp.cli.main import main
from ksp.gate.model import GateResult
from ksp.model import AdvisoryId


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Upstream:
    return make_go_upstream(tmp_path_factory.mktemp("gate") / "demo")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_patches_repo(tmp_path / "patches")


def gate(capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream, *args: str,
         fmt: str = "json") -> tuple[int, str]:
    return gate_cli(capsys, repo, up.path, *args, fmt=fmt)


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
    assert patch["detail"].startswith(
        "applies only with offsets: pkg/auth/auth.go hunk #1 at offset +3; ")
    # the failure names the command that regenerates the patch on the series
    assert f"`ksp backport CVE-2025-1001 --upstream {up.path} --commit " in patch["detail"]
    assert "--to 1.31 --write`" in patch["detail"]
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


def test_a_changed_patch_keeps_its_place_in_the_series(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream) -> None:
    """A pull request that edits 0001 must be checked under 0002, which builds on it."""
    first = add_patch(repo, "1.30", 1, good_patch(up, "1.30"))
    add_patch(repo, "1.30", 2, good_patch_stacked(up, "1.30"))
    base = commit_all(repo, "existing series")
    first.write_text(first.read_text().replace("# Testing: pending", "# Testing: pending again"))
    rc, out = gate(capsys, repo, up, "--no-build", "--no-test", "--since", base)
    assert rc == 0, out
    [minor] = json.loads(out)["minors"]
    assert [(p["file"], p["new"], p["result"]) for p in minor["patches"]] == [
        ("v1.30/0001_CVE-2025-1001.patch", True, "applied"),
        ("v1.30/0002_CVE-2025-1002.patch", False, "applied")]


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
    from ksp.gate.model import GateRequest
    from ksp.gate.run import run_gate
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
    from ksp.gate.model import GateRequest
    from ksp.gate.run import run_gate
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
    passing_log = Path(next(s["log"] for s in minor["steps"] if s["name"] == "test"))
    passing_text = passing_log.read_text()
    good.unlink()  # the test-breaking patch is made on the branch tip alone
    bad = add_patch(repo, "1.30", 2, patch_that_breaks_test(up, "1.30"), advisory="CVE-2025-9")
    rc, out = gate(capsys, repo, up, "--patch", str(bad))
    minor = json.loads(out)["minors"][0]
    assert rc == 1
    assert [p["result"] for p in minor["patches"]] == ["applied"]
    assert {s["name"]: s["result"] for s in minor["steps"]}["test"] == "fail"
    failing_log = Path(next(s["log"] for s in minor["steps"] if s["name"] == "test"))
    assert failing_log != passing_log, "logs are kept per tested commit"
    assert passing_log.read_text() == passing_text, "the passing run's log is not overwritten"


# Issue 3, documentation run: --record, --since, warnings, output, evidence.

def test_record_without_patch_or_since_is_a_one_line_usage_error(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream) -> None:
    add_patch(repo, "1.32", 1, good_patch(up, "1.32"))
    capsys.readouterr()
    rc = main(["gate", "--repo", str(repo), "--upstream", str(up.path), "--minor", "1.32",
               "--record"])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "--patch" in err and "--since" in err
    assert not (repo / ".ksp").exists()  # refused before anything ran


def test_since_gates_untracked_patch_files_as_lint_does(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream) -> None:
    add_patch(repo, "1.30", 1, good_patch(up, "1.30"))
    base = commit_all(repo, "existing series")
    add_patch(repo, "1.30", 2, good_patch_stacked(up, "1.30"))  # not added to git
    rc, out = gate(capsys, repo, up, "--no-build", "--no-test", "--since", base)
    assert rc == 0
    [minor] = json.loads(out)["minors"]
    assert [(p["file"], p["new"]) for p in minor["patches"]] == [
        ("v1.30/0001_CVE-2025-1001.patch", False), ("v1.30/0002_CVE-2025-1002.patch", True)]


def test_since_leaves_out_what_the_base_branch_changed_after_the_fork(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream) -> None:
    first = add_patch(repo, "1.30", 1, good_patch(up, "1.30"))
    commit_all(repo, "existing series")
    git(repo, "checkout", "-q", "-b", "pr")
    add_patch(repo, "1.32", 1, good_patch(up, "1.32"))
    commit_all(repo, "the pull request")
    git(repo, "checkout", "-q", "main")
    first.write_text(first.read_text().replace("# Testing: pending", "# Testing: by hand"))
    commit_all(repo, "main moves on")
    git(repo, "checkout", "-q", "pr")
    rc, out = gate(capsys, repo, up, "--no-build", "--no-test", "--since", "main")
    assert rc == 0
    assert [m["minor"] for m in json.loads(out)["minors"]] == ["1.32"]


def test_since_with_no_changed_patch_says_nothing_to_gate(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream) -> None:
    add_patch(repo, "1.30", 1, good_patch(up, "1.30"))
    base = commit_all(repo, "existing series")
    capsys.readouterr()
    rc = main(["gate", "--repo", str(repo), "--upstream", str(up.path), "--since", base])
    out, err = capsys.readouterr()
    assert rc == 0
    assert "gate PASS" not in out and "minor(s)" not in out
    assert f"nothing to gate: no patch changed since {base}" in err
    rc, out = gate(capsys, repo, up, "--since", base)
    assert rc == 0
    assert json.loads(out) == {"result": "pass", "upstream": "https://example.com/demo/demo",
                               "minors": [],
                               "note": f"nothing to gate: no patch changed since {base}"}
    rc, out = gate(capsys, repo, up, "--since", base, fmt="markdown")
    assert rc == 0
    assert "## ksp gate: nothing to gate" in out and "pass" not in out


def test_an_expired_or_unknown_minor_named_by_minor_is_gated_with_a_warning(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream) -> None:
    import datetime as dt

    (repo / "lifecycle.yaml").write_text(
        "schema: ksp-lifecycle/v1\nproject: demo\nreleases:\n"
        "  - {minor: '1.30', eol_planned: '2020-01-15'}\n"
        "  - {minor: '1.31', eol_planned: '2999-01-15'}\n")
    config = repo / "ksp.yaml"
    config.write_text(config.read_text().replace("lifecycle: embedded",
                                                 "lifecycle: lifecycle.yaml"))
    add_patch(repo, "1.30", 1, good_patch(up, "1.30"))
    add_patch(repo, "1.31", 1, good_patch(up, "1.31"))
    capsys.readouterr()
    rc = main(["gate", "--repo", str(repo), "--upstream", str(up.path), "--no-build",
               "--no-test", "--minor", "1.30", "--minor", "1.31", "--minor", "1.33"])
    err = capsys.readouterr().err
    today = dt.date.today()
    assert rc == 0
    assert (f"ksp: warning: 1.30 is expired on {today} (extended window ended 2021-01-15); "
            "gating anyway because --minor names it") in err.splitlines()
    assert (f"ksp: warning: 1.33 is unknown on {today} (not in the lifecycle data); "
            "gating anyway because --minor names it") in err.splitlines()
    assert "1.31 is" not in err


def test_backport_uses_the_same_warning() -> None:
    import datetime as dt

    from ksp.backport.targets import select
    from ksp.lifecycle import Lifecycle
    from ksp.model import Minor, Release

    old = Minor.parse("1.28")
    lifecycle = Lifecycle("demo", {old: Release(old, None, dt.date(2024, 2, 28))})
    warned: list[str] = []
    select(lifecycle, dt.date(2026, 11, 22), [old], warned.append)
    assert warned == ["ksp: warning: 1.28 is expired on 2026-11-22 (extended window ended "
                      "2025-02-28); backporting anyway because --to names it"]


def index_state(repo: Path, advisory: str, minor: str) -> dict[str, object]:
    from ksp.repo import open_repo

    state = open_repo(repo).advisories()[AdvisoryId(advisory)].minors
    found = {str(m): s for m, s in state.items()}[minor]
    return {"status": found.status.value, "patch": found.patch, "sha256": found.sha256,
            "patched_on": found.patched_on}


def test_record_sets_the_advisory_patched_on_the_minor(repo: Path, up: Upstream) -> None:
    import datetime as dt
    import hashlib

    from ksp.gate import evidence
    from ksp.gate.model import GateRequest
    from ksp.gate.run import run_gate
    from ksp.repo import open_repo

    patch = add_patch(repo, "1.30", 1, good_patch(up, "1.30"), index=True)
    index = repo / "index.yaml"
    index.write_text(index.read_text().replace("status: patched", "status: in-progress"))
    patches = open_repo(repo)
    result = run_gate(GateRequest(patches, up.path, patches=(patch,), build=False, test=False,
                                  progress=False))
    evidence.record(patches, result, dt.date(2026, 11, 22))
    assert index_state(repo, "CVE-2025-1001", "1.30") == {
        "status": "patched", "patch": "v1.30/0001_CVE-2025-1001.patch",
        "sha256": hashlib.sha256(patch.read_bytes()).hexdigest(),
        "patched_on": dt.date(2026, 11, 22)}


def test_record_creates_no_entry_for_an_infrastructure_patch(repo: Path, up: Upstream) -> None:
    import datetime as dt

    from ksp.gate import evidence
    from ksp.gate.model import GateRequest
    from ksp.gate.run import run_gate
    from ksp.repo import open_repo

    patch = add_patch(repo, "1.30", 1, good_patch(up, "1.30"), advisory="INFRA-go-bump")
    before = (repo / "index.yaml").read_bytes()
    patches = open_repo(repo)
    result = run_gate(GateRequest(patches, up.path, patches=(patch,), build=False, test=False,
                                  progress=False))
    assert evidence.record(patches, result, dt.date(2026, 11, 22)) == [patch]
    assert "ksp gate pass on" in patch.read_text()
    assert (repo / "index.yaml").read_bytes() == before


def test_a_failing_run_records_nothing(capsys: pytest.CaptureFixture[str], repo: Path,
                                       up: Upstream) -> None:
    new = add_patch(repo, "1.31", 1, bad_context(up, "1.31"), index=True)
    before = (new.read_bytes(), (repo / "index.yaml").read_bytes())
    rc, _ = gate(capsys, repo, up, "--no-test", "--patch", str(new), "--record")
    assert rc == 1
    assert (new.read_bytes(), (repo / "index.yaml").read_bytes()) == before
    # The latest run's record and its in-toto form; no record kept under a sha256 name.
    assert sorted(p.name for p in (repo / ".ksp" / "evidence" / "1.31").glob("*.json")) == \
        ["attestation.intoto.json", "evidence.json"]


def test_progress_says_one_patch(capsys: pytest.CaptureFixture[str], repo: Path,
                                 up: Upstream) -> None:
    add_patch(repo, "1.30", 1, good_patch(up, "1.30"))
    capsys.readouterr()
    main(["gate", "--repo", str(repo), "--upstream", str(up.path), "--no-build", "--no-test"])
    err = capsys.readouterr().err
    assert "1.30: applying 1 patch on " in err and "patches" not in err


def synthetic_result(repo: Path) -> GateResult:
    """A gate result as steps.py makes it when the tree's Go is missing (no Go run needed)."""
    from ksp.gate.model import MinorResult
    from ksp.gate.select import MinorPlan
    from ksp.gate.types import StepName, StepOutcome, StepResult
    from ksp.model import Minor

    note = "warning: tree wants go1.24.13, not found; using go1.27.3 from PATH"
    logs = repo / ".ksp" / "evidence" / "1.30" / "logs"
    steps = tuple(StepResult(name, StepOutcome.PASS, f"/opt/go/bin/go {name.value} ./cmd/x",
                             str(logs / f"{name.value}.log"), 0, 1.0, "go1.27.3", (), note,
                             (note,))
                  for name in (StepName.BUILD, StepName.TEST))
    minor = MinorResult(Minor.parse("1.30"), "release-1.30", "a" * 40,
                        MinorPlan(Minor.parse("1.30"), ()), steps=steps)
    return GateResult("https://example.com/demo/demo", [minor], repo_root=repo)


def test_reports_show_the_toolchain_warning_short_commands_and_repo_relative_logs(
        tmp_path: Path) -> None:
    from ksp.report import gate_json, gate_markdown, gate_text

    result = synthetic_result(tmp_path)
    text = gate_text.plain(result)
    assert text.count("warning: tree wants go1.24.13, not found; using go1.27.3 from PATH") == 1
    assert "  pass            build [go1.27.3]  go build ./cmd/x  log: " \
           ".ksp/evidence/1.30/logs/build.log" in text
    assert "/opt/go" not in text and str(tmp_path) not in text
    rich = gate_text.text(result, color=True)
    assert "tree wants go1.24.13" in rich and "/opt/go" not in rich
    md = gate_markdown.markdown(result)
    assert "### 1.30: ❌ fail on `aaaaaaaaaaaa` (release-1.30)\n\n> ⚠️ tree wants go1.24.13, " \
           "not found; using go1.27.3 from PATH\n" in md
    assert "| `go build ./cmd/x` | `.ksp/evidence/1.30/logs/build.log` |" in md
    steps = json.loads(gate_json.render(result))["minors"][0]["steps"]
    assert steps[0]["command"] == "/opt/go/bin/go build ./cmd/x"  # JSON keeps it all
    assert steps[0]["log"] == str(tmp_path / ".ksp/evidence/1.30/logs/build.log")


@pytest.mark.go
def test_the_toolchain_fallback_warning_reaches_stderr_once_per_minor(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    go = shutil.which("go")
    assert go is not None
    monkeypatch.setenv("PATH", f"{Path(go).parent}:/usr/bin:/bin")  # only the PATH's go
    monkeypatch.delenv("KSP_GO_TOOLCHAINS", raising=False)
    patch = add_patch(repo, "1.30", 1, good_patch(up, "1.30"))
    capsys.readouterr()
    rc = main(["gate", "--repo", str(repo), "--upstream", str(up.path), "--format", "text",
               "--no-test", "--patch", str(patch)])
    out, err = capsys.readouterr()
    wanted = up.go_version("1.30")
    line = f"ksp: warning: 1.30: tree wants go{wanted}, not found; using go"
    assert rc == 0, out
    assert sum(1 for e in err.splitlines() if e.startswith(line)) == 1
    assert f"  warning: tree wants go{wanted}, not found" in out
    assert re.search(r"  go build \./cmd/demo-server  log: \.ksp/evidence/1\.30/logs/"
                     r"[0-9a-f]{12}/build\.log", out), out


def test_a_later_run_does_not_break_the_evidence_a_testing_line_names(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream) -> None:
    import datetime as dt
    import hashlib

    from ksp.gate import evidence
    from ksp.gate.model import GateRequest
    from ksp.gate.run import run_gate
    from ksp.repo import open_repo

    patch = add_patch(repo, "1.30", 1, good_patch(up, "1.30"), index=True)
    patches = open_repo(repo)
    result = run_gate(GateRequest(patches, up.path, patches=(patch,), build=False, test=False,
                                  progress=False))
    evidence.record(patches, result, dt.date(2026, 11, 22))
    cited = result.minors[0].evidence_sha256
    kept = repo / ".ksp" / "evidence" / "1.30" / f"{cited}.json"
    assert kept.is_file() and hashlib.sha256(kept.read_bytes()).hexdigest() == cited
    extra = add_patch(repo, "1.30", 2, bad_context(up, "1.30"))
    rc, _ = gate(capsys, repo, up, "--no-build", "--no-test", "--patch", str(extra))
    assert rc == 1  # the latest record is now a failing run with another patch
    capsys.readouterr()
    main(["lint", "--repo", str(repo), "--pre-review", "--format", "json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [f for f in findings if f["code"] == "KSP190"] == []
