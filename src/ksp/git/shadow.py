"""The shadow repository: where ksp writes, so that the user's clone is never written.

A shadow is a bare repository in ksp's cache that borrows the upstream clone's objects through
`objects/info/alternates`. Every object, ref, index and worktree that ksp creates lives in the
shadow; the user's clone is only read (rev-parse, ls-tree, cat-file), never written, so its refs,
HEAD, index, working tree, stash and worktree list stay exactly as they were, whatever happens.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ksp._files import atomic_write, cache_dir
from ksp.errors import CannotRun, KspError
from ksp.git._run import git, git_bytes, git_env


def common_dir(upstream: Path) -> Path:
    """The clone's common git directory (where its objects are). Read from the layout for the
    usual cases (a clone, a linked worktree, a bare repository), which saves a git process on
    every run; anything else is asked of git."""
    dot = upstream / ".git"
    gitdir: Path | None = None
    if dot.is_dir():
        gitdir = dot
    elif dot.is_file() and (text := dot.read_text(errors="replace")).startswith("gitdir: "):
        gitdir = (upstream / text[len("gitdir: "):].strip()).resolve()
    elif (upstream / "HEAD").is_file() and (upstream / "objects").is_dir():
        gitdir = upstream
    if gitdir is not None and (gitdir / "objects").is_dir():
        return gitdir.resolve()
    if gitdir is not None and (gitdir / "commondir").is_file():
        return (gitdir / (gitdir / "commondir").read_text().strip()).resolve()
    probe = git(upstream, "rev-parse", "--path-format=absolute", "--git-common-dir",
                check=False)
    if probe.returncode != 0:
        raise KspError(f"{upstream} is not a git repository",
                       hint="pass --upstream with a clone of the upstream project")
    return Path(probe.stdout.strip())


@dataclass(frozen=True)
class Shadow:
    """The upstream clone (read only) and the shadow repository ksp writes in."""

    upstream: Path  # the user's clone (read only)
    path: Path  # the shadow bare repository (ours)

    @classmethod
    def open(cls, upstream: Path) -> Shadow:
        upstream = upstream.resolve()
        common = common_dir(upstream)
        key = hashlib.sha256(str(common).encode()).hexdigest()[:16]
        name = common.parent.name if common.name == ".git" else common.name.removesuffix(".git")
        shadow = cls(upstream, cache_dir() / "shadow" / f"{name}-{key}")  # one per clone
        shadow._ensure(common / "objects")
        return shadow

    def _ensure(self, objects: Path) -> None:
        alternates = self.path / "objects" / "info" / "alternates"
        if not (self.path / "HEAD").is_file():
            self._create()
        if not alternates.is_file() or alternates.read_text().strip() != str(objects):
            atomic_write(alternates, f"{objects}\n")

    def _create(self) -> None:
        """`git init` beside the final name, then one rename: ksp processes started together
        (parallel backports) must not init the same folder at once."""
        import shutil  # lazy: 1.6 ms of start-up

        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.name}.init-{os.getpid()}-{os.urandom(4).hex()}")
        try:
            git(self.path.parent, "init", "-q", "--bare", str(tmp))
            git(tmp, "config", "gc.auto", "0")
            try:
                tmp.rename(self.path)
            except OSError:
                if not (self.path / "HEAD").is_file():  # not another process's shadow: a failure
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {"GIT_DIR": str(self.path)}
        env.update(extra or {})
        return env

    def git(self, *args: str, input: bytes | str | None = None, check: bool = True,
            env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """git in the shadow (objects of the upstream visible through alternates)."""
        return git(self.path, *args, input=input, check=check, env=env)

    def git_bytes(self, *args: str, input: bytes | None = None,
                  env: Mapping[str, str] | None = None) -> bytes:
        """git in the shadow, stdout as bytes (diffs, logs, blobs: data that is not text)."""
        return git_bytes(self.path, *args, input=input, env=env)

    def resolve(self, ref: str) -> str:
        """A commit sha for `ref` as the user's clone names it (local or remote-tracking)."""
        for candidate in (ref, f"origin/{ref}", f"refs/remotes/origin/{ref}", f"refs/tags/{ref}"):
            proc = git(self.upstream, "rev-parse", "--verify", "-q", f"{candidate}^{{commit}}",
                       check=False)
            if proc.returncode == 0:
                return proc.stdout.strip()
        remote = git(self.upstream, "for-each-ref", "--format=%(refname)",
                     f"refs/remotes/*/{ref}", check=False).stdout.split()
        if remote:
            return git(self.upstream, "rev-parse", f"{remote[0]}^{{commit}}").stdout.strip()
        named = git(self.upstream, "for-each-ref", "--format=%(refname)", f"refs/heads/{ref}",
                    f"refs/tags/{ref}", check=False).stdout.split()
        if named:  # the ref is there, its commit is not readable: the clone is broken
            raise CannotRun(f"{named[0]} exists in {self.upstream} but git cannot read its "
                            "commit", hint="the clone looks corrupt: `git fsck` it, or clone "
                            "it again")
        raise KspError(f"{ref!r} not found in {self.upstream}",
                       hint="fetch the release branches and tags of the upstream first")


