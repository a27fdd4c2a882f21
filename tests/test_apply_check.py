"""The in-memory `git apply --check` (ksp.git.patchtree via merge.apply_check) against git's.

Backport triage asks "does the fix apply exactly, and at which offsets?" of every target in
memory; the answer must be the one `git apply --cached --check` gives on the same tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from ksp.git import diff as diffmod
from ksp.git import merge
from ksp.git.patchtree import ApplyCheck
from ksp.git.shadow import Shadow
from test_series import diff_of, lines, run, upstream  # noqa: F401  (fixture)


def both(shadow: Shadow, onto: str, patch: bytes, *, reverse: bool = False
         ) -> tuple[ApplyCheck, ApplyCheck]:
    paths = sorted({p for f in diffmod.parse(patch) for p in (f.old_path, f.new_path)
                    if p})
    ours = merge.apply_check(shadow, onto, patch, paths, reverse=reverse)
    gits = merge._apply_check_git(shadow, onto, patch, paths, reverse=reverse)
    return ours, gits


def commit(repo: Path, edit: dict[str, str], message: str) -> str:
    for path, text in edit.items():
        (repo / path).write_text(text)
    run(repo, "commit", "-qam", message)
    return run(repo, "rev-parse", "HEAD").strip()


@pytest.mark.parametrize("case", ["exact", "offset", "conflict", "reverse", "rename"])
def test_the_answer_and_offsets_are_gits(upstream: Path, case: str) -> None:  # noqa: F811
    fix = diff_of(upstream, {"a.txt": lines(upstream, (10, "ten"), (30, "thirty"))})
    if case == "rename":
        fix = diff_of(upstream, {"old.txt": "rename me, changed\n"}, renames={"old.txt": "n.txt"})
    onto = run(upstream, "rev-parse", "HEAD").strip()
    if case == "offset":  # three lines more above both hunks: each applies 3 lines lower
        text = "x\ny\nz\n" + (upstream / "a.txt").read_text()
        onto = commit(upstream, {"a.txt": text}, "shift")
    if case == "conflict":  # the second hunk's context is gone
        onto = commit(upstream, {"a.txt": lines(upstream, (29, "other"))}, "other")
    if case == "reverse":  # the fix is already there: it reverse-applies, not forward
        onto = commit(upstream, {"a.txt": lines(upstream, (10, "ten"), (30, "thirty"))}, "fix")
        ours, gits = both(Shadow.open(upstream), onto, fix, reverse=True)
        assert ours.ok and gits.ok
        forward = both(Shadow.open(upstream), onto, fix)
        assert not forward[0].ok and not forward[1].ok
        return
    ours, gits = both(Shadow.open(upstream), onto, fix)
    assert (ours.ok, ours.offsets) == (gits.ok, gits.offsets)
    assert ours.ok is (case != "conflict")
    if case == "offset":
        assert ours.offsets == (("a.txt", 1, 3), ("a.txt", 2, 3))
    if case == "conflict":
        assert ours.error == gits.error == "error: a.txt: patch does not apply"
