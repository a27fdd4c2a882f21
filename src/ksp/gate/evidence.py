"""Evidence of a gate run: a JSON record per minor, and `--record`'s `Testing:` header line.

The record says what was gated (upstream, base commit, the sha256 of every patch in order, of the
whole file and of the diff alone) and what ran (each command, exit code, duration, log, Go). The
`Testing:` line that `--record` writes names the record by its sha256, so a reviewer (or
`ksp lint`) can check the claim against the file. The diff hash stays valid when `--record`
rewrites the header, which changes the file's own hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ksp import __version__
from ksp._files import atomic_write
from ksp.errors import UsageError

if TYPE_CHECKING:
    from ksp.gate.run import GateRequest, GateResult, MinorResult
    from ksp.repo.layout import PatchesRepo

SCHEMA = "ksp-evidence/v1"
RECORD = "evidence.json"


def build(request: GateRequest, result: MinorResult, now: dt.datetime | None = None
          ) -> dict[str, Any]:
    from ksp.gate.run import outcome_of

    series = result.series
    patches = []
    for planned, outcome in result.patch_results():
        patches.append({
            "file": planned.file, "sha256": planned.sha256, "diff_sha256": planned.diff_sha256,
            "new": planned.new, "result": outcome_of(outcome),
            "detail": outcome.detail if outcome else "",
        })
    steps = [{
        "name": s.name.value, "result": s.result.value, "command": s.command,
        "exit_code": s.exit_code, "duration": round(s.duration, 3), "log": s.log,
        "toolchain": s.toolchain, "detail": s.detail,
        "failures": [{"package": f.package, "test": f.test, "kind": f.kind.value}
                     for f in s.failures],
    } for s in result.steps]
    return {
        "schema": SCHEMA, "ksp": __version__,
        "date": (now or dt.datetime.now(dt.UTC)).replace(microsecond=0).isoformat(),
        "minor": str(result.minor), "result": "pass" if result.ok else "fail",
        "upstream": {"url": request.repo.config.upstream, "base_ref": result.base_ref,
                     "base": result.base, "head": series.head if series else None},
        "patches": patches, "steps": steps, "go": toolchains(result),
        "error": result.error,
        "worktree": str(result.worktree) if result.worktree else None,
    }


def toolchains(result: MinorResult) -> list[str]:
    return list(dict.fromkeys(s.toolchain for s in result.steps if s.toolchain))


def write(request: GateRequest, result: MinorResult) -> tuple[Path, str]:
    """Write the minor's record atomically; returns its path and sha256."""
    from ksp.gate.run import evidence_dir

    data = (json.dumps(build(request, result), indent=2, ensure_ascii=False) + "\n").encode()
    path = evidence_dir(request, result.minor) / RECORD
    atomic_write(path, data)
    return path, hashlib.sha256(data).hexdigest()


def testing_line(result: MinorResult, today: dt.date) -> str:
    """E.g. `ksp gate pass on 1a2b3c4d5e6f (release-1.30), go1.22.12, 2026-11-22, evidence
    sha256:…`."""
    parts = [f"ksp gate pass on {(result.base or '')[:12]} ({result.base_ref})",
             *toolchains(result), today.isoformat(), f"evidence sha256:{result.evidence_sha256}"]
    return ", ".join(parts)


def record(repo: PatchesRepo, gate: GateResult, today: dt.date) -> list[Path]:
    """Rewrite the `Testing:` line of each new patch and its sha256 in index.yaml.

    Everything is computed first; the patch files are written under the repo lock, inside the
    index edit, so a failure leaves index.yaml unchanged.
    """
    from ksp.repo import index as index_mod
    from ksp.repo import patchfile

    if not gate.ok:
        raise UsageError("--record needs a passing gate", hint="fix the failures first")
    updates: dict[Path, tuple[str, str]] = {}
    for minor in gate.minors:
        for planned in minor.plan.new:
            if planned.path in updates:
                raise UsageError(f"{planned.file} was gated on several minors; --record "
                                 "needs one", hint="pass a single --minor")
            parsed = patchfile.load(planned.path)
            text = parsed.header.set("Testing", testing_line(minor, today)).render() + parsed.diff
            updates[planned.path] = (planned.file, text)
    if not updates:
        return []
    with index_mod.edit(repo.index_path) as document:
        for file, text in updates.values():
            _set_sha(document.doc, file, hashlib.sha256(text.encode()).hexdigest())
        for path, (_file, text) in updates.items():
            atomic_write(path, text)
    return list(updates)


def _set_sha(doc: Any, file: str, digest: str) -> None:
    for entry in (doc.get("advisories") or {}).values():
        for state in (entry.get("minors") or {}).values():
            if state.get("patch") == file:
                state["sha256"] = digest
