"""ObjectReader.entries (the series' base tree read through cat-file) agrees with ls-tree."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ksp.git.shadow import ObjectReader, ls_tree


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True,
                          text=True).stdout.strip()


def test_entries_match_ls_tree_for_files_links_modes_dirs_and_missing(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "a" / "b").mkdir(parents=True)
    (repo / "a" / "b" / "c.go").write_text("package b\n")
    (repo / "run.sh").write_text("#!/bin/sh\n")
    (repo / "run.sh").chmod(0o755)
    (repo / "link").symlink_to("a/b/c.go")
    (repo / "sp ace é.txt").write_text("x\n")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-qm", "x")
    head = git(repo, "rev-parse", "HEAD")
    paths = ["a/b/c.go", "run.sh", "link", "sp ace é.txt", "a/b", "a", "a/b/c.go/x",
             "missing.go", "a/missing/c.go"]
    with ObjectReader(repo) as reader:
        got = reader.entries(head, paths)
    want = {p: e for p, e in ls_tree(repo, head, paths).items() if p in paths}
    assert got == want
    assert set(got) == {"a/b/c.go", "run.sh", "link", "sp ace é.txt"}
    assert got["run.sh"][0] == "100755" and got["link"][0] == "120000"
