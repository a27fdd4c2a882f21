"""Is the fix already on the target? Checked before any merge, cheapest evidence first.

A fixer sent to resolve a conflict for work that is already done stops trusting the tool, so
every target is first asked, in this order:

1. `ancestor`: each fix commit is an ancestor of the target's base;
2. a commit of the target branch since its fork from the fix (`merge-base..base`: the branch's
   own commits, never the whole history) carries each fix commit: its
   `(cherry picked from commit X)` trailer names it (`cherry-pick-trailer`), or it has the same
   `git patch-id --stable` (`patch-id`), or the same subject and author and a file of the same
   name (`subject-author`: a backport whose paths moved, `pkg/oci/` on main, `oci/` on 1.7);
3. the minor's own series carries it: index.yaml says `patched` for the advisory on that minor
   (`series-index`), a series patch has the fix's patch-id (`series-patch-id`), or the fix
   reverse-applies on base + series (`reverse-apply`: the tree already has the change);
4. a dependency bump whose modules the target already requires at those versions or newer
   (`dependency-version`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from ksp.backport import deps
from ksp.backport.model import Evidence, FixCommit
from ksp.git import merge
from ksp.git.shadow import ObjectReader, Shadow

_TRAILER = b"cherry picked from commit "
# "[1.1] fix", "[release-1.7] fix", "Backport: fix", "[backport 1.6] fix": the same subject
_SUBJECT_TAGS = re.compile(r"^(?:\s*(?:\[[^\]]{1,40}\]|\(?(?:back-?port|cherry-pick)\)?"
                           r"(?:\s+(?:to\s+)?[\w./-]{1,20})?\s*:)\s*)+", re.IGNORECASE)


def same_subject(a: str, b: str) -> bool:
    """Subjects equal once release tags (`[1.1] `, `Backport: `) are set aside."""
    return _SUBJECT_TAGS.sub("", a).strip() == _SUBJECT_TAGS.sub("", b).strip() != ""


class _Commit(NamedTuple):
    sha: str
    author: str
    email: str
    subject: str
    body: bytes


def _commits(shadow: Shadow, *args: str) -> list[_Commit]:
    out = shadow.git_bytes("log", "--no-merges", "--format=%H%x00%an%x00%ae%x00%s%x00%B%x00%x01",
                           *args)
    rows = []
    for record in out.split(b"\x01"):
        parts = record.lstrip(b"\n").split(b"\x00")
        if len(parts) >= 5 and len(parts[0]) == 40:
            sha, author, email, subject = (p.decode("utf-8", "surrogateescape")
                                           for p in parts[:4])
            rows.append(_Commit(sha, author, email.casefold(), subject, parts[4]))
    return rows


def fork_point(shadow: Shadow, fix: Sequence[FixCommit], tip: str) -> str | None:
    return merge.merge_base(shadow, fix[0].sha, tip) if fix else None


def _same_names(shadow: Shadow, commit: str, paths: Sequence[str]) -> bool:
    names = {p.rsplit("/", 1)[-1] for p in paths}
    out = shadow.git_bytes("diff-tree", "--no-commit-id", "--name-only", "-r", "-z", "--root",
                           commit)
    theirs = {p.decode("utf-8", "surrogateescape").rsplit("/", 1)[-1]
              for p in out.split(b"\0") if p}
    return not names or bool(names & theirs)


def patch_ids_of(shadow: Shadow, log_output: bytes) -> dict[str, str]:
    """commit -> stable patch-id, from `git log -p` output (or diffs each after a commit line)."""
    out = shadow.git_bytes("patch-id", "--stable", input=log_output)
    pairs = (line.split() for line in out.decode("ascii", "replace").splitlines() if line)
    return {commit: pid for pid, commit in pairs}


def ancestor(shadow: Shadow, fix: Sequence[FixCommit], base: str) -> Evidence | None:
    for c in fix:
        if shadow.git("merge-base", "--is-ancestor", c.sha, base, check=False).returncode:
            return None
    return Evidence("ancestor", commit=fix[-1].sha)


@dataclass
class Finder:
    """The branch checks of one run, remembered per branch tip: the targets' own branches are
    also where the fix's backports are looked for (--from, the sources of older targets).

    `paths`: each fix commit's paths (patch-id candidates, the same-file-name check)."""

    shadow: Shadow
    fix: Sequence[FixCommit]
    paths: dict[str, list[str]]
    _ancestor: dict[str, Evidence | None] = field(default_factory=dict)
    _branch: dict[str, dict[str, Evidence]] = field(default_factory=dict)
    _forks: dict[str, str | None] = field(default_factory=dict)
    _mine: dict[str, _Commit] | None = None
    _mine_ids: dict[str, str] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def ancestor(self, tip: str) -> Evidence | None:
        if tip not in self._ancestor:
            if len(self.fix) == 1:  # the fork point tells it: one git process, not two
                inside = self._fork_point(tip) == self.fix[0].sha
                self._ancestor[tip] = Evidence("ancestor", commit=self.fix[0].sha) if inside \
                    else None
            else:
                self._ancestor[tip] = ancestor(self.shadow, self.fix, tip)
        return self._ancestor[tip]

    def _fork_point(self, tip: str) -> str | None:
        if tip not in self._forks:
            self._forks[tip] = fork_point(self.shadow, self.fix, tip)
        return self._forks[tip]

    def on_branch(self, tip: str) -> dict[str, Evidence]:
        """fix sha -> the commit of `tip` (since its fork from the fix) that carries it."""
        if tip not in self._branch:
            self._branch[tip] = self._search(tip)
        return self._branch[tip]

    def _search(self, tip: str) -> dict[str, Evidence]:
        fork = self._fork_point(tip)
        span = [tip, *([f"^{fork}"] if fork else []), *(f"^{c.sha}" for c in self.fix)]
        branch = _commits(self.shadow, *span)
        if not branch:
            return {}
        found: dict[str, Evidence] = {}
        for c in self.fix:
            mark = _TRAILER + c.sha.encode()
            hit = next((b for b in branch if mark in b.body), None)
            if hit is not None:
                found[c.sha] = Evidence("cherry-pick-trailer", commit=hit.sha)
        if any(c.sha not in found for c in self.fix):
            found.update(self._by_patch_id([c for c in self.fix if c.sha not in found], span))
        for c in self.fix:
            me = self._fix_commits().get(c.apply)
            if c.sha in found or me is None:
                continue
            for b in branch:
                same_author = b.email == me.email or b.author == me.author
                if same_author and same_subject(b.subject, me.subject) \
                        and _same_names(self.shadow, b.sha, self.paths.get(c.sha, [])):
                    found[c.sha] = Evidence("subject-author", commit=b.sha)
                    break
        return found

    def _fix_commits(self) -> dict[str, _Commit]:
        with self._lock:  # branches are searched on threads: the fix's commits are read once
            if self._mine is None:
                wanted = _commits(self.shadow, "--no-walk=unsorted", *(c.apply for c in self.fix))
                self._mine = {c.sha: c for c in wanted}
            return self._mine

    def _by_patch_id(self, fix: Sequence[FixCommit], span: list[str]) -> dict[str, Evidence]:
        touched = sorted({p for c in fix for p in self.paths.get(c.sha, [])})
        if not touched:
            return {}
        with self._lock:
            if self._mine_ids is None:
                self._mine_ids = patch_ids_of(self.shadow, self.shadow.git_bytes(
                    "log", "--no-walk=unsorted", "-p", "--format=commit %H",
                    *(c.apply for c in self.fix)))
        theirs = patch_ids_of(self.shadow, self.shadow.git_bytes(
            "log", "--no-merges", "-p", "--full-diff", "--format=commit %H", *span, "--",
            *touched))
        by_id = {pid: sha for sha, pid in theirs.items()}
        found = {}
        for c in fix:
            pid = self._mine_ids.get(c.apply)
            if pid and pid in by_id:
                found[c.sha] = Evidence("patch-id", commit=by_id[pid])
        return found


