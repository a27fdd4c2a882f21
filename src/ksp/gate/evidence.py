"""Evidence of a gate run: a JSON record per minor, and `--record`'s `Testing:` header line.

The record says what was gated (upstream, base commit, the sha256 of every patch in order, of the
whole file and of the diff alone) and what ran (each command, exit code, duration, log, Go). The
`Testing:` line that `--record` writes names the record by its sha256, so a reviewer (or
`ksp lint`) can check the claim against the file. The diff hash stays valid when `--record`
rewrites the header, which changes the file's own hash. `evidence.json` is the latest run's
record; `--record` keeps the one it cites as `<sha256>.json`, where lint looks first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ksp import __version__
from ksp._files import atomic_write
from ksp.errors import UsageError
from ksp.model import PATCH_NAME_RE, Advisory, AdvisoryId, MinorState, PatchKind, Status
from ksp.repo import evidence_record as rec
from ksp.repo import testing_line as testing_line_mod
from ksp.review import attest

if TYPE_CHECKING:
    from ksp.gate.model import GateRequest, GateResult, MinorResult
    from ksp.repo.index_edit import IndexEdit
    from ksp.repo.layout import PatchesRepo


def build(request: GateRequest, result: MinorResult, now: dt.datetime | None = None
          ) -> rec.EvidenceRecord:
    """The minor's evidence record (repo/evidence_record.py holds its types and JSON)."""
    from ksp.gate.model import patch_entry, step_entry  # lazy: 13.7 ms of start-up

    series = result.series
    return rec.EvidenceRecord(
        ksp=__version__, date=(now or dt.datetime.now(dt.UTC)).replace(microsecond=0),
        minor=result.minor, result="pass" if result.ok else "fail",
        upstream=rec.Upstream(request.repo.config.upstream, result.base_ref, result.base,
                              series.head if series else None),
        patches=tuple(patch_entry(p, o) for p, o in result.patch_results()),
        steps=tuple(step_entry(s) for s in result.steps), go=tuple(toolchains(result)),
        go_setup=result.setup, warnings=tuple(result.toolchain_notes), error=result.error,
        worktree=str(result.worktree) if result.worktree else None,
        reuse_key=result.reuse_key or None,  # gate/reuse.py; only a pass is ever reused
    )


def toolchains(result: MinorResult) -> list[str]:
    return list(dict.fromkeys(s.toolchain for s in result.steps if s.toolchain))


def write(request: GateRequest, result: MinorResult) -> tuple[Path, str]:
    """Write the minor's record atomically; returns its path and sha256."""
    from ksp.gate.model import evidence_dir  # lazy: 13.4 ms of start-up

    record = build(request, result)
    data = rec.dumps(record)
    path = evidence_dir(request, result.minor) / rec.RECORD
    atomic_write(path, data)
    digest = hashlib.sha256(data).hexdigest()
    attest.write(path.parent, record, digest)  # the record as an in-toto Statement, for `sign`
    return path, digest


def testing_line(result: MinorResult, today: dt.date) -> str:
    """The minor's `Testing:` value (repo/testing_line.py)."""
    return testing_line_mod.render(result.base or "", result.base_ref, toolchains(result),
                                   today, result.evidence_sha256 or "")


def record(repo: PatchesRepo, gate: GateResult, today: dt.date) -> list[Path]:
    """Rewrite the `Testing:` line of each new patch, and in index.yaml set its advisory's state
    on the minor to `patched` (patch, sha256 of the rewritten file, patched_on: `today`).

    The evidence record each line names is kept as `<minor>/<sha256>.json` next to the latest
    `evidence.json`, so that a later run does not replace what a committed line points to.
    Everything is computed first; the patch files and index.yaml are then written as one
    journalled operation under the repo lock (repo/journal.py): both change, or neither.
    """
    from ksp.repo import index_edit, patchfile  # lazy: 7.6 ms of start-up

    if not gate.ok:
        raise UsageError("--record needs a passing gate", hint="fix the failures first")
    updates: dict[Path, _Update] = {}
    for minor in gate.minors:
        for planned in minor.plan.new:
            if planned.path in updates:
                raise UsageError(f"{planned.file} was gated on several minors; --record "
                                 "needs one", hint="pass a single --minor")
            parsed = patchfile.load(planned.path)
            text = parsed.header.set("Testing", testing_line(minor, today)).render() + parsed.diff
            updates[planned.path] = _Update(minor, planned.file, text)
    if not updates:
        return []
    with index_edit.edit(repo.index_path) as document:
        for update in updates.values():
            digest = hashlib.sha256(update.text.encode("utf-8", "surrogateescape")).hexdigest()
            document.set_patch_sha(update.file, digest)
            _set_patched(document, update, digest, today)
        for minor in {id(u.minor): u.minor for u in updates.values()}.values():
            keep(minor)
        for path, update in updates.items():
            document.stage(path, update.text)
    return list(updates)


@dataclass(frozen=True)
class _Update:
    minor: MinorResult
    file: str  # as the index names it: relative to the repo when inside it
    text: str  # the patch with its new Testing: line


def keep(minor: MinorResult) -> Path:
    """Copy the minor's latest record to `<sha256>.json`, the name a Testing: line gives."""
    if minor.evidence is None or minor.evidence_sha256 is None:
        raise UsageError(f"{minor.minor}: no evidence record to point Testing: to")
    data = minor.evidence.read_bytes()
    if hashlib.sha256(data).hexdigest() != minor.evidence_sha256:
        raise UsageError(f"{minor.evidence} changed since the gate wrote it",
                         hint="another gate run wrote it meanwhile; run the gate again")
    kept = minor.evidence.parent / f"{minor.evidence_sha256}.json"
    atomic_write(kept, data)
    return kept


def _set_patched(document: IndexEdit, update: _Update, digest: str, today: dt.date) -> None:
    """The patch's advisory is `patched` on the minor (DESIGN: a patch exists here and passed
    the gate). An infrastructure patch changes the index only when it has an entry there."""

    minor = update.minor.minor
    folder, _, name = update.file.rpartition("/")
    match = PATCH_NAME_RE.fullmatch(name)
    if folder != minor.folder or match is None:
        return  # outside the minor's folder: the index cannot name it
    advisory = match["id"]
    if not document.has(advisory):
        if PatchKind.of(advisory) is PatchKind.INFRASTRUCTURE:
            return
        document.upsert(Advisory(AdvisoryId(advisory), title=advisory,
                                 kind=PatchKind.of(advisory)))
    old = document.state(advisory, minor)
    document.set_state(advisory, minor, MinorState(
        Status.PATCHED, patch=update.file, sha256=digest, link=old.link if old else None,
        patched_on=today))
