"""`ksp apply`: a consumer applies a minor's series to their own tree, all or nothing.

1. Check the whole series first, without touching the tree: a temporary index made from the
   tree's current state takes each patch in turn (`git apply --cached`), so that stacked patches
   are checked on top of each other. A patch that reverse-applies is already present: skipped.
2. If any remaining patch does not apply, nothing is changed; the patch and its files are named.
3. Apply for real (with `--commit`, one commit per patch with `Ksp-*` trailers). If a step fails
   anyway, or the run is interrupted, every patch applied so far is reversed and HEAD and the index
   are put back: the tree ends as it started.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ksp.buildid import base_version, ksp_build
from ksp.errors import ApplyConflict, GitError, UsageError
from ksp.git._run import git, is_repo
from ksp.model import Minor, PatchRef
from ksp.repo import PatchesRepo, patchfile
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


def run(repo: PatchesRepo, minor: Minor, target: Path, *, dry_run: bool = False,
        commit: bool = False, force: bool = False, require_signed: bool = False,
        allowed_signers: Path | None = None) -> ApplyResult:
    series = repo.series(minor)
    if not series:
        raise UsageError(f"{minor} has no patches in {repo.root}")
    review = _signed(repo, minor, allowed_signers) if require_signed else None
    top = _work_tree(target)
    if not force and _dirty(top):
        raise UsageError(f"{top} has uncommitted changes; nothing was applied",
                         hint="commit or stash them, or pass --force")
    build = ksp_build(base_version(repo.lifecycle(), minor,
                                   _tree_release(top, minor, repo.config), repo.config),
                      len(series))
    result = ApplyResult(str(minor), str(top), build, dry_run, commit, review=review)
    result.patches = check(repo, series, top)
    failed = [p for p in result.patches if p.action == "fail"]
    if failed:
        first = failed[0]
        raise ApplyConflict(
            f"{first.patch} does not apply to {top} ({', '.join(first.files) or 'unknown files'}):"
            f" {first.detail}; nothing was changed", hint="the tree may be of another release; "
            "check that it is the base the series was made for")
    if not dry_run:
        _apply_all(repo, top, result)
    return result


def _signed(repo: PatchesRepo, minor: Minor, allowed_signers: Path | None
            ) -> dict[str, object]:
    """Refuse (UnsignedSeries) unless the series is exactly what the required approvers
    signed and the gate attested; else who signed what."""
    from ksp.review.verify import require_signed, who_signed

    checked = require_signed(repo, minor, allowed_signers)
    return {"summary": who_signed(checked), "signatures": checked.signatures,
            "attestation": checked.attestation, "patches": checked.patches}


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


def check(repo: PatchesRepo, series: list[PatchRef], top: Path) -> list[PatchPlan]:
    plans = []
    # Every patch is read and parsed before git runs: a malformed one is refused up front,
    # before `git apply --cached` has written a single object into the consumer's clone.
    loaded = [(ref, repo.path_of(ref), patchfile.load(repo.path_of(ref))) for ref in series]
    with _scratch_index(top) as env:
        for ref, path, patch in loaded:
            base = PatchPlan(ref.path, ref.advisory, patchfile.sha256_of(path),
                             patch.header.get("Original patch"), "apply",
                             tuple(sorted({p for f in patch.files for p in f.paths})))
            if git(top, "apply", "--cached", "--reverse", "--check", str(path), env=env,
                   check=False).returncode == 0:
                plans.append(_with(base, "skip", "already present (reverse-applies)"))
                continue
            proc = git(top, "apply", "--cached", str(path), env=env, check=False)
            if proc.returncode != 0:
                plans.append(_with(base, "fail", _reason(proc.stderr)))
                continue
            plans.append(base)
    return plans


def _with(plan: PatchPlan, action: str, detail: str) -> PatchPlan:
    return PatchPlan(plan.patch, plan.advisory, plan.sha256, plan.original, action, plan.files,
                     detail)


def _reason(stderr: str) -> str:
    lines = [ln.removeprefix("error: ").strip() for ln in stderr.splitlines() if ln.strip()]
    return "; ".join(lines[:3]) or "git apply failed"


def _apply_all(repo: PatchesRepo, top: Path, result: ApplyResult) -> None:
    head = git(top, "rev-parse", "--verify", "-q", "HEAD", check=False).stdout.strip()
    index_tree = git(top, "write-tree").stdout.strip() if result.commit else ""
    done: list[Path] = []
    try:
        for plan in result.patches:
            if plan.action != "apply":
                continue
            path = repo.root / plan.patch
            git(top, "apply", *(["--index"] if result.commit else []), str(path),
                what=f"applying {plan.patch}")
            done.append(path)
            result.applied.append(plan.patch)
            if result.commit:
                git(top, "commit", "-q", "-F", "-", input=_message(plan, result.build),
                    what=f"committing {plan.patch}")
                result.commits.append(git(top, "rev-parse", "HEAD").stdout.strip())
    except BaseException as exc:
        _restore(top, done, head, index_tree)
        if isinstance(exc, GitError):
            raise ApplyConflict(f"{exc.message}; every change was undone, the tree is as it was",
                                hint="report this: the check passed but the apply did not"
                                ) from None
        raise


def _restore(top: Path, done: list[Path], head: str, index_tree: str) -> None:
    for path in reversed(done):
        git(top, "apply", "--reverse", str(path), check=False)
    if index_tree:
        if head:
            git(top, "reset", "-q", "--soft", head, check=False)
        git(top, "read-tree", index_tree, check=False)
        git(top, "update-index", "-q", "--refresh", check=False)


def _message(plan: PatchPlan, build: str) -> str:
    name = plan.patch.rsplit("/", 1)[-1]
    lines = [f"{plan.advisory}: apply ksp patch {name}", "",
             f"Applied by `ksp apply` from {plan.patch}.", "",
             f"Ksp-Advisory: {plan.advisory}"]
    if plan.original:
        lines.append(f"Ksp-Original-Patch: {plan.original}")
    lines += [f"Ksp-Patch-Sha256: {plan.sha256}", f"Ksp-Build: {build}"]
    return "\n".join(lines) + "\n"
