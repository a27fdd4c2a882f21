"""Whose advisory it is: the real feed and OSV records classified by the scope, synthetic records
of each kind, a person's override, other profiles and bad `scope:` settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ksp.cli.main import main
from ksp.repo.schema import index_schema

DATA = Path(__file__).parent / "data" / "advisories"
FEED = DATA / "feed" / "official-cve-feed-2023-07-01.json"
OSV = DATA / "osv"
OTHER, DEP = "other-project", "dependency"

# Checked by hand against each record's affected packages (OSV `affected[].package.name`, and the
# feed's "Affected/Vulnerable versions" lines): every k8s.io/apiserver, kubelet, kubectl,
# client-go, controller-manager, kube-proxy or k8s.io/kubernetes package is Kubernetes' own.
REAL = {
    "CVE-2017-1002101": None,  # k8s.io/apiserver, k8s.io/kubelet
    "CVE-2017-1002102": None,  # k8s.io/kubelet; feed: "Kubernetes 1.3.x-1.6.x"
    "CVE-2018-1002100": None,  # k8s.io/kubectl
    "CVE-2018-1002101": None,  # k8s.io/kubernetes
    "CVE-2018-1002102": None,  # k8s.io/apiserver
    "CVE-2018-1002105": None,  # k8s.io/apiserver
    "CVE-2019-1002100": None,  # k8s.io/apiserver
    "CVE-2019-11243": None,  # k8s.io/client-go
    "CVE-2019-11244": None,  # k8s.io/kubectl
    "CVE-2019-11245": None,  # k8s.io/kubelet
    "CVE-2019-11247": None,  # k8s.io/apiserver
    "CVE-2019-11248": None,  # k8s.io/kubelet
    "CVE-2019-11249": None,  # k8s.io/kubectl
    "CVE-2019-11250": None,  # k8s.io/apiserver
    "CVE-2019-11251": None,  # k8s.io/kubectl
    "CVE-2019-11253": None,  # k8s.io/apiserver
    "CVE-2019-11254": None,  # k8s.io/apiserver
    "CVE-2020-10749": None,  # k8s.io/kubelet
    "CVE-2020-8551": None,  # k8s.io/kubelet
    "CVE-2020-8552": None,  # k8s.io/apiserver
    "CVE-2020-8554": None,  # feed only, no versions: "All Kubernetes versions are affected"
    "CVE-2020-8555": None,  # k8s.io/controller-manager
    "CVE-2020-8557": None,  # k8s.io/kubelet; feed: Kubernetes versions
    "CVE-2020-8558": None,  # k8s.io/kubelet, k8s.io/kube-proxy
    "CVE-2020-8559": None,  # k8s.io/apiserver
    "CVE-2020-8563": None,  # k8s.io/controller-manager
    "CVE-2020-8564": None,  # k8s.io/kubernetes
    "CVE-2020-8565": None,  # k8s.io/apiserver, k8s.io/kubectl
    "CVE-2020-8566": None,  # k8s.io/controller-manager
    "CVE-2021-25735": None,  # k8s.io/apiserver
    "CVE-2021-25737": None,  # k8s.io/apiserver
    "CVE-2021-25741": None,  # k8s.io/kubelet
    "CVE-2021-25749": None,  # k8s.io/kubelet
    "CVE-2021-3121": (DEP, "github.com/gogo/protobuf"),  # feed only; links gogo/protobuf v1.3.2
    "CVE-2022-3162": None,  # k8s.io/apiserver
    "CVE-2022-3172": None,  # k8s.io/apiserver
    "CVE-2022-3294": None,  # k8s.io/apiserver
    "CVE-2023-2431": None,  # k8s.io/kubelet; feed: kubelet lines
    "CVE-2023-2727": None,  # k8s.io/apiserver; feed: kube-apiserver lines
    "CVE-2023-2728": None,  # k8s.io/apiserver; feed: kube-apiserver lines
    "CVE-2023-2878": (OTHER, "sigs.k8s.io/secrets-store-csi-driver"),  # feed: "< 1.3.3"
    "CVE-2023-3676": None,  # k8s.io/kubelet
    "CVE-2023-3893": (OTHER, "github.com/kubernetes-csi/csi-proxy"),
    "CVE-2023-3955": None,  # k8s.io/kubelet
    "CVE-2023-5528": None,  # k8s.io/kubelet
    "CVE-2024-3177": None,  # k8s.io/apiserver
    "CVE-2024-3744": (OTHER, "sigs.k8s.io/azurefile-csi-driver"),
    "CVE-2024-5321": None,  # k8s.io/kubelet
    "CVE-2024-7646": (OTHER, "k8s.io/ingress-nginx"),
    "CVE-2025-4563": None,  # k8s.io/apiserver
}


def index(repo: Path) -> dict[str, Any]:
    advisories: dict[str, Any] = YAML(typ="safe").load(
        (repo / "index.yaml").read_text())["advisories"] or {}
    return advisories


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    rc = main([*argv, "--format", "json"])
    out = capsys.readouterr().out
    return rc, json.loads(out) if out.strip() else {}


def test_every_real_record_classified(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, report = run_json(capsys, "advisories", "import", "--repo", str(repo), "--feed",
                          str(FEED), "--osv", str(OSV), "--date", "2026-11-22")
    assert rc == 0
    entries = index(repo)
    assert sorted(entries) == sorted(REAL)
    got = {ident: (e["kind"], e["project"]) if "kind" in e else None
           for ident, e in entries.items()}
    assert got == REAL
    assert report["kinds"] == {"project": 45, "other-project": 4, "dependency": 1, "toolchain": 0}
    for ident, want in REAL.items():
        assert ("minors" in entries[ident]) is (want is None), ident

    # The open gaps on the extended minors are the project's own advisories only.
    rc, cov = run_json(capsys, "coverage", "--repo", str(repo), "--date", "2026-11-22",
                       "--minor", "1.34", "--minor", "1.33", "--minor", "1.32")
    assert rc == 0
    gaps = {r["advisory"] for r in cov["rows"] if any(
        c["status"] in ("needed", "needs-triage") for c in r["cells"])}
    assert gaps == {"CVE-2020-8554"}
    assert all(REAL[g] is None for g in gaps)
    assert [s["gaps"] for s in cov["summary"]] == [1, 1, 1]
    assert {o["advisory"]: (o["kind"], o["project"]) for o in cov["others"]} == {
        k: v for k, v in REAL.items() if v}
    rc, status = run_json(capsys, "status", "--repo", str(repo), "--date", "2026-11-22")
    assert {m["minor"]: m["gaps"] for m in status["minors"] if m["window"] == "extended"} == {
        "1.34": 1, "1.33": 1, "1.32": 1}


OSV_RECORD = {
    "schema_version": "1.6.0", "modified": "2025-01-01T00:00:00Z",
    "published": "2025-01-01T00:00:00Z", "summary": "synthetic",
}


def _osv(tmp: Path, ident: str, package: str, ecosystem: str = "Go",
         events: list[dict[str, str]] | None = None) -> Path:
    record = {**OSV_RECORD, "id": ident, "affected": [{
        "package": {"ecosystem": ecosystem, "name": package},
        "ranges": [{"type": "SEMVER", "events": events or [{"introduced": "0"},
                                                           {"fixed": "1.40.0"}]}]}]}
    folder = tmp / "osv"
    folder.mkdir(exist_ok=True)
    path = folder / f"{ident}.json"
    path.write_text(json.dumps(record))
    return folder


def _no_fix_feed(tmp: Path) -> Path:
    item = {"id": "CVE-2099-0004", "url": "https://github.com/kubernetes/kubernetes/issues/4",
            "summary": "A design flaw", "date_published": "2025-01-02T00:00:00Z",
            "content_text": "There is no patch for this issue; all versions are affected."}
    path = tmp / "feed.json"
    path.write_text(json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [item]}))
    return path


def test_fixture_records_of_each_kind(repo: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    _osv(tmp_path, "CVE-2099-0001", "k8s.io/client-go", events=[{"introduced": "0"},
                                                               {"fixed": "0.40.0"}])
    _osv(tmp_path, "CVE-2099-0002", "sigs.k8s.io/foo-csi-driver", "Kubernetes")
    folder = _osv(tmp_path, "CVE-2099-0003", "golang.org/x/net")
    rc, report = run_json(capsys, "advisories", "import", "--repo", str(repo), "--osv",
                          str(folder), "--feed", str(_no_fix_feed(tmp_path)), "--date",
                          "2026-11-22")
    assert rc == 0
    entries = index(repo)
    assert "kind" not in entries["CVE-2099-0001"]  # a staging module: in scope
    assert entries["CVE-2099-0001"]["minors"]["1.32"]["status"] == "needed"
    assert (entries["CVE-2099-0002"]["kind"], entries["CVE-2099-0002"]["project"]) == (
        "other-project", "sigs.k8s.io/foo-csi-driver")
    assert (entries["CVE-2099-0003"]["kind"], entries["CVE-2099-0003"]["project"]) == (
        "dependency", "golang.org/x/net")
    assert "kind" not in entries["CVE-2099-0004"]  # no fix, no package: someone decides
    assert entries["CVE-2099-0004"]["minors"]["1.34"]["status"] == "needs-triage"
    assert [o["advisory"] for o in report["others"]] == ["CVE-2099-0002", "CVE-2099-0003"]


def test_import_reclassifies_an_older_index_and_drops_derived_states(
        repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An index imported before the scope existed: the CSI driver's derived states go, a state a
    person set stays."""
    (repo / "index.yaml").write_text(
        "schema: ksp/v1\nadvisories:\n  CVE-2099-0002:\n    title: driver logs tokens\n"
        "    minors:\n"
        "      '1.34': {status: needs-triage, reason: versioned separately, source: import}\n"
        "      '1.33': {status: not-affected, justification: component_not_present}\n")
    folder = _osv(tmp_path, "CVE-2099-0002", "sigs.k8s.io/foo-csi-driver", "Kubernetes")
    rc, report = run_json(capsys, "advisories", "import", "--repo", str(repo), "--osv",
                          str(folder), "--date", "2026-11-22")
    assert rc == 0
    entry = index(repo)["CVE-2099-0002"]
    assert (entry["kind"], entry["project"], entry["source"]) == (
        "other-project", "sigs.k8s.io/foo-csi-driver", "import")
    assert entry["minors"] == {"1.33": {"status": "not-affected",
                                        "justification": "component_not_present"}}
    assert report["updated"] == [{"advisory": "CVE-2099-0002",
                                  "changes": ["components", "kind", "project", "published",
                                              "source", "minors.1.34"]}]


