"""A patch's `Testing:` line against the gate's evidence record (written by `ksp gate --record`).

Records live in the patches repo's `.ksp/evidence/<minor>/` (git-ignored): `<sha256>.json`, kept
by `--record` under the name the line cites, is looked up first, then the latest run's
`evidence.json`. So this check runs where the gate ran (the fixer's machine, the CI job);
without a record it is silent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from ksp._files import MAX_FILE_BYTES
from ksp.errors import FormatError
from ksp.lint.context import LintContext
from ksp.lint.findings import Finding
from ksp.repo import evidence_record as rec
from ksp.repo import testing_line
from ksp.repo.patchfile import split

CODE = "KSP190"


def check_evidence(ctx: LintContext) -> Iterator[Finding]:
    for entry in ctx.entries():
        patch = ctx.patch(entry) if ctx.in_scope(entry.rel) else None
        claim = testing_line.claim((patch.header.get("Testing") or "") if patch else "")
        if claim is None:
            continue
        folder = rec.folder(rec.default_root(ctx.root), entry.minor)
        record_path = folder / f"{claim.record_sha256}.json"  # kept by --record
        if not record_path.is_file():
            record_path = folder / rec.RECORD  # the latest run's
        if not record_path.is_file():
            continue
        if record_path.stat().st_size > MAX_FILE_BYTES:
            continue  # not a record ksp wrote; its sha256 cannot match either
        data = record_path.read_bytes()
        if hashlib.sha256(data).hexdigest() != claim.record_sha256:
            yield Finding.warning(CODE, entry.rel, "Testing: names evidence that is not the "
                                  "local record (a later gate run replaced it?)",
                                  hint="rerun `ksp gate --record` to refresh the line")
            continue
        try:
            record = rec.parse(data, record_path)
        except FormatError as exc:
            yield Finding.error(CODE, entry.rel, f"Testing: names an evidence record that ksp "
                                f"cannot read ({exc})", hint="run `ksp gate --record` again")
            continue
        yield from _against(entry.rel, entry.path.read_bytes(), record, claim.base)


def _against(rel: str, raw: bytes, record: rec.EvidenceRecord, base: str
             ) -> Iterator[Finding]:
    diff_sha = hashlib.sha256(split(raw)[1]).hexdigest()
    gated = [p for p in record.patches if p.file == rel]
    if not record.passed or not (record.upstream.base or "").startswith(base):
        yield Finding.error(CODE, rel, "Testing: claims a pass that the evidence record does "
                            "not show", hint="run `ksp gate --record` again")
    elif not gated or gated[0].diff_sha256 != diff_sha:
        yield Finding.error(CODE, rel, "the diff changed after the gate run named in Testing:",
                            hint="run `ksp gate --record` on the patch as it is now")
