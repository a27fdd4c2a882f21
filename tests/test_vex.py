"""ksp vex: OpenVEX 0.2.0 documents that validate, map statuses, and stay stable."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ksp.cli.main import main

SCHEMA = json.loads((Path(__file__).parent / "data" / "schemas" /
                     "openvex-0.2.0.schema.json").read_text())
OSV = Path(__file__).parent / "data" / "advisories" / "osv"
DIGEST = "ab" * 32
PATCH_SHA = "c" * 64
INDEX = f"""schema: ksp/v1
advisories:
  CVE-2025-5187:
    title: Nodes can delete themselves by adding an OwnerReference
    issue: https://github.com/kubernetes/kubernetes/issues/133471
    published: 2025-08-11
    severity: {{rating: MEDIUM, score: 6.7, vector: "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:L"}}
    components: [kube-apiserver]
    aliases: [GHSA-7c5p-5x6q-5r5m, GO-2025-3901]
    upstream:
      fixed_in: [v1.31.12, v1.32.8, v1.33.4]
    minors:
      "1.30": {{status: patched, patch: v1.30/0001_CVE-2025-5187.patch, sha256: "{PATCH_SHA}",
               patched_on: 2025-09-01}}
      "1.29": {{status: wont-fix, reason: needs a rewrite of the admission check}}
  CVE-2025-1767:
    title: gitRepo volume may access local repositories
    components: [kubelet]
    minors:
      "1.30": {{status: needed}}
  CVE-2025-0426:
    title: Node denial of service via kubelet checkpoint API
    minors:
      "1.30": {{status: in-progress, link: https://github.com/example/pr/1}}
  CVE-2024-9042:
    title: Command injection affecting Windows nodes via nodes/*/logs/query API
    minors:
      "1.30": {{status: not-affected, justification: component_not_present}}
  CVE-2025-4563:
    title: Nodes can bypass dynamic resource allocation authorization checks
    minors:
      "1.30": {{status: needs-triage}}
"""


@pytest.fixture
def repo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = tmp_path / "patches"
    assert main(["init", str(root)]) == 0
    (root / "index.yaml").write_text(INDEX)
    for name in ("0001_CVE-2025-5187.patch", "0002_INFRA-go-1.24.patch", "0003_CVE-2025-9.patch"):
        (root / "v1.30").mkdir(exist_ok=True)
        (root / "v1.30" / name).write_text("# placeholder\n")
    capsys.readouterr()
    return root


def vex(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    rc = main(["vex", *args])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    doc: dict[str, Any] = json.loads(captured.out)
    return doc


def validate(doc: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)


def by_name(doc: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for stmt in doc["statements"]:
        out.setdefault(stmt["vulnerability"]["name"], []).append(stmt)
    return out


def test_pinned_document_statuses_and_products(repo: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "kube-apiserver"
    binary.write_bytes(b"\x7fELF built with the series")
    doc = vex(capsys, "--repo", str(repo), "--minor", "1.30", "--artifact", str(binary),
              "--image", f"registry.example/k8s/kube-apiserver:v1.30.14@sha256:{DIGEST}")
    validate(doc)
    stmts = by_name(doc)
    assert len(doc["statements"]) == 5 * 2  # one per advisory and product
    fixed = stmts["CVE-2025-5187"][0]
    assert fixed["status"] == "fixed"
    assert "v1.30/0001_CVE-2025-5187.patch" in fixed["status_notes"]
    assert PATCH_SHA in fixed["status_notes"]
    assert fixed["vulnerability"]["aliases"] == ["GHSA-7c5p-5x6q-5r5m", "GO-2025-3901"]
    sha = hashlib.sha256(binary.read_bytes()).hexdigest()
    assert fixed["products"][0]["@id"] == f"pkg:generic/kube-apiserver@sha256:{sha}"
    assert fixed["products"][0]["hashes"] == {"sha-256": sha}
    assert stmts["CVE-2025-5187"][1]["products"][0]["@id"] == (
        f"pkg:oci/kube-apiserver@sha256:{DIGEST}")
    for stmt in doc["statements"]:
        assert [s["@id"] for s in stmt["products"][0]["subcomponents"]] == [
            "pkg:golang/k8s.io/kubernetes@v1.30.14"]
        assert "?" not in stmt["products"][0]["@id"]  # no qualifiers
    assert stmts["CVE-2025-1767"][0]["status"] == "affected"
    assert "upgrade to a supported Kubernetes minor" in stmts["CVE-2025-1767"][0][
        "action_statement"]
    assert "in preparation (https://github.com/example/pr/1)" in stmts["CVE-2025-0426"][0][
        "action_statement"]
    assert stmts["CVE-2024-9042"][0]["status"] == "not_affected"
    assert stmts["CVE-2024-9042"][0]["justification"] == "component_not_present"
    assert stmts["CVE-2025-4563"][0]["status"] == "under_investigation"
    text = json.dumps(doc)
    assert "v1.30.14+ksp.3" in text and "-ksp" not in text
    assert doc["timestamp"] == "2025-09-01T00:00:00Z"  # newest date in the index, not the clock


def test_wont_fix_gives_upgrade_advice(repo: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    doc = vex(capsys, "--repo", str(repo), "--minor", "1.29", "--base", "v1.29.14",
              "--image", f"kube-apiserver@sha256:{DIGEST}")
    validate(doc)
    [stmt] = doc["statements"]
    assert stmt["status"] == "affected"
    assert stmt["action_statement"] == (
        "No patch will be provided for 1.29: needs a rewrite of the admission check. Upgrade to "
        "a supported Kubernetes minor (fixed upstream in v1.31.12, v1.32.8, v1.33.4).")
    assert stmt["products"][0]["subcomponents"][0]["@id"] == (
        "pkg:golang/k8s.io/kubernetes@v1.29.14")
    assert "v1.29.14+ksp.0" in stmt["status_notes"]


def test_broad_document_is_separate_and_says_so(repo: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    doc = vex(capsys, "--repo", str(repo), "--minor", "1.30", "--broad")
    validate(doc)
    ids = [s["products"][0]["@id"] for s in by_name(doc)["CVE-2025-5187"]]
    assert ids == ["pkg:golang/k8s.io/kubernetes@v1.30.14",
                   "pkg:k8s/k8s.io%2Fkube-apiserver@v1.30.14",
                   "pkg:k8s/k8s.io%2Fkube-apiserver@1.30.14"]
    assert all("also matches an unpatched upstream v1.30.14" in s["status_notes"]
               for s in doc["statements"])
    assert "broad products" in doc["tooling"]
    assert main(["vex", "--repo", str(repo), "--minor", "1.30", "--broad",
                 "--image", f"x@sha256:{DIGEST}"]) == 2


def test_output_is_stable_and_follows_input(repo: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "vex.json"
    args = ["vex", "--repo", str(repo), "--minor", "1.30", "--image", f"a@sha256:{DIGEST}",
            "--out", str(out)]
    assert main(args) == 0
    first = out.read_bytes()
    assert main(args) == 0
    assert out.read_bytes() == first
    index = repo / "index.yaml"
    index.write_text(index.read_text().replace('"1.30": {status: needed}',
                                               '"1.30": {status: wont-fix, reason: upgrade}'))
    assert main(args) == 0
    assert json.loads(out.read_bytes())["@id"] != json.loads(first)["@id"]


def test_an_index_without_dates_is_issued_on_the_given_day(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    index = repo / "index.yaml"
    text = index.read_text().replace("    published: 2025-08-11\n", "")
    text = text.replace(",\n               patched_on: 2025-09-01", "")
    assert "published" not in text and "patched_on" not in text
    index.write_text(text)
    doc = vex(capsys, "--repo", str(repo), "--minor", "1.30", "--image", f"a@sha256:{DIGEST}",
              "--date", "2026-11-22")
    assert doc["timestamp"] == "2026-11-22T00:00:00Z"


def test_every_extended_minor_of_an_imported_repo_validates(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "imported"
    assert main(["init", str(root)]) == 0
    assert main(["advisories", "import", "--repo", str(root), "--osv", str(OSV),
                 "--date", "2024-08-01"]) == 0
    capsys.readouterr()
    runs = [(m, ["--image", f"kube-apiserver@sha256:{DIGEST}"]) for m in ("1.27", "1.26", "1.25")]
    statuses: list[dict[str, str]] = []
    for minor, extra in [*runs, ("1.26", ["--broad"])]:
        doc = vex(capsys, "--repo", str(root), "--minor", minor, *extra)
        validate(doc)
        # 48 records, of which 4 are other projects' (CSI drivers, csi-proxy, ingress-nginx).
        assert len({s["vulnerability"]["name"] for s in doc["statements"]}) == 44
        statuses.append({s["vulnerability"]["name"]: s["status"] for s in doc["statements"]})
    for of_1_26 in (statuses[1], statuses[3]):  # the image run and the --broad run
        assert of_1_26["CVE-2024-3177"] == "affected"
        assert of_1_26["CVE-2024-5321"] == "under_investigation"


def test_bad_arguments(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["vex", "--repo", str(repo), "--minor", "1.30"]) == 2
    assert "--artifact" in capsys.readouterr().err
    assert main(["vex", "--repo", str(repo), "--minor", "1.30", "--image", "kube:v1"]) == 2
    assert "not pinned by digest" in capsys.readouterr().err
    assert main(["vex", "--repo", str(repo), "--minor", "1.28", "--broad"]) == 1
    assert "no advisory" in capsys.readouterr().err
