"""Synthetic fixtures of the shapes found on real upstreams (bench/realworld/backport.yaml).

Each test names the real case it guards; the upstream is built with real git, in miniature.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Unpack

from _backportkit import (
    RequestOptions,
    Scenario,
    Upstream,
    _deps,
    base_upstream,
    edit,
    fix_line,
    go_file,
    lines,
)
from ksp import lifecycle
from ksp.backport.model import BackportResult, PullRequest, Result
from ksp.backport.run import Request, triage
from ksp.git.shadow import Shadow
from ksp.model import Minor
from ksp.repo.config import Config

TODAY = dt.date(2026, 11, 22)


def run(up: Upstream, fix: tuple[str, ...], minor: str = "1.32", *,
        config: Config | None = None, **kw: Unpack[RequestOptions]) -> BackportResult:
    request = Request("CVE-2099-0001", commits=fix, to=(Minor.parse(minor),), today=TODAY, **kw)
    return triage(Shadow.open(up.path), None, config or Config(), lifecycle.embedded(),
                  req=request, warn=lambda _: None)


def commit_as(up: Upstream, files: dict[str, str], message: str, branch: str,
              author: str) -> str:
    up.checkout(branch)
    for rel, text in files.items():
        (up.path / rel).parent.mkdir(parents=True, exist_ok=True)
        (up.path / rel).write_text(text)
    up.git("add", "-A")
    up.git("commit", "-q", f"--author={author}", "-m", message)
    return up.rev("HEAD")


def moved_upstream(tmp: Path) -> tuple[Upstream, str]:
    """etcd's shape: main moved etcdserver/ under server/, then fixed a file there."""
    up = Upstream.create(tmp / "up")
    up.commit({"etcdserver/v3_server.go": go_file(lines(30, "srv"), "etcdserver")}, "Import")
    up.git("branch", "release-1.32", "main")
    up.commit({}, "Move etcdserver under server/",
              renames={"etcdserver/v3_server.go": "server/etcdserver/v3_server.go"})
    text = up.read("main", "server/etcdserver/v3_server.go")
    fix = up.commit({"server/etcdserver/v3_server.go": edit(text, "\tsrv 15\n",
                                                            "\tsrv 15\n\tauthCheck()\n")},
                    "etcdserver: protect lease timetolive with auth")
    return up, fix


def test_backport_with_moved_paths_is_found_by_subject_and_author(tmp_path: Path) -> None:
    """etcd 975854f07 on release-3.4 (71e85e9de, under etcdserver/), containerd de1341c20 on
    release/1.7 (11504c3fc, under oci/): the cherry-pick conflicts, the branch has the fix."""
    up, fix = moved_upstream(tmp_path)
    text = up.read("release-1.32", "etcdserver/v3_server.go")
    backport = up.commit({"etcdserver/v3_server.go": edit(text, "\tsrv 14\n",
                                                          "\tsrv 14\n\tauthCheck() // 3.4\n")},
                         "etcdserver: protect lease timetolive with auth", "release-1.32")
    (target,) = run(up, (fix,)).targets
    assert target.result is Result.ALREADY_APPLIED
    assert target.already_applied is not None
    assert (target.already_applied.by, target.already_applied.commit) == ("subject-author",
                                                                          backport)


def test_same_subject_by_someone_else_is_not_the_fix(tmp_path: Path) -> None:
    up, fix = moved_upstream(tmp_path)
    text = up.read("release-1.32", "etcdserver/v3_server.go")
    commit_as(up, {"etcdserver/v3_server.go": edit(text, "\tsrv 3\n", "\tsrv 3 other\n")},
              "etcdserver: protect lease timetolive with auth", "release-1.32",
              "Some One <some@example.invalid>")
    (target,) = run(up, (fix,)).targets
    assert target.result is not Result.ALREADY_APPLIED and target.already_applied is None


