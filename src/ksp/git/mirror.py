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


def _named(message: str, trailer: str) -> list[str]:
    """The shas that `trailer:` lines name, in message order. The bot's own trailer is the last
    line; a cherry-pick's message also keeps the original commit's line in its body, which git's
    trailer parser (last paragraph only) would miss."""
    prefix = f"{trailer}:"
    return [words[1] for line in message.splitlines()
            if line.startswith(prefix) and len(words := line.split()) == 2 and _SHA.match(words[1])]


def published_from(clone: Path, trailer: str, sha: str, named_as: str = "") -> str | None:
    """The source commit a clone commit was published from: the one the user named it by
    (`named_as`, a sha prefix) if its message names that, else its last `trailer:` line."""
    proc = git(clone, "log", "-1", "--format=%B", sha, check=False)
    named = _named(proc.stdout, trailer) if proc.returncode == 0 else []
    chosen = [n for n in named if named_as and _SHA.match(named_as) and n.startswith(named_as)]
    found = chosen or named
    return found[-1] if found else None


def published_as(clone: Path, trailer: str, source_sha: str) -> list[str]:
    """The clone's commits (on any branch) that name `source_sha` (full or short): those
    published from it first, then those whose message mentions it (its cherry-picks); oldest
    first within each."""
    if not _SHA.match(source_sha):
        return []
    proc = git(clone, "log", "--all", "--reverse", "--date-order", "--format=%H%x00%B%x01",
               "-F", f"--grep={trailer}: {source_sha}", check=False)
    exact: list[str] = []
    mentions: list[str] = []
    for record in proc.stdout.split("\x01"):
        sha, _, message = record.strip().partition("\x00")
        named = _named(message, trailer)
        if sha and any(n.startswith(source_sha) for n in named):
            (exact if named[-1].startswith(source_sha) else mentions).append(sha)
    return exact + mentions


def resolve_commit(shadow: Shadow, ref: str, trailer: str | None) -> str:
    """`ref` as the clone names it; else, in a published repo, the clone commit published from
    `ref` (`ksp backport --commit <kubernetes/kubernetes sha>` on k8s.io/apiserver)."""
    try:
        return shadow.resolve(ref)
    except KspError:
        found = published_as(shadow.upstream, trailer, ref) if trailer else []
        if found:  # its first publication; backport finds the other branches' versions itself
            return found[0]
        raise
