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


def test_read_many_answers_as_read_does_across_batches_of_big_blobs(tmp_path: Path) -> None:
    """Requests go in batches while git's answers (here 300 blobs of 100 KB, far more than a
    pipe holds) are read in order: no deadlock, missing objects in their place."""
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    for n in range(300):
        (repo / f"f{n:03}-{'x' * 40}.txt").write_bytes(bytes([n % 251]) * 100_000 + b"\n")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-qm", "x")
    specs = [f"HEAD:f{n:03}-{'x' * 40}.txt" for n in range(300)]
    specs[7:7] = ["HEAD:missing"]
    specs.append("0" * 40)
    with ObjectReader(repo) as reader:
        one_by_one = [reader.read(spec) for spec in specs]
        together = reader.read_many(specs)
    assert together == one_by_one
    assert together[7] is None and together[-1] is None
    assert together[8] == ("blob", b"\x07" * 100_000 + b"\n")  # f007, after the missing one
    assert sum(len(spec) + 1 for spec in specs) > 8 * 1024  # more than one batch
