"""What `backport --write` leaves beside a conflict's worktree, for `--continue` and `--abort`.

A typed, versioned record: written as JSON in ksp's cache, read back through `load`, which
refuses a corrupt or foreign file in one line naming it (nothing else ever sees the raw JSON).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ksp._files import atomic_write, read_text
from ksp.backport.model import FixCommit
from ksp.errors import FormatError
from ksp.model import Minor

VERSION = 1
_HINT = "delete it (and its worktree next to it) and run `ksp backport` again"
_REQUIRED = {"advisory": str, "minor": str, "branch": str, "upstream": str, "repo": str,
             "head": str, "worktree": str, "commits": list, "remaining": list}


@dataclass(frozen=True)
class ResumeState:
    advisory: str
    minor: Minor
    branch: str  # the target's release branch
    upstream: Path  # the user's clone
    repo: Path  # the patches repo
    head: str  # base + series of the target: what the worktree started from
    worktree: Path
    commits: tuple[str, ...]  # the fix's commits, as the user named them
    remaining: tuple[FixCommit, ...]  # still to apply after the hand resolution
    base: str | None = None
    shadow: Path | None = None
    published_from: tuple[str, ...] = ()
    subject: str | None = None
    source: str = ""
    header: dict[str, Any] | None = None  # the header values --write was given
    fixer: str | None = None  # states written before the header values were saved

    def save(self, file: Path) -> None:
        data = {"version": VERSION, **{f.name: _json(getattr(self, f.name))
                                       for f in dataclasses.fields(self)}}
        data["remaining"] = [{"sha": c.sha, "apply": c.apply, "parent": c.parent,
                              "subject": c.subject} for c in self.remaining]
        atomic_write(file, json.dumps(data, indent=2) + "\n")

    def without_first(self, count: int) -> ResumeState:
        """The state once the first `count` remaining commits are applied."""
        return dataclasses.replace(self, remaining=self.remaining[count:])


def load(file: Path) -> ResumeState:
    """A conflict's state file, checked: a corrupt one is a one-line error naming it."""
    try:
        data = json.loads(read_text(file, what="backport state file"))
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"backport state file is not valid JSON ({exc})", path=file,
                          hint=_HINT) from None
    bad = [k for k, kind in _REQUIRED.items()
           if not isinstance(data, dict) or not isinstance(data.get(k), kind)]
    if bad:
        raise FormatError(f"backport state file lacks a valid '{bad[0]}'", path=file, hint=_HINT)
    if data.get("version", VERSION) != VERSION:
        raise FormatError(f"backport state file of version {data['version']!r}; this ksp "
                          f"reads version {VERSION}", path=file, hint=_HINT)
    try:
        minor = Minor.parse(data["minor"])
    except ValueError:
        raise FormatError(f"backport state file: bad minor {data['minor']!r}", path=file,
                          hint=_HINT) from None
    remaining = data["remaining"]
    if not all(isinstance(c, dict) and isinstance(c.get("sha"), str)
               and isinstance(c.get("apply", c["sha"]), str) for c in remaining):
        raise FormatError("backport state file: bad 'remaining' commits", path=file, hint=_HINT)
    return ResumeState(
        advisory=data["advisory"], minor=minor, branch=data["branch"],
        upstream=Path(data["upstream"]), repo=Path(data["repo"]), head=data["head"],
        worktree=Path(data["worktree"]), commits=tuple(str(c) for c in data["commits"]),
        remaining=tuple(FixCommit(c["sha"], c.get("apply", c["sha"]), c.get("parent"),
                                  c.get("subject", "")) for c in remaining),
        base=_opt(data.get("base")), shadow=Path(data["shadow"]) if data.get("shadow") else None,
        published_from=tuple(str(p) for p in data.get("published_from") or ()),
        subject=_opt(data.get("subject")), source=str(data.get("source") or ""),
        header=data["header"] if isinstance(data.get("header"), dict) else None,
        fixer=_opt(data.get("fixer")),
    )


def _opt(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _json(value: Any) -> Any:
    if isinstance(value, Path | Minor):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value
