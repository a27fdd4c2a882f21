"""The resume state of a conflicted backport: typed, versioned, and refused in one line when it
is not one this ksp wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ksp.backport.model import FixCommit
from ksp.backport.state import ResumeState, load
from ksp.errors import FormatError
from ksp.model import Minor


def _state(tmp_path: Path) -> ResumeState:
    return ResumeState(
        advisory="CVE-2099-0001", minor=Minor.parse("1.31"), branch="release-1.31",
        upstream=tmp_path / "up", repo=tmp_path / "patches", head="a" * 40,
        worktree=tmp_path / "wt", commits=("b" * 40,),
        remaining=(FixCommit("c" * 40, "c" * 40, "b" * 40, "second"),),
        base="d" * 40, shadow=tmp_path / "shadow", subject="auth: reject anonymous",
        source="upstream", header={"fixer": "@dee"})


def test_a_saved_state_reads_back_the_same(tmp_path: Path) -> None:
    state = _state(tmp_path)
    state.save(tmp_path / "s.json")
    assert load(tmp_path / "s.json") == state
    assert load(tmp_path / "s.json").without_first(1).remaining == ()


def test_a_state_of_another_version_is_refused_naming_the_file(tmp_path: Path) -> None:
    file = tmp_path / "s.json"
    _state(tmp_path).save(file)
    data = json.loads(file.read_text())
    file.write_text(json.dumps({**data, "version": 2}))
    with pytest.raises(FormatError) as caught:
        load(file)
    assert "version 2" in str(caught.value) and str(file) in str(caught.value)
