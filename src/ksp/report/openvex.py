"""OpenVEX 0.2.0 JSON from `vex.VexResult`, validated against the schema shipped in the package.

The document's @id and timestamp come from its content (a hash of the statements) and the newest
date in the index, never from the clock, so that unchanged input gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from functools import cache
from importlib import resources

import jsonschema

from ksp import __version__
from ksp.vex import Product, Statement, VexResult

CONTEXT = "https://openvex.dev/ns/v0.2.0"


def _product(product: Product) -> dict[str, object]:
    out: dict[str, object] = {"@id": product.id, "identifiers": {"purl": product.id}}
    if product.sha256:
        out["hashes"] = {"sha-256": product.sha256}
    if product.subcomponents:
        out["subcomponents"] = [{"@id": s, "identifiers": {"purl": s}}
                                for s in product.subcomponents]
    return out


def _statement(stmt: Statement) -> dict[str, object]:
    vulnerability: dict[str, object] = {"name": stmt.advisory}
    if stmt.advisory.startswith("CVE-"):
        vulnerability["@id"] = f"https://www.cve.org/CVERecord?id={stmt.advisory}"
    if stmt.aliases:
        vulnerability["aliases"] = list(dict.fromkeys(stmt.aliases))
    out: dict[str, object] = {"vulnerability": vulnerability, "products": [_product(stmt.product)],
                           "status": stmt.status}
    for key in ("justification", "impact_statement", "action_statement", "status_notes"):
        if getattr(stmt, key):
            out[key] = getattr(stmt, key)
    return out


def document(result: VexResult) -> dict[str, object]:
    statements = [_statement(s) for s in result.statements]
    scope = "broad" if result.broad else "pinned"
    digest = hashlib.sha256(json.dumps(
        [result.minor, result.build, result.author, scope, statements], sort_keys=True,
    ).encode("utf-8")).hexdigest()
    timestamp = f"{result.issued.isoformat()}T00:00:00Z"
    return {
        "@context": CONTEXT,
        "@id": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'ksp-vex:' + digest)}",
        "author": result.author,
        "role": "Document Creator",
        "timestamp": timestamp,
        "version": 1,
        "tooling": (f"ksp {__version__}: {scope} products for build {result.build}; community "
                    "maintained, not officially supported, provided without warranty"),
        "statements": statements,
    }


@cache
def schema() -> dict[str, object]:
    text = (resources.files("ksp") / "data" / "openvex-0.2.0.schema.json").read_text("utf-8")
    data: dict[str, object] = json.loads(text)
    return data


def errors(doc: dict[str, object]) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema(),
                                                format_checker=jsonschema.FormatChecker())
    return [f"{'.'.join(str(p) for p in e.absolute_path) or '(top)'}: {e.message}"
            for e in validator.iter_errors(doc)]


def render(result: VexResult) -> str:
    return json.dumps(document(result), indent=2, ensure_ascii=False) + "\n"