def test_release_tag_in_the_subject_still_matches(tmp_path: Path) -> None:
    """runc 63c290816 on release-1.1: the backport is '[1.1] rootfs: try to scope MkdirAll…'."""
    up = base_upstream(tmp_path / "up")
    text = up.read("release-1.32", "pkg/auth/check.go")
    up.commit({"pkg/auth/check.go": edit(text, "\tline 14\n", "\tline 14 branch\n")},
              "Branch change", "release-1.32")
    fix = fix_line(up, message="rootfs: try to scope MkdirAll")
    text = up.read("release-1.32", "pkg/auth/check.go")
    backport = up.commit({"pkg/auth/check.go": edit(text, "\tline 15\n",
                                                    "\tline 15 checked // 1.32\n")},
                         "[1.32] rootfs: try to scope MkdirAll", "release-1.32")
    (target,) = run(up, (fix,)).targets
    assert target.result is Result.ALREADY_APPLIED
    assert target.already_applied and target.already_applied.commit == backport


def test_cherry_pick_without_trailer_is_found_by_patch_id(tmp_path: Path) -> None:
    """runc 9be1dbf4a on release-1.3 (c3f8ba303: same change, no trailer)."""
    up = base_upstream(tmp_path / "up")
    text = up.read("release-1.32", "pkg/auth/check.go")
    up.commit({"pkg/auth/check.go": edit(text, "\tline 2\n", "\tline 2 branch\n")},
              "Branch change", "release-1.32")
    fix = fix_line(up)
    up.checkout("release-1.32")
    up.git("cherry-pick", fix)  # no -x
    up.git("commit", "-q", "--amend", "-m", "Backported under another subject")
    picked = up.rev("HEAD")
    up.checkout("main")
    (target,) = run(up, (fix,)).targets
    assert target.already_applied and (target.already_applied.by,
                                       target.already_applied.commit) == ("patch-id", picked)


def test_dependency_bump_the_branch_moved_past(tmp_path: Path) -> None:
    """containerd af5ff5a1f (x/crypto v0.35.0) on release/1.7, which has v0.52.0."""
    up = Upstream.create(tmp_path / "up")
    up.commit({"main.go": "package main\n", **_deps("v0.9.0", "v1.0.0")}, "Initial import")
    up.git("branch", "release-1.32", "main")
    up.commit(_deps("v0.9.0", "v1.2.0"), "Bump foo/bar to v1.2.0", "release-1.32")
    fix = up.commit(_deps("v0.9.0", "v1.0.1"), "Bump foo/bar to v1.0.1 (CVE-2099-0007)")
    (target,) = run(up, (fix,)).targets
    assert target.result is Result.ALREADY_APPLIED
    assert target.already_applied and target.already_applied.by == "dependency-version"
    assert "github.com/foo/bar v1.2.0 (fix: v1.0.1)" in target.already_applied.detail


def test_dependency_bump_to_an_older_branch_is_not_already_there(tmp_path: Path) -> None:
    up = Upstream.create(tmp_path / "up")
    up.commit({"main.go": "package main\n", **_deps("v0.9.0", "v1.0.0")}, "Initial import")
    up.git("branch", "release-1.32", "main")
    up.commit(_deps("v0.9.0", "v0.8.0"), "Older bar", "release-1.32")
    fix = up.commit(_deps("v0.9.0", "v1.0.1"), "Bump foo/bar to v1.0.1")
    (target,) = run(up, (fix,)).targets
    assert target.result is Result.CONFLICT and target.dependency_bump is not None
    assert target.dependency_bump.zero_context == "not-offered"
    assert "github.com/foo/bar v0.8.0 (the fix starts from v1.0.0)" in \
        target.dependency_bump.reason


STAGING_MOD = ("module k8s.io/apiserver\n\ngo 1.22\n\nrequire (\n\tgolang.org/x/net {net}\n"
               "\tk8s.io/api {api}\n)\n{replace}")


