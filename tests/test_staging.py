"""A k8s.io staging repo: kubernetes/kubernetes commits found through the `Kubernetes-commit:`
trailer (backport, lint --upstream), and v0.NN.P versions (vex, apply, --base)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from factories.staging import (
    KK_FIX,
    KK_FIX_133,
    KK_SQUASHED,
    StagingUpstream,
    make_staging_upstream,
)
from ksp.cli.main import main
from ksp.git.mirror import published_as, published_from

DATE = "2026-12-02"  # 1.32, 1.33, 1.34 are in the extended window
ENTRY = """advisories:
  CVE-2099-0101:
    title: Anonymous users pass the check
    issue: https://github.com/kubernetes/kubernetes/issues/1
    published: 2026-10-01
    severity: {rating: MEDIUM, score: 6.5, vector: "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"}
    components: [k8s.io/demoapi]
"""
SCHEMA = Path(__file__).parent / "data" / "schemas" / "openvex-0.2.0.schema.json"


@pytest.fixture
def staging(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[StagingUpstream, Path]:
    up = make_staging_upstream(tmp_path / "up")
    root = tmp_path / "patches"
    assert main(["init", str(root), "--project", "k8s-staging", "--upstream",
                 "https://github.com/kubernetes/demoapi"]) == 0
    index = root / "index.yaml"
    index.write_text(index.read_text().replace("advisories: {}\n", ENTRY))
    capsys.readouterr()
    return up, root


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, Any]:
    rc = main([*argv, "--format", "json"])
    return rc, json.loads(capsys.readouterr().out)


def backport(up: StagingUpstream, root: Path, commit: str,
             capsys: pytest.CaptureFixture[str]) -> tuple[int, Any]:
    return run_json(["backport", "CVE-2099-0101", "--upstream", str(up.path), "--commit", commit,
                     "--to", "1.32", "--write", "--fixer", "@fixer", "--repo", str(root),
                     "--date", DATE], capsys)


def test_backport_by_kubernetes_commit_finds_the_published_commit(
        staging: tuple[StagingUpstream, Path], capsys: pytest.CaptureFixture[str]) -> None:
    up, root = staging
    rc, data = backport(up, root, KK_FIX[:12], capsys)
    assert rc == 0
    assert data["commits"][0]["sha"] == up.fix
    assert data["commits"][0]["published_from"] == KK_FIX
    text = (root / data["targets"][0]["patch"]).read_text()
    # the header names both: where the fix comes from, and the commit of this repository
    assert f"# Original patch: https://github.com/kubernetes/kubernetes/commit/{KK_FIX}\n" in text
    assert f"# Upstream commits: {up.fix}\n" in text
    rc, lint = run_json(["lint", "--repo", str(root), "--upstream", str(up.path), "--pre-review",
                         "--date", DATE], capsys)
    assert rc == 0 and lint["errors"] == 0


def test_a_kubernetes_commit_no_trailer_names_is_an_error(
        staging: tuple[StagingUpstream, Path], capsys: pytest.CaptureFixture[str]) -> None:
    up, root = staging
    rc = main(["backport", "CVE-2099-0101", "--upstream", str(up.path), "--commit", "4" * 40,
               "--to", "1.32", "--repo", str(root), "--date", DATE])
    assert rc != 0 and "4444444" in capsys.readouterr().err


def test_lint_upstream_checks_kubernetes_references_through_the_trailer(
        staging: tuple[StagingUpstream, Path], capsys: pytest.CaptureFixture[str]) -> None:
    up, root = staging
    backport(up, root, up.fix, capsys)
    patch = next((root / "v1.32").glob("*.patch"))
    text = patch.read_text()
    # given the staging sha: the kubernetes commit it was published from (its last line)
    assert f"kubernetes/kubernetes/commit/{KK_SQUASHED}" in text
    for sha, known in ((KK_FIX, True), (KK_FIX_133, True), ("5" * 40, False)):
        patch.write_text(text.replace(KK_SQUASHED, sha))
        _, lint = run_json(["lint", "--repo", str(root), "--upstream", str(up.path),
                            "--pre-review", "--date", DATE], capsys)  # sha256 differs now
        codes = [f["code"] for f in lint["findings"] if f["code"] == "KSP501"]
        assert codes == ([] if known else ["KSP501"])


def test_vex_and_base_use_the_module_versions(
        staging: tuple[StagingUpstream, Path], capsys: pytest.CaptureFixture[str]) -> None:
    up, root = staging
    backport(up, root, KK_FIX, capsys)
    for base in ("v0.32.1", "kubernetes-1.32.1", "v1.32.1"):
        assert main(["vex", "--repo", str(root), "--minor", "1.32", "--broad", "--base",
                     base, "--date", DATE]) == 0
        doc = json.loads(capsys.readouterr().out)
        jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
        ids = {p["@id"] for s in doc["statements"] for p in s["products"]}
        assert ids == {"pkg:golang/k8s.io/demoapi@v0.32.1"}
    tags = subprocess.run(["git", "-C", str(up.path), "tag"], capture_output=True, text=True,
                          check=True).stdout.split()
    assert "v0.32.1" in tags
    assert main(["vex", "--repo", str(root), "--minor", "1.32", "--broad", "--base",
                 "v0.33.1"]) == 2
    assert "not a release" in capsys.readouterr().err


def test_apply_names_the_build_in_the_module_scheme(
        staging: tuple[StagingUpstream, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    up, root = staging
    backport(up, root, KK_FIX, capsys)
    tree = tmp_path / "tree"
    subprocess.run(["git", "clone", "-q", "--branch", "v0.32.1", str(up.path), str(tree)],
                   check=True, capture_output=True)
    rc, result = run_json(["apply", "--repo", str(root), "--minor", "1.32", "--to", str(tree)],
                          capsys)
    assert rc == 0 and result["build"] == "v0.32.1+ksp.1"


def test_kubernetes_commit_lines_are_read_anywhere_in_the_message(tmp_path: Path) -> None:
    up = make_staging_upstream(tmp_path)
    trailers = subprocess.run(["git", "-C", str(up.path), "log", "-1",
                               "--format=%(trailers:key=Kubernetes-commit,valueonly)", up.fix_133],
                              capture_output=True, text=True, check=True).stdout.split()
    assert trailers == [KK_FIX_133]  # git's own parser misses the original's line
    assert published_as(up.path, "Kubernetes-commit", KK_FIX[:10]) == [up.fix, up.fix_133]
    assert published_as(up.path, "Kubernetes-commit", KK_FIX_133) == [up.fix_133]
    assert published_from(up.path, "Kubernetes-commit", up.fix_133) == KK_FIX_133
    assert published_from(up.path, "Kubernetes-commit", up.fix) == KK_SQUASHED
    assert published_from(up.path, "Kubernetes-commit", up.fix, KK_FIX[:8]) == KK_FIX
