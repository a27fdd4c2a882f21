"""With `--upstream DIR`: every commit a header names exists in that clone (read-only)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ksp.git._run import git
from ksp.git.mirror import published_as
from ksp.lint.context import LintContext
from ksp.lint.findings import Finding
from ksp.lint.headers import line_of

_SHA = re.compile(r"^[0-9a-f]{7,40}$")
_COMMIT_URL = re.compile(r"/commits?/(?P<sha>[0-9a-f]{7,40})(?:[/?#.]|$)")
FIELDS = ("Original patch", "Upstream commits")


def commits_in(value: str) -> list[str]:
    """Commit ids in a header value: bare shas and commit URLs (PR URLs name no commit)."""
    found = []
    for word in re.split(r"[\s,]+", value):
        token = word.strip("()<>")
        match = _COMMIT_URL.search(token)
        if match:
            found.append(match["sha"])
        elif _SHA.match(token):
            found.append(token)
    return found


def _known(clone: Path, sha: str, trailer: str | None) -> bool:
    """In the clone, or (a staging repo) named by a clone commit's `Kubernetes-commit:`."""
    if git(clone, "cat-file", "-e", f"{sha}^{{commit}}", check=False).returncode == 0:
        return True
    return bool(trailer and published_as(clone, trailer, sha))


def check_commits(ctx: LintContext) -> Iterator[Finding]:
    clone = ctx.options.upstream
    if clone is None:
        return
    mirror = ctx.config.mirror_of
    trailer = mirror.trailer if mirror else None
    known: dict[str, bool] = {}
    for entry, patch in ctx.parsed():
        for key in FIELDS:
            for sha in commits_in(patch.header.get(key) or ""):
                if sha not in known:
                    known[sha] = _known(clone, sha, trailer)
                if not known[sha]:
                    where = f" and no {trailer}: trailer there names it" if trailer else ""
                    yield Finding.error(
                        "KSP501", entry.rel, f"{key}: commit {sha} is not in {clone}{where}",
                        line=line_of(patch, key),
                        hint="fetch the upstream (all release branches), or fix the reference")
