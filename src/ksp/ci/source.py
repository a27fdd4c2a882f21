"""Where CI gets ksp from: a pinned commit of ksp's source, never a bare name on a package index.

The name `ksp` on the public package index belongs to an unrelated project; a workflow that runs
`pip install ksp` would run whoever owns that name. CI installs the distribution
`kube-security-patches` from a git URL at a full 40-hex commit id: pip checks that commit out, and
the id names the exact source tree (git verifies every object against it). The default is the
source this ksp itself was installed from, when pip recorded one (`direct_url.json`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ksp.errors import UsageError

DISTRIBUTION = "kube-security-patches"
COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")
SOURCE_RE = re.compile(r"^(?:https://|ssh://|file:///)[^\s\"'`$\\]+$")


@dataclass(frozen=True)
class Source:
    url: str
    commit: str

    @property
    def requirement(self) -> str:
        return f"{DISTRIBUTION} @ git+{self.url}@{self.commit}"


def checked(url: str, commit: str) -> Source:
    """A source given on the command line; UsageError unless it is a URL and a full commit."""
    if not SOURCE_RE.match(url):
        raise UsageError(f"--ksp-source {url!r}: not an https://, ssh:// or file:/// URL",
                         hint="the git URL of ksp's source repository")
    if not COMMIT_RE.match(commit):
        raise UsageError(f"--ksp-commit {commit!r}: not a full 40-hex commit id",
                         hint="a tag or branch can move; CI installs the exact commit")
    return Source(url, commit)


def installed() -> Source | None:
    """The git URL and commit this ksp was installed from, if pip recorded them."""
    from importlib import metadata  # lazy: 20.4 ms of start-up

    try:
        text = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return None
    vcs = data.get("vcs_info") or {}
    url, commit = str(data.get("url", "")), str(vcs.get("commit_id", ""))
    if vcs.get("vcs") != "git" or not COMMIT_RE.match(commit) or not SOURCE_RE.match(url):
        return None
    return Source(url, commit)
