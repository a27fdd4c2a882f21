"""index.yaml: one entry per advisory, a state per minor; round-trip edits keep comments and order.

The document stays a ruamel round-trip tree so that edits touch only the keys they change; the
typed view (`advisories()`) is built from it after validating against the shipped JSON Schema.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from ksp._files import fault
from ksp._yaml import dump_yaml, json_types, load_yaml
from ksp.errors import FormatError
from ksp.model import (
    Advisory,
    AdvisoryId,
    Justification,
    Minor,
    MinorState,
    PatchKind,
    Rating,
    Severity,
    Status,
)
from ksp.repo.journal import Transaction, transaction
from ksp.repo.schema import index_schema

EMPTY = "# ksp index: one entry per advisory, a status per minor. See README.md.\n" \
        "schema: ksp/v1\nadvisories: {}\n"

_VALIDATOR: jsonschema.Draft202012Validator | None = None


def _validator() -> jsonschema.Draft202012Validator:
    global _VALIDATOR  # noqa: PLW0603 - built once per process; the schema is immutable
    if _VALIDATOR is None:
        _VALIDATOR = jsonschema.Draft202012Validator(
            index_schema(), format_checker=jsonschema.FormatChecker()
        )
    return _VALIDATOR


def _line_of(doc: Any, path: list[Any]) -> int | None:
    """The line of the deepest node on `path` that ruamel kept a position for."""
    line = None
    node = doc
    for key in path:
        if isinstance(node, CommentedMap) and key in node:
            with contextlib.suppress(Exception):
                line = node.lc.key(key)[0] + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
            with contextlib.suppress(Exception):
                line = node.lc.item(key)[0] + 1
            node = node[key]
        else:
            break
    return line


@dataclass
class IndexDocument:
    path: Path
    doc: Any  # a round-trip CommentedMap when loaded for editing, else a plain dict
    txn: Transaction | None = None  # the operation an edit() belongs to

    @classmethod
    def load(cls, path: Path, *, roundtrip: bool = True) -> IndexDocument:
        """Load and validate. `roundtrip=False` is for readers: faster, no comments, no lines
        (a validation error then reloads the file round-trip to name the line)."""
        doc = load_yaml(path, roundtrip=roundtrip, cache=not roundtrip)
        if doc is None:
            raise FormatError("index.yaml is empty", path=path, line=1,
                              hint="it needs at least 'schema: ksp/v1' and 'advisories: {}'")
        if not isinstance(doc, dict):
            raise FormatError("index.yaml must be a mapping", path=path, line=1)
        errors = sorted(_validator().iter_errors(json_types(doc)), key=lambda e: list(e.path))
        if errors:
            if not roundtrip:
                return cls.load(path, roundtrip=True)
            err = errors[0]
            where = ".".join(str(p) for p in err.absolute_path) or "(top)"
            raise FormatError(f"index.yaml: {where}: {err.message}", path=path,
                              line=_line_of(doc, list(err.absolute_path)),
                              hint="`ksp schema index` prints the schema")
        if doc.get("advisories") is None:
            doc["advisories"] = CommentedMap()
        return cls(path, doc)

    def advisories(self) -> dict[AdvisoryId, Advisory]:
        return {AdvisoryId(str(k)): _advisory(str(k), v)
                for k, v in self.doc["advisories"].items()}

    def line_of(self, *path: Any) -> int | None:
        return _line_of(self.doc, ["advisories", *path])

    def upsert(self, advisory: Advisory) -> bool:
        """Add an advisory, or fill the fields it lacks; never overwrites what is there."""
        entries = self.doc["advisories"]
        entry = entries.get(advisory.id)
        created = entry is None
        if created:
            entry = CommentedMap()
            entries[advisory.id] = entry
        for key, value in _fields(advisory).items():
            if key not in entry and value not in (None, [], {}):
                entry[key] = value
        entry.setdefault("minors", CommentedMap())
        return created

    def set_state(self, advisory: str, minor: Minor, state: MinorState) -> None:
        entry = self.doc["advisories"][advisory]
        minors = entry.setdefault("minors", CommentedMap())
        minors[str(minor)] = _state_map(state)

    def set_patch_sha(self, patch: str, digest: str) -> int:
        """Set the sha256 of every minor state that names `patch`; how many there were."""
        count = 0
        for entry in (self.doc.get("advisories") or {}).values():
            for state in (entry.get("minors") or {}).values():
                if state.get("patch") == patch:
                    state["sha256"] = digest
                    count += 1
        return count

    def render(self) -> str:
        return dump_yaml(self.doc)

    def stage(self, path: Path, data: str | bytes) -> None:
        """Write another file of the repo as part of this edit's operation (repo/journal.py)."""
        if self.txn is None:
            raise RuntimeError("stage() outside edit()")
        self.txn.write(path, data)


