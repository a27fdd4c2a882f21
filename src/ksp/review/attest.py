"""The gate's evidence as an in-toto Statement v1, with the in-toto test-result predicate.

    {"_type": "https://in-toto.io/Statement/v1",
     "subject": [{"name": "v1.32/SERIES", "digest": {"sha256": …}},          # as gated
                 {"name": "v1.32/0001_CVE-….patch", "digest": {"sha256": …},
                  "annotations": {"diff_sha256": …, "position": 1}}, …],
     "predicateType": "https://in-toto.io/attestation/test-result/v0.1",
     "predicate": {"result": "PASSED", "configuration": [upstream base commit, evidence record,
                   toolchains], "passedTests": ["build go1.27.3", …], "warnedTests": […],
                   "failedTests": […]}}

`ksp gate` writes it next to its evidence record (`.ksp/evidence/<minor>/attestation.intoto.json`);
`ksp sign --attestation FILE` commits it to the minor's folder as `GATE.intoto.json` and signs it.
A patch's file digest changes when `--record` or `sign` rewrites its header; the gate tested the
diff, so an attestation matches a series by base commit and each patch's diff digest, in order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ksp._files import atomic_write
from ksp.errors import FormatError
from ksp.model import Minor
from ksp.repo.evidence_record import RECORD, EvidenceRecord
from ksp.review.manifest import Entry, Manifest

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://in-toto.io/attestation/test-result/v0.1"
LOCAL = "attestation.intoto.json"  # next to the gate's evidence.json
COMMITTED = "GATE.intoto.json"  # in the minor's folder


def statement(record: EvidenceRecord, record_sha256: str) -> dict[str, object] | None:
    """The Statement for one minor's evidence record; None when the record has no base."""
    upstream = record.upstream
    if not upstream.base:
        return None
    minor = record.minor
    entries = tuple(Entry(p.file.rsplit("/", 1)[-1], p.sha256, p.diff_sha256)
                    for p in record.patches)
    manifest = Manifest(minor, upstream.base_ref, upstream.base, entries)
    subject: list[dict[str, object]] = [{"name": f"{minor.folder}/SERIES",
                                      "digest": {"sha256": manifest.sha256}}]
    subject += [{"name": f"{minor.folder}/{e.name}", "digest": {"sha256": e.sha256},
                 "annotations": {"diff_sha256": e.diff_sha256, "position": i}}
                for i, e in enumerate(entries, start=1)]
    return {"_type": STATEMENT_TYPE, "subject": subject, "predicateType": PREDICATE_TYPE,
            "predicate": _predicate(record, record_sha256, manifest)}


def _predicate(record: EvidenceRecord, record_sha256: str, manifest: Manifest
               ) -> dict[str, object]:
    passed, warned, failed = [], [], []
    for step in record.steps:
        name = " ".join(x for x in (step.name, step.toolchain) if x)
        kinds = {f.kind for f in step.failures}
        if step.result == "fail":
            failed.append(name)
        elif step.result == "pass" and kinds:
            warned.append(f"{name} ({', '.join(sorted(kinds))} failures)")
        elif step.result == "pass":
            passed.append(name)
    configuration = [
        {"name": f"upstream {manifest.base_ref}", "uri": record.upstream.url,
         "digest": {"gitCommit": manifest.base_commit}},
        {"name": f".ksp/evidence/{manifest.minor}/{RECORD}",
         "digest": {"sha256": record_sha256},
         "annotations": {"ksp": record.ksp, "date": record.date.isoformat()}},
        *({"name": "toolchain", "uri": f"go:{go}"} for go in record.go),
    ]
    return {"result": "PASSED" if record.passed else "FAILED",
            "configuration": configuration, "passedTests": passed, "warnedTests": warned,
            "failedTests": failed}


def write(folder: Path, record: EvidenceRecord, record_sha256: str) -> Path | None:
    """Called by the gate's evidence writer: the Statement next to the record."""
    data = statement(record, record_sha256)
    if data is None:
        return None
    path = folder / LOCAL
    atomic_write(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return path


@dataclass(frozen=True)
class Attested:
    """What a Statement says was tested."""

    minor: Minor
    passed: bool
    tested: tuple[str, str, tuple[tuple[str, str], ...]]  # as Manifest.tested()


def read(data: bytes, where: Path) -> Attested:
    try:
        doc = json.loads(data)
        if doc.get("_type") != STATEMENT_TYPE or doc.get("predicateType") != PREDICATE_TYPE:
            raise ValueError("not a ksp gate Statement")
        subjects = doc["subject"]
        series = subjects[0]["name"]
        base = doc["predicate"]["configuration"][0]
        patches = sorted(subjects[1:], key=lambda s: int(s["annotations"]["position"]))
        tested = (str(base["name"]).removeprefix("upstream "), str(base["digest"]["gitCommit"]),
                  tuple((str(s["name"]).rsplit("/", 1)[-1],
                         str(s["annotations"]["diff_sha256"])) for s in patches))
        minor = Minor.parse(str(series).split("/", 1)[0])
        passed = doc["predicate"]["result"] == "PASSED"
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise FormatError(f"not an in-toto Statement of a ksp gate run: {exc}", path=where,
                          hint="use the attestation.intoto.json that `ksp gate` writes") from None
    return Attested(minor, passed, tested)
