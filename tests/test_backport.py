"""ksp backport triage on real git fixtures: one upstream per backport class."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Unpack

import pytest

from _backportkit import (
    SCENARIOS,
    RequestOptions,
    Scenario,
    Upstream,
    base_upstream,
    edit,
    fix_line,
)
from ksp import lifecycle
from ksp.backport import deps
from ksp.backport.classify import Classifier
from ksp.backport.model import (
    BackportResult,
    Conflict,
    ConflictKind,
    FixCommit,
    Result,
    Source,
)
from ksp.backport.run import Request, triage
from ksp.git import merge
from ksp.git.shadow import Shadow
from ksp.model import Minor
from ksp.repo.config import Config

TODAY = dt.date(2026, 11, 22)


def run(sc: Scenario, *minors: str, independent: bool = False,
        **kw: Unpack[RequestOptions]) -> BackportResult:
    request = Request("CVE-2099-0001", commits=sc.fix, to=tuple(Minor.parse(m) for m in
                      (minors or (sc.minor,))), independent=independent, today=TODAY, **kw)
    warnings: list[str] = []
    return triage(Shadow.open(sc.up.path), None, Config(), lifecycle.embedded(), req=request,
                  warn=warnings.append)


def scenario(name: str, tmp_path: Path) -> Scenario:
    return SCENARIOS[name](tmp_path)


def test_clean_fix_applies_exactly_and_reports_its_offset(tmp_path: Path) -> None:
    sc = scenario("clean", tmp_path)
    (target,) = run(sc).targets
    assert target.result is Result.CLEAN
    assert [c.result for c in target.commits] == [Result.CLEAN]
    offsets = target.commits[0].offsets
    assert [(o.path, o.hunk, o.offset) for o in offsets] == [("pkg/auth/check.go", 1, 1)]
    assert target.source == "upstream" and target.patch is None


def test_changed_context_needs_a_three_way_merge(tmp_path: Path) -> None:
    sc = scenario("three-way", tmp_path)
    (target,) = run(sc).targets
    assert target.result is Result.ADJUSTED
    assert target.commits[0].method == "3-way"
    assert target.attempt and target.attempt.head
    shadow = Shadow.open(sc.up.path)
    merged = shadow.git("show", f"{target.attempt.head}:pkg/auth/check.go").stdout
    assert "\tline 13 // branch\n" in merged and "\tline 15 checked\n" in merged


def test_fix_across_a_directory_move_lands_in_the_old_directory(tmp_path: Path) -> None:
    sc = scenario("directory-move", tmp_path)
    (target,) = run(sc).targets
    assert target.result is Result.ADJUSTED, target.commits
    assert target.attempt and target.attempt.head and target.head
    shadow = Shadow.open(sc.up.path)
    changed = merge.changed_paths(shadow, target.head, target.attempt.head)
    assert changed == ["etcdserver/fix_test.go", "etcdserver/server.go"]


def test_conflict_resolved_by_one_earlier_commit_is_found_and_verified(tmp_path: Path) -> None:
    sc = scenario("prerequisite", tmp_path)
    (target,) = run(sc).targets
    assert target.result is Result.CONFLICT
    (conflict,) = target.commits[0].conflicts
    assert (conflict.path, conflict.hunks, conflict.kind) == ("pkg/auth/check.go", 1,
                                                              ConflictKind.CONTENT)
    assert target.prerequisites == (sc.extra["prerequisite"],)
    assert target.prerequisites_verified


def test_conflict_that_nothing_resolves_is_reported_unverified(tmp_path: Path) -> None:
    sc = scenario("unresolvable", tmp_path)
    (target,) = run(sc).targets
    assert target.result is Result.CONFLICT
    assert target.prerequisites  # the main-only tweak of a neighbouring line is a candidate
    assert not target.prerequisites_verified


def test_multi_commit_fix_stops_at_its_third_commit(tmp_path: Path) -> None:
    sc = scenario("multi", tmp_path)
    (target,) = run(sc).targets
    assert target.result is Result.CONFLICT
    assert [c.result for c in target.commits] == [Result.CLEAN, Result.CLEAN, Result.CONFLICT]
    assert [c.sha for c in target.commits] == list(sc.fix)
    assert target.commits[2].conflicts[0].path == "pkg/auth/check.go"


def test_independent_mode_tries_each_commit_alone(tmp_path: Path) -> None:
    sc = scenario("multi", tmp_path)
    (target,) = run(sc, independent=True).targets
    # the second commit builds on the first, so alone it conflicts too
    assert [c.result for c in target.commits] == [Result.CLEAN, Result.CONFLICT,
                                                  Result.CONFLICT]


def test_series_mode_skips_commits_after_a_conflict(tmp_path: Path) -> None:
    up = base_upstream(tmp_path / "up")
    text = up.read("release-1.32", "pkg/auth/check.go")
    up.commit({"pkg/auth/check.go": edit(text, "\tline 15\n", "\tline 15 branch\n")}, "Branch",
              "release-1.32")
    first = fix_line(up)
    second = up.commit({"README.md": "later\n"}, "Docs")
    (target,) = run(Scenario(up, (first, second))).targets
    assert [c.result for c in target.commits] == [Result.CONFLICT, Result.SKIPPED]


def test_dependency_bump_is_reported_as_module_versions(tmp_path: Path) -> None:
    sc = scenario("dependency-bump", tmp_path)
    same, older = run(sc, "1.32", "1.31").targets
    assert same.dependency_bump and older.dependency_bump
    (module,) = same.dependency_bump.modules
    assert (module.module, module.source_from, module.source_to, module.target) == (
        "github.com/foo/bar", "v1.0.0", "v1.0.1", "v1.0.0")
    assert same.dependency_bump.same_start
    assert same.dependency_bump.zero_context == "applied"
    assert same.result is Result.ADJUSTED and same.commits[0].method == "zero-context"
    assert older.result is Result.CONFLICT
    assert older.dependency_bump.modules[0].target == "v0.8.0"
    assert older.dependency_bump.zero_context == "not-offered"
    paths = [c.path for c in older.commits[0].conflicts]
    assert "vendor/github.com/foo/bar/bar.go" not in paths and "vendor/" in paths


def test_newer_branch_backport_is_the_best_source(tmp_path: Path) -> None:
    sc = scenario("newer-branch", tmp_path)
    (target,) = run(sc).targets
    assert target.result is Result.CLEAN
    assert target.source == "release-1.33"
    assert target.sources_tried[0].source == "release-1.33"
    backport = sc.up.rev("release-1.33")
    assert target.commits[0].applied_from == backport
    assert target.commits[0].sha == sc.fix[0]
    # the main-branch commit itself does not apply there
    assert target.head and target.base
    shadow = Shadow.open(sc.up.path)
    parent = sc.up.rev(f"{sc.fix[0]}^")
    original = Source("upstream", (FixCommit(sc.fix[0], sc.fix[0], parent),))
    attempt = Classifier(shadow).attempt(original, target.head, target.base, independent=False)
    assert attempt.result is Result.CONFLICT


def test_fix_already_merged_into_the_target_branch_is_found_by_its_trailer(
        tmp_path: Path) -> None:
    """The fix landed upstream in that release branch as an adjusted cherry-pick: its main
    commit conflicts there, but there is nothing to backport."""
    sc = scenario("newer-branch", tmp_path)
    (target,) = run(sc, "1.33").targets
    assert target.result is Result.ALREADY_APPLIED
    assert target.source == "release-1.33 (already there)"
    (commit,) = target.commits
    assert commit.already_applied and commit.applied_from == sc.up.rev("release-1.33")
    assert commit.method == "cherry-pick-trailer"
    assert target.already_applied is not None
    assert target.already_applied.by == "cherry-pick-trailer"
    assert target.prerequisites == ()


def test_from_branch_restricts_the_sources(tmp_path: Path) -> None:
    sc = scenario("newer-branch", tmp_path)
    (target,) = run(sc, from_branch="release-1.33").targets
    assert target.source == "release-1.33"


def test_missing_and_deleted_files_are_told_apart(tmp_path: Path) -> None:
    up = base_upstream(tmp_path / "up")
    up.commit({"pkg/util/util.go": None}, "Drop util on the branch", "release-1.32")
    up.commit({"pkg/new/new.go": "package new\n\nvar x = 1\n"}, "Add new package")
    fix = up.commit({"pkg/new/new.go": "package new\n\nvar x = 2\n",
                     "pkg/util/util.go": up.read("main", "pkg/util/util.go") + "// fixed\n"},
                    "Fix both")
    (target,) = run(Scenario(up, (fix,)), prerequisites=False).targets
    kinds = {c.path: c.kind for c in target.commits[0].conflicts}
    assert kinds == {"pkg/new/new.go": ConflictKind.MISSING,
                     "pkg/util/util.go": ConflictKind.DELETED}


def test_already_applied_fix_is_clean_and_says_so(tmp_path: Path) -> None:
    up = base_upstream(tmp_path / "up")
    fix = fix_line(up)
    up.git("branch", "-f", "release-1.32", "main")
    (target,) = run(Scenario(up, (fix,))).targets
    assert target.result is Result.ALREADY_APPLIED and target.commits[0].already_applied
    assert target.already_applied is not None and target.already_applied.by == "ancestor"


def test_merge_pull_request_and_range_resolve_to_the_same_commits(tmp_path: Path) -> None:
    sc = scenario("multi", tmp_path)
    up: Upstream = sc.up
    up.git("checkout", "-q", "-b", "pr", sc.fix[0] + "^")
    up.git("cherry-pick", *sc.fix)
    up.git("checkout", "-q", "main")
    up.git("reset", "-q", "--hard", sc.fix[0] + "^")
    up.git("merge", "-q", "--no-ff", "-m", "Merge pull request #1", "pr")
    merged = run(Scenario(up, ()), merge="main")
    ranged = run(Scenario(up, ()), range="main^1..main^2")
    assert [c.subject for c in merged.commits] == [c.subject for c in ranged.commits] == [
        "Add a guard", "Make the guard strict", "Use the guard in the check"]


def test_synthetic_merge_base_matches_a_real_cherry_pick(tmp_path: Path) -> None:
    """The git 2.39 path (synthetic commits) gives what `git cherry-pick` gives."""
    sc = scenario("three-way", tmp_path)
    shadow = Shadow.open(sc.up.path)
    fix = sc.fix[0]
    target = sc.up.rev("release-1.32")
    result = merge.pick(shadow, target, fix, sc.up.rev(f"{fix}^"), merge_base=False)
    sc.up.git("checkout", "-q", "release-1.32")
    sc.up.git("cherry-pick", fix)
    assert result.clean and result.tree == sc.up.rev("HEAD^{tree}")
    assert merge.has_merge_base_option() == (merge.git_version() >= (2, 40))


def test_merge_tree_messages_are_parsed(tmp_path: Path) -> None:
    up = base_upstream(tmp_path / "up")
    up.commit({"pkg/util/util.go": None}, "Drop util", "release-1.32")
    fix = up.commit({"pkg/util/util.go": up.read("main", "pkg/util/util.go") + "// x\n"}, "Fix")
    shadow = Shadow.open(up.path)
    result = merge.pick(shadow, up.rev("release-1.32"), fix, up.rev(f"{fix}^"))
    assert not result.clean
    assert [(c.path, c.stages) for c in result.conflicted] == [("pkg/util/util.go", (1, 3))]
    assert result.kinds("pkg/util/util.go") == ["CONFLICT (modify/delete)"]


@pytest.mark.parametrize(("text", "expected"), [
    ("module m\n\nrequire a.io/x v1.2.3\n", {"a.io/x": "v1.2.3"}),
    ("module m\nrequire (\n\ta.io/x v1.0.0 // indirect\n\tb.io/y v0.1.0-pre\n)\n",
     {"a.io/x": "v1.0.0", "b.io/y": "v0.1.0-pre"}),
])  # fmt: skip
def test_go_mod_require_lines(text: str, expected: dict[str, str]) -> None:
    assert deps.parse_go_mod(text) == expected


def test_modules_txt_lines() -> None:
    text = "# a.io/x v1.0.0\n## explicit\na.io/x\n# b.io/y v2.0.0 => ./local\n"
    assert deps.parse_modules_txt(text) == {"a.io/x": "v1.0.0", "b.io/y": "v2.0.0"}
    assert deps.only_dependencies(["go.mod", "go.sum", "vendor/a/b.go"])
    assert not deps.only_dependencies(["go.mod", "pkg/a.go"])


def test_folded_vendor_conflicts_are_counted_in_words() -> None:
    def vendored(n: int) -> str:
        return f"vendor/github.com/foo/m{n}/m.go"

    one = deps.collapse([Conflict(vendored(1), 1, ConflictKind.CONTENT)])[0]
    two = deps.collapse([Conflict(vendored(n), 1, ConflictKind.CONTENT) for n in (1, 2)])[0]
    assert one[0].detail.startswith("1 vendored file differs:")
    assert two[0].detail.startswith("2 vendored files differ:")