def dependency_versions(shadow: Shadow, fix: Sequence[FixCommit], head: str,
                        paths: Sequence[str]) -> Evidence | None:
    """A dependency bump whose every module the target already requires at that version or
    newer (the branch moved past it: `golang.org/x/crypto v0.52.0` for a fix to v0.35.0)."""
    if not deps.only_dependencies(paths):
        return None
    modules, _ = deps.changes(shadow, [(c.parent, c.apply) for c in fix], head)
    if not deps.already_bumped(modules):
        return None
    shown = ", ".join(f"{m.module} {m.target} (fix: {m.source_to})" for m in modules[:3])
    return Evidence("dependency-version", detail=f"the target already requires {shown}")


def in_series(shadow: Shadow, whole: bytes, patches: Sequence[tuple[str, bytes]],
              head: str, paths: Sequence[str], *, reader: ObjectReader | None = None
              ) -> Evidence | None:
    """A series patch with the fix's patch-id (`whole`: the fix as one diff), or the fix
    reverse-applies on base + series."""
    if patches:
        stream = b"".join(b"commit %040x\n" % n + diff + (b"" if diff.endswith(b"\n") else b"\n")
                          for n, (_, diff) in enumerate(patches, start=1))
        stream += b"commit %040x\n" % 0 + whole
        ids = patch_ids_of(shadow, stream)
        mine = ids.get("0" * 40)
        for n, (name, _) in enumerate(patches, start=1):
            if mine and ids.get(f"{n:040x}") == mine:
                return Evidence("series-patch-id", patch=name)
    if whole.strip() and merge.apply_check(shadow, head, whole, paths, reverse=True,
                                         reader=reader).ok:
        where = "base + series" if patches else "base"
        return Evidence("reverse-apply", detail=f"the fix reverse-applies on the {where}")
    return None
