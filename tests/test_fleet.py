"""The fleet view: `ksp status --fleet` and `ksp site build --fleet` over several patches repos."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from _gatekit import add_patch
from ksp.cli.main import main

DATE = "2026-12-02"
DIFF = "diff --git a/x.go b/x.go\n--- a/x.go\n+++ b/x.go\n@@ -1 +1 @@\n-a\n+b\n"


@pytest.fixture
def fleet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[Path]:
    roots = []
    for project in ("runc", "containerd"):
        root = tmp_path / f"{project}-patches"
        assert main(["init", str(root), "--project", project]) == 0
        roots.append(root)
    add_patch(roots[0], "1.2", 1, DIFF, index=True)
    capsys.readouterr()
    return roots


def test_status_fleet_is_one_table_of_every_project(
        fleet: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--fleet", *map(str, fleet), "--date", DATE, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(p["name"], p["project"]) for p in data["projects"]] == [
        ("runc-patches", "runc"), ("containerd-patches", "containerd")]
    runc = {r["minor"]: r for r in data["projects"][0]["status"]["minors"]}
    assert (runc["1.2"]["window"], runc["1.2"]["patches"], runc["1.2"]["patched"]) == (
        "extended", 1, 1)
    assert main(["status", "--fleet", *map(str, fleet), "--date", DATE]) == 0
    out = capsys.readouterr().out
    assert "runc-patches" in out and "containerd-patches" in out
    assert re.search(r"│ 1\.2\s+│ extended", out) and re.search(r"│ 1\.7\s+│ extended", out)
    assert not re.search(r"│ 1\.0\s+│ expired", out)  # expired and empty: left out


def test_a_fleet_file_lists_the_repos(fleet: list[Path], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    listing = tmp_path / "fleet.yaml"
    listing.write_text("fleet: [runc-patches, containerd-patches]\n")
    assert main(["status", "--fleet", str(listing), "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["projects"]) == 2
    listing.write_text("fleet: runc-patches\n")
    assert main(["status", "--fleet", str(listing)]) == 1
    assert "fleet.yaml" in capsys.readouterr().err


def test_each_repo_keeps_its_own_status(fleet: list[Path],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--repo", str(fleet[0]), "--date", DATE, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"date", "project", "extended_months", "repo", "minors"}
    assert main(["status", "--fleet", str(fleet[0]), "--repo", str(fleet[0])]) == 2


def test_site_fleet_builds_one_site_with_working_links(
        fleet: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "_site"
    assert main(["site", "build", "--fleet", *map(str, fleet), "--out", str(out), "--date", DATE,
                 "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["projects"] == ["runc-patches",
                                                               "containerd-patches"]
    index = (out / "index.html").read_text()
    links = set(re.findall(r'href="([^"#]+)"', index))
    assert "runc-patches/minors/v1.2.html" in links
    assert all((out / link).is_file() for link in links)
    assert "not officially supported" in index
    assert (out / "runc-patches" / "index.html").is_file()
    assert (out / "containerd-patches" / "minors" / "v1.7.html").is_file()
