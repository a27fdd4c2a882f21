"""`ksp demo` runs the whole journey for real: the README's first command must keep working."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

DATA = Path(__file__).parent / "data"

pytestmark = [pytest.mark.go, pytest.mark.slow]


def _files(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}


def test_demo_runs_end_to_end_and_writes_only_its_folder(tmp_path: Path,
                                                         isolated_env: Path) -> None:
    home_before = _files(isolated_env)
    work = tmp_path / "demo"
    proc = subprocess.run([sys.executable, "-m", "ksp", "demo", str(work)], capture_output=True,
                          text=True, check=False, cwd=tmp_path, env=dict(os.environ))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    # The three backport classes, the verified prerequisite, and both gate outcomes.
    for line in ("│ 1.33  │ release-1.33 │ clean ", "│ 1.32  │ release-1.32 │ adjusted ",
                 "│ 1.31  │ release-1.31 │ conflict ", "1.31: prerequisites (verified):",
                 "gate PASS: 2 minor(s)", "new: example.com/demo/pkg/auth TestAdmit",
                 "gate FAIL: 1 minor(s), failed: 1.31", "pass: 0 error(s), 0 warning(s)"):
        assert line in out
    assert "# Testing: ksp gate pass on " in (
        work / "patches/v1.33/0001_CVE-2099-0001.patch").read_text()
    vex = json.loads((work / "demo-server.vex.json").read_text())
    jsonschema.validate(vex, json.loads((DATA / "schemas/openvex-0.2.0.schema.json").read_text()))
    assert [s["status"] for s in vex["statements"]] == ["fixed"]
    message = subprocess.run(["git", "-C", str(work / "consumer"), "log", "-1", "--format=%B"],
                             capture_output=True, text=True, check=True).stdout
    assert "Ksp-Build: v1.33.1+ksp.1" in message
    assert (work / "site/index.html").is_file()
    assert _files(isolated_env) == home_before  # nothing written outside the demo folder
    assert {p.name for p in tmp_path.iterdir()} == {"demo"}


def test_demo_refuses_a_folder_with_files(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine\n")
    proc = subprocess.run([sys.executable, "-m", "ksp", "demo", str(tmp_path)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "is not empty" in proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
