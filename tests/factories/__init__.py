"""Fixture factories: real git repositories and Go upstreams for ksp's tests.

Import from here, not from the submodules; see each module for why it exists.
"""

from __future__ import annotations

from .gitenv import (
    Executable,
    FileValue,
    GitCommandError,
    Symlink,
    git,
    git_bytes,
    git_env,
    go_env,
)
from .goupstream import (
    Upstream,
    good_patch,
    good_patch_stacked,
    make_go_upstream,
    patch_that_breaks_build,
    patch_that_breaks_test,
    patch_that_drifts,
    patch_that_fails_to_apply,
)
from .kubelike import make_kube_like_upstream

__all__ = [
    "Executable",
    "FileValue",
    "GitCommandError",
    "Symlink",
    "Upstream",
    "git",
    "git_bytes",
    "git_env",
    "go_env",
    "good_patch",
    "good_patch_stacked",
    "make_go_upstream",
    "make_kube_like_upstream",
    "patch_that_breaks_build",
    "patch_that_breaks_test",
    "patch_that_drifts",
    "patch_that_fails_to_apply",
]
