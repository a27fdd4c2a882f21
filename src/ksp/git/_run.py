"""The one subprocess wrapper for git: argument lists, stable output, typed errors."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from ksp.errors import GitError, raise_if_signalled

# Output that does not depend on the user's pager, locale or colour settings.
_STABLE_ENV = {
    "GIT_PAGER": "cat",
    "PAGER": "cat",
    "LC_ALL": "C",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
}
_STABLE_CONFIG = (
    "-c", "core.quotepath=off", "-c", "color.ui=false", "-c", "advice.detachedHead=false",
)


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(_STABLE_ENV)
    # A caller's GIT_DIR / GIT_INDEX_FILE would redirect us into the wrong repository.
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE"):
        env.pop(key, None)
    if extra:
        env.update(extra)
    return env


def git(
    cwd: Path | str,
    *args: str,
    input: bytes | str | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    what: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `git -C cwd args…`; raises GitError (with the command and stderr) unless check=False."""
    cmd = ["git", "-C", str(cwd), *_STABLE_CONFIG, *args]
    data = input.encode("utf-8") if isinstance(input, str) else input
    proc = subprocess.run(cmd, input=data, capture_output=True, env=git_env(env), check=False)
    result = subprocess.CompletedProcess(
        cmd, proc.returncode,
        proc.stdout.decode("utf-8", "surrogateescape"),
        proc.stderr.decode("utf-8", "surrogateescape"),
    )
    raise_if_signalled(result.returncode)
    if check and result.returncode != 0:
        raise GitError(what or f"git {args[0] if args else ''} failed", cmd=cmd,
                       returncode=result.returncode, stderr=result.stderr)
    return result


def git_bytes(cwd: Path | str, *args: str, input: bytes | None = None,
              env: Mapping[str, str] | None = None) -> bytes:
    """Like git() but returns raw stdout bytes (blobs, -z output)."""
    cmd = ["git", "-C", str(cwd), *_STABLE_CONFIG, *args]
    proc = subprocess.run(cmd, input=input, capture_output=True, env=git_env(env), check=False)
    raise_if_signalled(proc.returncode)
    if proc.returncode != 0:
        raise GitError(f"git {args[0] if args else ''} failed", cmd=cmd,
                       returncode=proc.returncode,
                       stderr=proc.stderr.decode("utf-8", "replace"))
    return proc.stdout


def split_z(data: str | bytes) -> list[str]:
    text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
    return [item for item in text.split("\0") if item]


def is_repo(path: Path) -> bool:
    proc = subprocess.run(["git", "-C", str(path), "rev-parse", "--git-dir"],
                          capture_output=True, env=git_env(), check=False)
    return proc.returncode == 0
