"""Support windows and `ksp lifecycle import|show` on the real lifecycle files."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from ksp import lifecycle
from ksp.cli.main import main
from ksp.errors import LifecycleError
from ksp.model import Minor, Window
from ksp.repo import open_repo

DATA = Path(__file__).parent / "data" / "lifecycle"
DAY = dt.date(2026, 11, 22)


def test_embedded_windows_today() -> None:
    lc = lifecycle.embedded()
    windows = {str(m): lc.window(m, DAY) for m in lc.minors()}
    assert windows["1.31"] is Window.EXPIRED
    assert {windows[m] for m in ("1.32", "1.33", "1.34")} == {Window.EXTENDED}
    assert lc.extended_until(Minor.parse("1.31")) == dt.date(2026, 11, 11)
    assert lc.window(Minor.parse("1.31"), dt.date(2026, 11, 11)) is Window.EXTENDED


@pytest.mark.parametrize(("name", "minor", "field", "value"), [
    ("kubernetes-website-eol.yaml", "1.30", "eol_actual", dt.date(2025, 7, 15)),
    ("kubernetes-website-schedule-2024-10.yaml", "1.30", "eol_planned", dt.date(2025, 6, 28)),
    ("endoflife-date-kubernetes.md", "1.36", "released", dt.date(2026, 4, 22)),
])
def test_read_the_three_official_formats(name: str, minor: str, field: str,
                                         value: dt.date) -> None:
    project, releases = lifecycle.read_releases(DATA / name)
    by_minor = {str(r.minor): r for r in releases}
    assert project == "kubernetes"
    assert getattr(by_minor[minor], field) == value


def test_import_into_a_repo_updates_ksp_yaml_by_round_trip(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (repo / "ksp.yaml").read_text().splitlines()
    assert main(["lifecycle", "import", str(DATA / "kubernetes-website-eol.yaml"), "--repo",
                 str(repo), "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["config_updated"] is True and result["imported"] == 30
    after = (repo / "ksp.yaml").read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 1
    assert changed[0][1].startswith("lifecycle: lifecycle.yaml")
    assert "#" in changed[0][1]  # its comment is kept
    lc = open_repo(repo).lifecycle()
    release = lc.release(Minor.parse("1.19"))
    assert release is not None and release.eol_actual == dt.date(2021, 10, 28)
    assert lc.window(Minor.parse("1.31"), DAY) is Window.EXPIRED
    assert lc.release(Minor.parse("1.36")) is not None  # merged over the embedded data
    assert main(["lint", "--repo", str(repo), "--date", "2026-11-22"]) == 0
    # A second import changes lifecycle.yaml only
    assert main(["lifecycle", "import", str(DATA / "endoflife-date-kubernetes.md"), "--repo",
                 str(repo)]) == 0
    assert (repo / "ksp.yaml").read_text().splitlines() == after


def test_import_with_out_outside_a_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "lc.yaml"
    assert main(["lifecycle", "import", str(DATA / "endoflife-date-kubernetes.md"), "--out",
                 str(out)]) == 0
    project, releases = lifecycle.read_releases(out)
    assert project == "kubernetes"
    assert {"1.19", "1.36"} <= {str(r.minor) for r in releases}
    assert main(["lifecycle", "import", str(DATA / "kubernetes-website-eol.yaml")]) == 2


def test_a_go_project_gets_only_its_own_data(tmp_path: Path) -> None:
    root = tmp_path / "containerd-patches"
    assert main(["init", str(root), "--project", "go", "--upstream",
                 "https://github.com/containerd/containerd", "--branch-template",
                 "release/{minor}"]) == 0
    assert open_repo(root).lifecycle().releases == {}
    source = tmp_path / "containerd.md"
    source.write_text("---\ntitle: containerd\nreleases:\n  - releaseCycle: \"1.7\"\n"
                      "    releaseDate: 2023-03-10\n    eol: 2026-03-10\n---\n\nText.\n")
    assert main(["lifecycle", "import", str(source), "--repo", str(root)]) == 0
    lc = open_repo(root).lifecycle()
    assert [str(m) for m in lc.minors()] == ["1.7"]
    assert lc.window(Minor.parse("1.7"), DAY) is Window.EXTENDED


def test_show_json(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lifecycle", "show", "--repo", str(repo), "--date", "2026-11-22",
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {r["minor"]: r for r in data["releases"]}
    assert rows["1.31"]["window"] == "expired"
    assert rows["1.31"]["extended_until"] == "2026-11-11"
    assert rows["1.30"]["eol_actual"] == "2025-07-15"


def test_an_unquoted_minor_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "eol.yaml"
    path.write_text("branches:\n- release: 1.30\n  endOfLifeDate: '2025-07-15'\n")
    with pytest.raises(LifecycleError) as info:
        lifecycle.read_releases(path)
    assert "quote" in (info.value.hint or "")
