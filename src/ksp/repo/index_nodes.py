"""The YAML nodes an index.yaml edit writes: an advisory's fields, a minor's state, quoting.

Round-trip nodes (ruamel) in the style ksp writes the index: block mappings for entries, flow
style for short lists and states, double quotes wherever a YAML 1.1 parser (libyaml, PyYAML,
editors) would misread a plain scalar. Only `repo/index_edit.py` calls these; the YAML library is
imported inside them, so that loading this module costs nothing until an edit builds a node.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ksp.model import Advisory, AdvisoryKind, MinorState, PatchKind, Reach

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq


def insert_after(entry: CommentedMap, after: str, key: str, value: object) -> None:
    keys = list(entry)
    entry.insert(keys.index(after) + 1 if after in keys else len(keys), key, value)


def advisory_fields(adv: Advisory) -> dict[str, object]:
    """The entry's keys in the order ksp writes them; None or empty: left out."""
    from ruamel.yaml.comments import CommentedMap  # lazy: 9.2 ms of start-up

    severity = None
    if adv.severity:
        severity = CommentedMap(rating=adv.severity.rating.value)
        if adv.severity.score is not None:
            severity["score"] = adv.severity.score
        if adv.severity.vector:
            severity["vector"] = scalar(adv.severity.vector)
        severity.fa.set_flow_style()
    upstream = CommentedMap()
    if adv.fixes:
        upstream["fixes"] = flow(list(adv.fixes))
    if adv.fixed_in:
        upstream["fixed_in"] = flow(list(adv.fixed_in))
    return {
        "title": adv.title,
        "kind": adv.kind.value if adv.kind is PatchKind.INFRASTRUCTURE else (
            adv.scope.value if adv.scope is not AdvisoryKind.PROJECT else None),
        "project": adv.project,
        "source": adv.scope_source if adv.scope is not AdvisoryKind.PROJECT else None,
        "issue": adv.issue,
        "published": adv.published,
        "severity": severity,
        "components": flow(list(adv.components)) if adv.components else None,
        "aliases": flow(list(adv.aliases)) if adv.aliases else None,
        "reason": adv.reason,
        "upstream": upstream or None,
    }


_SPECIAL = re.compile(r"[:,\[\]{}#&*!|>'\"%@`]|^[\s?-]|\s$")


def scalar(value: str) -> str:
    """Quote strings that a YAML 1.1 parser (libyaml, PyYAML, editors) would misread in flow."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString  # lazy: 9.2 ms of start-up

    if _SPECIAL.search(value):
        quoted: str = DoubleQuotedScalarString(value)  # a str that ruamel writes in quotes
        return quoted
    return value


def flow(items: list[str]) -> CommentedSeq:
    from ruamel.yaml.comments import CommentedSeq  # lazy: 8.9 ms of start-up

    seq = CommentedSeq([scalar(i) for i in items])
    seq.fa.set_flow_style()
    return seq


def state_node(state: MinorState) -> CommentedMap:
    """A minor's state as one flow mapping (one line per minor in the file)."""
    from ruamel.yaml.comments import CommentedMap  # lazy: 8.7 ms of start-up

    out = CommentedMap(status=state.status.value)
    for key in ("patch", "sha256", "reason", "link", "source", "module", "version",
                "fixed_version"):
        value = getattr(state, key)
        if value:
            out[key] = scalar(str(value))
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
             CommentedMap(reach=b.reach.value, evidence=scalar(b.evidence)))
            for b in state.binaries)
    out.fa.set_flow_style()
    return out


