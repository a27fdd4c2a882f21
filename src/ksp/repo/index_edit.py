"""index.yaml edits: typed operations on the round-trip tree, under the repo lock.

`edit(path)` locks the repo, loads index.yaml round-trip (comments, order and quoting kept) and
yields an `IndexEdit`; its operations are the only code that changes the tree, so workflows
(import, triage, new, backport, gate `--record`, sign, the dependency lane) never see raw YAML.
Each operation touches only the keys it names; the index and any files staged with it are written
as one journalled operation (repo/journal.py) when the block succeeds.

The YAML library is imported inside the operations: a command that may edit (backport, new)
loads it only when it does (~10 ms at start-up).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ksp._files import fault
from ksp._yaml import dump_yaml, json_types
from ksp.model import Advisory, AdvisoryId, AdvisoryKind, Decision, Minor, MinorState
from ksp.repo import index_nodes as nodes
from ksp.repo.index import IndexDocument, parse_state
from ksp.repo.journal import Transaction, transaction
from ksp.versions import ZERO, Version

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

_SCOPE_KEYS = frozenset({"kind", "project", "source"})
_KINDS = frozenset(k.value for k in AdvisoryKind)


@contextlib.contextmanager
def edit(path: Path, *, save: bool = True) -> Iterator[IndexEdit]:
    """Lock the repo, load, let the caller edit (and stage other files), then write the index
    and the staged files as one operation, only if the block succeeded."""
    with transaction(path.parent) as txn:
        document = IndexEdit(IndexDocument.load(path), txn)
        fault("locked")
        yield document
        if save:
            txn.write(path, document.render())


@dataclass(frozen=True)
class Scope:
    """Whose advisory an entry says it is, as written: `kind:`, `project:` and `source:`."""

    kind: str | None
    project: str | None
    source: str | None

    @property
    def stated(self) -> AdvisoryKind | None:
        """The kind the entry states, if it states one (no `kind:`: the project's own)."""
        return AdvisoryKind(self.kind) if self.kind in _KINDS else None

    @property
    def by_person(self) -> bool:
        """A kind written by a person (not `source: import`): no import changes it."""
        return self.stated is not None and self.source != "import"


@dataclass(frozen=True)
class Snapshot:
    """An entry as it was, to tell afterwards which of its keys an edit changed."""

    advisory: str
    data: dict[str, object] | None  # the entry as JSON values; None: there was no entry

    @property
    def existed(self) -> bool:
        return self.data is not None

    @property
    def had_minors(self) -> bool:
        return self.data is not None and "minors" in self.data


class IndexEdit:
    """index.yaml loaded for editing: typed reads of what an edit decides on, typed writes."""

    def __init__(self, document: IndexDocument, txn: Transaction) -> None:
        self._document = document
        self._entries: CommentedMap = document.doc["advisories"]
        self._txn = txn

    # --- reading -------------------------------------------------------------------------

    def advisories(self) -> dict[AdvisoryId, Advisory]:
        """The typed advisories as they are now, edits included."""
        return self._document.advisories()

    def has(self, advisory: str) -> bool:
        return advisory in self._entries

    def state(self, advisory: str, minor: Minor) -> MinorState | None:
        """The advisory's state on `minor` as it is now; None when it has none."""
        raw = (self._entries[advisory].get("minors") or {}).get(str(minor))
        return None if raw is None else parse_state(raw)

    def scope(self, advisory: str) -> Scope:
        entry = self._entries[advisory]
        return Scope(entry.get("kind"), entry.get("project"), entry.get("source"))

    def snapshot(self, advisory: str) -> Snapshot:
        return Snapshot(advisory, json_types(self._entries.get(advisory)))

    def changes(self, before: Snapshot) -> list[str] | None:
        """The keys an edit changed since `before` (`minors.1.30` for a state); None when the
        entry is as it was."""
        after: dict[str, object] = json_types(self._entries.get(before.advisory)) or {}
        was = before.data or {}
        if before.data is not None and after == was:
            return None
        changed = sorted(k for k in set(was) | set(after)
                         if was.get(k) != after.get(k) and k != "minors")
        old, new = _minors(was), _minors(after)
        return changed + [f"minors.{m}" for m in sorted(set(old) | set(new))
                          if old.get(m) != new.get(m)]

    # --- writing -------------------------------------------------------------------------

    def upsert(self, advisory: Advisory) -> bool:
        """Add an advisory, or fill the fields it lacks; never overwrites what is there."""
        from ruamel.yaml.comments import CommentedMap  # lazy: 9.1 ms of start-up

        entry = self._entries.get(advisory.id)
        created = entry is None
        if created:
            entry = CommentedMap()
            self._entries[advisory.id] = entry
        for key, value in nodes.advisory_fields(advisory).items():
            if key in _SCOPE_KEYS and not created:
                continue  # whose advisory it is: decided together, by set_scope
            if key not in entry and value not in (None, [], {}):
                entry[key] = value
        entry.setdefault("minors", CommentedMap())
        return created

    def set_state(self, advisory: str, minor: Minor, state: MinorState) -> None:
        from ruamel.yaml.comments import CommentedMap  # lazy: 9.1 ms of start-up

        entry = self._entries[advisory]
        minors = entry.setdefault("minors", CommentedMap())
        minors[str(minor)] = nodes.state_node(state)

    def update_state(self, advisory: str, minor: Minor, state: MinorState) -> bool:
        """Set the state unless the entry holds exactly it already, so that a second import
        of the same input leaves every byte as it was; whether it wrote."""
        current = (self._entries[advisory].get("minors") or {}).get(str(minor))
        if current is not None and json_types(current) == json_types(nodes.state_node(state)):
            return False
        self.set_state(advisory, minor, state)
        return True

    def extend_lists(self, advisory: Advisory) -> None:
        """The lists the entry has (aliases, upstream fixes and fixed versions) gain the items
        of `advisory` they lack, never losing one; fixed versions stay in semver order."""
        from ruamel.yaml.comments import CommentedMap  # lazy: 8.8 ms of start-up

        entry = self._entries[advisory.id]
        _extend(entry, "aliases", advisory.aliases)
        upstream = entry.get("upstream")
        if isinstance(upstream, CommentedMap):
            _extend(upstream, "fixed_in", advisory.fixed_in, sort=True)
            _extend(upstream, "fixes", advisory.fixes)

    def drop_empty_minors(self, advisory: str) -> None:
        """Remove the empty `minors:` that `upsert` adds, from an entry that is to keep none."""
        entry = self._entries[advisory]
        if "minors" in entry and not entry["minors"]:
            del entry["minors"]

    def set_scope(self, advisory: str, scope: AdvisoryKind, project: str | None, *,
                  imported: bool) -> None:
        """Whose advisory it is. What the importer finds to be the project's own leaves no keys
        (the default); what a person decides is written even when it is `project`, and without
        `source: import`, so that no later import changes it."""
        entry = self._entries[advisory]
        for key in ("kind", "project", "source"):
            entry.pop(key, None)
        if scope is AdvisoryKind.PROJECT and imported:
            return
        nodes.insert_after(entry, "title", "kind", scope.value)
        if project:
            nodes.insert_after(entry, "kind", "project", nodes.scalar(project))
        if imported:
            nodes.insert_after(entry, "project" if project else "kind", "source", "import")

    def drop_state(self, advisory: str, minor: Minor) -> None:
        minors = self._entries[advisory].get("minors")
        if minors is not None and str(minor) in minors:
            del minors[str(minor)]

    def add_history(self, advisory: str, decision: Decision) -> None:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq  # lazy: 8.9 ms of start-up
        from ruamel.yaml.scalarstring import DoubleQuotedScalarString  # lazy: 9.4 ms of start-up

        entry = self._entries[advisory]
        history = entry.setdefault("history", CommentedSeq())
        # A fresh date object each time: ruamel writes one object met twice as &anchor/*alias,
        # which our loader refuses.
        day = dt.date.fromordinal(decision.date.toordinal())
        item = CommentedMap(date=day, by=nodes.scalar(decision.by))
        if decision.minor is not None:
            item["minor"] = DoubleQuotedScalarString(str(decision.minor))
        if decision.before is not None:
            item["from"] = decision.before
        item["to"] = decision.after
        if decision.why:
            item["why"] = nodes.scalar(decision.why)
        history.append(item)

    def set_patch_sha(self, patch: str, digest: str) -> int:
        """Set the sha256 of every minor state that names `patch`; how many there were."""
        count = 0
        for entry in self._entries.values():
            for state in (entry.get("minors") or {}).values():
                if state.get("patch") == patch:
                    state["sha256"] = digest
                    count += 1
        return count

    def render(self) -> str:
        return dump_yaml(self._document.doc)

    def stage(self, path: Path, data: str | bytes) -> None:
        """Write another file of the repo as part of this edit's operation (repo/journal.py)."""
        self._txn.write(path, data)


def _minors(entry: dict[str, object]) -> dict[str, object]:
    minors = entry.get("minors")
    return minors if isinstance(minors, dict) else {}


def _extend(mapping: CommentedMap, key: str, values: tuple[str, ...], *,
            sort: bool = False) -> None:
    current = mapping.get(key)
    if current is None or not values:
        return
    for value in values:
        if value not in current:
            current.append(value)
    if sort and isinstance(current, list):
        ordered = sorted(current, key=_version)
        if list(current) != ordered:
            current[:] = ordered


def _version(text: str) -> Version:
    """Semver order (ksp.versions): `1.30.0-rc.1` before `1.30.0`; not a version: first."""
    return Version.parse(str(text)) or ZERO
