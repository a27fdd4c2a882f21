"""ksp triage: decisions recorded with their history, kept by later imports, carried into VEX and
the site; bad input refused with one line and nothing written."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ksp.cli.main import main

DATA = Path(__file__).parent / "data" / "advisories"
FEED = DATA / "feed" / "official-cve-feed-2023-07-01.json"
OSV = DATA / "osv"
WHY = "a design issue with no upstream fix; restrict externalIPs"


def index(repo: Path) -> dict[str, Any]:
    advisories: dict[str, Any] = YAML(typ="safe").load(
        (repo / "index.yaml").read_text())["advisories"] or {}
    return advisories


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture
def imported(repo: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    rc, _, _ = run(capsys, "advisories", "import", "--repo", str(repo), "--feed", str(FEED),
                   "--osv", str(OSV), "--date", "2026-11-22")
    assert rc == 0
    return repo


def triage(capsys: pytest.CaptureFixture[str], repo: Path, *argv: str,
           date: str = "2026-11-22") -> tuple[int, str, str]:
    return run(capsys, "triage", "--repo", str(repo), "--date", date, *argv)


def test_wont_fix_on_every_minor_with_history(imported: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = triage(capsys, imported, "CVE-2020-8554", "--all-minors", "--status",
                        "wont-fix", "--note", WHY, "--by", "@alice")
    assert rc == 0
    assert "1.34: needs-triage → wont-fix" in out and "index.yaml updated" in out
    entry = index(imported)["CVE-2020-8554"]
    assert {m: s for m, s in entry["minors"].items()} == {
        m: {"status": "wont-fix", "reason": WHY} for m in ("1.34", "1.33", "1.32")}
    assert [(h["minor"], h["from"], h["to"], h["by"], str(h["date"]), h["why"])
            for h in entry["history"]] == [
        (m, "needs-triage", "wont-fix", "@alice", "2026-11-22", WHY)
        for m in ("1.34", "1.33", "1.32")]
    assert run(capsys, "lint", "--repo", str(imported))[0] == 0

    # The open gaps are gone; a later import neither overwrites nor adds to the history.
    rc, out, _ = run(capsys, "status", "--repo", str(imported), "--date", "2026-11-22",
                     "--format", "json")
    assert {m["minor"]: m["gaps"] for m in json.loads(out)["minors"]
            if m["window"] == "extended"} == {"1.34": 0, "1.33": 0, "1.32": 0}
    before = (imported / "index.yaml").read_bytes()
    assert run(capsys, "advisories", "import", "--repo", str(imported), "--feed", str(FEED),
               "--osv", str(OSV), "--date", "2026-11-23")[0] == 0
    assert (imported / "index.yaml").read_bytes() == before

    # The same decision again changes nothing.
    rc, out, _ = triage(capsys, imported, "CVE-2020-8554", "--minor", "1.33", "--status",
                        "wont-fix", "--note", WHY, "--by", "@alice")
    assert rc == 0 and "nothing to change" in out
    assert (imported / "index.yaml").read_bytes() == before


def test_history_text_and_json(imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert triage(capsys, imported, "CVE-2020-8554", "--minor", "1.32", "--status", "needed",
                  "--note", "affected: externalIPs reachable", "--by", "@bob")[0] == 0
    assert triage(capsys, imported, "CVE-2020-8554", "--minor", "1.32", "--status", "wont-fix",
                  "--note", WHY, "--by", "@alice", date="2026-11-30")[0] == 0
    rc, out, _ = run(capsys, "triage", "--repo", str(imported), "CVE-2020-8554", "--history")
    assert rc == 0
    assert "needs-triage → needed" in out and "needed → wont-fix" in out and "@bob" in out
    rc, out, _ = run(capsys, "triage", "--repo", str(imported), "CVE-2020-8554", "--history",
                     "--format", "json")
    data = json.loads(out)
    assert [(h["date"], h["by"], h["minor"], h["from"], h["to"]) for h in data["history"]] == [
        ("2026-11-22", "@bob", "1.32", "needs-triage", "needed"),
        ("2026-11-30", "@alice", "1.32", "needed", "wont-fix")]
    rc, out, _ = run(capsys, "triage", "--repo", str(imported), "CVE-2019-11253", "--history")
    assert rc == 0 and "no decision recorded yet" in out


def test_a_person_state_disagreeing_with_import_is_reported(
        imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert triage(capsys, imported, "CVE-2024-3177", "--minor", "1.32", "--status", "needed",
                  "--note", "backport checked by hand", "--by", "@bob")[0] == 0
    rc, out, _ = run(capsys, "advisories", "import", "--repo", str(imported), "--osv", str(OSV),
                     "--date", "2026-11-22", "--format", "json")
    assert rc == 0
    report = json.loads(out)
    assert [(d["advisory"], d["minor"], d["recorded"], d["derived"])
            for d in report["disagreements"]] == [
        ("CVE-2024-3177", "1.32", "needed", "not-affected")]
    assert index(imported)["CVE-2024-3177"]["minors"]["1.32"]["status"] == "needed"


def test_not_affected_goes_into_vex(imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    note = "the externalIPs admission plugin is enabled in every build of this line"
    assert triage(capsys, imported, "CVE-2020-8554", "--minor", "1.33", "--status",
                  "not-affected", "--justification", "inline_mitigations_already_exist",
                  "--note", note, "--by", "@carol")[0] == 0
    rc, out, _ = run(capsys, "vex", "--repo", str(imported), "--minor", "1.33", "--broad",
                     "--date", "2026-11-22")
    assert rc == 0
    doc = json.loads(out)
    statement = next(s for s in doc["statements"]
                     if s["vulnerability"]["name"] == "CVE-2020-8554")
    assert statement["status"] == "not_affected"
    assert statement["justification"] == "inline_mitigations_already_exist"
    assert statement["impact_statement"] == note
    assert statement["status_notes"].startswith(
        f"Triaged not-affected by @carol on 2026-11-22: {note}.")
    names = {s["vulnerability"]["name"] for s in doc["statements"]}
    assert "CVE-2024-7646" not in names  # ingress-nginx's advisory says nothing of this build


def test_kind_override_is_kept_by_import(imported: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = triage(capsys, imported, "CVE-2024-7646", "--kind", "project", "--note",
                        "our distribution ships ingress-nginx", "--by", "@dora")
    assert rc == 0 and "kind: other-project → project" in out
    assert triage(capsys, imported, "CVE-2024-7646", "--minor", "1.32", "--status", "needed",
                  "--note", "shipped", "--by", "@dora")[0] == 0
    rc, out, _ = run(capsys, "advisories", "import", "--repo", str(imported), "--feed",
                     str(FEED), "--osv", str(OSV), "--date", "2026-11-22", "--format", "json")
    report = json.loads(out)
    entry = index(imported)["CVE-2024-7646"]
    assert entry["kind"] == "project" and "source" not in entry and "project" not in entry
    assert entry["minors"]["1.32"]["status"] == "needed"
    assert report["kept_kinds"][0]["derived"] == "other-project"
    rc, out, _ = run(capsys, "coverage", "--repo", str(imported), "--date", "2026-11-22",
                     "--format", "json")
    rows = {r["advisory"] for r in json.loads(out)["rows"]}
    assert "CVE-2024-7646" in rows


def test_by_defaults_to_the_github_user(imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subprocess.run(["git", "config", "--global", "user.name", "Dee Mo"], check=True)
    rc, _, _ = triage(capsys, imported, "CVE-2020-8554", "--minor", "1.34", "--status", "needed")
    assert rc == 0
    subprocess.run(["git", "config", "--global", "github.user", "octo"], check=True)
    rc, _, _ = triage(capsys, imported, "CVE-2020-8554", "--minor", "1.33", "--status", "needed")
    assert rc == 0
    assert [h["by"] for h in index(imported)["CVE-2020-8554"]["history"]] == ["Dee Mo", "@octo"]
    assert run(capsys, "lint", "--repo", str(imported))[0] == 0


def test_site_shows_decisions_and_other_projects(imported: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert triage(capsys, imported, "CVE-2020-8554", "--all-minors", "--status", "wont-fix",
                  "--note", WHY, "--by", "@alice")[0] == 0
    out = tmp_path / "site"
    assert run(capsys, "site", "build", "--repo", str(imported), "--out", str(out), "--date",
               "2026-11-22")[0] == 0
    home = (out / "index.html").read_text()
    assert "45 advisories of Kubernetes itself" in home and "0 open gaps" in home
    assert "Advisories for other Kubernetes-org projects and for dependencies" in home
    assert "sigs.k8s.io/azurefile-csi-driver" in home and "github.com/gogo/protobuf" in home
    page = (out / "advisories" / "CVE-2020-8554.html").read_text()
    assert "Decisions" in page and "@alice" in page and "needs-triage → wont-fix" in page


BAD = [
    (["CVE-2099-9999", "--minor", "1.32", "--status", "needed"], "not in index.yaml"),
    (["CVE-2020-8554", "--minor", "1.99", "--status", "needed"], "minor 1.99 is unknown"),
    (["CVE-2020-8554", "--minor", "one", "--status", "needed"], "not a minor version"),
    (["CVE-2020-8554", "--minor", "1.32", "--status", "not-affected", "--justification",
      "not_vulnerable"], "--justification 'not_vulnerable' is not one of"),
    (["CVE-2020-8554", "--minor", "1.32", "--status", "not-affected"], "needs --justification"),
    (["CVE-2020-8554", "--minor", "1.32", "--status", "wont-fix"], "needs a reason"),
    (["CVE-2020-8554", "--minor", "1.32", "--status", "wont-fix", "--note", "one\ntwo"],
     "--note must be one non-empty line"),
    (["CVE-2020-8554", "--minor", "1.32", "--status", "fixed"], "--status 'fixed' is not one of"),
    (["CVE-2020-8554", "--minor", "1.32", "--status", "patched"], "--status 'patched'"),
    (["CVE-2020-8554", "--status", "needed"], "name the minors"),
    (["CVE-2020-8554", "--minor", "1.32", "--status", "needed", "--justification",
      "component_not_present"], "goes with --status not-affected only"),
    (["CVE-2020-8554", "--kind", "other-project"], "needs --project"),
    (["CVE-2020-8554", "--kind", "someone-else", "--project", "x"], "--kind 'someone-else'"),
    (["CVE-2020-8554", "--minor", "1.32", "--status", "needed", "--by", "@two\nlines"],
     "on one line"),
    (["CVE-2020-8554"], "nothing to record"),
    (["CVE-2020-8554", "--history", "--status", "needed"], "takes no decision options"),
]


@pytest.mark.parametrize(("argv", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_input_is_one_line_exit_1_nothing_written(
        imported: Path, argv: list[str], message: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    before = (imported / "index.yaml").read_bytes()
    rc, out, err = triage(capsys, imported, *argv, *(["--by", "@alice"]
                                                     if "--by" not in argv else []))
    assert rc == 1
    assert out == ""
    assert len(err.splitlines()) == 1 and message in err, err
    assert (imported / "index.yaml").read_bytes() == before


def test_a_patched_minor_is_not_retriaged(imported: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    text = (imported / "index.yaml").read_text()
    entry = index(imported)["CVE-2020-8554"]
    assert entry["minors"]["1.32"]["status"] == "needs-triage"
    text = text.replace(
        "'1.32': {status: needs-triage, reason: feed official-cve-feed-2023-07-01.json lists "
        "no affected versions, source: import}",
        "'1.32': {status: in-progress, link: 'https://example.com/pr/1'}", 1)
    (imported / "index.yaml").write_text(text)
    assert index(imported)["CVE-2020-8554"]["minors"]["1.32"]["status"] == "in-progress"
    before = (imported / "index.yaml").read_bytes()
    rc, _, err = triage(capsys, imported, "CVE-2020-8554", "--minor", "1.32", "--status",
                        "wont-fix", "--note", WHY, "--by", "@alice")
    assert rc == 1 and "in-progress on 1.32" in err
    assert (imported / "index.yaml").read_bytes() == before
    rc, out, _ = triage(capsys, imported, "CVE-2020-8554", "--all-minors", "--status",
                        "wont-fix", "--note", WHY, "--by", "@alice")
    assert rc == 0 and "skipped 1.32: in-progress" in out
    assert index(imported)["CVE-2020-8554"]["minors"]["1.32"]["status"] == "in-progress"


def test_lint_flags_a_status_edited_past_its_history(imported: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert triage(capsys, imported, "CVE-2020-8554", "--minor", "1.32", "--status", "wont-fix",
                  "--note", WHY, "--by", "@alice")[0] == 0
    text = (imported / "index.yaml").read_text()
    (imported / "index.yaml").write_text(text.replace(
        f"'1.32': {{status: wont-fix, reason: {WHY}}}",
        "'1.32': {status: needed}", 1))
    rc, out, _ = run(capsys, "lint", "--repo", str(imported), "--format", "json")
    assert rc == 0  # a warning
    findings = json.loads(out)["findings"]
    assert [f["code"] for f in findings] == ["KSP309"]
