"""The CLI contract: --version, --help with an example everywhere, exit codes, the done-when
flows of the foundation (status on the embedded data, init -> lint, new -> lint, `..` -> 1)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from _samples import DAY, DIFF, VECTOR
from ksp import __version__
from ksp.cli.main import build_parser, main


def _commands() -> list[list[str]]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found = []
    for name, child in sub.choices.items():
        found.append([name])
        for action in child._actions:
            if action.dest == "action" and action.choices is not None:
                found += [[name, leaf] for leaf in action.choices]
    return found


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"ksp {__version__}"


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage" in capsys.readouterr().err


@pytest.mark.parametrize("argv", _commands(), ids=" ".join)
def test_every_command_help_has_an_example(argv: list[str],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*argv, "--help"]) == 0
    out = capsys.readouterr().out
    assert "example" in out.lower()
    assert f"ksp {argv[0]}" in out


def test_the_commands_of_this_part_exist() -> None:
    names = {" ".join(c) for c in _commands()}
    assert {"init", "lint", "new", "status", "lifecycle import", "lifecycle show"} <= names


def test_unknown_option_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--no-such-flag"]) == 2
    assert "usage error" in capsys.readouterr().err


def test_status_windows_on_the_day(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["status", "--date", DAY, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    windows = {row["minor"]: row["window"] for row in data["minors"]}
    assert data["date"] == DAY
    assert windows["1.31"] == "expired"
    assert [windows[m] for m in ("1.32", "1.33", "1.34")] == ["extended"] * 3
    assert [windows[m] for m in ("1.35", "1.36")] == ["supported"] * 2


def _init(tmp_path: Path) -> Path:
    root = tmp_path / "patches"
    assert main(["init", str(root)]) == 0
    return root


def _new(root: Path, tmp_path: Path, diff: str = DIFF, *extra: str) -> int:
    source = tmp_path / "fix.diff"
    source.write_text(diff)
    return main([
        "new", "CVE-2025-5187", "--minor", "1.33", "--diff", str(source), "--repo", str(root),
        "--title", "Nodes can delete themselves", "--cvss-vector", VECTOR,
        "--original-patch", "https://github.com/kubernetes/kubernetes/pull/133467",
        "--cve-issue", "https://github.com/kubernetes/kubernetes/issues/133471",
        "--components", "kube-apiserver", "--fixer", "@fixer", "--reviewer", "@src",
        "--testing", "Validated against v1.33.13 on 2026-11-20", "--date", DAY, *extra,
    ])


def test_init_then_lint_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _init(tmp_path)
    capsys.readouterr()
    assert main(["lint", "--repo", str(root), "--date", DAY, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {"result": "pass", "errors": 0, "warnings": 0, "findings": []}


def test_new_then_lint_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _init(tmp_path)
    (root / "OWNERS").write_text("approvers: [src]\n")  # the reviewer must be an approver
    assert _new(root, tmp_path) == 0
    assert (root / "v1.33" / "0001_CVE-2025-5187.patch").is_file()
    capsys.readouterr()
    assert main(["lint", "--repo", str(root), "--date", DAY]) == 0
    assert "pass: 0 error(s), 0 warning(s)" in capsys.readouterr().out


def test_patch_touching_parent_fails_lint_naming_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _init(tmp_path)
    assert _new(root, tmp_path) == 0
    patch = root / "v1.33" / "0001_CVE-2025-5187.patch"
    patch.write_text(patch.read_text().replace("pkg/auth/check.go", "../x"))
    capsys.readouterr()
    assert main(["lint", "--repo", str(root), "--date", DAY]) == 1
    captured = capsys.readouterr()
    assert "v1.33/0001_CVE-2025-5187.patch" in captured.out
    assert "KSP401" in captured.out and "../x" in captured.out
    assert "v1.33/0001_CVE-2025-5187.patch" in captured.err


def test_lint_outside_a_repo_is_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["lint"]) == 1
    assert "not inside a patches repo" in capsys.readouterr().err


def test_the_script_flushes_everything_and_keeps_exit_codes() -> None:
    """`entry` leaves without interpreter teardown: output must still arrive whole."""
    import subprocess
    import sys

    ok = subprocess.run([sys.executable, "-m", "ksp", "status", "--date", DAY, "--format",
                         "json"], capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert len(json.loads(ok.stdout)["minors"]) >= 18
    usage = subprocess.run([sys.executable, "-m", "ksp", "status", "--no-such-flag"],
                           capture_output=True, text=True, check=False)
    assert usage.returncode == 2 and "usage error" in usage.stderr
