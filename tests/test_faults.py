"""Fault injection: every writing command killed at each of its write steps.

`KSP_FAULT_AT=<step>` makes ksp die at that step as a kill would (`os._exit`, no cleanup). The
steps of a journalled operation (repo/journal.py) are `locked` (the index loaded under the
lock), `staged-file` (after each temporary file), `staged` (all staged, no journal yet),
`journal` (journal written, nothing renamed) and `rename-N` (after the N-th rename); apply's
are `apply-built` (every object written) and `apply-move` (just before the tree moves).

Each run must stop at the step (exit 86: the step was reached), and the next run must complete,
or report what is there, leaving one patch per advisory and an index that agrees with it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from _backportkit import SCENARIOS
from _faultkit import FAULT_EXIT, ksp, problems, run
from _reviewkit import keygen, write_owners, write_signers
from test_policy import make_upstream

pytestmark = pytest.mark.slow

JOURNAL_STEPS = ("locked", "staged-file", "staged", "journal", "rename-1", "rename-2")
SIGN_STEPS = (*JOURNAL_STEPS, "rename-3", "rename-4")  # patch, SERIES, its signature, index
DIFF = ("diff --git a/pkg/auth/auth.go b/pkg/auth/auth.go\nindex 1111111..2222222 100644\n"
        "--- a/pkg/auth/auth.go\n+++ b/pkg/auth/auth.go\n@@ -1 +1,2 @@\n package auth\n"
        "+// checked\n")
NEW_FLAGS = ("--title", "t", "--severity", "MEDIUM", "--original-patch",
             "https://github.com/kubernetes/kubernetes/pull/1", "--cve-issue",
             "https://github.com/kubernetes/kubernetes/issues/2", "--components",
             "kube-apiserver", "--fixer", "@f", "--date", "2026-11-22")
OSV = Path(__file__).parent / "data" / "advisories" / "osv" / "CVE-2018-1002100.json"


@dataclass(frozen=True)
class Case:
    """A command on a fresh repo: how to set it up, its arguments, and the steps it has."""

    setup: Callable[[Path], list[str]]  # -> argv
    steps: tuple[str, ...]
    advisory: str = "CVE-2025-0001"


def _repo(tmp: Path) -> Path:
    root = tmp / "patches"
    assert ksp(tmp, "init", str(root)).returncode == 0
    (tmp / "d.diff").write_text(DIFF)
    return root


def _with_patch(tmp: Path, minor: str = "1.33") -> Path:
    root = _repo(tmp)
    proc = ksp(tmp, "new", "CVE-2025-0001", "--minor", minor, "--diff", str(tmp / "d.diff"),
               "--repo", str(root), *NEW_FLAGS)
    assert proc.returncode == 0, proc.stderr
    return root


def setup_new(tmp: Path) -> list[str]:
    root = _repo(tmp)
    return ["new", "CVE-2025-0001", "--minor", "1.33", "--diff", str(tmp / "d.diff"),
            "--repo", str(root), *NEW_FLAGS]


def setup_sign(tmp: Path) -> list[str]:
    """An approver signs: the patch header, index.yaml, the series manifest and its signature."""
    root = _with_patch(tmp)
    key = keygen(tmp, "src")
    write_owners(root, ["src"])
    write_signers(root, [key])
    up = tmp / "up"
    up.mkdir()
    subprocess.run(["git", "-C", str(up), "init", "-q", "-b", "release-1.33"], check=True)
    subprocess.run(["git", "-C", str(up), "-c", "user.name=u", "-c", "user.email=u@u", "commit",
                    "-q", "--allow-empty", "-m", "base"], check=True)
    return ["sign", str(root / "v1.33" / "0001_CVE-2025-0001.patch"), "--reviewer", "@src",
            "--repo", str(root), "--key", str(key.private), "--upstream", str(up)]


# `gate --record` refuses a run that neither builds nor tests; its write step is
# evidence.record(), run here on a series-only gate so that no Go build is needed.
RECORD = """
import datetime as dt, sys
from pathlib import Path
from ksp.gate import evidence
from ksp.gate.model import GateRequest
from ksp.gate.run import run_gate
from ksp.repo import open_repo
repo = open_repo(Path(sys.argv[2]))
patch = Path(sys.argv[4])
result = run_gate(GateRequest(repo, Path(sys.argv[3]), patches=(patch,), build=False,
                              test=False, progress=False))
