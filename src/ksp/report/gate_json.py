"""The gate's JSON contract: `{"result", "minors": [{"minor", "base", "result", "patches",
"steps"}]}` plus details (hunks, exit codes, durations, toolchains, evidence) for scripts."""

from __future__ import annotations

import json

from ksp.gate.model import GateResult, MinorResult, patch_entry, step_entry
from ksp.repo.evidence_record import patch_json, step_json


def data(result: GateResult) -> dict[str, object]:
    out: dict[str, object] = {"result": "pass" if result.ok else "fail",
                           "upstream": result.upstream,
                           "minors": [_minor(m) for m in result.minors]}
    if result.note:
        out["note"] = f"nothing to gate: {result.note}"
    return out


def _minor(m: MinorResult) -> dict[str, object]:
    series = m.series
    patches = [patch_json(patch_entry(planned, outcome, m.error or ""))
               for planned, outcome in m.patch_results()]
    steps = [step_json(step_entry(s)) for s in m.steps]
    return {
        "minor": str(m.minor), "base_ref": m.base_ref, "base": m.base,
        "warnings": m.toolchain_notes, "go_setup": m.setup,
        "head": series.head if series else None, "result": "pass" if m.ok else "fail",
        "error": m.error, "patches": patches, "steps": steps,
        "worktree": str(m.worktree) if m.worktree else None,
        "evidence": str(m.evidence) if m.evidence else None,
        "evidence_sha256": m.evidence_sha256,
        "reused": m.reused,  # the date of the passing record reused instead of building
    }


def render(result: GateResult) -> str:
    return json.dumps(data(result), indent=2, ensure_ascii=False) + "\n"
