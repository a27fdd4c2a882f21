"""A repository published from another one: k8s.io/* staging repos carry, on every commit, a
`Kubernetes-commit: <sha>` trailer naming the kubernetes/kubernetes commit it was published from.
These two functions map one way and the other; backport and lint call them."""

from __future__ import annotations

import re
from pathlib import Path

from ksp.errors import KspError
from ksp.git._run import git
from ksp.git.shadow import Shadow

_SHA = re.compile(r"^[0-9a-f]{7,40}$")


def published_from(clone: Path, trailer: str, sha: str) -> str | None:
    """The source commit a clone commit names in its `trailer:` (None if it has none)."""
    proc = git(clone, "log", "-1", f"--format=%(trailers:key={trailer},valueonly)", sha,
               check=False)
    values = proc.stdout.split() if proc.returncode == 0 else []
    return values[-1] if values and _SHA.match(values[-1]) else None


def published_as(clone: Path, trailer: str, source_sha: str) -> list[str]:
    """The clone's commits (on any branch) published from `source_sha` (a full or short sha)."""
    if not _SHA.match(source_sha):
        return []
    proc = git(clone, "log", "--all", "--format=%H%x00%(trailers:key=" + trailer +
               ",valueonly)%x01", "-F", f"--grep={trailer}: {source_sha}", check=False)
    found = []
    for record in proc.stdout.split("\x01"):
        sha, _, value = record.strip().partition("\x00")
        if sha and any(v.startswith(source_sha) for v in value.split()):
            found.append(sha)
    return found


def resolve_commit(shadow: Shadow, ref: str, trailer: str | None) -> str:
    """`ref` as the clone names it; else, in a published repo, the clone commit whose trailer
    names `ref` (`ksp backport --commit <kubernetes/kubernetes sha>` on k8s.io/apiserver)."""
    try:
        return shadow.resolve(ref)
    except KspError:
        found = published_as(shadow.upstream, trailer, ref) if trailer else []
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise KspError(f"{ref!r} was published as several commits of {shadow.upstream}: "
                           + ", ".join(f[:12] for f in found),
                           hint="pass the one you mean with --commit") from None
        raise
