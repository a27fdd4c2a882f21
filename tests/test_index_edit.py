"""index.yaml's typed edit operations (repo/index_edit.py): each changes only what it names and
keeps every other byte; the reads an edit decides on are typed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ksp.model import Advisory, AdvisoryId, AdvisoryKind, Minor, MinorState, Status
from ksp.repo import index_edit

INDEX = """\
# top comment
schema: ksp/v1
advisories:
  CVE-2099-0001:
    title: One  # kept
    kind: other-project
    project: etcd
    aliases: [GHSA-aaaa-bbbb-cccc]
    upstream:
      fixed_in: [1.30.10, 1.31.2]  # versions
      fixes: [https://example.invalid/pr/1]
    minors:
      "1.30": {status: needs-triage, reason: no such code, source: import}
      "1.31":
        status: needed
        link: https://example.invalid/issue/9
  CVE-2099-0002:
    title: Two
    kind: project
    minors: {}
  CVE-2099-0003:
    title: Three
    kind: dependency
    source: import
"""
M30, M31, M32 = Minor.parse("1.30"), Minor.parse("1.31"), Minor.parse("1.32")


@pytest.fixture
def index(tmp_path: Path) -> Path:
    path = tmp_path / "index.yaml"
    path.write_text(INDEX)
    return path


def test_typed_reads_of_an_entry(index: Path) -> None:
    with index_edit.edit(index, save=False) as doc:
        assert doc.has("CVE-2099-0001") and not doc.has("CVE-2099-0009")
        state = doc.state("CVE-2099-0001", M31)
        assert state is not None and state.status is Status.NEEDED
        assert state.link == "https://example.invalid/issue/9" and state.source is None
        assert doc.state("CVE-2099-0001", M32) is None
        assert doc.state("CVE-2099-0003", M30) is None  # an entry without `minors:`
        one, two, three = (doc.scope(f"CVE-2099-000{n}") for n in (1, 2, 3))
    assert (one.stated, one.project, one.by_person) == (AdvisoryKind.OTHER_PROJECT, "etcd", True)
    assert (two.stated, two.by_person) == (AdvisoryKind.PROJECT, True)  # a person said project
    assert (three.stated, three.by_person) == (AdvisoryKind.DEPENDENCY, False)


def test_update_state_writes_only_a_state_that_differs(index: Path) -> None:
    same = MinorState(Status.NEEDS_TRIAGE, reason="no such code", source="import")
    with index_edit.edit(index) as doc:
        assert doc.update_state("CVE-2099-0001", M30, same) is False
        before = doc.snapshot("CVE-2099-0001")
        assert doc.changes(before) is None
    assert index.read_text() == INDEX  # nothing rewritten, not even the flow mapping
    with index_edit.edit(index) as doc:
        before = doc.snapshot("CVE-2099-0001")
        assert doc.update_state("CVE-2099-0001", M30, MinorState(Status.NEEDED, source="import"))
        assert doc.changes(before) == ["minors.1.30"]
    assert '"1.30": {status: needed, source: import}' in index.read_text()
    assert index.read_text().replace('{status: needed, source: import}',
                                     '{status: needs-triage, reason: no such code, source: '
                                     'import}') == INDEX


def test_extend_lists_adds_what_is_missing_in_order_and_keeps_comments(index: Path) -> None:
    advisory = Advisory(AdvisoryId("CVE-2099-0001"), "ignored: the title is there",
                        aliases=("GHSA-aaaa-bbbb-cccc", "GO-2099-1"),
                        fixed_in=("1.30.9", "1.31.2", "1.29.20", "1.31.2-rc.1"),
                        fixes=("https://example.invalid/pr/2",))
    with index_edit.edit(index) as doc:
        before = doc.snapshot("CVE-2099-0001")
        doc.extend_lists(advisory)
        assert doc.changes(before) == ["aliases", "upstream"]
    text = index.read_text()
    assert "aliases: [GHSA-aaaa-bbbb-cccc, GO-2099-1]" in text
    assert "fixed_in: [1.29.20, 1.30.9, 1.30.10, 1.31.2-rc.1, 1.31.2] # versions" in text
    assert "fixes: [https://example.invalid/pr/1, https://example.invalid/pr/2]" in text
    assert "title: One  # kept" in text


def test_an_entry_without_a_list_does_not_gain_one_by_extending(index: Path) -> None:
    with index_edit.edit(index) as doc:
        doc.extend_lists(Advisory(AdvisoryId("CVE-2099-0002"), "Two", aliases=("GO-1",)))
    assert index.read_text() == INDEX  # upsert fills missing fields; extending never adds one


def test_upsert_then_drop_empty_minors_leaves_an_entry_as_it_was(index: Path) -> None:
    with index_edit.edit(index) as doc:
        before = doc.snapshot("CVE-2099-0003")
        assert doc.upsert(Advisory(AdvisoryId("CVE-2099-0003"), "Three")) is False
        assert doc.changes(before) == []  # changed (an empty map added), but no state
        assert before.existed and not before.had_minors
        doc.drop_empty_minors("CVE-2099-0003")
        assert doc.changes(before) is None
        doc.drop_empty_minors("CVE-2099-0002")  # an empty map a person wrote goes too
    assert index.read_text() == INDEX.replace("    kind: project\n    minors: {}\n",
                                              "    kind: project\n")


def test_a_new_entry_reports_every_key_and_reads_back_typed(index: Path) -> None:
    with index_edit.edit(index) as doc:
        before = doc.snapshot("CVE-2099-0004")
        assert not before.existed
        assert doc.upsert(Advisory(AdvisoryId("CVE-2099-0004"), "Four: a colon",
                                   published=dt.date(2099, 1, 2))) is True
        doc.set_state("CVE-2099-0004", M32, MinorState(Status.PATCHED, patch="v1.32/x.patch",
                                                       patched_on=dt.date(2099, 1, 3)))
        assert doc.changes(before) == ["published", "title", "minors.1.32"]
        typed = doc.advisories()[AdvisoryId("CVE-2099-0004")]
    assert typed.title == "Four: a colon" and typed.minors[M32].patched_on == dt.date(2099, 1, 3)
    assert index.read_text().startswith(INDEX)  # appended; nothing before it changed
