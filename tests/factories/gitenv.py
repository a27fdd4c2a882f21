"""Run real git (and go) in tests, isolated from the developer's machine.

Tests must not depend on the user's ``~/.gitconfig``, a system config, the
locale, the clock or the environment of a surrounding git hook (which sets
``GIT_INDEX_FILE`` and friends).  Everything here builds environments from
scratch and pins what changes object ids, so that factory shas are the same on
every run and every machine.
"""

from __future__ import annotations

import atexit
import functools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

AUTHOR_NAME = "KSP Test"
AUTHOR_EMAIL = "ksp-test@example.invalid"
#: 2025-01-01T00:00:00Z: the base of every pinned date.
BASE_EPOCH = 1735689600
#: Seconds between two factory commits, so that history has a strict order.
DATE_STEP = 60

# Config that must hold whatever the user's setup is.  Passed through
# GIT_CONFIG_COUNT so that it beats repository config only for these keys.
_PINNED_CONFIG: tuple[tuple[str, str], ...] = (
    ("init.defaultBranch", "main"),
    ("commit.gpgSign", "false"),
    ("tag.gpgSign", "false"),
    ("core.autocrlf", "false"),
    ("core.pager", "cat"),
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    ("advice.detachedHead", "false"),
    ("protocol.file.allow", "always"),
)


class GitCommandError(subprocess.CalledProcessError):
    """A failed git call whose message carries stderr, so test output says why."""

    def __str__(self) -> str:
        err = (
            self.stderr.decode(errors="replace") if isinstance(self.stderr, bytes) else self.stderr
        )
        return f"{super().__str__()}\nstderr:\n{err}"


def git_date(epoch: int) -> str:
    """Git's internal date format, which it accepts in ``GIT_*_DATE``."""
    return f"@{epoch} +0000"


def git_env(home: Path, *, epoch: int = BASE_EPOCH) -> dict[str, str]:
    """A from-scratch environment for git with identity, dates and config pinned.

    Only ``PATH`` (and ``TMPDIR``) are inherited: any ``GIT_DIR``,
    ``GIT_INDEX_FILE`` or pager from the caller would otherwise leak in.
    """
    home.mkdir(parents=True, exist_ok=True)
    env = {k: os.environ[k] for k in ("PATH", "TMPDIR") if k in os.environ}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_AUTHOR_NAME=AUTHOR_NAME,
        GIT_AUTHOR_EMAIL=AUTHOR_EMAIL,
        GIT_AUTHOR_DATE=git_date(epoch),
        GIT_COMMITTER_NAME=AUTHOR_NAME,
        GIT_COMMITTER_EMAIL=AUTHOR_EMAIL,
        GIT_COMMITTER_DATE=git_date(epoch),
        GIT_TERMINAL_PROMPT="0",
        GIT_PAGER="cat",
        PAGER="cat",
        LC_ALL="C",
        LANG="C",
        TZ="UTC",
    )
    env["GIT_CONFIG_COUNT"] = str(len(_PINNED_CONFIG))
    for i, (key, value) in enumerate(_PINNED_CONFIG):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


def with_date(env: Mapping[str, str], epoch: int) -> dict[str, str]:
    """``env`` with author and committer dates moved to ``epoch``."""
    return {**env, "GIT_AUTHOR_DATE": git_date(epoch), "GIT_COMMITTER_DATE": git_date(epoch)}


