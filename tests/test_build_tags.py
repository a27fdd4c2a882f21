"""A preset's build tags reach the gate: containerd's `no_btrfs` on a `release/{minor}` upstream
whose cgo file includes a header that is not installed (the shape of containerd's btrfs
snapshotter)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from _gatekit import add_patch
from factories.staging import MAIN_GO, make_slash_upstream
from ksp.cli.main import main

DIFF = "\n".join([
    "diff --git a/cmd/ctrd/main.go b/cmd/ctrd/main.go",
    "--- a/cmd/ctrd/main.go",
    "+++ b/cmd/ctrd/main.go",
    "@@ -6,4 +6,4 @@ import (",
    ' \t"example.com/ctrd/snapshots"',
    " )",
    " ",
    '-func main() { fmt.Println("btrfs:", snapshots.Btrfs) }',
    '+func main() { fmt.Println("btrfs snapshotter:", snapshots.Btrfs) }',
    "",
])


@pytest.mark.go
def test_containerd_preset_builds_with_no_btrfs_and_fails_without(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert MAIN_GO.splitlines()[-1] in DIFF
    up = make_slash_upstream(tmp_path / "up")
    root = tmp_path / "patches"
    assert main(["init", str(root), "--project", "containerd", "--module", "example.com/ctrd",
                 "--upstream", "https://example.com/ctrd"]) == 0
    add_patch(root, "1.7", 1, DIFF, index=True)
    results = {}
    for tags in ('["no_btrfs"]', "[]"):
        config = root / "ksp.yaml"
        lines = [f"build_tags: {tags}" if line.startswith("build_tags:") else
                 'components: {"ctrd": "cmd/ctrd"}' if line.startswith("components:") else line
                 for line in config.read_text().splitlines()]
        config.write_text("\n".join(lines) + "\n")
        capsys.readouterr()
        rc = main(["gate", "--repo", str(root), "--upstream", str(up), "--minor", "1.7",
                   "--no-test", "--format", "json"])
        steps = json.loads(capsys.readouterr().out)["minors"][0]["steps"]
        results[tags] = (rc, {s["name"]: s["result"] for s in steps})
    assert results['["no_btrfs"]'][0] == 0
    assert results['["no_btrfs"]'][1]["build"] == "pass"
    # Without the tag the base cannot build either: `error` (issue 10), not the patch's `fail`.
    assert results["[]"][0] == 1 and results["[]"][1]["build"] == "error"
    branches = subprocess.run(["git", "-C", str(up), "branch", "--format=%(refname:short)"],
                              capture_output=True, text=True, check=True).stdout.split()
    assert "release/1.7" in branches
