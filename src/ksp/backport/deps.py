"""Dependency bumps: a fix that only changes go.mod, go.sum and vendor/.

Such a fix conflicts on every neighbouring line of go.sum and vendor/modules.txt when the target
is at other versions, which says nothing useful. It is reported as the module versions on the
source (before and after the fix) and on the target instead; when the target starts from the
same versions the fix does, the vendored files are the same on both sides and a zero-context
apply is offered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ksp.backport.model import Conflict, ConflictKind, DependencyBump, ModuleChange
from ksp.git.shadow import ObjectReader, Shadow
from ksp.versions import semver_of

# The staging form of the published k8s.io/* repos: sibling modules at v0.0.0, replaced by ../x.
# The publishing bot writes it into some commits and rewrites it on the next; not a real change.
STAGING_VERSION = "v0.0.0"


def is_dependency_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name in ("go.mod", "go.sum") or path.startswith("vendor/") or "/vendor/" in path


def only_dependencies(paths: Iterable[str]) -> bool:
    listed = list(paths)
    return bool(listed) and all(is_dependency_path(p) for p in listed)


def parse_go_mod(text: str) -> dict[str, str]:
    """Module -> version from the require lines of a go.mod (ksp.gomod reads the file)."""
    from ksp import gomod  # lazy: 1.6 ms of start-up (only a fix that touches go.mod)

    return {r.path: r.version for r in gomod.parse_go_mod(text).requires}


def local_replaces(text: str) -> set[str]:
    """Modules a go.mod replaces by a local path (`k8s.io/api => ../api`)."""
    from ksp import gomod  # lazy: 1.7 ms of start-up

    return {old for old, new in (gomod.parse_go_mod(text).replaces or {}).items()
            if not new.version and new.path.startswith(("./", "../"))}


def parse_modules_txt(text: str) -> dict[str, str]:
    """Module -> the version go.mod requires, from vendor/modules.txt."""
    from ksp import gomod  # lazy: 1.6 ms of start-up

    return {path: vendored.version for path, vendored in gomod.parse_modules_txt(text).items()}


def _go_mod(reader: ObjectReader, rev: str | None) -> tuple[dict[str, str], set[str]]:
    """(module -> version, modules replaced by a local path) at `rev`."""
    if rev is None:
        return {}, set()
    versions: dict[str, str] = {}
    local: set[str] = set()
    got = reader.read(f"{rev}:vendor/modules.txt")
    if got and got[0] == "blob":
        versions.update(parse_modules_txt(got[1].decode("utf-8", "replace")))
    got = reader.read(f"{rev}:go.mod")
    if got and got[0] == "blob":
        text = got[1].decode("utf-8", "replace")
        versions.update(parse_go_mod(text))
        local = local_replaces(text)
    return versions, local


def describe(shadow: Shadow, steps: Sequence[tuple[str | None, str]], target: str
             ) -> tuple[tuple[ModuleChange, ...], bool]:
    """Modules the fix changes: (before, after) from the first parent / last commit of `steps`."""
    modules, _ = changes(shadow, steps, target)
    return modules, all(c.target == c.source_from for c in modules)


def changes(shadow: Shadow, steps: Sequence[tuple[str | None, str]], target: str
            ) -> tuple[tuple[ModuleChange, ...], tuple[str, ...]]:
    """(real module changes, modules left out as publishing-bot artifacts)."""
    with ObjectReader(shadow.path) as reader:
        before, local_before = _go_mod(reader, steps[0][0])
        after, local_after = _go_mod(reader, steps[-1][1])
        on_target, _ = _go_mod(reader, target)
    changed = sorted(m for m in set(before) | set(after) if before.get(m) != after.get(m))
    local = local_before | local_after
    artifacts = tuple(m for m in changed if m in local or STAGING_VERSION in
                      (before.get(m), after.get(m)))
    modules = tuple(ModuleChange(m, before.get(m), after.get(m), on_target.get(m))
                    for m in changed if m not in artifacts)
    return modules, artifacts


def why_not_offered(modules: Sequence[ModuleChange]) -> str:
    """Why a zero-context apply is not offered: the modules the target has at other versions."""
    other = [m for m in modules if m.target != m.source_from]
    shown = ", ".join(f"{m.module} {m.target or 'absent'} (the fix starts from "
                      f"{m.source_from or 'absent'})" for m in other[:3])
    more = f" and {len(other) - 3} more" if len(other) > 3 else ""
    return f"the target has {shown}{more}: the vendored files differ, so lines without " \
           "context would land in the wrong places"


def bump(modules: tuple[ModuleChange, ...], same_start: bool, zero_context: str,
         vendor_conflicts: int = 0) -> DependencyBump:
    return DependencyBump(modules, same_start, zero_context, vendor_conflicts)


def collapse(conflicts: Sequence[Conflict]) -> tuple[tuple[Conflict, ...], int]:
    """Keep go.mod/go.sum/modules.txt conflicts; fold vendored sources into one `vendor/` line."""
    kept = [c for c in conflicts if not _vendored_source(c.path)]
    folded = [c for c in conflicts if _vendored_source(c.path)]
    if folded:
        kept.append(Conflict("vendor/", sum(c.hunks for c in folded), ConflictKind.CONTENT,
                             ("1 vendored file differs" if len(folded) == 1 else
                              f"{len(folded)} vendored files differ")
                             + ": the target vendors other module versions"))
    return tuple(kept), len(folded)


def _vendored_source(path: str) -> bool:
    return ("vendor/" in path and not path.endswith("vendor/modules.txt")
            and path.rsplit("/", 1)[-1] not in ("go.mod", "go.sum"))


def at_least(have: str | None, want: str | None) -> bool:
    """`have` is `want` or newer (both semver)."""
    if have is None or want is None:
        return False
    a, b = semver_of(have), semver_of(want)
    return a is not None and b is not None and a >= b


def already_bumped(modules: Sequence[ModuleChange]) -> bool:
    """The target requires every module the fix raises at that version or newer."""
    raised = [m for m in modules if m.source_to is not None]
    return bool(raised) and all(at_least(m.target, m.source_to) for m in raised) and all(
        m.source_to is not None for m in modules)