assert result.ok, result
evidence.record(repo, result, dt.date(2026, 11, 22))
"""


def setup_record(tmp: Path) -> list[str]:
    root = _with_patch(tmp, "1.30")
    upstream = make_upstream(tmp / "upstream")
    return ["-c", RECORD, "--repo", str(root), str(upstream),
            str(root / "v1.30" / "0001_CVE-2025-0001.patch")]


def setup_import(tmp: Path) -> list[str]:
    root = _repo(tmp)
    return ["advisories", "import", "--repo", str(root), "--osv", str(OSV), "--date",
            "2026-11-22"]


def setup_backport(tmp: Path) -> list[str]:
    sc = SCENARIOS["clean"](tmp)
    root = _repo(tmp)
    args = ["backport", "CVE-2025-0001", "--upstream", str(sc.up.path), "--to", "1.32",
            "--write", "--repo", str(root), *NEW_FLAGS]
    return [*args, *(a for sha in sc.fix for a in ("--commit", sha))]


CASES = {
    "new": Case(setup_new, JOURNAL_STEPS),
    "sign": Case(setup_sign, SIGN_STEPS),
    "gate-record": Case(setup_record, JOURNAL_STEPS),
    "advisories-import": Case(setup_import, JOURNAL_STEPS[:-1], "CVE-2018-1002100"),
    "backport-write": Case(setup_backport, JOURNAL_STEPS),
}
PAIRS = [(name, step) for name, case in CASES.items() for step in case.steps]


def _root(argv: list[str]) -> Path:
    return Path(argv[argv.index("--repo") + 1])


@pytest.mark.parametrize(("name", "step"), PAIRS, ids=[f"{n}@{s}" for n, s in PAIRS])
def test_killed_at_each_step_then_the_next_run_completes(name: str, step: str,
                                                         tmp_path: Path) -> None:
    case = CASES[name]
    argv = case.setup(tmp_path)
    root = _root(argv)
    killed = run(tmp_path, argv, fault=step)
    assert killed.returncode == FAULT_EXIT, killed.stderr  # the step was reached
    again = run(tmp_path, argv)
    assert again.returncode == 0 or "already" in again.stderr, again.stderr
    assert problems(root) == []
    lint = ksp(tmp_path, "lint", "--repo", str(root), "--format", "json")
    for code in ("KSP301", "KSP302", "KSP304", "KSP305", "KSP002"):
        assert code not in lint.stdout, lint.stdout
    index = (root / "index.yaml").read_text()
    assert case.advisory in index
    assert "&id" not in index and "*id" not in index


@pytest.mark.parametrize("step", ["locked", "journal", "rename-1"])
def test_a_reader_after_a_crash_sees_the_operation_finished_or_not_begun(
        step: str, tmp_path: Path) -> None:
    argv = setup_sign(tmp_path)
    root = _root(argv)
    before = (root / "v1.33" / "0001_CVE-2025-0001.patch").read_text()
    assert ksp(tmp_path, *argv, fault=step).returncode == FAULT_EXIT
    lint = ksp(tmp_path, "lint", "--repo", str(root), "--format", "json")  # a reader first
    assert "KSP304" not in lint.stdout
    assert problems(root) == []
    after = (root / "v1.33" / "0001_CVE-2025-0001.patch").read_text()
    assert ("# SRC Reviewer: @src\n" in after) == (step != "locked")
    assert (after == before) == (step == "locked")


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                          text=True).stdout


def _state(tree: Path) -> tuple[str, ...]:
    return (_git(tree, "status", "--porcelain", "--ignored"), _git(tree, "rev-parse", "HEAD"),
            _git(tree, "ls-files", "--stage"), (tree / "pkg/auth/auth.go").read_text())


@pytest.mark.parametrize("step", ["apply-built", "apply-move"])
def test_apply_commit_killed_leaves_the_tree_untouched_and_the_next_run_applies(
        step: str, tmp_path: Path) -> None:
    root = _with_patch(tmp_path, "1.30")
    tree = make_upstream(tmp_path / "consumer")
    before = _state(tree)
    argv = ["apply", "--repo", str(root), "--minor", "1.30", "--to", str(tree), "--commit"]
    assert ksp(tmp_path, *argv, fault=step).returncode == FAULT_EXIT
    assert _state(tree) == before
    again = ksp(tmp_path, *argv)
    assert again.returncode == 0, again.stderr
    assert "// checked" in (tree / "pkg/auth/auth.go").read_text()
    assert _git(tree, "status", "--porcelain") == ""
    assert "Ksp-Advisory: CVE-2025-0001" in _git(tree, "log", "-1", "--format=%B")
