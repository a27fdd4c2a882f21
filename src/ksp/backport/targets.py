"""Target minors and what each one starts from: its base commit plus its existing series."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from ksp.errors import KspError
from ksp.git.series import Outcome, PatchInput, apply_series
from ksp.git.shadow import Shadow
from ksp.lifecycle import Lifecycle, named_anyway
from ksp.model import Minor, Window
from ksp.repo import patchfile
from ksp.repo.config import Config
from ksp.repo.layout import PatchesRepo


class Target(NamedTuple):
    minor: Minor
    branch: str
    window: Window
    base: str | None = None  # upstream commit
    head: str | None = None  # base + existing series (shadow commit)
    series: int = 0
    error: str | None = None
    patches: tuple[tuple[str, bytes], ...] = ()  # the existing series: (path, diff)


def select(lifecycle: Lifecycle, today: dt.date, explicit: Iterable[Minor],
           warn: Callable[[str], None]) -> list[Minor]:
    """Every minor in the extended window, or the ones named (with a warning when out of it)."""
    named = sorted(set(explicit), reverse=True)
    if not named:
        return lifecycle.in_window(today, Window.EXTENDED)
    for minor in named:
        warning = named_anyway(lifecycle, minor, today, doing="backporting", flag="--to")
        if warning:
            warn(warning)
    return named


def branch_commit(refs: Mapping[str, str], branch: str) -> str | None:
    for name in (f"refs/heads/{branch}", f"refs/remotes/origin/{branch}"):
        if name in refs:
            return refs[name]
    for name, sha in sorted(refs.items()):
        if name.startswith("refs/remotes/") and name.endswith(f"/{branch}"):
            return sha
    return None


def minor_of_branch(config: Config, branch: str) -> Minor | None:
    """The minor a release branch is for, by the profile's branch template."""
    pattern = re.escape(config.branch).replace(re.escape("{minor}"), r"(\d+\.\d+)")
    match = re.fullmatch(pattern, branch)
    if not match:
        return None
    try:
        return Minor.parse(match.group(1))
    except ValueError:
        return None


def base_commit(refs: Mapping[str, str], config: Config, minor: Minor) -> str | None:
    """The KEP's base: the tip of the release branch, or the minor's last patch release."""
    if config.base == "branch":
        return branch_commit(refs, config.branch_for(minor))
    pattern = re.compile("^refs/tags/" + re.escape(config.tag_for(minor, "\0")).replace(
        "\\\0", "\0").replace("\0", r"(\d+)") + "$")
    tags = [(int(m.group(1)), sha) for name, sha in refs.items() if (m := pattern.match(name))]
    return max(tags)[1] if tags else None


def prepare(shadow: Shadow, refs: Mapping[str, str], config: Config, repo: PatchesRepo | None,
            *, minor: Minor, window: Window) -> Target:
    branch = config.branch_for(minor)
    base = base_commit(refs, config, minor)
    if base is None:
        what = f"branch {branch}" if config.base == "branch" else f"a tag for {minor}"
        return Target(minor, branch, window, error=f"{what} not found in the upstream clone")
    refs_ = repo.series(minor) if repo else []
    inputs = []
    for ref in refs_:
        try:
            loaded = patchfile.load(repo.path_of(ref)) if repo else None
        except KspError as exc:
            return Target(minor, branch, window, base, error=f"existing series: {exc}")
        if loaded is not None:
            inputs.append(PatchInput(ref.path, loaded.diff.encode("utf-8", "surrogateescape"),
                                     f"ksp: {ref.path}"))
    series = apply_series(shadow, base, inputs, allow_drift=True)
    if series.head is None:
        failed = [p for p in series.patches if p.result is Outcome.FAILED]
        detail = f"{failed[0].name}: {failed[0].detail}" if failed else "does not apply"
        return Target(minor, branch, window, base, error=f"existing series does not apply: "
                      f"{detail}", series=len(inputs))
    return Target(minor, branch, window, base, series.head, len(inputs),
                  patches=tuple((p.name, p.diff) for p in inputs))
