"""index.yaml read: one entry per advisory, a state per minor, validated and typed.

`IndexDocument.load` validates the file against the shipped JSON Schema and keeps the parsed
tree; `advisories()` is the typed view every reader uses. Editors load the same document as a
ruamel round-trip tree (comments and order kept) through `repo/index_edit.py`, whose typed
operations are the only code that changes the tree.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ksp._files import read_text
from ksp._yaml import (
    block_line,
    checked,
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
from ksp.repo.schema import index_schema

EMPTY = "# ksp index: one entry per advisory, a status per minor. See README.md.\n" \
        "schema: ksp/v1\nadvisories: {}\n"

if TYPE_CHECKING:
    import jsonschema

# The round-trip types (ruamel) are imported where an edit needs them: readers load through the
# content cache and never import the YAML library (~10 ms at every start).

_VALIDATOR: jsonschema.Draft202012Validator | None = None


def _validator() -> jsonschema.Draft202012Validator:
    # Imported here: jsonschema and its dependencies take ~50 ms to import, and a reader of an
    # index that passed before (see `_SCHEMA_CHECK`) does not validate at all.
    import jsonschema  # lazy: 40.7 ms of start-up

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

    schema = json.dumps(index_schema(), sort_keys=True).encode()
    return f"index-schema {hashlib.sha256(schema).hexdigest()[:16]}"


def _line_of(doc: object, path: Sequence[str | int]) -> int | None:
    """The line of the deepest node on `path` that ruamel kept a position for."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq  # lazy: 8.5 ms of start-up

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
            from ruamel.yaml.comments import CommentedMap  # lazy: 8.5 ms of start-up

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

    def _line(self, path: Sequence[str | int]) -> int | None:
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

    def line_of(self, *path: str | int) -> int | None:
        return self._line(["advisories", *path])


_PATCH_KINDS = frozenset(k.value for k in PatchKind)


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
        minors={Minor.parse(str(m)): parse_state(s)
                for m, s in (entry.get("minors") or {}).items()},
    )


def _decision(d: dict[str, Any]) -> Decision:
    date = _date(d["date"])
    assert date is not None  # required by the schema
    return Decision(by=str(d["by"]), date=date, after=str(d["to"]),
                    minor=Minor.parse(str(d["minor"])) if d.get("minor") else None,
                    before=d.get("from"), why=d.get("why"))


def parse_state(s: dict[str, Any]) -> MinorState:
    """A minor's state as read from a validated index (the editor reads states through it)."""
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


def _binary(name: str, value: Any) -> BinaryState:
    if isinstance(value, str):
        return BinaryState(name, Reach(value), "")
    return BinaryState(name, Reach(value["reach"]), str(value.get("evidence", "")))
