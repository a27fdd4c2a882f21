"""`ksp backport` end to end, in-process: the JSON contract, --write, --continue, isolation."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from _backportkit import SCENARIOS, Scenario, base_upstream, edit, fix_line
from ksp.backport import write
from ksp.cli.main import main
from ksp.git.series import Outcome, PatchInput, apply_series
from ksp.git.shadow import Shadow
from ksp.headerfields import TESTING_PENDING
from ksp.model import AdvisoryId
from ksp.repo import patchfile
from ksp.repo.index import IndexDocument

DATE = "2026-11-22"  # extended window: 1.34, 1.33, 1.32
EXPECTED = {
    "clean": "clean", "three-way": "adjusted", "directory-move": "adjusted",
    "prerequisite": "conflict", "unresolvable": "conflict", "multi": "conflict",
    "dependency-bump": "adjusted", "newer-branch": "clean",
}  # fmt: skip
ADVISORY_ENTRY = """advisories:
  CVE-2099-0001:
    title: The check can be bypassed
    issue: https://github.com/example/up/issues/1
    published: 2026-10-01
    severity: {rating: MEDIUM, score: 6.5, vector: "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"}
    components: [kube-apiserver]
    upstream:
      fixes: [https://github.com/example/up/pull/2]
"""

HEADER_FLAGS = ("--cve-issue", "https://github.com/example/up/issues/1", "--cvss-vector",
                "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", "--components", "auth")
COMPONENTS = "components:\n  auth: pkg/auth\n"


def patches_repo(tmp_path: Path, capsys: pytest.CaptureFixture[str], *,
                 entry: str = ADVISORY_ENTRY, user: str | None = "Patch Person") -> Path:
    """A patches repo (a git repository whose `user.name` is `user`) with the advisory's entry."""
    root = tmp_path / "patches"
    assert main(["init", str(root), "--upstream", "https://github.com/example/up"]) == 0
    index = root / "index.yaml"
    index.write_text(index.read_text().replace("advisories: {}\n", entry))
    (root / "OWNERS").write_text("approvers: [rev]\n")  # the reviewer of these tests
    subprocess.run(["git", "-C", str(root), "init", "-q"], check=True)
    if user:
        subprocess.run(["git", "-C", str(root), "config", "user.name", user], check=True)
    capsys.readouterr()
    return root


def backport(sc: Scenario, *extra: str, repo: Path | None = None) -> list[str]:
    args = ["backport", "CVE-2099-0001", "--upstream", str(sc.up.path), "--date", DATE]
    for sha in sc.fix:
        args += ["--commit", sha]
    if repo is not None:
        args += ["--repo", str(repo)]
    return [*args, *extra]


def run_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, Any, str]:
    rc = main([*argv, "--format", "json"])
    out, err = capsys.readouterr()
    return rc, json.loads(out), err


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_json_contract_holds_on_every_class(name: str, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS[name](tmp_path)
    before = sc.up.snapshot()
    rc, data, _ = run_json(backport(sc, "--to", sc.minor), capsys)
    assert sc.up.snapshot() == before
    assert rc == (0 if EXPECTED[name] != "conflict" else 1)
    assert data["advisory"] == "CVE-2099-0001"
    (target,) = data["targets"]
    assert target["minor"] == sc.minor and target["branch"] == f"release-{sc.minor}"
    assert target["result"] == EXPECTED[name]
    assert target["patch"] is None
    assert isinstance(target["prerequisites"], list)
    assert [c["sha"] for c in target["commits"]] == list(sc.fix)
    for commit in target["commits"]:
        assert commit["result"] in ("clean", "adjusted", "conflict", "skipped")
        for conflict in commit["conflicts"]:
            assert set(conflict) >= {"path", "hunks", "kind"}
            assert isinstance(conflict["hunks"], int) and conflict["hunks"] >= 1
            assert conflict["kind"] in ("content", "missing", "deleted")
    assert any(c["conflicts"] for c in target["commits"]) == (EXPECTED[name] == "conflict")


def test_default_targets_are_the_extended_window(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS["clean"](tmp_path)
    rc, data, _ = run_json(backport(sc), capsys)
    assert [t["minor"] for t in data["targets"]] == ["1.34", "1.33", "1.32"]
    assert [t["result"] for t in data["targets"]] == ["error", "error", "clean"]
    assert "release-1.34 not found" in data["targets"][0]["error"]
    assert rc == 1


def test_an_expired_minor_named_with_to_is_accepted_with_a_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS["clean"](tmp_path)
    sc.up.git("branch", "release-1.20", "release-1.32")
    rc, data, err = run_json(backport(sc, "--to", "1.20"), capsys)
    assert rc == 0 and data["targets"][0]["result"] == "clean"
    assert "1.20 is expired" in err


def test_write_makes_a_patch_that_lint_and_the_series_accept(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS["three-way"](tmp_path)
    repo = patches_repo(tmp_path, capsys)
    before = sc.up.snapshot()
    rc, data, _ = run_json(backport(sc, "--to", "1.32", "--write", "--fixer", "@fixer",
                                    repo=repo), capsys)
    assert rc == 0
    rel = data["targets"][0]["patch"]
    assert rel == "v1.32/0001_CVE-2099-0001.patch"
    text = (repo / rel).read_text()
    assert text.startswith("# Security patch for CVE-2099-0001\n")
    assert f"# Upstream commits: {sc.fix[0]}\n" in text
    assert "# Backport: adjusted\n" in text and "# CVE Fixer: @fixer\n" in text
    assert "# Original patch: https://github.com/example/up/pull/2\n" in text
    index = (repo / "index.yaml").read_text()
    assert re.search(r"'1\.32': \{status: in-progress, patch: v1\.32/0001_CVE-2099-0001\.patch, "
                     r"sha256: [0-9a-f]{64}\}", index)
    assert sc.up.snapshot() == before
    shadow = Shadow.open(sc.up.path)
    diff = patchfile.parse(text, repo / rel).diff.encode()
    series = apply_series(shadow, sc.up.rev("release-1.32"), [PatchInput(rel, diff)])
    assert [p.result for p in series.patches] == [Outcome.APPLIED]
    assert main(["lint", "--repo", str(repo), "--pre-review", "--date", DATE]) == 0, \
        capsys.readouterr()
    capsys.readouterr()
    rc = main(["gate", "--repo", str(repo), "--upstream", str(sc.up.path), "--minor", "1.32",
               "--no-build", "--no-test", "--format", "json"])
    gate = json.loads(capsys.readouterr().out)
    assert rc == 0 and gate["result"] == "pass"
    assert [p["result"] for p in gate["minors"][0]["patches"]] == ["applied"]


def test_write_numbers_after_the_existing_series(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS["clean"](tmp_path)
    repo = patches_repo(tmp_path, capsys)
    assert main(backport(sc, "--to", "1.32", "--write", repo=repo)) == 0
    capsys.readouterr()
    index = repo / "index.yaml"
    index.write_text(index.read_text().replace("  CVE-2099-0001:", "  CVE-2099-0002:\n"
                                               "    title: second\n  CVE-2099-0001:", 1))
    rc, data, _ = run_json(["backport", "CVE-2099-0002", "--upstream", str(sc.up.path),
                            "--commit", "main", "--to", "1.32", "--write", "--repo", str(repo),
                            "--date", DATE, *HEADER_FLAGS], capsys)
    # the first patch is now part of the minor's series: the same fix is already there
    assert data["targets"][0]["series"] == 1
    assert data["targets"][0]["commits"][0]["already_applied"] is True
    assert data["targets"][0]["patch"] is None and rc == 0


def test_conflict_leaves_a_worktree_and_continue_turns_it_into_the_patch(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS["multi"](tmp_path)
    repo = patches_repo(tmp_path, capsys)
    before = sc.up.snapshot()
    rc, data, err = run_json(backport(sc, "--to", "1.32", "--write", repo=repo), capsys)
    assert rc == 1
    worktree = Path(data["targets"][0]["worktree"])
    assert str(worktree) not in err and worktree.is_dir()  # the result is on stdout only
    assert not worktree.is_relative_to(sc.up.path)
    check = worktree / "pkg/auth/check.go"
    assert "<<<<<<< release-1.32 (target)" in check.read_text()
    assert "\tguard(strict)\n" in (worktree / "pkg/util/util.go").read_text()

    assert main(["backport", "--continue", "--repo", str(repo)]) == 1
    assert "conflict markers left in pkg/auth/check.go" in capsys.readouterr().err

    text = re.sub(r"<<<<<<< [^\n]*\n.*?>>>>>>> [^\n]*\n", "\tline 25 branch-only checked\n",
                  check.read_text(), flags=re.S)
    check.write_text(text)
    rc, done, _ = run_json(["backport", "--continue", "--repo", str(repo), "--minor", "1.32"],
                           capsys)
    assert rc == 0 and done["patch"] == "v1.32/0001_CVE-2099-0001.patch"
    patch = (repo / done["patch"]).read_text()
    assert "+\tline 25 branch-only checked\n" in patch and "+\tguard(strict)\n" in patch
    assert "<<<<<<<" not in patch
    assert f"# Upstream commits: {', '.join(sc.fix)}\n" in patch
    assert "# CVE Fixer: Patch Person\n" in patch
    assert not worktree.exists()
    assert "in-progress" in (repo / "index.yaml").read_text()
    assert sc.up.snapshot() == before
    assert main(["backport", "--continue", "--repo", str(repo)]) == 2


def test_independent_write_applies_the_commits_as_a_series(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS["multi"](tmp_path)
    sc = Scenario(sc.up, sc.fix[:2])  # the second builds on the first
    repo = patches_repo(tmp_path, capsys)
    rc, data, _ = run_json(backport(sc, "--to", "1.32", "--independent", "--write", repo=repo),
                           capsys)
    target = data["targets"][0]
    assert [c["result"] for c in target["commits"]] == ["clean", "conflict"]
    assert rc == 1 and target["patch"] == "v1.32/0001_CVE-2099-0001.patch"
    assert "+\tguard(strict)\n" in (repo / target["patch"]).read_text()


def test_write_from_a_newer_branch_names_it_in_the_header(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS["newer-branch"](tmp_path)
    repo = patches_repo(tmp_path, capsys)
    rc, data, _ = run_json(backport(sc, "--to", "1.32", "--write", repo=repo), capsys)
    assert rc == 0 and data["targets"][0]["source"] == "release-1.33"
    text = (repo / data["targets"][0]["patch"]).read_text()
    backport_sha = sc.up.rev("release-1.33")
    assert f"# Notes: backported from release-1.33 ({backport_sha[:12]})\n" in text
    assert "# Backport: clean\n" in text and f"# Upstream commits: {sc.fix[0]}\n" in text


def test_abort_removes_the_worktree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS["unresolvable"](tmp_path)
    repo = patches_repo(tmp_path, capsys)
    rc, data, _ = run_json(backport(sc, "--to", "1.32", "--write", repo=repo), capsys)
    worktree = Path(data["targets"][0]["worktree"])
    assert rc == 1 and worktree.is_dir()
    assert main(["backport", "--abort", "--repo", str(repo)]) == 0
    assert not worktree.exists()
    assert not (repo / "v1.32").exists()


@pytest.mark.parametrize("argv", [
    ["backport", "CVE-2099-0001", "--upstream", "{up}"],
    ["backport", "not-an-id", "--upstream", "{up}", "--commit", "main"],
    ["backport", "CVE-2099-0001", "--upstream", "{up}", "--merge", "main"],
    ["backport", "CVE-2099-0001", "--upstream", "{up}", "--commit", "main", "--write"],
    ["backport", "CVE-2099-0001", "--commit", "main"],
])  # fmt: skip
def test_usage_errors_exit_2(argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS["clean"](tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KSP_UPSTREAM", raising=False)
    before = sc.up.snapshot()
    assert main([a.replace("{up}", str(sc.up.path)) for a in argv]) == 2
    assert "ksp: error:" in capsys.readouterr().err
    assert sc.up.snapshot() == before


def test_not_a_git_upstream_is_one_line_error(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["backport", "CVE-2099-0001", "--upstream", str(tmp_path), "--commit", "x"])
    assert rc == 1
    assert "is not a git repository" in capsys.readouterr().err


def test_text_output_lists_conflicts_and_prerequisites(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS["prerequisite"](tmp_path)
    assert main(backport(sc, "--to", "1.32")) == 1
    out = capsys.readouterr().out
    assert "content conflict in pkg/auth/check.go (1 hunk)" in out
    assert f"prerequisites (verified): {sc.extra['prerequisite'][:12]}" in out


def _resolve(path: Path, line: str) -> None:
    path.write_text(re.sub(r"<<<<<<< [^\n]*\n.*?>>>>>>> [^\n]*\n", line, path.read_text(),
                           flags=re.S))


def test_continue_stops_again_at_a_later_conflicting_commit(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    up = base_upstream(tmp_path / "up")
    text = up.read("release-1.32", "pkg/auth/check.go")
    text = edit(edit(text, "\tline 15\n", "\tline 15 b\n"), "\tline 25\n", "\tline 25 b\n")
    up.commit({"pkg/auth/check.go": text}, "Branch rewrites", "release-1.32")
    first = fix_line(up, number=15)
    second = fix_line(up, number=25)
    sc = Scenario(up, (first, second))
    repo = patches_repo(tmp_path, capsys)
    rc, data, _ = run_json(backport(sc, "--to", "1.32", "--write", repo=repo), capsys)
    assert rc == 1 and [c["result"] for c in data["targets"][0]["commits"]] == [
        "conflict", "skipped"]
    worktree = Path(data["targets"][0]["worktree"])
    check = worktree / "pkg/auth/check.go"
    _resolve(check, "\tline 15 b checked\n")
    rc, again, _ = run_json(["backport", "--continue", "--repo", str(repo)], capsys)
    assert rc == 1 and again["worktree"] == str(worktree)
    assert again["conflicts"] == ["pkg/auth/check.go"]
    assert "\tline 15 b checked\n" in check.read_text() and "<<<<<<<" in check.read_text()
    _resolve(check, "\tline 25 b checked\n")
    rc, done, _ = run_json(["backport", "--continue", "--repo", str(repo)], capsys)
    assert rc == 0
    patch = (repo / done["patch"]).read_text()
    assert "+\tline 15 b checked\n" in patch and "+\tline 25 b checked\n" in patch


def test_upstream_defaults_to_the_clone_next_to_the_patches_repo(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS["clean"](tmp_path)  # at tmp_path/up; the repo's upstream URL ends in /up
    repo = patches_repo(tmp_path, capsys)
    rc, data, _ = run_json(["backport", "CVE-2099-0001", "--repo", str(repo), "--commit",
                            sc.fix[0], "--to", "1.32", "--date", DATE], capsys)
    assert rc == 0 and data["upstream"] == str(sc.up.path.resolve())


# --- the header: ksp new's flags and defaults, also for an advisory not in index.yaml yet ------

def _no_entry_repo(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                   user: str | None = "Patch Person") -> Path:
    repo = patches_repo(tmp_path, capsys, entry="advisories: {}\n", user=user)
    with (repo / "ksp.yaml").open("a") as config:
        config.write(COMPONENTS)
    return repo


def _lint(repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    rc = main(["lint", "--repo", str(repo), "--pre-review", "--date", DATE])
    out, err = capsys.readouterr()
    return rc, out + err


def test_write_without_an_index_entry_takes_the_header_from_flags_and_lint_accepts_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS["three-way"](tmp_path)
    repo = _no_entry_repo(tmp_path, capsys)
    flags = HEADER_FLAGS[:4]  # no --components: ksp.yaml maps pkg/auth to `auth`
    rc, data, _ = run_json(backport(sc, "--to", "1.32", "--write", *flags, repo=repo), capsys)
    assert rc == 0
    text = (repo / data["targets"][0]["patch"]).read_text()
    assert "# CVE issue: https://github.com/example/up/issues/1\n" in text
    assert "# Severity: MEDIUM (CVSS 6.5)\n" in text
    assert "# CVSS vector: CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N\n" in text
    assert "# Affected components: auth\n" in text
    assert "# CVE Fixer: Patch Person\n" in text and "Up Stream" not in text
    entry = IndexDocument.load(repo / "index.yaml").advisories()[AdvisoryId("CVE-2099-0001")]
    assert entry.title == "Fix the check (CVE-2099-0001)"  # the fix's subject
    assert entry.issue == "https://github.com/example/up/issues/1"
    assert entry.severity is not None and entry.severity.score == 6.5
    assert entry.components == ("auth",)
    rc, lint_out = _lint(repo, capsys)
    assert rc == 0, lint_out


@pytest.mark.parametrize("name", ["clean", "unresolvable"])  # a patch, a worktree
def test_write_with_missing_header_values_exits_2_and_writes_nothing(
        name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS[name](tmp_path)
    repo = patches_repo(tmp_path, capsys, entry="advisories: {}\n", user=None)
    index = (repo / "index.yaml").read_bytes()
    rc = main(backport(sc, "--to", "1.32", "--write", repo=repo))
    err = capsys.readouterr().err
    assert rc == 2
    for flag in ("--cve-issue URL", "--severity or --cvss-vector", "--components a,b",
                 "--fixer @handle"):
        assert flag in err
    assert not (repo / "v1.32").exists()
    assert (repo / "index.yaml").read_bytes() == index
    assert write.pending(None, None, None) == []  # no worktree left either


def test_flags_come_before_the_index_entry(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS["clean"](tmp_path)
    repo = patches_repo(tmp_path, capsys)
    rc, data, _ = run_json(backport(sc, "--to", "1.32", "--write", "--fixer", "@dee",
                                    "--reviewer", "@rev", "--components", "kubelet",
                                    "--original-patch", "https://github.com/example/up/pull/9",
                                    "--tests", "adapted", repo=repo), capsys)
    assert rc == 0
    text = (repo / data["targets"][0]["patch"]).read_text()
    assert "# CVE Fixer: @dee\n" in text and "# SRC Reviewer: @rev\n" in text
    assert "# Affected components: kubelet\n" in text and "# Tests: adapted\n" in text
    assert "# Original patch: https://github.com/example/up/pull/9\n" in text
    assert "# CVE issue: https://github.com/example/up/issues/1\n" in text  # from the index


def test_new_and_backport_write_the_same_fixer_and_pending_testing_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS["clean"](tmp_path)
    repo = patches_repo(tmp_path, capsys)
    assert main(backport(sc, "--to", "1.32", "--write", repo=repo)) == 0
    assert main(["new", "CVE-2099-0001", "--minor", "1.33", "--upstream", str(sc.up.path),
                 "--commit", sc.fix[0], "--repo", str(repo), "--date", DATE]) == 0
    made = [patchfile.load(p) for p in sorted(repo.glob("v1.3*/*.patch"))]
    assert len(made) == 2
    for patch in made:
        assert patch.header.get("CVE Fixer") == "Patch Person"  # not the upstream's "Up Stream"
        assert patch.header.get("Testing") == TESTING_PENDING


def test_the_fixer_is_named_by_handle_when_git_knows_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS["clean"](tmp_path)
    repo = patches_repo(tmp_path, capsys)
    subprocess.run(["git", "-C", str(repo), "config", "github.user", "patch-person"], check=True)
    assert main(backport(sc, "--to", "1.32", "--write", repo=repo)) == 0
    (made,) = [patchfile.load(p) for p in sorted(repo.glob("v1.32/*.patch"))]
    assert made.header.get("CVE Fixer") == "@patch-person"


def test_continue_writes_the_header_values_given_to_write(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS["unresolvable"](tmp_path)
    repo = _no_entry_repo(tmp_path, capsys)
    rc, data, _ = run_json(backport(sc, "--to", "1.32", "--write", *HEADER_FLAGS, repo=repo),
                           capsys)
    assert rc == 1
    _resolve(Path(data["targets"][0]["worktree"]) / "pkg/auth/check.go",
             "\tline 15 branch-only checked\n")
    rc, done, _ = run_json(["backport", "--continue", "--repo", str(repo), "--reviewer", "@rev"],
                           capsys)
    assert rc == 0
    text = (repo / done["patch"]).read_text()
    assert "# CVE issue: https://github.com/example/up/issues/1\n" in text
    assert "# Affected components: auth\n" in text and "# SRC Reviewer: @rev\n" in text
    assert "# CVE Fixer: Patch Person\n" in text
    rc, lint_out = _lint(repo, capsys)
    assert rc == 0, lint_out


# --- text output -------------------------------------------------------------------------------

def test_conflict_is_reported_once_on_stdout(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    sc = SCENARIOS["unresolvable"](tmp_path)
    repo = patches_repo(tmp_path, capsys)
    assert main(backport(sc, "--to", "1.32", "--write", repo=repo)) == 1
    out, err = capsys.readouterr()
    (worktree,) = [p for p in write.state_dir().glob("*/*") if p.is_dir()]
    assert out.count(str(worktree)) == 1 and out.count("backport --continue") == 1
    assert str(worktree) not in err and "conflict" not in err


def test_text_title_counts_commits_in_words(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    one = SCENARIOS["clean"](tmp_path / "one")
    assert main(backport(one, "--to", "1.32")) == 0
    assert "(1 commit, series)" in capsys.readouterr().out
    three = SCENARIOS["multi"](tmp_path / "three")
    assert main(backport(three, "--to", "1.32")) == 1
    assert "(3 commits, series)" in capsys.readouterr().out
