"""index.yaml: one entry per advisory, a state per minor; round-trip edits keep comments and order.

The document stays a ruamel round-trip tree so that edits touch only the keys they change; the
typed view (`advisories()`) is built from it after validating against the shipped JSON Schema.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ksp._files import fault, read_text
from ksp._yaml import (
    block_line,
    checked,
    dump_yaml,
    json_types,
    line_index,
    load_yaml,
    mark_checked,
    node_line,
)
from ksp.errors import FormatError
from ksp.model import (
    Advisory,
    AdvisoryId,
    AdvisoryKind,
    BinaryState,
    Decision,
    Justification,
    Minor,
    MinorState,
    ModuleVersion,
    PatchKind,
    Rating,
    Reach,
    Severity,
    Status,
)
from ksp.repo.journal import Transaction, transaction
from ksp.repo.schema import index_schema

EMPTY = "# ksp index: one entry per advisory, a status per minor. See README.md.\n" \
        "schema: ksp/v1\nadvisories: {}\n"

if TYPE_CHECKING:
    import jsonschema
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

# The round-trip types (ruamel) are imported where an edit needs them: readers load through the
# content cache and never import the YAML library (~10 ms at every start).

_VALIDATOR: jsonschema.Draft202012Validator | None = None


def _validator() -> jsonschema.Draft202012Validator:
    # Imported here: jsonschema and its dependencies take ~50 ms to import, and a reader of an
    # index that passed before (see `_SCHEMA_CHECK`) does not validate at all.
    import jsonschema

    global _VALIDATOR  # noqa: PLW0603 - built once per process; the schema is immutable
    if _VALIDATOR is None:
        _VALIDATOR = jsonschema.Draft202012Validator(
            index_schema(), format_checker=jsonschema.FormatChecker()
        )
    return _VALIDATOR


@functools.cache
def _schema_check() -> str:
    """The name of the validation in the content cache: changes whenever the schema does
    (computed once per process: every read of the index asks for it)."""
    import hashlib
    import json

    schema = json.dumps(index_schema(), sort_keys=True).encode()
    return f"index-schema {hashlib.sha256(schema).hexdigest()[:16]}"


def _line_of(doc: Any, path: list[Any]) -> int | None:
    """The line of the deepest node on `path` that ruamel kept a position for."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

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
    text: str | None = None  # the file's text when loaded for reading: lines come from it
    _lines: Any = field(default=None, repr=False, compare=False)
    _typed: dict[AdvisoryId, Advisory] | None = field(default=None, repr=False, compare=False)
    txn: Transaction | None = None  # the operation an edit() belongs to

    @classmethod
    def load(cls, path: Path, *, roundtrip: bool = True) -> IndexDocument:
        """Load and validate. `roundtrip=False` is for readers: the parse and the validation
        are cached by content, and lines are found only when a finding asks for one."""
        text = read_text(path, what="YAML file")
        doc = load_yaml(path, text=text, roundtrip=roundtrip, cache=not roundtrip)
        if doc is None:
            raise FormatError("index.yaml is empty", path=path, line=1,
                              hint="it needs at least 'schema: ksp/v1' and 'advisories: {}'")
        if not isinstance(doc, dict):
            raise FormatError("index.yaml must be a mapping", path=path, line=1)
        document = cls(path, doc, None if roundtrip else text)
        check = _schema_check()
        if roundtrip or not checked(text, check):
            document._validate()
            mark_checked(text, check)
        if doc.get("advisories") is None:
            from ruamel.yaml.comments import CommentedMap

            doc["advisories"] = CommentedMap() if roundtrip else {}
        return document

    def _validate(self) -> None:
        errors = sorted(_validator().iter_errors(json_types(self.doc)),
                        key=lambda e: list(e.path))
        if errors:
            err = errors[0]
            where = ".".join(str(p) for p in err.absolute_path) or "(top)"
            raise FormatError(f"index.yaml: {where}: {err.message}", path=self.path,
                              line=self._line(list(err.absolute_path)),
                              hint="`ksp schema index` prints the schema")

    def _line(self, path: list[Any]) -> int | None:
        if self.text is None:
            return _line_of(self.doc, path)
        line = block_line(self.text, path)  # ksp writes index.yaml in block style: fast
        if line is not None:
            return line
        if self._lines is None:  # a hand-written flow-style index: compose it once
            self._lines = line_index(self.text)
        return node_line(self._lines, path)

    def advisories(self) -> dict[AdvisoryId, Advisory]:
        """The typed advisories; built once for a reader's document (which nothing edits),
        anew for an editor's."""
        if self.text is not None and self._typed is not None:
            return dict(self._typed)  # a copy: a caller may change its dict
        typed = {AdvisoryId(str(k)): _advisory(str(k), v)
                 for k, v in self.doc["advisories"].items()}
        if self.text is not None:
            self._typed = typed
        return typed

    def line_of(self, *path: Any) -> int | None:
        return self._line(["advisories", *path])

    def upsert(self, advisory: Advisory) -> bool:
        """Add an advisory, or fill the fields it lacks; never overwrites what is there."""
        from ruamel.yaml.comments import CommentedMap

        entries = self.doc["advisories"]
        entry = entries.get(advisory.id)
        created = entry is None
        if created:
            entry = CommentedMap()
            entries[advisory.id] = entry
        for key, value in _fields(advisory).items():
            if key in _SCOPE_KEYS and not created:
                continue  # whose advisory it is: decided together, by set_scope
            if key not in entry and value not in (None, [], {}):
                entry[key] = value
        entry.setdefault("minors", CommentedMap())
        return created

    def set_state(self, advisory: str, minor: Minor, state: MinorState) -> None:
        from ruamel.yaml.comments import CommentedMap

        entry = self.doc["advisories"][advisory]
        minors = entry.setdefault("minors", CommentedMap())
        minors[str(minor)] = _state_map(state)

    def set_scope(self, advisory: str, scope: AdvisoryKind, project: str | None, *,
                  imported: bool) -> None:
        """Whose advisory it is. What the importer finds to be the project's own leaves no keys
        (the default); what a person decides is written even when it is `project`, and without
        `source: import`, so that no later import changes it."""
        entry = self.doc["advisories"][advisory]
        for key in ("kind", "project", "source"):
            entry.pop(key, None)
        if scope is AdvisoryKind.PROJECT and imported:
            return
        _insert_after(entry, "title", "kind", scope.value)
        if project:
            _insert_after(entry, "kind", "project", _scalar(project))
        if imported:
            _insert_after(entry, "project" if project else "kind", "source", "import")

    def drop_state(self, advisory: str, minor: Minor) -> None:
        minors = self.doc["advisories"][advisory].get("minors")
        if minors is not None and str(minor) in minors:
            del minors[str(minor)]

    def add_history(self, advisory: str, decision: Decision) -> None:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq
        from ruamel.yaml.scalarstring import DoubleQuotedScalarString

        entry = self.doc["advisories"][advisory]
        history = entry.setdefault("history", CommentedSeq())
        # A fresh date object each time: ruamel writes one object met twice as &anchor/*alias,
        # which our loader refuses.
        day = dt.date.fromordinal(decision.date.toordinal())
        item = CommentedMap(date=day, by=_scalar(decision.by))
        if decision.minor is not None:
            item["minor"] = DoubleQuotedScalarString(str(decision.minor))
        if decision.before is not None:
            item["from"] = decision.before
        item["to"] = decision.after
        if decision.why:
            item["why"] = _scalar(decision.why)
        history.append(item)

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