@functools.cache
def default_home() -> Path:
    """A process-wide throwaway HOME for callers that pass no ``env``."""
    home = Path(tempfile.mkdtemp(prefix="ksp-test-home-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    return home


def git_bytes(
    repo: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    input: bytes | None = None,
) -> bytes:
    """Run ``git -C repo args``; raise :class:`GitCommandError` on failure."""
    cmd = ["git", "-C", str(repo), *args]
    proc = subprocess.run(
        cmd,
        input=input,
        capture_output=True,
        env=dict(env) if env is not None else git_env(default_home()),
        check=False,
    )
    if proc.returncode != 0:
        raise GitCommandError(proc.returncode, cmd, proc.stdout, proc.stderr)
    return proc.stdout


def git(
    repo: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    input: str | bytes | None = None,
) -> str:
    """Run real git in ``repo`` and return its stdout as text (check=True)."""
    data = input.encode() if isinstance(input, str) else input
    return git_bytes(repo, *args, env=env, input=data).decode("utf-8", errors="surrogateescape")


def _find_user_gocache() -> str:
    """Where ``go`` keeps the developer's build cache, as ``os.UserCacheDir`` finds it.

    Read when this module is imported (at collection, before fixtures point
    HOME and XDG_CACHE_HOME at temporary folders); the passwd entry backs up
    HOME.  Without it every test session starts cold and rebuilds the
    standard library (15-60 s).
    """
    if os.environ.get("GOCACHE"):
        return os.environ["GOCACHE"]
    cache = os.environ.get("XDG_CACHE_HOME") or str(
        Path(pwd.getpwuid(os.getuid()).pw_dir) / ".cache"
    )
    return str(Path(cache) / "go-build")


_USER_GOCACHE = _find_user_gocache()


def _user_gocache() -> str:
    """The developer's Go build cache (kept for tests that import it by this name)."""
    return _USER_GOCACHE


def go_env(base: Mapping[str, str]) -> dict[str, str]:
    """``base`` plus what an offline, reproducible Go build needs.

    ``GOFLAGS`` is emptied so each call states ``-mod=vendor`` itself.
    """
    env = dict(base)
    env.update(
        GOTOOLCHAIN="local",
        GOPROXY="off",
        GOSUMDB="off",
        GOFLAGS="",
        GOCACHE=_USER_GOCACHE,
        CGO_ENABLED="0",
    )
    return env


# --- file values and plumbing shared by the factories -------------------------


@dataclass(frozen=True)
class Executable:
    """A file committed with mode 100755 (policy tests look for mode changes)."""

    content: str | bytes


@dataclass(frozen=True)
class Symlink:
    """A symbolic link (mode 120000) to ``target``, relative as Kubernetes' vendor links are."""

    target: str


#: What a factory may write at a path; ``None`` deletes the path.
FileValue = str | bytes | Executable | Symlink | None

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def encode(value: str | bytes | Executable | Symlink) -> tuple[str, bytes]:
    """The git mode and blob bytes of a file value."""
    if isinstance(value, Executable):
        return "100755", encode(value.content)[1]
    if isinstance(value, Symlink):
        return "120000", value.target.encode()
    return "100644", value.encode() if isinstance(value, str) else value


def build_tree(
    repo: Path, env: Mapping[str, str], base: str | None, files: Mapping[str, FileValue]
) -> str:
    """Write the tree of ``base`` with ``files`` applied, through a throwaway index.

    The repository's own index, HEAD and worktree are never read or written,
    which is what lets factories commit to any branch while it is checked out.
    """
    with tempfile.TemporaryDirectory(prefix="ksp-idx-") as tmp:
        ienv = {**env, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if base is not None:
            git(repo, "read-tree", base, env=ienv)
        lines = []
        for path, value in files.items():
            if value is None:
                lines.append(f"0 {'0' * 40}\t{path}")
                continue
            mode, data = encode(value)
            sha = git(repo, "hash-object", "-w", "--stdin", env=env, input=data).strip()
            lines.append(f"{mode} {sha}\t{path}")
        if lines:
            git(repo, "update-index", "--index-info", env=ienv, input="\n".join(lines) + "\n")
        return git(repo, "write-tree", env=ienv).strip()


@contextmanager
def scratch_objects(repo: Path, env: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """An env whose new objects go to a temporary store that vanishes afterwards.

    Patches made from hypothetical trees must not leave their blobs in the
    upstream: ``git apply --3way`` would find them and hide a real conflict.
    """
    common = git(repo, "rev-parse", "--path-format=absolute", "--git-common-dir", env=env)
    with tempfile.TemporaryDirectory(prefix="ksp-obj-") as tmp:
        yield {
            **env,
            "GIT_OBJECT_DIRECTORY": tmp,
            "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(Path(common.strip()) / "objects"),
        }


def plain_diff(repo: Path, env: Mapping[str, str], old: str, new: str) -> str:
    """``git diff --full-index`` between two tree-ishes: the body of a ksp ``.patch``."""
    return git(
        repo,
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--full-index",
        "--binary",
        old,
        new,
        env=env,
    )


class FastImport:
    """Builds a whole history in one ``git fast-import`` run.

    One process instead of several per commit keeps factories fast, and the
    explicit dates (``epoch + step * n``) make the shas identical on every run.
    The Python side mirrors each branch's files so builders can derive edits
    ("insert a line above X on main") from what the branch holds.
    """

    def __init__(self, *, epoch: int = BASE_EPOCH, step: int = DATE_STEP) -> None:
        self._chunks: list[bytes] = []
        self._epoch, self._step = epoch, step
        self._count = 0
        self.tips: dict[str, int] = {}
        self.trees: dict[str, dict[str, str | bytes | Executable | Symlink]] = {}

    def text(self, branch: str, path: str) -> str:
        """The current text of ``path`` on ``branch`` as built so far."""
        value = self.trees[branch][path]
        return encode(value)[1].decode() if not isinstance(value, str) else value

    def commit(
        self, branch: str, files: Mapping[str, FileValue], message: str, *, start: str | None = None
    ) -> int:
        """Commit ``files`` on ``branch`` (reset to ``start``'s tip if given); return the mark."""
        self._count += 1
        mark, when = self._count, self._epoch + self._step * self._count
        ident = f"{AUTHOR_NAME} <{AUTHOR_EMAIL}> {when} +0000"
        out = [
            f"commit refs/heads/{branch}",
            f"mark :{mark}",
            f"author {ident}",
            f"committer {ident}",
        ]
        self._chunks.append("\n".join(out).encode() + b"\n" + _data(message))
        parent = self.tips.get(branch) if start is None else self.tips[start]
        tree = dict(self.trees.get(start or branch, {}))
        if parent is not None:
            self._chunks.append(f"from :{parent}\n".encode())
        for path, value in files.items():
            self._chunks.append(_file_command(path, value))
            if value is None:
                tree.pop(path, None)
            else:
                tree[path] = value
        self._chunks.append(b"\n")
        self.tips[branch], self.trees[branch] = mark, tree
        return mark

    def tag(self, name: str, mark: int, message: str) -> None:
        """An annotated tag, as Kubernetes release tags are."""
        when = self._epoch + self._step * self._count
        head = f"tag {name}\nfrom :{mark}\ntagger {AUTHOR_NAME} <{AUTHOR_EMAIL}> {when} +0000\n"
        self._chunks.append(head.encode() + _data(message))

    def run(self, repo: Path, env: Mapping[str, str], *, checkout: str | None = "main") -> None:
        """Create ``repo``, import the stream and check out ``checkout`` (if any)."""
        repo.mkdir(parents=True, exist_ok=True)
        git(repo, "init", "-q", "-b", checkout or "main", env=env)
        stream = b"".join([*self._chunks, b"done\n"])
        git_bytes(repo, "fast-import", "--quiet", "--done", env=env, input=stream)
        if checkout is not None:
            git(repo, "reset", "-q", "--hard", env=env)


def _data(payload: str | bytes) -> bytes:
    raw = payload.encode() if isinstance(payload, str) else payload
    return f"data {len(raw)}\n".encode() + raw + b"\n"


def _file_command(path: str, value: FileValue) -> bytes:
    if value is None:
        return f"D {path}\n".encode()
    mode, data = encode(value)
    return f"M {mode} inline {path}\n".encode() + _data(data)
