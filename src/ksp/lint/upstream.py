"""With `--upstream DIR`: every commit a header names exists in that clone (read-only)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ksp.git._run import git
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


def check_commits(ctx: LintContext) -> Iterator[Finding]:
    clone = ctx.options.upstream
    if clone is None:
        return
    known: dict[str, bool] = {}
    for entry, patch in ctx.parsed():
        for key in FIELDS:
            for sha in commits_in(patch.header.get(key) or ""):
                if sha not in known:
                    probe = git(clone, "cat-file", "-e", f"{sha}^{{commit}}", check=False)
                    known[sha] = probe.returncode == 0
                if not known[sha]:
                    yield Finding.error(
                        "KSP501", entry.rel, f"{key}: commit {sha} is not in {clone}",
                        line=line_of(patch, key),
                        hint="fetch the upstream (all release branches), or fix the reference")
