"""`ksp apply`: a consumer applies a minor's series to their own tree, all or nothing.

1. Read every patch and check it against ksp.yaml's policy (repo/policy.py): a symlink, a
   gitlink, a mode change, a forbidden path or a path in `.git` is refused unless the patches
   repo waives it. Then refuse a dirty tree (unless --force).
2. Build the whole result with objects only, as the gate does: the series engine (git/series.py)
   checks each patch on the tree's current state and fast-import writes the blobs, trees and
   commits into a shadow repository in ksp's cache that borrows the tree's objects. A patch that
   reverse-applies is already present: skipped. If any other patch does not apply, nothing is
   changed (not even an object of the consumer's repository); the patch and files are named.
3. Refuse up front when a file the series creates exists untracked in the tree. Only then are
   the new objects copied into the consumer's object store (one pack, no ref).
4. Move the tree in one step, with SIGINT and SIGTERM held back: `git read-tree -m -u` from the
   tree's state to the result, on a throwaway index (without --commit: only files change); or,
   after refreshing the index (a copied clone's stale stat data is not a change),
   `git reset --keep` to the last of the commits made from those objects, one per patch with
   `Ksp-*` trailers (with --commit: files, index and branch move in one git process, which
   refuses before writing if a changed file has local changes). Before this step the tree,
   index and HEAD are untouched; after it, everything is applied.

`--commit` makes its commits with `git commit-tree`, so commit hooks do not run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ksp._files import deferred_signals, fault
from ksp.buildid import base_version, ksp_build
from ksp.errors import ApplyConflict, GitError, UsageError
from ksp.git._run import git, git_bytes, is_repo
from ksp.git.series import Outcome, PatchInput, PatchResult, apply_series
from ksp.git.shadow import Shadow, ls_tree
from ksp.model import Minor, PatchRef
from ksp.repo import PatchesRepo, patchfile, policy
from ksp.repo.config import Config


@dataclass(frozen=True)
class PatchPlan:
    patch: str  # path in the patches repo
    advisory: str
    sha256: str
    original: str | None
    action: str  # apply | skip (already present) | fail
    files: tuple[str, ...] = ()
    detail: str = ""


@dataclass
class ApplyResult:
    minor: str
    target: str
    build: str
    dry_run: bool
    commit: bool
    patches: list[PatchPlan] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    commits: list[str] = field(default_factory=list)
    review: dict[str, object] | None = None  # with --require-signed: who signed what

    @property
    def ok(self) -> bool:
        return not any(p.action == "fail" for p in self.patches)


@dataclass(frozen=True)
class _Built:
    """The result as objects: the state it starts from, per-patch commits, the final tree."""

    start: str  # the commit the series was built on (HEAD, or the tree's state with --force)
    commits: tuple[tuple[PatchPlan, str], ...]  # applied patches and their (ksp) commits
    tree: str  # the final tree
    created: tuple[str, ...]  # paths the series adds
    shadow: Shadow  # where the objects are, until they are copied to the consumer's store


def run(repo: PatchesRepo, minor: Minor, target: Path, *, dry_run: bool = False,
        commit: bool = False, force: bool = False, require_signed: bool = False,
        allowed_signers: Path | None = None) -> ApplyResult:
    series = repo.series(minor)
    if not series:
        raise UsageError(f"{minor} has no patches in {repo.root}")
    review = _signed(repo, minor, allowed_signers) if require_signed else None
    loaded = [_load(repo, ref) for ref in series]  # every patch read and policy-checked first
    lifecycle = repo.lifecycle()
    top = _work_tree(target)  # from here on the tree is read (status does not write the index)
    if not force and _dirty(top):
        raise UsageError(f"{top} has uncommitted changes; nothing was applied",
                         hint="commit or stash them, or pass --force")
    build = ksp_build(base_version(lifecycle, minor, _tree_release(top, minor, repo.config),
                                   repo.config), len(series))
    result = ApplyResult(str(minor), str(top), build, dry_run, commit, review=review)
    with _scratch_index(top) as env:
        start = _start(top, env, commit)
        result.patches, built = _build(top, start, loaded)
        _refuse_failed(result, top)
        _refuse_untracked(top, built.created)
        fault("apply-built")
        if dry_run or not built.commits:
            return result
        if commit:
            result.commits = _commit(top, built, build)
        _copy_objects(top, built, result.commits[-1] if commit else built.commits[-1][1])
        _move(top, built, result.commits, env)
    result.applied = [plan.patch for plan, _ in built.commits]
    return result


def _signed(repo: PatchesRepo, minor: Minor, allowed_signers: Path | None
            ) -> dict[str, object]:
    """Refuse (UnsignedSeries) unless the series is exactly what the required approvers
    signed and the gate attested; else who signed what."""
    from ksp.review.verify import require_signed, who_signed  # lazy: 13.3 ms of start-up

    checked = require_signed(repo, minor, allowed_signers)
    return {"summary": who_signed(checked), "signatures": checked.signatures,
            "attestation": checked.attestation, "patches": checked.patches}


def _load(repo: PatchesRepo, ref: PatchRef) -> tuple[PatchPlan, bytes]:
    path = repo.path_of(ref)
    patch = patchfile.load(path)
    files = patch.files
    policy.enforce(files, repo.config.policy, name=ref.path, first_line=patch.header_lines + 1)
    plan = PatchPlan(ref.path, ref.advisory, patch.sha256, patch.header.get("Original patch"),
                     "apply", tuple(sorted({p for f in files for p in f.paths})))
    return plan, patch.diff.encode("utf-8", "surrogateescape")


def _work_tree(target: Path) -> Path:
    if not target.is_dir() or not is_repo(target):
        raise UsageError(f"{target} is not a git work tree",
                         hint="ksp apply works on a git checkout (a tag or your fork)")
    return Path(git(target, "rev-parse", "--show-toplevel").stdout.strip())


def _tree_release(top: Path, minor: Minor, config: Config) -> str | None:
    """The release tag the consumer's tree is on (`v1.30.12`; a staging module's `v0.30.12`),
    which names their build better than the minor's final release from the lifecycle data;
    None when the tree has no such tag."""
    glob = config.tag_for(minor, "*")
    proc = git(top, "describe", "--tags", "--abbrev=0", "--match", glob, check=False)
    tag = proc.stdout.strip()
    return tag if proc.returncode == 0 and config.release_patch(minor, tag) is not None else None


def _dirty(top: Path) -> bool:
    return bool(git(top, "status", "--porcelain", "-z", "--untracked-files=no").stdout)


@contextlib.contextmanager
def _scratch_index(top: Path) -> Iterator[dict[str, str]]:
    """A copy of the index refreshed with the work tree: the tree's state, in a throwaway index."""
    real = Path(git(top, "rev-parse", "--path-format=absolute", "--git-path", "index")
                .stdout.strip())
    folder = tempfile.mkdtemp(prefix="ksp-apply-")
    env = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
    try:
        if real.exists():
            shutil.copyfile(real, env["GIT_INDEX_FILE"])
        else:
            git(top, "read-tree", "--empty", env=env)
        git(top, "add", "-u", env=env)
        yield env
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _start(top: Path, env: dict[str, str], commit: bool) -> str:
    """The commit to build on: HEAD with --commit (local changes are not committed), else the
    tree's current state (HEAD itself when the tree is clean)."""
    head = git(top, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False).stdout.strip()
    if not head:
        raise UsageError(f"{top} has no commit yet", hint="ksp apply works on a checkout")
    state = git(top, "write-tree", env=env).stdout.strip()
    if commit or state == git(top, "rev-parse", "HEAD^{tree}").stdout.strip():
        return head
    return git(top, "commit-tree", state, "-p", head, "-m", "ksp apply: the tree's state",
               env={**env, **_IDENT}).stdout.strip()