BATCH_BYTES = 8 * 1024  # a pipe holds 64 KiB on Linux, 16 KiB on macOS


class ObjectReader:
    """A long-lived `git cat-file --batch`: one process for any number of blob reads."""

    def __init__(self, repo: Path) -> None:
        self._proc = subprocess.Popen(
            ["git", "-C", str(repo), "cat-file", "--batch"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=git_env(),
        )

    def read(self, spec: str) -> tuple[str, bytes] | None:
        """(type, content) of `spec` (e.g. `<commit>:<path>`), or None if missing."""
        return self.read_many([spec])[0]

    def oid(self, spec: str) -> str | None:
        """The object id `spec` names (e.g. `<commit>^{tree}`), or None if there is none."""
        header = self._ask(spec)
        if header is None:
            return None
        assert self._proc.stdout
        self._proc.stdout.read(int(header[2]) + 1)
        return header[0]

    def _ask(self, spec: str) -> list[str] | None:
        """Send one object name; its `<oid> <type> <size>` header, or None when missing."""
        assert self._proc.stdin and self._proc.stdout
        self._proc.stdin.write(spec.encode("utf-8", "surrogateescape") + b"\n")
        self._proc.stdin.flush()
        header = self._proc.stdout.readline().decode().split()
        return header if len(header) == 3 else None

    def read_many(self, specs: list[str]) -> list[tuple[str, bytes] | None]:
        """read() of each spec, sent together: one round trip per batch instead of per object.
        A batch's requests stay far below a pipe's buffer, so writing them cannot block while
        git waits for its answers to be read."""
        out: list[tuple[str, bytes] | None] = []
        batch: list[bytes] = []
        size = 0
        for spec in specs:
            line = spec.encode("utf-8", "surrogateescape") + b"\n"
            if batch and size + len(line) > BATCH_BYTES:
                out += self._answers(batch)
                batch, size = [], 0
            batch.append(line)
            size += len(line)
        return out + (self._answers(batch) if batch else [])

    def _answers(self, requests: list[bytes]) -> list[tuple[str, bytes] | None]:
        assert self._proc.stdin and self._proc.stdout
        self._proc.stdin.write(b"".join(requests))
        self._proc.stdin.flush()
        out: list[tuple[str, bytes] | None] = []
        for _ in requests:
            header = self._proc.stdout.readline().decode().split()
            if len(header) != 3:
                out.append(None)
                continue
            out.append((header[1], self._proc.stdout.read(int(header[2]))))
            self._proc.stdout.read(1)
        return out

    def entries(self, commit: str, paths: list[str]) -> dict[str, tuple[str, str]]:
        """What `ls_tree` returns (mode and blob sha of each path that exists in `commit`),
        read by walking the trees through this reader, a level of all paths at a time: no
        extra git process, and one round trip per level of the deepest path."""
        width = len(commit) // 2  # bytes of an object id: 20 (SHA-1) or 32 (SHA-256)
        names = {p: p.encode("utf-8", "surrogateescape").split(b"/") for p in paths}
        trees: dict[str, dict[bytes, tuple[bytes, str]]] = {}
        found: dict[str, tuple[str, str]] = {}
        looking = dict.fromkeys(paths, f"{commit}^{{tree}}")  # path -> the tree to look in
        depth = 0
        while looking:
            wanted = sorted({spec for spec in looking.values() if spec not in trees})
            for spec, got in zip(wanted, self.read_many(wanted), strict=True):
                trees[spec] = _tree_entries(got[1], width) if got and got[0] == "tree" else {}
            deeper: dict[str, str] = {}
            for path, spec in looking.items():
                entry = trees[spec].get(names[path][depth])
                if entry is None:
                    continue
                if depth + 1 < len(names[path]):
                    deeper[path] = entry[1]
                elif entry[0] in (b"100644", b"100755", b"120000"):
                    found[path] = (entry[0].decode(), entry[1])
            looking, depth = deeper, depth + 1
        return {path: found[path] for path in paths if path in found}

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.wait()

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _tree_entries(raw: bytes, width: int) -> dict[bytes, tuple[bytes, str]]:
    """A raw tree object: name -> (mode, object id); a directory's mode is `40000`."""
    out: dict[bytes, tuple[bytes, str]] = {}
    at = 0
    while at < len(raw):
        space = raw.index(b" ", at)
        nul = raw.index(b"\0", space)
        out[raw[space + 1:nul]] = (
            raw[at:space], raw[nul + 1:nul + 1 + width].hex())
        at = nul + 1 + width
    return out


def ls_tree(repo: Path, commit: str, paths: list[str]) -> dict[str, tuple[str, str]]:
    """mode and blob sha of each path that exists in `commit` (paths are literal)."""
    if not paths:
        return {}
    out = git(repo, "--literal-pathspecs", "ls-tree", "-z", "--full-tree", commit, "--",
              *paths).stdout
    entries: dict[str, tuple[str, str]] = {}
    for item in out.split("\0"):
        if not item:
            continue
        meta, path = item.split("\t", 1)
        mode, kind, sha = meta.split()
        if kind == "blob":
            entries[path] = (mode, sha)
    return entries
