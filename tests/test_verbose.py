"""`-v`: real logging (every git command, its exit code and time) and the internal-error hint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from _backportkit import SCENARIOS
from ksp.cli import status
from ksp.cli.main import main


def test_verbose_logs_git_commands_with_timings(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS["clean"](tmp_path)
    rc = main(["-v", "backport", "CVE-2099-0001", "--upstream", str(sc.up.path), "--commit",
               sc.fix[0], "--to", "1.32", "--date", "2026-11-22"])
    err = capsys.readouterr().err
    assert rc == 0
    assert re.search(r"^ksp: ksp\.git: git -C \S+ merge-tree .*: exit [01], \d+\.\d ms$", err,
                     re.MULTILINE), err
    assert re.search(r"^ksp: ksp: backport done in \d+ ms$", err, re.MULTILINE)
    # without -v, nothing of it
    main(["backport", "CVE-2099-0001", "--upstream", str(sc.up.path), "--commit", sc.fix[0],
          "--to", "1.32", "--date", "2026-11-22"])
    assert "ksp.git" not in capsys.readouterr().err


def test_internal_error_hint_names_a_command_line_the_parser_accepts(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def broken(_args: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(status, "run", broken)
    assert main(["status"]) == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom" in err
    assert "rerun as `ksp -v status …`" in err
    assert main(["-v", "status"]) == 3  # the form the hint names is accepted...
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err  # ...and shows the traceback