_IDENT = {"GIT_AUTHOR_NAME": "ksp", "GIT_AUTHOR_EMAIL": "ksp@localhost",
          "GIT_COMMITTER_NAME": "ksp", "GIT_COMMITTER_EMAIL": "ksp@localhost"}


def _build(top: Path, start: str, loaded: list[tuple[PatchPlan, bytes]]
           ) -> tuple[list[PatchPlan], _Built]:
    shadow = Shadow.open(top)
    inputs = [PatchInput(plan.patch, diff) for plan, diff in loaded]
    series = apply_series(shadow, start, inputs, allow_drift=True)
    plans = [_plan_of(plan, res) for (plan, _), res in zip(loaded, series.patches, strict=True)]
    commits = tuple((plan, res.commit) for plan, res in zip(plans, series.patches, strict=True)
                    if plan.action == "apply" and res.commit)
    tree = shadow.git("rev-parse", f"{(series.head or start)}^{{tree}}").stdout.strip()
    before = ls_tree(shadow.path, start, list(series.changed))
    created = tuple(p for p in series.changed if p not in before)
    return plans, _Built(start, commits, tree, created, shadow)


def _plan_of(plan: PatchPlan, res: PatchResult) -> PatchPlan:
    if res.result is Outcome.ALREADY_APPLIED:
        return _with(plan, "skip", "already present (reverse-applies)")
    if res.result is Outcome.APPLIED or (res.result is Outcome.DRIFT
                                         and res.detail.startswith("applies only with offsets")):
        return _with(plan, "apply", res.detail)
    return _with(plan, "fail", res.detail)


