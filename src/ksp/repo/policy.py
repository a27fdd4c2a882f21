"""The patch policy of ksp.yaml, in one function that every command calls before it writes.

Lint reports the violations as findings; the gate fails a series that has one, `ksp apply`
refuses it, and `ksp new` and `ksp backport --write` refuse to write it. All of them read the
diff with the one parser (git/diff.py), so a C-quoted path (`"a/\\056git/hooks/x"`,
`hack/\\303\\274.sh`) is judged by the name git will write, not by the bytes of the patch.

A patch named in `policy.waivers` (by path, file name or advisory id) may break any waivable
rule (forbidden paths, symlinks, gitlinks, mode changes, binary files) after review; `allow_*`
keys lift one rule for the whole repository. A path that is absolute, leaves the tree or is
inside `.git` is never waivable.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

from ksp.errors import KspError
from ksp.git.diff import FileDiff, unsafe_path
from ksp.model import PATCH_NAME_RE
from ksp.repo.config import Policy


@dataclass(frozen=True)
class Violation:
    """One broken rule: a lint code, a message naming the path, and where in the diff."""

    code: str
    message: str
    hint: str
    line: int  # 1-based within the diff (its file's `diff --git` line)
    waivable: bool = True


class PolicyError(KspError):
    """A patch breaks the repository's policy (exit 1); names the patch, the line and the rule."""


def waived(policy: Policy, name: str) -> bool:
    """A waiver names the patch by its repo-relative path, its file name, or its advisory id
    (which is known before `ksp new` picks the patch's number)."""
    file = name.rsplit("/", 1)[-1]
    match = PATCH_NAME_RE.fullmatch(file)
    return bool({name, file, match["id"] if match else file} & set(policy.waivers))


def check(files: Sequence[FileDiff], policy: Policy, *, name: str,
          size: int | None = None) -> list[Violation]:
    """Every rule `files` (one patch's diff) break; waived rules are left out."""
    out: list[Violation] = []
    if size is not None and size > policy.max_patch_bytes:
        out.append(Violation("KSP407", f"patch is {size:,} bytes, over policy.max_patch_bytes "
                             f"({policy.max_patch_bytes:,})", "split the patch, or raise the "
                             "limit in ksp.yaml", 1, waivable=False))
    if len(files) > policy.max_files:
        out.append(Violation("KSP408", f"patch changes {len(files)} files, over "
                             f"policy.max_files ({policy.max_files})", "split the patch", 1,
                             waivable=False))
    for f in files:
        for path in f.names:
            out += _path_rules(path, f.line)
        out += _file_rules(f, policy)
    if waived(policy, name):
        out = [v for v in out if not v.waivable]
    return out


def _path_rules(path: str, line: int) -> list[Violation]:
    why = unsafe_path(path)
    if why is None:
        return []
    code = "KSP402" if why == "is absolute" else "KSP401"
    return [Violation(code, f"path {path!r} {why}", "a patch changes files inside the source "
                      "tree only", line, waivable=False)]


def _file_rules(f: FileDiff, policy: Policy) -> list[Violation]:
    out = []
    if f.symlink and not policy.allow_symlinks:
        out.append(Violation("KSP403", f"{f.path} is a symlink (mode 120000)",
                             "set policy.allow_symlinks in ksp.yaml if intended", f.line))
    if f.gitlink:
        out.append(Violation("KSP409", f"{f.path} is a gitlink (submodule, mode 160000)",
                             "a patch cannot carry a submodule; waive it only after review",
                             f.line))
    if f.binary and not policy.allow_binary:
        out.append(Violation("KSP404", f"binary change to {f.path}",
                             "set policy.allow_binary in ksp.yaml if intended", f.line))
    if f.mode_change and not f.gitlink and not policy.allow_mode_changes:
        out.append(Violation("KSP405", f"mode change on {f.path} ({f.old_mode or 'new'} -> "
                             f"{f.new_mode})", "set policy.allow_mode_changes in ksp.yaml if "
                             "intended", f.line))
    forbidden = [p for p in f.names if forbidden_by(p, policy.forbidden_paths)]
    if forbidden:
        out.append(Violation("KSP406", f"{forbidden[0]} is under a forbidden path",
                             "add the patch to policy.waivers in ksp.yaml after review", f.line))
    return out


def forbidden_by(path: str, patterns: tuple[str, ...]) -> str | None:
    """`dir/` forbids a top-level folder, a glob matches the path, a bare name (Makefile) any
    file of that name, a path with `/` that exact path."""
    for pattern in patterns:
        if any(c in pattern for c in "*?["):
            hit = fnmatch.fnmatchcase(path, pattern)
        elif pattern.endswith("/"):
            hit = path.startswith(pattern)
        elif "/" in pattern:
            hit = path == pattern
        else:
            hit = path == pattern or path.rsplit("/", 1)[-1] == pattern
        if hit:
            return pattern
    return None


def enforce(files: Sequence[FileDiff], policy: Policy, *, name: str, size: int | None = None,
            first_line: int = 1) -> None:
    """Raise PolicyError naming the first violation (and how many more) of `name`'s diff."""
    found = check(files, policy, name=name, size=size)
    if not found:
        return
    first = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    raise PolicyError(f"policy: {first.message}{more}", path=name,
                      line=first.line + first_line - 1, hint=first.hint)
