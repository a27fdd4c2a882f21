"""Helpers for the gate tests: a patches repo next to a factory upstream, and a snapshot of
everything in a clone that the gate promises not to change."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ksp.cli.main import main
from ksp.gate.steps import run_steps
from ksp.gate.types import StepsOutcome, StepsRequest
from ksp.git.series import PatchInput, apply_series
from ksp.git.shadow import Shadow
from ksp.model import Minor, PatchKind
from ksp.repo import profile_text
from ksp.repo.index import EMPTY
from ksp.repo.patchfile import new_header


def git(repo: Path, *args: str, input: bytes | None = None) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], input=input, capture_output=True,
                          check=True).stdout.decode("utf-8", "surrogateescape")


def make_patches_repo(root: Path, *, module: str = "example.com/demo",
                      upstream: str = "https://example.com/demo/demo") -> Path:
    """A `go` profile patches repo (a git repo with one commit), without any patch yet."""
    root.mkdir(parents=True)
    text = profile_text.render("go", upstream, "release-{minor}", "v{minor}.{patch}", module)
    (root / "ksp.yaml").write_text(text)
    (root / "index.yaml").write_text(EMPTY)
    (root / ".gitignore").write_text(".ksp/\n.ksp.lock\n")
    git(root, "init", "-q", "-b", "main")
    commit_all(root, "init")
    return root


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def header(advisory: str, testing: str = "pending") -> str:
    fields = {
        "Original patch": "https://example.com/demo/pull/1",
        "CVE issue": "https://example.com/demo/issues/1",
        "Severity": "MEDIUM (CVSS 6.5)", "Affected components": "demo-server",
        "Testing": testing, "CVE Fixer": "@fixer", "SRC Reviewer": "@reviewer",
    }
    return new_header(PatchKind.SECURITY, advisory, fields).render()


def add_patch(root: Path, minor: str, number: int, diff: str, *, advisory: str | None = None,
              index: bool = False) -> Path:
    """Write v<minor>/NNNN_<ID>.patch; with index=True also an index.yaml entry for it."""
    advisory = advisory or f"CVE-2025-{1000 + number}"
    path = root / f"v{minor}" / f"{number:04d}_{advisory}.patch"
    path.parent.mkdir(exist_ok=True)
    path.write_text(header(advisory) + diff)
    if index:
        rel = path.relative_to(root).as_posix()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        with (root / "index.yaml").open("a") as fh:
            fh.write("")
        text = (root / "index.yaml").read_text().replace("advisories: {}\n", "advisories:\n")
        text += (f"  {advisory}:\n    title: A test advisory\n    minors:\n"
                 f'      "{minor}": {{status: patched, patch: {rel}, sha256: "{digest}"}}\n')
        (root / "index.yaml").write_text(text)
    return path


def snapshot(repo: Path) -> dict[str, str]:
    """Everything of a clone that the gate promises not to change, objects included."""
    objects = repo / ".git" / "objects"
    return {
        "refs": git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
        "head": (repo / ".git" / "HEAD").read_text(),
        "index": hashlib.sha256((repo / ".git" / "index").read_bytes()).hexdigest(),
        "status": git(repo, "status", "--porcelain=v2", "-z", "--ignored"),
        "stash": git(repo, "stash", "list"),
        "worktrees": git(repo, "worktree", "list", "--porcelain"),
        "objects": "\n".join(sorted(str(p.relative_to(objects)) for p in objects.rglob("*")
                                    if p.is_file())),
        "config": (repo / ".git" / "config").read_text(),
    }


def dirty(repo: Path, hotspot: str) -> None:
    """Give a clone the state a contributor's clone has: staged, modified, untracked, ignored
    files, a stash entry and a linked worktree."""
    (repo / hotspot).write_text((repo / hotspot).read_text() + "// stashed edit\n")
    git(repo, "stash", "-q")
    (repo / "README.local").write_text("untracked\n")
    (repo / ".git" / "info" / "exclude").write_text("*.ignored\n")
    (repo / "build.ignored").write_text("ignored\n")
    (repo / "staged.txt").write_text("staged\n")
    git(repo, "add", "staged.txt")
    (repo / hotspot).write_text((repo / hotspot).read_text() + "// local edit\n")
    git(repo, "worktree", "add", "-q", "--detach", str(repo.parent / "linked"), "HEAD")


def gate_cli(capsys: pytest.CaptureFixture[str], repo: Path, upstream: Path, *args: str,
             fmt: str = "json") -> tuple[int, str]:
    """`ksp gate` in-process on the patches repo and upstream: its exit code and stdout."""
    capsys.readouterr()
    rc = main(["gate", "--repo", str(repo), "--upstream", str(upstream), "--format", fmt,
               *args])
    return rc, capsys.readouterr().out


def steps_on(upstream: Path, branch: str, minor: str, patches: list[str], logs: Path,
             config: Any, **options: Any) -> StepsOutcome:
    """The gate's steps on the branch + `patches` (written by the series engine, which must
    apply them), without the CLI: what a steps test looks at."""
    shadow = Shadow.open(upstream)
    base = shadow.resolve(branch)
    series = apply_series(shadow, base, [PatchInput(f"{i:04d}.patch", p.encode())
                                         for i, p in enumerate(patches, 1)])
    assert series.ok and series.head
    return run_steps(StepsRequest(shadow, Minor.parse(minor), config, base, series.head,
                                  series.changed, logs, **options))
