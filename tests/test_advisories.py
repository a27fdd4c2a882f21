"""ksp advisories import: the real feed snapshot and 48 real OSV records into a fresh repo."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ksp.cli.main import main

DATA = Path(__file__).parent / "data" / "advisories"
FEED = DATA / "feed" / "official-cve-feed-2023-07-01.json"
OSV = DATA / "osv"


def index(repo: Path) -> dict[str, Any]:
    advisories: dict[str, Any] = YAML(typ="safe").load(
        (repo / "index.yaml").read_text())["advisories"] or {}
    return advisories


def run_import(repo: Path, capsys: pytest.CaptureFixture[str], *extra: str,
               date: str = "2026-11-22") -> tuple[int, dict[str, Any]]:
    rc = main(["advisories", "import", "--repo", str(repo), "--date", date, "--format", "json",
               *extra])
    out = capsys.readouterr().out
    return rc, json.loads(out) if out.strip() else {}


def test_real_feed_and_osv_into_fresh_repo(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, report = run_import(repo, capsys, "--feed", str(FEED), "--osv", str(OSV))
    assert rc == 0
    assert report["minors"] == ["1.34", "1.33", "1.32"]
    entries = index(repo)
    # 48 OSV records plus CVE-2020-8554 and CVE-2021-3121 that only the feed has.
    assert len(entries) == 50 and len(report["added"]) == 50
    others = {"CVE-2021-3121", "CVE-2023-2878", "CVE-2023-3893", "CVE-2024-3744", "CVE-2024-7646"}
    for ident, entry in entries.items():
        if ident in others:  # another project's or a dependency's: no Kubernetes status
            assert "minors" not in entry and entry["source"] == "import", ident
            continue
        assert set(entry["minors"]) == {"1.34", "1.33", "1.32"}, ident
        assert all(s["source"] == "import" for s in entry["minors"].values())
    kubelet = entries["CVE-2023-2431"]
    assert kubelet["issue"] == "https://github.com/kubernetes/kubernetes/issues/118690"
    assert str(kubelet["published"]) == "2023-06-15"
    assert kubelet["severity"] == {"rating": "LOW", "score": 3.4,
                                   "vector": "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N"}
    assert kubelet["components"] == ["kubelet"]
    assert kubelet["upstream"]["fixed_in"] == ["v1.24.14", "v1.25.10", "v1.26.5", "v1.27.2"]
    assert kubelet["minors"]["1.32"]["status"] == "not-affected"
    assert kubelet["minors"]["1.32"]["justification"] == "vulnerable_code_not_present"
    # A product with its own versions says nothing about a Kubernetes minor.
    assert (entries["CVE-2024-7646"]["kind"], entries["CVE-2024-7646"]["project"]) == (
        "other-project", "k8s.io/ingress-nginx")
    # The feed item announcing two CVEs gives two advisories, each with its own title.
    assert entries["CVE-2023-2727"]["title"] == (
        "Bypassing policies imposed by the ImagePolicyWebhook admission plugin")
    assert entries["CVE-2023-2728"]["title"].startswith("Bypassing enforce mountable secrets")
    # Feed-only, no versions in the text, a link to the release of the Go module that fixes it.
    assert (entries["CVE-2021-3121"]["kind"], entries["CVE-2021-3121"]["project"]) == (
        "dependency", "github.com/gogo/protobuf")
    # Feed-only, no versions in the text, no fix anywhere: the project's, undecidable.
    assert "kind" not in entries["CVE-2020-8554"]
    assert entries["CVE-2020-8554"]["minors"]["1.34"]["status"] == "needs-triage"


def test_derived_statuses_for_extended_minors_on_a_date(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, report = run_import(repo, capsys, "--osv", str(OSV), date="2024-08-01")
    assert rc == 0
    assert report["minors"] == ["1.27", "1.26", "1.25"]
    entries = index(repo)
    states = {m: s["status"] for m, s in entries["CVE-2024-3177"]["minors"].items()}
    # introduced 0, fixed 1.27.13: the final 1.26.15 and 1.25.16 are inside, 1.27.16 is fixed.
    assert states == {"1.27": "not-affected", "1.26": "needed", "1.25": "needed"}
    assert "fixed upstream in v1.27.13" in entries["CVE-2024-3177"]["minors"]["1.27"]["reason"]
    # Ranges start at 1.27.0 and the advisory came after 1.26's end of life: not assessed.
    assert entries["CVE-2024-5321"]["minors"]["1.26"]["status"] == "needs-triage"
    assert entries["CVE-2023-5528"]["minors"]["1.25"]["status"] == "not-affected"


def test_go_record_aliases_and_staging_versions(repo: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    record = {
        "schema_version": "1.6.0", "id": "GO-2024-2746", "modified": "2024-04-22T00:00:00Z",
        "published": "2024-04-22T00:00:00Z", "aliases": ["CVE-2024-3177", "GHSA-pxhw-596r-rwq5"],
        "summary": "Bypass of mountable secrets policy in k8s.io/kubernetes",
        "affected": [{"package": {"ecosystem": "Go", "name": "k8s.io/apiserver"},
                      "ranges": [{"type": "SEMVER", "events": [
                          {"introduced": "0"}, {"fixed": "0.27.13"}, {"introduced": "0.28.0"},
                          {"fixed": "0.28.9"}]}]}],
        "references": [{"type": "FIX", "url": "https://github.com/kubernetes/kubernetes/pull/124322"}],
    }
    path = tmp_path / "GO-2024-2746.json"
    path.write_text(json.dumps(record))
    rc, _ = run_import(repo, capsys, "--osv", str(path), date="2024-08-01")
    assert rc == 0
    entry = index(repo)["CVE-2024-3177"]
    assert entry["aliases"] == ["GO-2024-2746", "GHSA-pxhw-596r-rwq5"]
    assert entry["upstream"]["fixes"] == ["https://github.com/kubernetes/kubernetes/pull/124322"]
    assert entry["upstream"]["fixed_in"] == ["v1.27.13", "v1.28.9"]  # v0.x is Kubernetes 1.x
    assert entry["minors"]["1.26"]["status"] == "needed"
    assert entry["minors"]["1.27"]["status"] == "not-affected"


def test_person_status_is_never_overwritten(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "index.yaml").write_text(
        "schema: ksp/v1\nadvisories:\n  CVE-2024-3177:\n    title: Mountable secrets bypass\n"
        "    minors:\n"
        "      '1.26': {status: not-affected, justification: component_not_present}  # checked\n"
        "      '1.25': {status: patched, patch: v1.25/0001_CVE-2024-3177.patch, sha256: "
        f"'{'a' * 64}'}}\n")
    rc, report = run_import(repo, capsys, "--osv", str(OSV / "CVE-2024-3177.json"),
                            date="2024-08-01")
    assert rc == 0
    text = (repo / "index.yaml").read_text()
    assert "'1.26': {status: not-affected, justification: component_not_present}  # checked" in text
    entry = index(repo)["CVE-2024-3177"]
    assert entry["title"] == "Mountable secrets bypass"  # facts a person wrote stay
    assert entry["minors"]["1.25"]["status"] == "patched"  # affected and patched: agrees
    assert entry["minors"]["1.27"] == {
        "status": "not-affected", "justification": "vulnerable_code_not_present",
        "reason": "fixed upstream in v1.27.13 (per osv CVE-2024-3177.json)", "source": "import"}
    assert report["disagreements"] == [{
        "advisory": "CVE-2024-3177", "minor": "1.26", "recorded": "not-affected",
        "derived": "needed", "reason": report["disagreements"][0]["reason"]}]
    assert report["updated"][0]["advisory"] == "CVE-2024-3177"


def test_import_is_idempotent(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ("--feed", str(FEED), "--osv", str(OSV))
    assert run_import(repo, capsys, *args)[0] == 0
    first = (repo / "index.yaml").read_bytes()
    rc, report = run_import(repo, capsys, *args)
    assert rc == 0
    assert (report["added"], report["updated"], report["written"]) == ([], [], False)
    assert (repo / "index.yaml").read_bytes() == first


def test_dry_run_writes_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (repo / "index.yaml").read_bytes()
    rc, report = run_import(repo, capsys, "--osv", str(OSV), "--dry-run")
    assert rc == 0 and len(report["added"]) == 48 and not report["written"]
    assert (repo / "index.yaml").read_bytes() == before


def _truncated(tmp: Path) -> Path:
    path = tmp / "feed.json"
    path.write_bytes(FEED.read_bytes()[:5000])
    return path


def _wrong_shape_feed(tmp: Path) -> Path:
    path = tmp / "feed.json"
    path.write_text(json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": 3}))
    return path


def _wrong_shape_osv(tmp: Path) -> Path:
    path = tmp / "osv.json"
    path.write_text(json.dumps({"id": "CVE-2024-0001", "affected": "everything"}))
    return path


def _huge(tmp: Path) -> Path:
    path = tmp / "huge.json"
    path.write_text('{"id": "CVE-2024-0001", "details": "' + "x" * (10 * 1024 * 1024) + '"}')
    return path


def _deep(tmp: Path) -> Path:
    path = tmp / "deep.json"
    path.write_text("[" * 50000 + "]" * 50000)
    return path


@pytest.mark.parametrize(("make", "option", "message"), [
    (_truncated, "--feed", "not valid JSON"),
    (_wrong_shape_feed, "--feed", "no 'items' list"),
    (_wrong_shape_osv, "--osv", "not an OSV record"),
    (_huge, "--osv", "over the limit"),
    (_deep, "--osv", "nested deeper"),
])
def test_hostile_input_one_line_error_nothing_written(
        repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        make: Callable[[Path], Path], option: str, message: str) -> None:
    bad = make(tmp_path)
    before = (repo / "index.yaml").read_bytes()
    rc = main(["advisories", "import", "--repo", str(repo), "--osv", str(OSV), option, str(bad)])
    err = capsys.readouterr().err
    assert rc == 1
    first = err.splitlines()[0]
    assert first.startswith(f"ksp: error: {bad}") and message in first
    assert (repo / "index.yaml").read_bytes() == before


def test_nothing_to_import_is_a_usage_error(repo: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["advisories", "import", "--repo", str(repo)]) == 2
    assert "nothing to import" in capsys.readouterr().err


def test_feed_from_a_url(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The online path, against a real HTTP server on loopback serving the snapshot."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(FEED.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/{FEED.name}"
        rc, report = run_import(repo, capsys, "--feed", url)
        assert rc == 0 and len(report["added"]) == 8
        assert "CVE-2020-8554" in index(repo)
        rc, _ = run_import(repo, capsys, "--feed", url + ".missing")
        assert rc == 1
    finally:
        server.shutdown()
        server.server_close()
