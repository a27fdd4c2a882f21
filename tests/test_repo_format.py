"""The repository format's guarantees: byte-exact headers, round-trip index edits that keep
comments and order, atomic writes, and a lock under which concurrent writers all land."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from ksp._files import atomic_write
from ksp._yaml import load_yaml
from ksp.errors import FormatError
from ksp.model import Advisory, AdvisoryId, Minor, MinorState, PatchKind, Status
from ksp.repo import index_edit, patchfile
from ksp.repo.index import IndexDocument

DIFF = (
    "diff --git a/pkg/a.go b/pkg/a.go\n"
    "index 1111111..2222222 100644\n"
    "--- a/pkg/a.go\n"
    "+++ b/pkg/a.go\n"
    "@@ -1,2 +1,3 @@\n"
    " package a\n"
    "+// x\n"
    " func A() {}\n"
)
ODD_HEADER = (
    "# Security patch for CVE-2025-5187\n"
    "# Original patch:    https://github.com/kubernetes/kubernetes/pull/133467   \n"
    "# CVE issue: https://github.com/kubernetes/kubernetes/issues/133471\n"
    "#   free text the tool does not understand\n"
    "# Severity: MEDIUM (CVSS 6.7)\n"
    "# Reviewed-On: somewhere   \n"
    "# Affected components: kube-apiserver,kubelet\n"
    "#\n"
    "#\n"
    "# Testing:\n"
    "# CVE Fixer: @x\n"
    "# SRC Reviewer: @y\n"
    "#\n"
)
INDEX = """\
# top comment
schema: ksp/v1
advisories:
  # the newest first
  CVE-2025-5187:
    title: Nodes can delete themselves  # trailing comment
    issue: https://github.com/kubernetes/kubernetes/issues/133471
    minors:
      "1.33": {status: needed}
  CVE-2024-0001:
    title: "Older one"
    minors: {}
"""


def test_header_round_trips_byte_for_byte(tmp_path: Path) -> None:
    text = ODD_HEADER + DIFF
    patch = patchfile.parse(text, tmp_path / "p.patch")
    assert patch.render() == text
    original = patch.header.get("Original patch")
    assert original == "https://github.com/kubernetes/kubernetes/pull/133467"
    assert patch.header.get("Reviewed-On") == "somewhere"
    assert patch.header.get("Testing") == ""
    assert patch.header.keys().count("Reviewed-On") == 1
    assert patch.header.components == ["kube-apiserver", "kubelet"]


def test_setting_a_field_rewrites_only_its_line(tmp_path: Path) -> None:
    patch = patchfile.parse(ODD_HEADER + DIFF, tmp_path / "p.patch")
    changed = patch.header.set("Testing", "Validated against v1.33.13 on 2026-11-20").render()
    before, after = ODD_HEADER.splitlines(), changed.splitlines()
    assert len(before) == len(after)
    assert [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [9]


def test_repeated_key_is_an_error_with_its_line(tmp_path: Path) -> None:
    text = ODD_HEADER.replace("# CVE Fixer: @x\n", "# CVE Fixer: @x\n# CVE Fixer: @z\n") + DIFF
    with pytest.raises(FormatError) as info:
        patchfile.parse(text, tmp_path / "p.patch")
    assert info.value.line == 12
    assert "twice" in info.value.message


def test_new_header_has_one_separator_before_the_evidence() -> None:
    header = patchfile.new_header(PatchKind.SECURITY, "CVE-2025-5187", {
        "Original patch": "u", "CVE issue": "i", "Severity": "LOW", "Affected components": "c",
        "Testing": "t", "CVE Fixer": "@f", "SRC Reviewer": "@r"})
    assert header.render().splitlines()[-5:] == [
        "#", "# Testing: t", "# CVE Fixer: @f", "# SRC Reviewer: @r", "#"]


def test_crlf_in_a_diff_is_refused_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(FormatError) as info:
        patchfile.parse_diff(DIFF.replace("\n", "\r\n"), tmp_path / "d.diff", first_line=14)
    assert info.value.line == 14


def _write_index(tmp_path: Path) -> Path:
    path = tmp_path / "index.yaml"
    path.write_text(INDEX)
    return path


def test_index_edit_keeps_comments_order_and_quotes(tmp_path: Path) -> None:
    path = _write_index(tmp_path)
    with index_edit.edit(path) as doc:
        doc.set_state("CVE-2025-5187", Minor.parse("1.32"), MinorState(Status.NEEDS_TRIAGE))
    text = path.read_text()
    assert text.startswith("# top comment\nschema: ksp/v1\nadvisories:\n  # the newest first\n")
    assert "title: Nodes can delete themselves  # trailing comment" in text
    assert 'title: "Older one"' in text
    assert text.index("CVE-2025-5187") < text.index("CVE-2024-0001")
    minors = IndexDocument.load(path).advisories()[AdvisoryId("CVE-2025-5187")].minors
    assert minors[Minor.parse("1.32")].status is Status.NEEDS_TRIAGE
    assert minors[Minor.parse("1.33")].status is Status.NEEDED


def test_a_failed_edit_saves_nothing(tmp_path: Path) -> None:
    path = _write_index(tmp_path)
    with pytest.raises(RuntimeError), index_edit.edit(path) as doc:
        doc.set_state("CVE-2025-5187", Minor.parse("1.32"), MinorState(Status.NEEDED))
        raise RuntimeError("boom")
    assert path.read_text() == INDEX


def test_atomic_write_leaves_the_old_file_when_the_rename_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "f.txt"
    path.write_text("old\n")

    def refuse(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError):
        atomic_write(path, "new\n")
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]


def test_atomic_write_replaces_and_sets_mode(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "f.txt"
    atomic_write(path, "one\n")
    atomic_write(path, b"two\n")
    assert path.read_bytes() == b"two\n"
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in path.parent.iterdir()] == ["f.txt"]


def _writer(path: str, prefix: str, count: int) -> None:
    for n in range(count):
        with index_edit.edit(Path(path)) as doc:
            doc.upsert(Advisory(AdvisoryId(f"INFRA-{prefix}-{n}"), f"{prefix} {n}",
                                kind=PatchKind.INFRASTRUCTURE))


def test_two_processes_editing_the_index_both_land(tmp_path: Path) -> None:
    path = _write_index(tmp_path)
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(path), name, 10)) for name in ("a", "b")]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    assert [proc.exitcode for proc in procs] == [0, 0]
    ids = set(IndexDocument.load(path).advisories())
    assert {f"INFRA-{p}-{n}" for p in "ab" for n in range(10)} <= ids
    assert "# top comment" in path.read_text()


def test_roundtrip_load_keeps_quotes(tmp_path: Path) -> None:
    path = tmp_path / "k.yaml"
    path.write_text("branch: 'release-{minor}'\n")
    assert load_yaml(path, roundtrip=True)["branch"] == "release-{minor}"
