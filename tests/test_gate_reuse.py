"""Warm reuse (issue 16): an unchanged series, base, toolchain and configuration reuses the
passing record; anything that differs, a failing record or --no-reuse runs the steps again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from _gatekit import add_patch, gate_cli, make_patches_repo
from factories.goupstream import (
    Upstream,
    good_patch,
    good_patch_stacked,
    make_go_upstream,
    patch_that_breaks_test,
)


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Upstream:
    return make_go_upstream(tmp_path_factory.mktemp("reuse") / "demo")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_patches_repo(tmp_path / "patches")


def gate(capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream, *args: str,
         fmt: str = "json") -> tuple[int, str]:
    return gate_cli(capsys, repo, up.path, "--minor", "1.30", *args, fmt=fmt)


def record(repo: Path) -> dict[str, object]:
    data = json.loads((repo / ".ksp/evidence/1.30/evidence.json").read_text())
    assert isinstance(data, dict)
    return data


def test_run_rerun_reused_then_a_changed_patch_or_no_reuse_runs_again(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream) -> None:
    add_patch(repo, "1.30", 1, good_patch(up, "1.30"))
    rc, out = gate(capsys, repo, up)
    first = json.loads(out)["minors"][0]
    assert rc == 0 and first["reused"] is None, first["steps"]
    written = record(repo)
    assert written["reuse_key"] and written["result"] == "pass"
    rc, out = gate(capsys, repo, up)
    again = json.loads(out)["minors"][0]
    assert rc == 0 and again["reused"] == written["date"]
    assert again["steps"] == first["steps"] and again["evidence_sha256"] == \
        first["evidence_sha256"], "the record is reused as it is, not rewritten"
    rc, text = gate(capsys, repo, up, fmt="text")
    assert rc == 0 and f"reused evidence of {written['date']}" in text
    rc, md = gate(capsys, repo, up, fmt="markdown")
    assert f"Reused evidence of {written['date']}" in md
    rc, out = gate(capsys, repo, up, "--no-reuse")
    forced = json.loads(out)["minors"][0]
    assert rc == 0 and forced["reused"] is None
    assert forced["evidence_sha256"] != first["evidence_sha256"], "a new record was written"
    add_patch(repo, "1.30", 2, good_patch_stacked(up, "1.30"))
    rc, out = gate(capsys, repo, up)
    changed = json.loads(out)["minors"][0]
    assert rc == 0 and changed["reused"] is None
    assert record(repo)["reuse_key"] != written["reuse_key"]


def test_other_steps_or_configuration_are_not_reused(capsys: pytest.CaptureFixture[str],
                                                     repo: Path, up: Upstream) -> None:
    add_patch(repo, "1.30", 1, good_patch(up, "1.30"))
    assert gate(capsys, repo, up, "--no-test")[0] == 0
    rc, out = gate(capsys, repo, up)  # now with tests: another key
    assert rc == 0 and json.loads(out)["minors"][0]["reused"] is None
    config = repo / "ksp.yaml"
    config.write_text(config.read_text() + "timeout: 1234\n")
    rc, out = gate(capsys, repo, up)
    assert rc == 0 and json.loads(out)["minors"][0]["reused"] is None
    rc, out = gate(capsys, repo, up)
    assert rc == 0 and json.loads(out)["minors"][0]["reused"] is not None


def test_a_failing_record_is_never_reused_even_when_it_claims_a_pass(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream) -> None:
    add_patch(repo, "1.30", 1, patch_that_breaks_test(up, "1.30"), advisory="CVE-2025-9")
    rc, _ = gate(capsys, repo, up)
    assert rc == 1 and record(repo)["result"] == "fail"
    rc, out = gate(capsys, repo, up)
    assert rc == 1 and json.loads(out)["minors"][0]["reused"] is None
    path = repo / ".ksp/evidence/1.30/evidence.json"
    forged = record(repo)
    forged["result"] = "pass"  # its steps still say a test failed
    path.write_text(json.dumps(forged))
    rc, out = gate(capsys, repo, up)
    minor = json.loads(out)["minors"][0]
    assert rc == 1 and minor["reused"] is None
    assert {s["name"]: s["result"] for s in minor["steps"]}["test"] == "fail"


def test_a_changed_toolchain_is_not_reused(capsys: pytest.CaptureFixture[str], repo: Path,
                                           up: Upstream, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    add_patch(repo, "1.30", 1, good_patch(up, "1.30"))
    assert gate(capsys, repo, up, "--no-test")[0] == 0
    go = shutil.which("go")
    assert go is not None
    extra = tmp_path / "bin"
    extra.mkdir()
    (extra / "go").symlink_to(Path(go).resolve())  # one more Go on PATH: the choice may change
    monkeypatch.setenv("PATH", f"{extra}:{Path(go).parent}:/usr/bin:/bin")
    rc, out = gate(capsys, repo, up, "--no-test")
    assert rc == 0 and json.loads(out)["minors"][0]["reused"] is None


@pytest.mark.parametrize("corrupt", ["exit-code-text", "other-schema", "not-json"])
def test_a_record_the_reader_refuses_is_not_reused_and_is_replaced(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream, corrupt: str) -> None:
    add_patch(repo, "1.30", 1, good_patch(up, "1.30"))
    assert gate(capsys, repo, up, "--no-test")[0] == 0
    path = repo / ".ksp/evidence/1.30/evidence.json"
    data = record(repo)
    if corrupt == "exit-code-text":
        data["steps"][0]["exit_code"] = "0"  # type: ignore[index]
    elif corrupt == "other-schema":
        data["schema"] = "ksp-evidence/v2"
    path.write_text("{" if corrupt == "not-json" else json.dumps(data))
    rc, out = gate(capsys, repo, up, "--no-test")
    assert rc == 0 and json.loads(out)["minors"][0]["reused"] is None
    assert record(repo)["schema"] == "ksp-evidence/v1"  # a readable record again
    rc, out = gate(capsys, repo, up, "--no-test")
    assert rc == 0 and json.loads(out)["minors"][0]["reused"] is not None  # the new one stands