def test_a_persons_kind_is_kept_and_reported(repo: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "index.yaml").write_text(
        "schema: ksp/v1\nadvisories:\n  CVE-2099-0002:\n    title: we ship this driver\n"
        "    kind: project\n")
    folder = _osv(tmp_path, "CVE-2099-0002", "sigs.k8s.io/foo-csi-driver", "Kubernetes")
    args = ("advisories", "import", "--repo", str(repo), "--osv", str(folder), "--date",
            "2026-11-22")
    rc, report = run_json(capsys, *args)
    assert rc == 0
    entry = index(repo)["CVE-2099-0002"]
    assert entry["kind"] == "project" and "source" not in entry
    assert entry["minors"]["1.34"]["status"] == "needs-triage"  # derived: ours, by decision
    assert report["kept_kinds"] == [{"advisory": "CVE-2099-0002", "kind": "project",
                                     "project": None, "derived": "other-project"}]
    before = (repo / "index.yaml").read_bytes()
    assert run_json(capsys, *args)[0] == 0
    assert (repo / "index.yaml").read_bytes() == before


def test_scope_in_ksp_yaml_widens_the_default(repo: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    with (repo / "ksp.yaml").open("a") as fh:
        fh.write("scope: [k8s.io/kubernetes, k8s.io/apiserver, sigs.k8s.io/foo-csi-driver]\n")
    _osv(tmp_path, "CVE-2099-0001", "k8s.io/client-go", "Kubernetes")
    folder = _osv(tmp_path, "CVE-2099-0002", "sigs.k8s.io/foo-csi-driver", "Kubernetes")
    assert run_json(capsys, "advisories", "import", "--repo", str(repo), "--osv", str(folder),
                    "--date", "2026-11-22")[0] == 0
    entries = index(repo)
    assert "kind" not in entries["CVE-2099-0002"]
    assert entries["CVE-2099-0001"]["kind"] == "other-project"  # client-go left out of scope


def test_go_profile_scope_is_its_module(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "containerd-patches"
    assert main(["init", str(root), "--project", "go", "--upstream",
                 "https://github.com/containerd/containerd", "--module",
                 "github.com/containerd/containerd"]) == 0
    _osv(tmp_path, "CVE-2099-0001", "github.com/containerd/containerd/v2")
    _osv(tmp_path, "CVE-2099-0002", "github.com/containerd/nerdctl")
    folder = _osv(tmp_path, "CVE-2099-0003", "google.golang.org/grpc")
    capsys.readouterr()
    assert run_json(capsys, "advisories", "import", "--repo", str(root), "--osv", str(folder),
                    "--date", "2026-11-22")[0] == 0
    entries = index(root)
    assert "kind" not in entries["CVE-2099-0001"]
    assert entries["CVE-2099-0002"]["kind"] == "other-project"
    assert entries["CVE-2099-0003"]["kind"] == "dependency"


@pytest.mark.parametrize("value", ["k8s.io/kubernetes", "[]", "[k8s.io/a b]", "[{a: 1}]"])
def test_bad_scope_is_one_line_exit_1(repo: Path, value: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    with (repo / "ksp.yaml").open("a") as fh:
        fh.write(f"scope: {value}\n")
    before = (repo / "index.yaml").read_bytes()
    rc = main(["advisories", "import", "--repo", str(repo), "--osv", str(OSV),
               "--date", "2026-11-22"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "ksp.yaml" in err and "scope" in err
    assert (repo / "index.yaml").read_bytes() == before


def test_shipped_schema_is_the_generated_one() -> None:
    shipped = Path(__file__).parent.parent / "src" / "ksp" / "data" / "index.schema.json"
    assert json.loads(shipped.read_text()) == index_schema()


@pytest.mark.parametrize(("name", "kind"), [
    ("k8s.io/kubernetes/pkg/kubelet", "project"),  # a package of the main module
    ("k8s.io/apimachinery", "project"),
    ("k8s.io/api-extra", "other-project"),  # a prefix by path segment, not by string
    ("kube-apiserver", "project"),  # a component by name
    ("Kubelet", "project"),
    ("github.com/kubernetes/kubernetes", "project"),  # the upstream repository itself
    ("secrets-store-csi-driver", "other-project"),  # a bare product name in the feed
    ("registry.k8s.io/ingress-nginx/controller", "other-project"),
    ("golang.org/x/net", "dependency"),
])
def test_default_kubernetes_scope(name: str, kind: str) -> None:
    from ksp.advisories.scope import Scope
    from ksp.repo.config import Config

    assert Scope.of(Config()).classify([name], in_scope=False)[0].value == kind
