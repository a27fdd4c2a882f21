"""Text ksp reads from git goes back into git unchanged, whatever its bytes (found on
containerd: `git log -p` of a vendored file that is not UTF-8, fed to `git patch-id`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ksp.git._run import git


def test_non_utf8_log_output_feeds_back_into_git(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "data.txt").write_bytes(b"caf\xe9 \xca\xfe\n")  # Latin-1, not UTF-8
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", "bytes"], check=True)
    log = git(repo, "log", "-p", "--format=commit %H").stdout
    assert "\udce9" in log  # decoded with surrogateescape
    ours = git(repo, "patch-id", "--stable", input=log).stdout.split()
    raw = subprocess.run(["git", "-C", str(repo), "log", "-p", "--format=commit %H"],
                         capture_output=True, check=True).stdout
    theirs = subprocess.run(["git", "-C", str(repo), "patch-id", "--stable"], input=raw,
                            capture_output=True, check=True).stdout.decode().split()
    assert ours == theirs and len(ours) == 2
