"""Journalled operations (repo/journal.py) and the YAML writer, in-process."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from _faultkit import problems
from ksp.cli.main import main
from ksp.errors import FormatError
from ksp.gate import evidence
from ksp.gate.model import GateRequest
from ksp.gate.run import run_gate
from ksp.repo import open_repo
from ksp.repo.index import IndexDocument
from ksp.repo.journal import JOURNAL, recover, transaction
from test_policy import make_upstream

FLAGS = ("--title", "t", "--severity", "MEDIUM", "--original-patch",
         "https://github.com/kubernetes/kubernetes/pull/1", "--cve-issue",
         "https://github.com/kubernetes/kubernetes/issues/2", "--components", "kube-apiserver",
         "--fixer", "@f", "--date", "2026-11-22")


def _diff(tmp: Path, name: str, path: str, old: str) -> Path:
    diff = tmp / name
    diff.write_text(f"diff --git a/{path} b/{path}\nindex 1111111..2222222 100644\n--- a/{path}"
                    f"\n+++ b/{path}\n@@ -1 +1,2 @@\n {old}\n+// checked\n")
    return diff


def test_record_of_two_patches_writes_no_yaml_alias(tmp_path: Path) -> None:
    """Two states set on one day share one date object: dumped, it was `&id001`/`*id001`,
    which every later command refused (KSP002)."""
    root = tmp_path / "patches"
    assert main(["init", str(root)]) == 0
    upstream = make_upstream(tmp_path / "upstream")
    config = root / "ksp.yaml"  # the second patch changes the Makefile: waived
    config.write_text(config.read_text().replace("waivers: []", "waivers: [CVE-2025-0002]"))
    for ident, diff in (("CVE-2025-0001", _diff(tmp_path, "a", "pkg/auth/auth.go",
                                                "package auth")),
                        ("CVE-2025-0002", _diff(tmp_path, "b", "Makefile", "all:"))):
        assert main(["new", ident, "--minor", "1.30", "--diff", str(diff), "--repo", str(root),
                     *FLAGS]) == 0
    repo = open_repo(root)
    patches = tuple(sorted((root / "v1.30").glob("*.patch")))
    result = run_gate(GateRequest(repo, upstream, patches=patches, build=False, test=False,
                                  progress=False))
    assert result.ok
    assert evidence.record(repo, result, dt.date(2026, 11, 22)) == list(patches)
    text = (root / "index.yaml").read_text()
    assert "&id" not in text and "*id" not in text
    states = [a.minors for a in IndexDocument.load(root / "index.yaml").advisories().values()]
    assert [s[next(iter(s))].patched_on for s in states] == [dt.date(2026, 11, 22)] * 2
    assert problems(root) == []


def test_a_journal_left_behind_is_rolled_forward(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old a")
    (tmp_path / ".a.txt.ksp-txn-1-aa.tmp").write_text("new a")
    (tmp_path / "b.txt").write_text("new b")  # its rename had already run
    (tmp_path / ".ksp").mkdir()
    (tmp_path / JOURNAL).write_text(json.dumps({"version": 1, "removes": [], "renames": [
        [".a.txt.ksp-txn-1-aa.tmp", "a.txt"], [".b.txt.ksp-txn-1-bb.tmp", "b.txt"]]}))
    assert recover(tmp_path)
    assert (tmp_path / "a.txt").read_text() == "new a"
    assert (tmp_path / "b.txt").read_text() == "new b"
    assert not (tmp_path / JOURNAL).exists() and not recover(tmp_path)


def test_an_unreadable_journal_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / ".ksp").mkdir()
    (tmp_path / JOURNAL).write_text("{not json")
    with pytest.raises(FormatError) as caught:
        recover(tmp_path)
    assert "journal" in caught.value.message and caught.value.path == str(tmp_path / JOURNAL)


def test_a_failed_block_stages_nothing_and_stray_temp_files_are_swept(tmp_path: Path) -> None:
    (tmp_path / "v1.30").mkdir()
    stray = tmp_path / "v1.30" / ".0001_X.patch.ksp-txn-9-ff.tmp"
    stray.write_text("from a run that died before its journal")
    with pytest.raises(RuntimeError), transaction(tmp_path) as txn:
        txn.write(tmp_path / "v1.30" / "0001_X.patch", "x")
        raise RuntimeError("boom")
    assert sorted(p.name for p in (tmp_path / "v1.30").iterdir()) == []
    with transaction(tmp_path) as txn:
        txn.write(tmp_path / "index.yaml", "y")
    assert (tmp_path / "index.yaml").read_text() == "y"
    with pytest.raises(FormatError), transaction(tmp_path) as txn:
        txn.write(tmp_path.parent / "outside", "z")


def test_lint_and_git_ignore_temporary_files(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "patches"
    assert main(["init", str(root)]) == 0
    assert main(["new", "CVE-2025-0001", "--minor", "1.33", "--diff",
                 str(_diff(tmp_path, "a", "pkg/a.go", "a")), "--repo", str(root), *FLAGS,
                 "--testing", "Validated on 2026-11-20"]) == 0
    (root / "v1.33" / ".0002_CVE-2025-0002.patch.ksp-txn-1-aa.tmp").write_text("half")
    (root / ".index.yaml.12.abcdef.tmp").write_text("half")
    capsys.readouterr()
    assert main(["lint", "--repo", str(root), "--pre-review"]) == 0, capsys.readouterr().out
    assert ".*.tmp" in (root / ".gitignore").read_text().splitlines()
