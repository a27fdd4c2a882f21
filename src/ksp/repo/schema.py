"""The JSON Schema of index.yaml, generated from the model's enums and shipped in the package.

Editors validate index.yaml with it (`ksp schema index > index.schema.json`), and the loader
validates with the same schema, so the two never disagree.
"""

from __future__ import annotations

from ksp.model import (
    ADVISORY_ID_RE,
    AdvisoryKind,
    Justification,
    PatchKind,
    Rating,
    Reach,
    Status,
)

MINOR_PATTERN = r"^\d{1,3}\.\d{1,4}$"
DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
URL_LIST = {"type": "array", "items": {"type": "string", "minLength": 1}}


def _minor_state() -> dict[str, object]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["status"],
        "properties": {
            "status": {"enum": [s.value for s in Status]},
            "patch": {"type": "string", "pattern": r"^v\d+\.\d+/\d{4}_[A-Za-z0-9._-]+\.patch$"},
            "sha256": {"type": "string", "pattern": r"^[0-9a-f]{64}$"},
            "reason": {"type": "string", "minLength": 1},
            "justification": {"enum": [j.value for j in Justification]},
            "link": {"type": "string"},
            "patched_on": DATE,
            "source": {"enum": ["import", "person"]},
            "module": {"type": "string", "minLength": 1},
            "version": {"type": "string", "minLength": 1},
            "fixed_version": {"type": "string", "minLength": 1},
            "also": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["version"],
                    "properties": {"version": {"type": "string", "minLength": 1},
                                   "fixed_version": {"type": "string", "minLength": 1}},
                },
            },
            "binaries": {
                "type": "object",
                "additionalProperties": {"oneOf": [
                    {"enum": [r.value for r in Reach]},
                    {"type": "object", "additionalProperties": False, "required": ["reach"],
                     "properties": {"reach": {"enum": [r.value for r in Reach]},
                                    "evidence": {"type": "string"}}},
                ]},
            },
        },
        "allOf": [
            {"if": {"properties": {"status": {"const": "not-affected"}}},
             "then": {"required": ["justification"]}},
            {"if": {"properties": {"status": {"const": "wont-fix"}}},
             "then": {"required": ["reason"]}},
            {"if": {"properties": {"status": {"const": "patched"}}},
             "then": {"required": ["patch", "sha256"]}},
        ],
    }


def _history() -> dict[str, object]:
    """`ksp triage`'s record: who changed what, when, from what to what, and why."""
    one_line = {"type": "string", "minLength": 1, "pattern": r"^[^\n\r]*$"}
    return {
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["date", "by", "to"],
            "properties": {
                "date": DATE,
                "by": one_line,
                "minor": {"type": "string", "pattern": MINOR_PATTERN},
                "from": {"enum": [*(s.value for s in Status), *(k.value for k in AdvisoryKind)]},
                "to": {"enum": [*(s.value for s in Status), *(k.value for k in AdvisoryKind)]},
                "why": one_line,
            },
        },
    }


def index_schema() -> dict[str, object]:
    advisory = {
        "type": "object",
        "additionalProperties": False,
        "required": ["title"],
        "properties": {
            "title": {"type": "string", "minLength": 1},
            # A patch kind (security, infrastructure) or whose advisory it is (project, …).
            "kind": {"enum": [*(k.value for k in PatchKind), *(k.value for k in AdvisoryKind)]},
            "project": {"type": "string", "minLength": 1},
            "source": {"const": "import"},
            "issue": {"type": "string"},
            "published": DATE,
            "severity": {
                "type": "object",
                "additionalProperties": False,
                "required": ["rating"],
                "properties": {
                    "rating": {"enum": [r.value for r in Rating]},
                    "score": {"type": "number", "minimum": 0, "maximum": 10},
                    "vector": {"type": "string", "pattern": r"^CVSS:[34]\.[01]/"},
                },
            },
            "components": {"type": "array", "items": {"type": "string", "minLength": 1}},
            "aliases": {"type": "array", "items": {"type": "string", "minLength": 1}},
            "reason": {"type": "string"},
            "upstream": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "fixes": URL_LIST,
                    "fixed_in": {"type": "array",
                                 "items": {"type": "string", "pattern": r"^v?\d+\.\d+\.\d+"}},
                },
            },
            "minors": {
                "type": "object",
                "propertyNames": {"pattern": MINOR_PATTERN},
                "additionalProperties": _minor_state(),
            },
            "history": _history(),
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://ksp.invalid/schema/index.schema.json",
        "title": "ksp patches repo index.yaml",
        "type": "object",
        "additionalProperties": False,
        "required": ["schema", "advisories"],
        "properties": {
            "schema": {"const": "ksp/v1"},
            "advisories": {
                "type": ["object", "null"],
                "propertyNames": {"pattern": ADVISORY_ID_RE.pattern},
                "additionalProperties": advisory,
            },
        },
    }
