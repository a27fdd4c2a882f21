"""OWNERS and OWNERS_ALIASES in the Kubernetes format: who approves, who reviews.

`approvers:` and `reviewers:` list GitHub handles (without `@`) or aliases defined under
`aliases:` in OWNERS_ALIASES. Handles compare case-insensitively, as GitHub's do; a header's
`@handle` and an OWNERS `handle` are the same person.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ksp._yaml import load_yaml
from ksp.errors import FormatError

OWNERS = "OWNERS"
OWNERS_ALIASES = "OWNERS_ALIASES"
_KNOWN = {"approvers", "reviewers", "emeritus_approvers", "emeritus_reviewers", "labels",
          "options", "filters"}


def handle(text: str) -> str:
    """The comparable form of a handle: no `@`, lower case."""
    return text.strip().removeprefix("@").lower()


def handles(value: str | None) -> list[str]:
    """The handles of a header value such as `@a, @b` (order kept, duplicates dropped)."""
    items = [handle(part) for part in (value or "").replace(";", ",").split(",")]
    return list(dict.fromkeys(item for item in items if item))


@dataclass(frozen=True)
class Owners:
    approvers: frozenset[str] = frozenset()
    reviewers: frozenset[str] = frozenset()
    emeritus: frozenset[str] = frozenset()  # emeritus_approvers: once approvers, now not


def parse(owners: str | None, aliases: str | None, root: Path) -> Owners:
    """OWNERS (None: the file is absent, so nobody approves) with aliases expanded."""
    table = _aliases(aliases, root / OWNERS_ALIASES)
    if owners is None:
        return Owners()
    path = root / OWNERS
    data = load_yaml(path, text=owners) or {}
    if not isinstance(data, dict):
        raise FormatError("OWNERS must be a mapping (approvers:, reviewers:)", path=path, line=1)
    unknown = sorted(set(data) - _KNOWN)
    if unknown:
        raise FormatError(f"OWNERS: unknown key '{unknown[0]}'", path=path,
                          hint="known keys: " + ", ".join(sorted(_KNOWN)))
    return Owners(_names(data, "approvers", table, path), _names(data, "reviewers", table, path),
                  _names(data, "emeritus_approvers", table, path))


def _names(data: dict[str, Any], key: str, table: dict[str, list[str]], path: Path
           ) -> frozenset[str]:
    raw = data.get(key) or []
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise FormatError(f"OWNERS: '{key}' must be a list of handles", path=path)
    out: set[str] = set()
    for name in raw:
        out.update(table.get(handle(name), [handle(name)]))
    return frozenset(out)


def _aliases(text: str | None, path: Path) -> dict[str, list[str]]:
    if text is None:
        return {}
    data = load_yaml(path, text=text) or {}
    table = data.get("aliases") if isinstance(data, dict) else None
    if not isinstance(table, dict) or not all(
            isinstance(v, list) and all(isinstance(x, str) for x in v) for v in table.values()):
        raise FormatError("OWNERS_ALIASES must be 'aliases: {name: [handles]}'", path=path)
    return {handle(str(k)): [handle(x) for x in v] for k, v in table.items()}