def test_publishing_bot_artifacts_are_left_out_of_a_dependency_bump(tmp_path: Path) -> None:
    """k8s.io/apiserver c589c24ba: the bump's go.mod is in staging form (k8s.io/api v0.0.0,
    replace => ../api); only golang.org/x/net is a real change."""
    up = Upstream.create(tmp_path / "up")
    published = STAGING_MOD.format(net="v0.40.0", api="v0.0.0-20260101000000-abcdefabcdef",
                                   replace="")
    up.commit({"go.mod": published, "go.sum": "golang.org/x/net v0.40.0 h1:a=\n"}, "Import")
    up.git("branch", "release-1.32", "main")
    up.commit({"go.mod": published.replace("v0.40.0", "v0.38.0"),
               "go.sum": "golang.org/x/net v0.38.0 h1:b=\n"}, "Older net", "release-1.32")
    staged = STAGING_MOD.format(net="v0.41.0", api="v0.0.0",
                                replace="\nreplace k8s.io/api => ../api\n")
    fix = up.commit({"go.mod": staged, "go.sum": "golang.org/x/net v0.41.0 h1:c=\n"},
                    "Update golang.org/x/net to v0.41.0")
    (target,) = run(up, (fix,)).targets
    bump = target.dependency_bump
    assert target.result is Result.CONFLICT and bump is not None
    assert [m.module for m in bump.modules] == ["golang.org/x/net"]
    assert bump.left_out == ("k8s.io/api",)
    assert bump.zero_context == "not-offered" and "publishing-bot" in bump.reason


def test_from_a_branch_of_a_minor_the_lifecycle_does_not_know(tmp_path: Path) -> None:
    """containerd CVE-2024-40635 --to 1.5 --from release/1.6: neither minor is in the
    lifecycle data; the backport on release/1.6 (same subject and author) is the source."""
    up = base_upstream(tmp_path / "up", branches=())
    up.git("branch", "release/1.5", "main")
    up.git("branch", "release/1.6", "main")
    text = up.read("main", "pkg/auth/check.go")
    for n in (14, 15, 16):
        text = edit(text, f"\tline {n}\n", f"\tstep {n}\n")
    up.commit({"pkg/auth/check.go": text}, "Refactor the check")
    text = up.read("main", "pkg/auth/check.go")
    fix = up.commit({"pkg/auth/check.go": edit(text, "\tstep 15\n", "\tstep 15 checked\n")},
                    "validate uid/gid")
    text = up.read("release/1.6", "pkg/auth/check.go")
    backport = up.commit({"pkg/auth/check.go": edit(text, "\tline 15\n", "\tline 15 checked\n")},
                         "validate uid/gid", "release/1.6")
    up.checkout("main")
    config = Config(branch="release/{minor}")
    (target,) = run(up, (fix,), "1.5", config=config, from_branch="release/1.6").targets
    assert target.result is Result.CLEAN and target.source == "release/1.6"
    assert target.commits[0].applied_from == backport


def test_verified_prerequisite_names_its_pull_request(tmp_path: Path) -> None:
    """The prerequisite came in a pull request of two commits: a person takes the whole PR."""
    up = base_upstream(tmp_path / "up")
    up.git("checkout", "-q", "-b", "pr", "main")
    text = up.read("main", "pkg/auth/check.go")
    pre = up.commit({"pkg/auth/check.go": edit(text, "\tline 15\n", "\tline 15 refactored\n")},
                    "Refactor line 15", "pr")
    other = up.commit({"README.md": "upstream, documented\n"}, "Document it", "pr")
    up.checkout("main")
    up.git("merge", "-q", "--no-ff", "-m", "Merge pull request #7 from pr", "pr")
    merge = up.rev("HEAD")
    text = up.read("main", "pkg/auth/check.go")
    fix = up.commit({"pkg/auth/check.go": edit(text, "\tline 15 refactored\n",
                                               "\tline 15 refactored safely\n")}, "Fix it")
    (target,) = run(up, (fix,)).targets
    assert target.result is Result.CONFLICT
    assert target.prerequisites == (pre,) and target.prerequisites_verified
    assert target.prerequisite_prs == (PullRequest(merge, (pre, other)),)


def test_fix_already_in_the_base_by_another_commit_reverse_applies(tmp_path: Path) -> None:
    """The branch has the same change inside a bigger commit (no trailer, other subject)."""
    up = base_upstream(tmp_path / "up")
    fix = fix_line(up)
    text = up.read("release-1.32", "pkg/auth/check.go")
    text = edit(text, "\tline 15\n", "\tline 15 checked\n")
    up.commit({"pkg/auth/check.go": text, "README.md": "squashed\n"}, "Squashed release work",
              "release-1.32")
    (target,) = run(Scenario(up, (fix,)).up, (fix,)).targets
    assert target.result is Result.ALREADY_APPLIED
    assert target.already_applied and target.already_applied.by == "reverse-apply"
