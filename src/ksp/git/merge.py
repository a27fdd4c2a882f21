"""Cherry-pick as plumbing: a 3-way merge written in the shadow, never in a working tree.

`git merge-tree --write-tree` (git 2.38+) merges two commits in memory and writes the result
tree, conflict markers included. A cherry-pick of C onto T is that merge with C's parent as the
merge base; `--merge-base` exists only from git 2.40, so on 2.39 (Debian 12) the same merge is
set up with synthetic commits: P (parentless, C's parent tree), A = T's tree on P, B = C's tree
on P; the only merge base of A and B is then P. Every object is written in the shadow.

Whether a change applies *exactly* is asked of `git apply --cached --check` (no fuzz) on a
temporary index holding only the paths the patch touches, so that it costs the same on a
30,000-file tree as on a toy one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from ksp.errors import KspError
from ksp.git import diff as diffmod
from ksp.git import patchtree
from ksp.git._run import git, split_z
from ksp.git.patchtree import ApplyCheck
from ksp.git.shadow import ObjectReader, Shadow
from ksp.versions import git_version_of

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbebc904"
# Synthetic commits get a fixed identity and date so that their ids are stable between runs.
_IDENT = {
    "GIT_AUTHOR_NAME": "ksp", "GIT_AUTHOR_EMAIL": "ksp@localhost",
    "GIT_COMMITTER_NAME": "ksp", "GIT_COMMITTER_EMAIL": "ksp@localhost",
    "GIT_AUTHOR_DATE": "@946684800 +0000", "GIT_COMMITTER_DATE": "@946684800 +0000",
}  # fmt: skip
_MERGE_CONFIG = ("-c", "merge.directoryRenames=true", "-c", "merge.renames=true",
                 "-c", "diff.renames=true", "-c", "merge.conflictStyle=merge")
_OFFSET_RE = re.compile(r"^Hunk #(\d+) succeeded at (\d+) \(offset (-?\d+) lines?\)")
_CHECKING_RE = re.compile(r"^Checking patch (.+)\.\.\.$")
MARKER_START, MARKER_MID, MARKER_END = "<<<<<<< ", "=======", ">>>>>>> "


@functools.lru_cache(maxsize=1)
def git_version() -> tuple[int, ...]:
    return git_version_of(git(".", "version").stdout)


def has_merge_base_option() -> bool:
    """`git merge-tree --merge-base` arrived in git 2.40."""
    return git_version() >= (2, 40)


class Message(NamedTuple):
    kind: str  # e.g. "CONFLICT (contents)", "CONFLICT (modify/delete)", "Auto-merging"
    paths: tuple[str, ...]
    text: str


class Conflicted(NamedTuple):
    path: str
    stages: tuple[int, ...]  # 1 base, 2 target (ours), 3 the fix (theirs)
    hunks: int  # conflict marker blocks in the merged file (0 when not a content conflict)


class Pick(NamedTuple):
    """The outcome of one cherry-pick merge."""

    tree: str  # the result tree (with conflict markers in conflicted files)
    clean: bool
    conflicted: tuple[Conflicted, ...]
    messages: tuple[Message, ...]
    label_ours: str
    label_theirs: str

    def kinds(self, path: str) -> list[str]:
        return [m.kind for m in self.messages if path in m.paths and m.kind.startswith("CONFLICT")]


def synthetic_commit(shadow: Shadow, tree: str, parents: Iterable[str] = (),
                     message: str = "ksp", *, memo: dict[str, str] | None = None) -> str:
    """A commit of `tree` (a tree id or `<rev>^{tree}`) with a fixed identity and date: the
    same arguments give the same commit, so `memo` (shared by one run) saves the process."""
    args = ["commit-tree", tree]
    for parent in parents:
        args += ["-p", parent]
    key = "\0".join([*args, message])
    if memo is not None and key in memo:
        return memo[key]
    sha = shadow.git(*args, input=message + "\n", env=_IDENT).stdout.strip()
    if memo is not None:
        memo[key] = sha
    return sha


def tree_of(shadow: Shadow, rev: str, reader: ObjectReader | None = None) -> str:
    if reader is not None and (tree := reader.oid(f"{rev}^{{tree}}")) is not None:
        return tree
    return shadow.git("rev-parse", "--verify", f"{rev}^{{tree}}").stdout.strip()


def pick(shadow: Shadow, onto: str, commit: str, parent: str | None, *,
         merge_base: bool | None = None, memo: dict[str, str] | None = None) -> Pick:
    """Merge the change parent->commit into `onto` (all commits); the result is not committed.

    `memo`: synthetic commits already written in this run (the fix's two are the same for
    every target)."""
    use_option = has_merge_base_option() if merge_base is None else merge_base
    if use_option and parent is not None:
        ours, theirs, extra = onto, commit, [f"--merge-base={parent}"]
    else:
        root, theirs = fix_commits(shadow, commit, parent, memo=memo)
        ours = synthetic_commit(shadow, f"{onto}^{{tree}}", [root], "ksp: target", memo=memo)
        extra = []
    proc = shadow.git(*_MERGE_CONFIG, "merge-tree", "--write-tree", "-z", "--messages", *extra,
                      ours, theirs, check=False)
    if proc.returncode not in (0, 1):
        shadow.git(*_MERGE_CONFIG, "merge-tree", "--write-tree", *extra, ours, theirs)
    return _parse(shadow, proc.stdout, proc.returncode == 0, ours, theirs)


def fix_commits(shadow: Shadow, commit: str, parent: str | None, *,
                memo: dict[str, str] | None = None) -> tuple[str, str]:
    """The synthetic merge base (the fix's parent tree, parentless) and the fix on top of it."""
    # commit-tree peels `<rev>^{tree}` itself: no rev-parse process per tree.
    base_tree = f"{parent}^{{tree}}" if parent else _empty_tree(shadow)
    root = synthetic_commit(shadow, base_tree, message="ksp: merge base", memo=memo)
    return root, synthetic_commit(shadow, f"{commit}^{{tree}}", [root], "ksp: fix", memo=memo)


def _empty_tree(shadow: Shadow) -> str:
    return shadow.git("mktree", input="").stdout.strip()


def _parse(shadow: Shadow, out: str, clean: bool, ours: str, theirs: str) -> Pick:
    """`<tree>\\0<mode> <oid> <stage>\\t<path>\\0…\\0` then `<n>\\0<paths>\\0<kind>\\0<text>\\0`…"""
    fields = out.split("\0")
    tree, i = fields[0], 1
    stages: dict[str, list[int]] = {}
    while i < len(fields) and fields[i]:
        meta, path = fields[i].split("\t", 1)
        stages.setdefault(path, []).append(int(meta.split()[2]))
        i += 1
    i += 1
    messages = []
    while i + 1 < len(fields) and fields[i].isdigit():
        count = int(fields[i])
        paths = tuple(fields[i + 1 : i + 1 + count])
        kind, text = fields[i + 1 + count], fields[i + 2 + count]
        messages.append(Message(kind, paths, text.strip()))
        i += 3 + count
    hunks = count_markers(shadow, tree, [p for p, s in stages.items() if 2 in s and 3 in s])
    conflicted = tuple(Conflicted(p, tuple(s), hunks.get(p, 0)) for p, s in stages.items())
    return Pick(tree, clean, conflicted, tuple(messages), ours, theirs)


def count_markers(shadow: Shadow, tree: str, paths: list[str]) -> dict[str, int]:
    """Conflict blocks (`<<<<<<< ` lines) per path in `tree`."""
    counts: dict[str, int] = {}
    if not paths:
        return counts
    with ObjectReader(shadow.path) as reader:
        for path in paths:
            got = reader.read(f"{tree}:{path}")
            data = got[1] if got else b""
            counts[path] = sum(1 for line in data.split(b"\n") if line.startswith(b"<<<<<<< "))
    return counts


def apply_check(shadow: Shadow, onto: str, patch: bytes, paths: Iterable[str], *,
                reverse: bool = False, reader: ObjectReader | None = None,
                files: list[diffmod.FileDiff] | None = None) -> ApplyCheck:
    """Does `patch` apply to `onto` exactly (no fuzz, no 3-way)? Offsets are reported.

    A text diff is matched in memory (ksp.git.patchtree) on the blobs it touches, read through
    `reader` (or one opened here); a binary one, or one the parser refuses, is asked of
    `git apply --cached --check` on a temporary index of the touched paths. `files`: the patch
    already parsed, when the caller has it."""
    if files is None:
        try:
            files = diffmod.parse(patch)
        except KspError:
            files = []
    if files and not any(f.binary for f in files):
        if reader is not None:
            return patchtree.check(shadow, reader, onto, files, reverse=reverse)
        with ObjectReader(shadow.path) as own:
            return patchtree.check(shadow, own, onto, files, reverse=reverse)
    return _apply_check_git(shadow, onto, patch, paths, reverse=reverse)


def _apply_check_git(shadow: Shadow, onto: str, patch: bytes, paths: Iterable[str], *,
                     reverse: bool) -> ApplyCheck:
    import tempfile  # lazy: 3.0 ms of start-up

    with tempfile.TemporaryDirectory(prefix="ksp-apply-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        wanted = sorted(set(paths))
        if wanted:
            listing = shadow.git("--literal-pathspecs", "ls-tree", "-z", "-r", "--full-tree",
                                 onto, "--", *wanted).stdout
            shadow.git("update-index", "-z", "--index-info", input=listing, env=env)
        else:
            shadow.git("read-tree", "--empty", env=env)
        proc = shadow.git("apply", "--cached", "--check", "-v", *(["-R"] if reverse else []),
                          "-", input=patch, env=env, check=False)
    offsets, current = [], ""
    for line in proc.stderr.splitlines():
        checking = _CHECKING_RE.match(line)
        if checking:
            current = checking.group(1)
        match = _OFFSET_RE.match(line)
        if match:
            offsets.append((current, int(match.group(1)), int(match.group(3))))
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    return ApplyCheck(proc.returncode == 0, tuple(offsets), errors[-1] if errors else "")


def apply_zero_context(shadow: Shadow, onto: str, patch_u0: bytes) -> str | None:
    """Apply a `-U0` diff to `onto` (a full temporary index); the result tree, or None."""
    import tempfile  # lazy: 2.9 ms of start-up

    with tempfile.TemporaryDirectory(prefix="ksp-apply0-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        shadow.git("read-tree", onto, env=env)
        proc = shadow.git("apply", "--cached", "--unidiff-zero", "-", input=patch_u0, env=env,
                          check=False)
        if proc.returncode != 0:
            return None
        return shadow.git("write-tree", env=env).stdout.strip()


def commit_diff(shadow: Shadow, parent: str | None, commit: str, *, context: int = 3) -> bytes:
    """The change a commit makes, as `git apply` reads it (renames detected, binary kept)."""
    old = parent or _empty_tree(shadow)
    return shadow.git_bytes("diff-tree", "-p", "-M", "--binary", "--full-index",
                            f"-U{context}", old, commit)


def tree_diff(shadow: Shadow, old: str, new: str) -> bytes:
    """A patch file's body: `git diff` form, renames detected; bytes, as git wrote them."""
    return shadow.git_bytes("diff-tree", "-p", "-M", "--binary", "--full-index", old, new)


def changed_paths(shadow: Shadow, old: str, new: str) -> list[str]:
    return split_z(shadow.git("diff-tree", "-r", "-z", "--name-only", "--no-renames", old,
                              new).stdout)


def paths_in(shadow: Shadow, rev: str, paths: Iterable[str]) -> set[str]:
    """Which of `paths` exist in `rev`."""
    wanted = sorted(set(paths))
    if not wanted:
        return set()
    out = shadow.git("--literal-pathspecs", "ls-tree", "-z", "-r", "--name-only",
                     "--full-tree", rev, "--", *wanted).stdout
    return set(split_z(out))


def merge_base(shadow: Shadow, a: str, b: str) -> str | None:
    proc = shadow.git("merge-base", a, b, check=False)
    return proc.stdout.split()[0] if proc.returncode == 0 and proc.stdout.strip() else None


def ref_map(upstream: Path) -> dict[str, str]:
    """Every branch and tag of the user's clone (read only) -> the commit it names."""
    out = git(upstream, "for-each-ref", "--format=%(objectname) %(*objectname) %(refname)").stdout
    refs = {}
    for line in out.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3:
            refs[parts[2]] = parts[1] or parts[0]
    return refs