_PATCH_KINDS = frozenset(k.value for k in PatchKind)
_SCOPE_KEYS = frozenset({"kind", "project", "source"})


def _insert_after(entry: CommentedMap, after: str, key: str, value: Any) -> None:
    keys = list(entry)
    entry.insert(keys.index(after) + 1 if after in keys else len(keys), key, value)


def _fields(adv: Advisory) -> dict[str, Any]:
    from ruamel.yaml.comments import CommentedMap

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
        "kind": adv.kind.value if adv.kind is PatchKind.INFRASTRUCTURE else (
            adv.scope.value if adv.scope is not AdvisoryKind.PROJECT else None),
        "project": adv.project,
        "source": adv.scope_source if adv.scope is not AdvisoryKind.PROJECT else None,
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
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, str) and _SPECIAL.search(value):
        return DoubleQuotedScalarString(value)
    return value


def _flow(items: list[Any]) -> CommentedSeq:
    from ruamel.yaml.comments import CommentedSeq

    seq = CommentedSeq([_scalar(i) for i in items])
    seq.fa.set_flow_style()
    return seq


def _state_map(state: MinorState) -> CommentedMap:
    from ruamel.yaml.comments import CommentedMap

    out = CommentedMap(status=state.status.value)
    for key in ("patch", "sha256", "reason", "link", "source", "module", "version",
                "fixed_version"):
        if getattr(state, key):
            out[key] = _scalar(getattr(state, key))
    if state.justification:
        out["justification"] = state.justification.value
    if state.patched_on:
        out["patched_on"] = state.patched_on
    if state.also:
        out["also"] = CommentedMap(
            (m.module, CommentedMap(version=m.version, **(
                {"fixed_version": m.fixed_version} if m.fixed_version else {})))
            for m in state.also)
    if state.binaries:  # a binary that does not link the package: its reach alone (the state's
        # reason names the packages), so that a tree with many binaries keeps a small index
        out["binaries"] = CommentedMap(
            (b.binary, b.reach.value if b.reach is Reach.NOT_IMPORTED else
             CommentedMap(reach=b.reach.value, evidence=_scalar(b.evidence)))
            for b in state.binaries)
    out.fa.set_flow_style()
    return out


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _advisory(key: str, entry: dict[str, Any]) -> Advisory:
    sev = entry.get("severity")
    upstream = entry.get("upstream") or {}
    kind = str(entry.get("kind") or PatchKind.of(key).value)
    return Advisory(
        id=AdvisoryId(key),
        title=str(entry["title"]),
        kind=PatchKind(kind) if kind in _PATCH_KINDS else PatchKind.of(key),
        scope=AdvisoryKind.PROJECT if kind in _PATCH_KINDS else AdvisoryKind(kind),
        project=entry.get("project"),
        scope_source=entry.get("source"),
        history=tuple(_decision(d) for d in entry.get("history") or ()),
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


def _decision(d: dict[str, Any]) -> Decision:
    date = _date(d["date"])
    assert date is not None  # required by the schema
    return Decision(by=str(d["by"]), date=date, after=str(d["to"]),
                    minor=Minor.parse(str(d["minor"])) if d.get("minor") else None,
                    before=d.get("from"), why=d.get("why"))


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
        module=s.get("module"),
        version=s.get("version"),
        fixed_version=s.get("fixed_version"),
        also=tuple(ModuleVersion(str(name), str(m["version"]), m.get("fixed_version"))
                   for name, m in (s.get("also") or {}).items()),
        binaries=tuple(_binary(str(name), b) for name, b in (s.get("binaries") or {}).items()),
    )


_ADVISORY_KINDS = {k.value for k in AdvisoryKind}


def _binary(name: str, value: Any) -> BinaryState:
    if isinstance(value, str):
        return BinaryState(name, Reach(value), "")
    return BinaryState(name, Reach(value["reach"]), str(value.get("evidence", "")))
