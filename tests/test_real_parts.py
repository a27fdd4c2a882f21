"""The suite never passes without its real parts: a missing Go stops the run with one line
naming it and the explicit way to deselect its tests (conftest.py, `_realparts`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _realparts import MARKERS, missing_message

ROOT = Path(__file__).resolve().parent.parent


def pytest_without_go(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    empty = tmp_path / "bin"  # PATH holds nothing: no go (the interpreter is named in full)
    empty.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         "tests/test_goimports.py", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
        env={"PATH": str(empty), "HOME": str(tmp_path)})


def test_a_missing_go_stops_the_run_with_one_line(tmp_path: Path) -> None:
    proc = pytest_without_go(tmp_path)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ERROR:")]
    assert errors == ["ERROR: " + missing_message(["go"])]
    assert "passed" not in proc.stdout and "xfail" not in proc.stdout


def test_deselecting_go_explicitly_runs_nothing_that_needs_it(tmp_path: Path) -> None:
    proc = pytest_without_go(tmp_path, "-m", "not go")
    assert proc.returncode == 5, proc.stdout + proc.stderr  # every test there needs Go
    assert "deselected" in proc.stdout and "ERROR" not in proc.stderr


def test_the_line_names_each_missing_part_and_its_marker() -> None:
    assert missing_message([]) == ""
    assert missing_message(["go", "browser"]) == (
        f"missing {MARKERS['go']} and {MARKERS['browser']}: install it (.ci/run does), or "
        "deselect those tests explicitly with -m 'not go and not browser'")
