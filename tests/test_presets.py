"""Project presets: `ksp init --project …`, each preset's profile, its embedded lifecycle, and the
git repository `ksp init` makes."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest

from ksp import lifecycle
from ksp.cli.main import main
from ksp.model import Minor, Window
from ksp.repo import open_repo, presets

DAY = dt.date(2026, 12, 2)
DATA = Path(__file__).parent / "data" / "lifecycle"


def init(tmp_path: Path, project: str, *extra: str) -> Path:
    root = tmp_path / f"{project}-patches"
    assert main(["init", str(root), "--project", project, *extra]) == 0
    return root


def windows(root: Path) -> dict[str, Window]:
    lc = open_repo(root).lifecycle()
    return {str(m): lc.window(m, DAY) for m in lc.minors()}


def test_the_presets_are_data_files() -> None:
    assert presets.names() == ("containerd", "etcd", "go", "k8s-staging", "kubernetes", "runc")


@pytest.mark.parametrize("project", ["kubernetes", "containerd", "etcd", "runc"])
def test_each_preset_inits_a_repo_that_lints_clean_and_has_windows(
        tmp_path: Path, project: str, capsys: pytest.CaptureFixture[str]) -> None:
    root = init(tmp_path, project)
    capsys.readouterr()
    assert main(["lint", "--repo", str(root), "--date", DAY.isoformat()]) == 0
    found = windows(root)
    assert Window.EXTENDED in found.values() and Window.UNKNOWN not in found.values()
    assert main(["status", "--repo", str(root), "--date", DAY.isoformat()]) == 0
    assert "no support window" not in capsys.readouterr().err


def test_containerd_profile(tmp_path: Path) -> None:
    config = open_repo(init(tmp_path, "containerd")).config
    assert config.branch_for(Minor.parse("1.7")) == "release/1.7"
    assert config.tag_for(Minor.parse("1.7"), 34) == "v1.7.34"
    assert config.module_for(Minor.parse("1.7")) == "github.com/containerd/containerd"
    assert config.module_for(Minor.parse("2.0")) == "github.com/containerd/containerd/v2"
    assert {"containerd", "ctr", "containerd-shim-runc-v2"} <= set(config.components)
    assert config.commands.env["GOFLAGS"] == "-tags=no_btrfs"
    assert config.scope == ("github.com/containerd/containerd", "containerd", "ctr",
                            "containerd-shim-runc-v2")


def test_etcd_and_runc_profiles(tmp_path: Path) -> None:
    etcd = open_repo(init(tmp_path, "etcd")).config
    assert etcd.module_for(Minor.parse("3.5")) == "go.etcd.io/etcd/server/v3"
    assert etcd.module_for(Minor.parse("3.4")) == "go.etcd.io/etcd"
    assert set(etcd.components) == {"etcd", "etcdctl", "etcdutl"}
    runc = open_repo(init(tmp_path, "runc")).config
    assert runc.components == {"runc": "."} and runc.branch == "release-{minor}"


def test_a_staging_preset_needs_the_upstream_and_derives_the_module(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "x"), "--project", "k8s-staging"]) == 2
    assert "--upstream URL is required" in capsys.readouterr().err
    assert not (tmp_path / "x" / "ksp.yaml").exists()
    root = init(tmp_path, "k8s-staging", "--upstream", "https://github.com/kubernetes/apiserver")
    config = open_repo(root).config
    minor = Minor.parse("1.32")
    assert (config.module, config.scope) == ("k8s.io/apiserver", ("k8s.io/apiserver",))
    assert (config.branch_for(minor), config.tag_for(minor, 13)) == ("release-1.32", "v0.32.13")
    assert config.release_patch(minor, "kubernetes-1.32.13") == 13
    assert config.release_patch(minor, "v0.33.1") is None
    assert config.mirror_of is not None and config.mirror_of.trailer == "Kubernetes-commit"


def test_an_unknown_project_in_ksp_yaml_is_one_line_with_the_choices(
        repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (repo / "ksp.yaml").read_text().replace("project: kubernetes", "project: cri-o")
    (repo / "ksp.yaml").write_text(text)
    capsys.readouterr()
    assert main(["status", "--repo", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "ksp.yaml" in err and "cri-o" in err and "containerd" in err


def test_embedded_lifecycles_today() -> None:
    containerd = lifecycle.embedded(("containerd-endoflife-date.md", "containerd.yaml"))
    assert containerd.window(Minor.parse("1.7"), DAY) is Window.EXTENDED  # RELEASES.md: 2026-09
    assert containerd.window(Minor.parse("1.6"), DAY) is Window.EXPIRED
    assert containerd.window(Minor.parse("2.3"), DAY) is Window.SUPPORTED
    etcd = lifecycle.embedded(("etcd-endoflife-date.md", "etcd.yaml"))
    # the endoflife.date copy says 2025-05-15; its own rule on today's tags gives 2026-06-01
    assert etcd.eol(Minor.parse("3.4")) == dt.date(2026, 6, 1)
    assert etcd.window(Minor.parse("3.4"), DAY) is Window.EXTENDED
    assert etcd.window(Minor.parse("3.5"), DAY) is Window.SUPPORTED  # eol: false
    assert etcd.window(Minor.parse("3.7"), DAY) is Window.SUPPORTED
    runc = lifecycle.embedded(("runc.yaml",))
    assert runc.eol(Minor.parse("1.2")) == dt.date(2026, 6, 19)  # 1.5.0: the third newer minor
    assert runc.window(Minor.parse("1.1"), DAY) is Window.EXPIRED
    assert runc.window(Minor.parse("1.3"), DAY) is Window.SUPPORTED
    assert any("RELEASES.md" in s for s in runc.sources)


def test_eol_false_is_supported_and_eol_true_has_no_window() -> None:
    project, releases = lifecycle.read_releases(DATA / "endoflife-date-containerd.md")
    lc = lifecycle.Lifecycle(project, {r.minor: r for r in releases})
    assert lc.window(Minor.parse("2.0"), DAY) is Window.SUPPORTED  # eol: false
    ended = lifecycle.from_files([], project="x").merged(
        [releases[0].__class__(Minor.parse("0.9"), None, None, supported=False)])
    assert ended.window(Minor.parse("0.9"), DAY) is Window.UNKNOWN
    assert "ended on a date" in ended.unplaced_reason(Minor.parse("0.9"))


def test_import_reads_the_endoflife_date_json_api(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    api = [{"cycle": "1.7", "releaseDate": "2023-03-10", "eol": "2026-03-10", "latest": "1.7.30"},
           {"cycle": "2.2", "releaseDate": "2025-11-05", "eol": False, "latest": "2.2.1"},
           {"cycle": "1.1", "releaseDate": "2018-04-23", "eol": True, "latest": "1.1.8"}]
    source = tmp_path / "containerd.json"
    source.write_text(json.dumps(api))
    out = tmp_path / "lifecycle.yaml"
    assert main(["lifecycle", "import", str(source), "--out", str(out)]) == 0
    lc = lifecycle.load(out, base=lifecycle.Lifecycle("containerd", {}))
    assert lc.window(Minor.parse("1.7"), DAY) is Window.EXTENDED
    assert lc.window(Minor.parse("2.2"), DAY) is Window.SUPPORTED
    assert lc.window(Minor.parse("1.1"), DAY) is Window.UNKNOWN
    bad = tmp_path / "bad.json"
    bad.write_text('[{"version": "1"}]')
    capsys.readouterr()
    assert main(["lifecycle", "import", str(bad), "--out", str(tmp_path / "o.yaml")]) == 1
    assert "bad.json" in capsys.readouterr().err and not (tmp_path / "o.yaml").exists()


def test_status_says_in_one_line_how_to_place_a_minor(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = init(tmp_path, "runc")
    capsys.readouterr()
    assert main(["status", "--repo", str(root), "--minor", "1.9", "--date", "2026-12-02"]) == 0
    notes = [line for line in capsys.readouterr().err.splitlines() if "1.9" in line]
    assert len(notes) == 1 and "ksp lifecycle import" in notes[0] and "runc" in notes[0]


def test_lint_warns_but_does_not_refuse_a_minor_it_cannot_place(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from _gatekit import add_patch

    root = init(tmp_path, "runc")
    add_patch(root, "1.9", 1, "diff --git a/x.go b/x.go\n--- a/x.go\n+++ b/x.go\n@@ -1 +1 @@\n"
                              "-a\n+b\n", index=True)
    capsys.readouterr()
    main(["lint", "--repo", str(root), "--date", "2026-12-02", "--format", "json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    # (the fixture's reviewer is no approver in OWNERS: those errors are the review rules')
    assert {f["code"] for f in findings if f["severity"] == "error"} <= {"KSP601", "KSP603"}
    window = [f for f in findings if f["code"] in ("KSP105", "KSP106")]
    assert [(f["code"], f["severity"]) for f in window] == [("KSP106", "warning")]
    assert "ksp lifecycle import" in window[0]["hint"]


def test_init_makes_a_git_repository_with_a_first_commit(tmp_path: Path) -> None:
    root = init(tmp_path, "containerd")
    log = subprocess.run(["git", "-C", str(root), "log", "--format=%s"], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert log == ["Patches repository created by ksp init"]
    status = subprocess.run(["git", "-C", str(root), "status", "--porcelain"],
                            capture_output=True, text=True, check=True).stdout
    assert status == ""


def test_init_no_commit_and_inside_a_repository(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    root = init(tmp_path, "runc", "--no-commit")
    head = subprocess.run(["git", "-C", str(root), "rev-parse", "-q", "--verify", "HEAD"],
                          capture_output=True, text=True, check=False)
    assert head.returncode != 0  # no commit, but the files are staged
    staged = subprocess.run(["git", "-C", str(root), "diff", "--cached", "--name-only"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert "ksp.yaml" in staged
    capsys.readouterr()
    inner = root / "sub"
    assert main(["init", str(inner), "--project", "etcd", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["git_init"] is False and result["commit"] is None
    assert not (inner / ".git").exists()


@pytest.mark.parametrize(("line", "expected"), [
    ("build_tags: no_btrfs", "'build_tags' must be list"),
    ("mirror_of: {upstream: https://github.com/kubernetes/kubernetes}", "mirror_of needs"),
    ("module_by_minor: [3.4]", "'module_by_minor' must be dict"),
])
def test_bad_preset_keys_are_one_line_errors(tmp_path: Path, line: str, expected: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    root = init(tmp_path, "containerd")
    config = root / "ksp.yaml"
    key = line.partition(":")[0] + ":"
    config.write_text("\n".join(x for x in config.read_text().splitlines()
                                if not x.startswith(key)) + f"\n{line}\n")
    capsys.readouterr()
    assert main(["status", "--repo", str(root)]) == 1
    err = capsys.readouterr().err
    assert expected in err and "ksp.yaml" in err and len(err.strip().splitlines()) <= 2


def test_a_bad_support_rule_in_a_lifecycle_file_is_an_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "lc.yaml"
    bad.write_text("schema: ksp-lifecycle/v1\nproject: x\npolicy: {supported_minors: 0}\n"
                   "releases: []\n")
    assert main(["lifecycle", "import", str(bad), "--out", str(tmp_path / "out.yaml")]) == 1
    assert "supported_minors" in capsys.readouterr().err
    assert not (tmp_path / "out.yaml").exists()