@contextlib.contextmanager
def edit(path: Path, *, save: bool = True) -> Iterator[IndexDocument]:
    """Lock the repo, load, let the caller edit (and stage other files), then write the index
    and the staged files as one operation, only if the block succeeded."""
    with transaction(path.parent) as txn:
        document = IndexDocument.load(path)
        document.txn = txn
        fault("locked")
        yield document
        if save:
            txn.write(path, document.render())


def _fields(adv: Advisory) -> dict[str, Any]:
    severity = None
    if adv.severity:
        severity = CommentedMap(rating=adv.severity.rating.value)
        if adv.severity.score is not None:
            severity["score"] = adv.severity.score
        if adv.severity.vector:
            severity["vector"] = _scalar(adv.severity.vector)
        severity.fa.set_flow_style()
    upstream = CommentedMap()
    if adv.fixes:
        upstream["fixes"] = _flow(list(adv.fixes))
    if adv.fixed_in:
        upstream["fixed_in"] = _flow(list(adv.fixed_in))
    return {
        "title": adv.title,
        "kind": adv.kind.value if adv.kind is PatchKind.INFRASTRUCTURE else None,
        "issue": adv.issue,
        "published": adv.published,
        "severity": severity,
        "components": _flow(list(adv.components)) if adv.components else None,
        "aliases": _flow(list(adv.aliases)) if adv.aliases else None,
        "reason": adv.reason,
        "upstream": upstream or None,
    }


_SPECIAL = re.compile(r"[:,\[\]{}#&*!|>'\"%@`]|^[\s?-]|\s$")


def _scalar(value: Any) -> Any:
    """Quote strings that a YAML 1.1 parser (libyaml, PyYAML, editors) would misread in flow."""
    if isinstance(value, str) and _SPECIAL.search(value):
        return DoubleQuotedScalarString(value)
    return value


def _flow(items: list[Any]) -> CommentedSeq:
    seq = CommentedSeq([_scalar(i) for i in items])
    seq.fa.set_flow_style()
    return seq


def _state_map(state: MinorState) -> CommentedMap:
    out = CommentedMap(status=state.status.value)
    for key in ("patch", "sha256", "reason", "link", "source"):
        if getattr(state, key):
            out[key] = _scalar(getattr(state, key))
    if state.justification:
        out["justification"] = state.justification.value
    if state.patched_on:
        out["patched_on"] = state.patched_on
    out.fa.set_flow_style()
    return out


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _advisory(key: str, entry: dict[str, Any]) -> Advisory:
    sev = entry.get("severity")
    upstream = entry.get("upstream") or {}
    return Advisory(
        id=AdvisoryId(key),
        title=str(entry["title"]),
        kind=PatchKind(entry.get("kind", PatchKind.of(key).value)),
        issue=entry.get("issue"),
        published=_date(entry.get("published")),
        severity=Severity(Rating(sev["rating"]), sev.get("score"), sev.get("vector"))
        if sev else None,
        components=tuple(entry.get("components") or ()),
        fixes=tuple(upstream.get("fixes") or ()),
        fixed_in=tuple(upstream.get("fixed_in") or ()),
        aliases=tuple(entry.get("aliases") or ()),
        reason=entry.get("reason"),
        minors={Minor.parse(str(m)): _state(s) for m, s in (entry.get("minors") or {}).items()},
    )


def _state(s: dict[str, Any]) -> MinorState:
    return MinorState(
        status=Status(s["status"]),
        patch=s.get("patch"),
        sha256=s.get("sha256"),
        reason=s.get("reason"),
        justification=Justification(s["justification"]) if s.get("justification") else None,
        link=s.get("link"),
        patched_on=_date(s.get("patched_on")),
        source=s.get("source"),
    )