def _with(plan: PatchPlan, action: str, detail: str) -> PatchPlan:
    return PatchPlan(plan.patch, plan.advisory, plan.sha256, plan.original, action, plan.files,
                     detail)


def _refuse_failed(result: ApplyResult, top: Path) -> None:
    failed = [p for p in result.patches if p.action == "fail"]
    if failed:
        first = failed[0]
        raise ApplyConflict(
            f"{first.patch} does not apply to {top} ({', '.join(first.files) or 'unknown files'}):"
            f" {first.detail}; nothing was changed", hint="the tree may be of another release; "
            "check that it is the base the series was made for")


def _refuse_untracked(top: Path, created: tuple[str, ...]) -> None:
    there = [p for p in created if os.path.lexists(top / p)]
    if there:
        raise ApplyConflict(f"{there[0]} exists in {top} but is not tracked, and the series "
                            "creates it; nothing was changed",
                            hint="move it away (or commit it) and run ksp apply again")


def _commit(top: Path, built: _Built, build: str) -> list[str]:
    """One commit per applied patch, made from the built trees (in the shadow, as the user that
    the consumer's repository configures)."""
    env = _identity(top)
    parent = built.start
    shas = []
    for plan, ksp_commit in built.commits:
        parent = built.shadow.git("commit-tree", f"{ksp_commit}^{{tree}}", "-p", parent, "-F",
                                  "-", input=_message(plan, build), env=env).stdout.strip()
        shas.append(parent)
    return shas


def _identity(top: Path) -> dict[str, str]:
    env = {}
    for role in ("AUTHOR", "COMMITTER"):
        ident = git(top, "var", f"GIT_{role}_IDENT", what="who makes the commits").stdout.strip()
        name, _, rest = ident.partition(" <")
        email, _, date = rest.partition("> ")
        env.update({f"GIT_{role}_NAME": name, f"GIT_{role}_EMAIL": email,
                    f"GIT_{role}_DATE": date})
    return env


def _copy_objects(top: Path, built: _Built, tip: str) -> None:
    """The result's new objects into the consumer's store: one pack, unpacked, no ref."""
    pack = git_bytes(built.shadow.path, "pack-objects", "--revs", "--stdout", "-q",
                     input=f"{tip}\n^{built.start}\n".encode())
    git_bytes(top, "unpack-objects", "-q", input=pack)


def _move(top: Path, built: _Built, commits: list[str], scratch: dict[str, str]) -> None:
    """The one step that changes the tree (and, with commits, the index and HEAD)."""
    with deferred_signals():
        fault("apply-move")
        try:
            if commits:  # one git process moves files, index and branch together
                git(top, "update-index", "-q", "--refresh", check=False)  # stale stat: no change
                git(top, "reset", "-q", "--keep", commits[-1],
                    what="updating the tree (nothing was changed)")
            else:
                git(top, "read-tree", "-m", "-u", f"{built.start}^{{tree}}", built.tree,
                    env=scratch, what="updating the tree (nothing was changed)")
        except GitError as exc:  # git checks every path before it writes one
            raise ApplyConflict(exc.message, hint="a file the series changes has local changes"
                                "; commit or stash them") from None


def _message(plan: PatchPlan, build: str) -> str:
    name = plan.patch.rsplit("/", 1)[-1]
    lines = [f"{plan.advisory}: apply ksp patch {name}", "",
             f"Applied by `ksp apply` from {plan.patch}.", "",
             f"Ksp-Advisory: {plan.advisory}"]
    if plan.original:
        lines.append(f"Ksp-Original-Patch: {plan.original}")
    lines += [f"Ksp-Patch-Sha256: {plan.sha256}", f"Ksp-Build: {build}"]
    return "\n".join(lines) + "\n"
