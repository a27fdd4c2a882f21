"""The one subprocess wrapper for git: argument lists, stable output, typed errors."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ksp._log import debug_logger
from ksp.errors import GitError, raise_if_signalled


def _log() -> Any:
    return debug_logger("ksp.git")


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
    """Run `git -C cwd args…`; raises GitError (with the command and stderr) unless check=False.

    Output is decoded with surrogateescape and a str input encoded the same way, so that git
    data that is not UTF-8 (vendored files, test data) goes back to git byte for byte; data
    (diffs, blobs, logs with patches) is better read with git_bytes."""
    cmd = ["git", "-C", str(cwd), *_STABLE_CONFIG, *args]
    data = input.encode("utf-8", "surrogateescape") if isinstance(input, str) else input
    proc = _run(cmd, data, env)
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
    proc = _run(cmd, input, env)
    raise_if_signalled(proc.returncode)
    if proc.returncode != 0:
        raise GitError(f"git {args[0] if args else ''} failed", cmd=cmd,
                       returncode=proc.returncode,
                       stderr=proc.stderr.decode("utf-8", "replace"))
    return proc.stdout


def _run(cmd: list[str], data: bytes | None, env: Mapping[str, str] | None
         ) -> subprocess.CompletedProcess[bytes]:
    log = _log()
    if log is None:
        return subprocess.run(cmd, input=data, capture_output=True, env=git_env(env),
                              check=False)
    start = time.perf_counter()
    proc = subprocess.run(cmd, input=data, capture_output=True, env=git_env(env), check=False)
    shown = " ".join(a for i, a in enumerate(cmd) if i > 2 and a != "-c" and cmd[i - 1] != "-c")
    log.debug("git -C %s %s: exit %d, %.1f ms%s", cmd[2], shown[:300], proc.returncode,
              (time.perf_counter() - start) * 1000,
              f", {len(data)} bytes in" if data else "")
    return proc


def split_z(data: str | bytes) -> list[str]:
    text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
    return [item for item in text.split("\0") if item]


def is_repo(path: Path) -> bool:
    proc = subprocess.run(["git", "-C", str(path), "rev-parse", "--git-dir"],
                          capture_output=True, env=git_env(), check=False)
    return proc.returncode == 0
