"""`ksp backport --continue`: a resolved worktree becomes the patch; the worktree goes away.

The worktree's HEAD is the target's base + series commit; what the person left in it (no
conflict markers allowed) is snapshotted in the worktree's own ksp-owned index, the remaining
commits of the fix are picked on top, and the diff from HEAD is the patch. A later commit that
conflicts again puts its markers in the same worktree, to resolve and continue once more.
"""

from __future__ import annotations

from dataclasses import dataclass

from ksp.backport.classify import Classifier
from ksp.backport.model import Result
from ksp.backport.state import ResumeState
from ksp.backport.write import patch_text, save_patches, state_file
from ksp.errors import KspError
from ksp.git import merge, worktrees
from ksp.git.shadow import Shadow
from ksp.headerfields import HeaderValues
from ksp.model import BackportClass, Minor
from ksp.repo.layout import open_repo


@dataclass(frozen=True)
class Continued:
    advisory: str
    minor: Minor
    patch: str | None = None
    worktree: str | None = None  # set when a later commit conflicts again
    conflicts: tuple[str, ...] = ()
    note: str = ""


def resume(state: ResumeState, cls: BackportClass,
           merge_base_option: bool | None = None, values: HeaderValues | None = None
           ) -> Continued:
    """`values` (flags given to --continue) override the header values saved by --write."""
    minor, advisory = state.minor, state.advisory
    worktree, head = state.worktree, state.head
    if not worktree.is_dir():
        raise KspError(f"backport worktree {worktree} is gone",
                       hint=f"delete {state_file(worktree)} and run `ksp backport` again")
    left = worktrees.files_with_markers(worktree, head)
    if left:
        raise KspError(f"conflict markers left in {', '.join(left[:5])}"
                       + (f" and {len(left) - 5} more" if len(left) > 5 else ""),
                       path=worktree, hint="resolve them, then run `ksp backport --continue`")
    repo = open_repo(state.repo)
    shadow = Shadow.open(state.upstream)
    tree = worktrees.snapshot_worktree(worktree)
    onto = merge.synthetic_commit(shadow, tree, [head], "ksp backport: resolved by hand")
    classifier = Classifier(shadow, merge_base_option)
    for i, commit in enumerate(state.remaining):
        result, new_head, pick = classifier.one(commit, onto, state.base or head)
        if result.result is Result.CONFLICT or new_head is None:
            if pick is None:
                raise KspError(f"{commit.sha[:12]} does not apply after the resolution")
            worktrees.update_worktree(worktree, tree, pick.tree)
            worktrees.relabel_markers(worktree, [c.path for c in result.conflicts], {
                pick.label_ours: f"{state.branch} (target, resolved so far)",
                pick.label_theirs: f"{commit.apply[:12]} ({commit.subject[:50]})"})
            state.without_first(i + 1).save(state_file(worktree))
            return Continued(advisory, minor, worktree=str(worktree),
                             conflicts=tuple(c.path for c in result.conflicts),
                             note=f"{commit.sha[:12]} conflicts: resolve, then --continue again")
        onto = new_head
    made = patch_text(repo, shadow, advisory, list(state.commits), cls=cls,
                      values=(values or HeaderValues()).over(saved_values(state)), old=head,
                      new=onto, subject=state.subject, published_from=state.published_from)
    if made is None:
        raise KspError("the resolved worktree changes nothing against the target",
                       path=worktree, hint="nothing to write; remove it with --abort")
    text, entry = made
    saved = save_patches(repo, advisory, {minor: text}, entry)
    abort(state)
    return Continued(advisory, minor, patch=saved[minor])


def saved_values(state: ResumeState) -> HeaderValues:
    """The header values --write saved (a state from before they were saved has the fixer)."""
    if state.header is not None:
        return HeaderValues.from_json(state.header)
    return HeaderValues(fixer=state.fixer or None)


def abort(state: ResumeState) -> None:
    """Remove the worktree and its state."""
    worktree = state.worktree
    shadow = Shadow.open(state.upstream)
    worktrees.remove_worktree(shadow, worktree)
    state_file(worktree).unlink(missing_ok=True)
