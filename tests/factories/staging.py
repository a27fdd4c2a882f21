"""Upstreams shaped like the presets' projects, built with real git in a few commands.

``make_staging_upstream``: a k8s.io/* repository as the publishing bot writes it. Every commit
carries a ``Kubernetes-commit: <sha>`` trailer naming the kubernetes/kubernetes commit it was
published from; minor 1.NN is the branch ``release-1.NN`` and the tags ``v0.NN.P`` (with
``kubernetes-1.NN.P`` on the same commits). The fix lands on master; its cherry-pick (another
kubernetes/kubernetes commit) is published on release-1.33 only.

``make_slash_upstream``: a ``release/{minor}`` repository (containerd's shape) whose main package
imports a cgo file with the build constraint ``!no_btrfs && cgo`` that includes a header which is
not installed: it builds only with ``-tags=no_btrfs``, as containerd's own CI builds it.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

KK_BASE = "1111111111111111111111111111111111111111"
KK_FIX = "2222222222222222222222222222222222222222"  # the kubernetes/kubernetes fix on master
KK_FIX_133 = "3333333333333333333333333333333333333333"  # its cherry-pick to release-1.33
KK_SQUASHED = "7777777777777777777777777777777777777777"  # published in the same commit as KK_FIX
AUTH_GO = """package auth

// Allowed reports whether the user may proceed.
func Allowed(user string) bool {
	return user != ""
}
"""
FIXED_GO = AUTH_GO.replace('return user != ""', 'return user != "" && user != "system:anonymous"')


@dataclass(frozen=True)
class StagingUpstream:
    path: Path
    module: str
    fix: str  # the staging commit of KK_FIX on master
    fix_133: str  # the staging commit of KK_FIX_133 on release-1.33


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def _commit(repo: Path, message: str, files: dict[str, str]) -> str:
    """A commit one hour after the previous one (the order publications happen in)."""
    for name, text in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    count = len(git(repo, "rev-list", "--all").split())
    date = f"{1767225600 + 3600 * count} +0000"  # 2026-01-01 plus one hour per commit
    git(repo, "add", "-A")
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", message], check=True,
                   capture_output=True, env={**os.environ, "GIT_AUTHOR_DATE": date,
                                             "GIT_COMMITTER_DATE": date})
    return git(repo, "rev-parse", "HEAD")


def make_staging_upstream(root: Path, name: str = "demoapi") -> StagingUpstream:
    repo = root / name
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "master")
    module = f"k8s.io/{name}"
    _commit(repo, f"Initial publish\n\nKubernetes-commit: {KK_BASE}\n",
            {"go.mod": f"module {module}\n\ngo 1.22\n", "pkg/auth/auth.go": AUTH_GO})
    for minor in ("32", "33"):
        git(repo, "branch", f"release-1.{minor}")
        for tag in (f"v0.{minor}.1", f"kubernetes-1.{minor}.1"):
            git(repo, "tag", tag, f"release-1.{minor}")
    # As on kubernetes/apiserver: a message can name two kubernetes commits, and a cherry-pick
    # keeps the original's line in its body (git's trailer parser sees only the last paragraph).
    fix = _commit(repo, f"Deny anonymous users\n\nKubernetes-commit: {KK_FIX}\n\n"
                        f"Kubernetes-commit: {KK_SQUASHED}\n", {"pkg/auth/auth.go": FIXED_GO})
    git(repo, "checkout", "-q", "release-1.33")
    fix_133 = _commit(repo, f"Automated cherry pick: Deny anonymous users\n\n"
                            f"Kubernetes-commit: {KK_FIX}\n\nKubernetes-commit: {KK_FIX_133}\n",
                      {"pkg/auth/auth.go": FIXED_GO})
    git(repo, "tag", "v0.33.2")
    git(repo, "checkout", "-q", "master")
    return StagingUpstream(repo, module, fix, fix_133)


BTRFS_GO = """//go:build linux && !no_btrfs && cgo

package snapshots

/*
#include <btrfs/ksp_fixture_header_that_is_not_installed.h>
*/
import "C"

// Btrfs is compiled only where the btrfs headers exist.
const Btrfs = true
"""
NOBTRFS_GO = """//go:build !linux || no_btrfs || !cgo

package snapshots

// Btrfs is compiled only where the btrfs headers exist.
const Btrfs = false
"""
MAIN_GO = """package main

import (
	"fmt"

	"example.com/ctrd/snapshots"
)

func main() { fmt.Println("btrfs:", snapshots.Btrfs) }
"""


def make_slash_upstream(root: Path) -> Path:
    """containerd's shape: branch release/1.7, tags v1.7.0 and v1.7.1."""
    repo = root / "ctrd"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    _commit(repo, "ctrd", {"go.mod": "module example.com/ctrd\n\ngo 1.22\n",
                           "cmd/ctrd/main.go": MAIN_GO, "snapshots/btrfs.go": BTRFS_GO,
                           "snapshots/nobtrfs.go": NOBTRFS_GO})
    git(repo, "branch", "release/1.7")
    git(repo, "tag", "v1.7.0", "release/1.7")
    git(repo, "tag", "v1.7.1", "release/1.7")
    return repo
