"""The base a series manifest names: a branch or tag and the commit it resolved to.

In order: a clone of the upstream given with `--upstream` (the release branch or final tag, as
ksp.yaml's `base:` says); the gate attestation of this very series (local or committed), which
names the commit the gate tested; the base of the manifest signed before.
"""

from __future__ import annotations

import re
from pathlib import Path

from ksp.errors import KspError, UsageError
from ksp.git._run import git, is_repo
from ksp.model import Minor
from ksp.repo import PatchesRepo
from ksp.repo import evidence_record as evidence
from ksp.review import attest
from ksp.review import manifest as manifest_mod
from ksp.review.manifest import Entry


def resolve_base(repo: PatchesRepo, minor: Minor, entries: tuple[Entry, ...],
                 upstream: Path | None) -> tuple[str, str]:
    if upstream is not None:
        return _from_clone(repo, minor, upstream)
    tested = tuple((e.name, e.diff_sha256) for e in entries)
    for path in (evidence.folder(evidence.default_root(repo.root), minor) / attest.LOCAL,
                 repo.root / minor.folder / attest.COMMITTED):
        if path.is_file():
            try:
                found = attest.read(path.read_bytes(), path)
            except KspError:
                continue
            if found.tested[2] == tested:
                return found.tested[0], found.tested[1]
    series = manifest_mod.path(repo, minor)
    if series.is_file():
        try:
            old = manifest_mod.parse(series.read_text("utf-8"), series)
            return old.base_ref, old.base_commit
        except KspError:
            pass
    raise UsageError(f"{minor}: no base commit for the series manifest",
                     hint="run `ksp gate` on the series first (its attestation names the base), "
                          "or pass --upstream DIR (a clone with the release branches)")


def _from_clone(repo: PatchesRepo, minor: Minor, upstream: Path) -> tuple[str, str]:
    if not is_repo(upstream):
        raise UsageError(f"--upstream {upstream}: not a git repository")
    config = repo.config
    if config.base == "branch":
        name = config.branch_for(minor)
        candidates = [f"refs/heads/{name}", f"refs/remotes/origin/{name}"]
    else:
        pattern = re.escape(config.tag).replace(re.escape("{minor}"), re.escape(str(minor)))
        pattern = pattern.replace(re.escape("{patch}"), r"(\d+)")
        tags = git(upstream, "for-each-ref", "--format=%(refname:strip=2)", "refs/tags/")
        found = sorted((int(m[1]), t) for t in tags.stdout.split()
                       if (m := re.fullmatch(pattern, t)) and m.groups())
        name = found[-1][1] if found else config.tag_for(minor, 0)
        candidates = [f"refs/tags/{name}"]
    for ref in candidates:
        proc = git(upstream, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}", check=False)
        if proc.returncode == 0:
            return name, proc.stdout.strip()
    raise UsageError(f"--upstream {upstream}: no {name}",
                     hint="fetch the upstream's release branches and tags")
