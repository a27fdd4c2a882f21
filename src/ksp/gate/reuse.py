"""Warm reuse: an unchanged series on an unchanged base and toolchain is not built again.

A gate that ran build/test records a reuse key in its evidence: the base commit, each patch's
diff sha256 in order, the toolchains that could be chosen (every `go` on PATH and configured
GOROOT, by path, size, mtime and VERSION file: no process is started), the steps' configuration
(ksp.yaml as parsed, the ksp version, the command-line switches) and the Go environment. A later
run whose key is equal, and whose latest record is a pass, returns that record instead of
building: the report says `reused evidence of <date>`. Anything else (another key, a failing or
unreadable record, `--no-reuse`) runs the steps. The tree's own Go wish is part of the base
commit and the patches, so it needs no separate entry.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ksp import __version__
from ksp.errors import FormatError

if TYPE_CHECKING:
    from ksp.gate.model import GateRequest, MinorResult
    from ksp.gate.select import MinorPlan
    from ksp.repo.config import Config
    from ksp.repo.evidence_record import EvidenceRecord

GO_ENV = ("GOFLAGS", "GOPROXY", "KSP_GOPROXY", "GOTOOLCHAIN", "CGO_ENABLED", "GOOS", "GOARCH",
          "GOPATH", "GOMODCACHE", "GOEXPERIMENT", "KSP_GO_TOOLCHAINS", "CC")


def key(request: GateRequest, config: Config, plan: MinorPlan, base: str) -> str:
    """sha256 of everything a passing record's verdict depends on (see the module doc)."""
    parts = {
        "base": base, "diffs": [p.diff_sha256 for p in plan.patches], "ksp": __version__,
        "config": repr(config), "build": request.build, "test": request.test,
        "go": list(request.toolchains), "timeout": request.timeout, "goproxy": request.goproxy,
        "allow_drift": request.allow_drift, "toolchains": toolchain_fingerprint(config),
        "env": {name: os.environ.get(name) for name in GO_ENV},
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def toolchain_fingerprint(config: Config) -> list[str]:
    """Each Go toolchain the gate could pick, by file identity rather than by running it."""
    from ksp.gate.toolchains import search_roots  # lazy: 21.6 ms of start-up
    from ksp.versions import go_release_parts  # lazy: 15.7 ms of start-up

    candidates: list[Path] = []
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if folder and Path(folder).is_dir():
            candidates += sorted(p for p in Path(folder).glob("go*")
                                 if p.name == "go" or go_release_parts(p.name))
    candidates += [root / "bin" / "go" for root in search_roots(config.toolchains)]
    out = []
    for go in candidates:
        try:
            real = go.resolve()
            stat = real.stat()
            version = real.parent.parent / "VERSION"
            text = version.read_text(errors="replace")[:200] if version.is_file() else ""
        except OSError:
            continue
        out.append(f"{go}|{real}|{stat.st_size}|{stat.st_mtime_ns}|{text}")
    return out


def find(request: GateRequest, plan: MinorPlan, base_ref: str, base: str,
         reuse_key: str) -> MinorResult | None:
    """The minor's latest record as a result, when it is a pass with this very key."""
    from dataclasses import replace  # lazy: 6.0 ms of start-up

    from ksp.gate.model import evidence_dir  # lazy: 42.2 ms of start-up
    from ksp.repo import evidence_record as rec  # lazy: 26.6 ms of start-up

    path = evidence_dir(request, plan.minor) / rec.RECORD
    try:
        data = rec.read_bytes(path)
        record = rec.parse(data, path)
    except (OSError, FormatError):
        return None  # no record, or one this version cannot read: run again
    if not (record.reuse_key == reuse_key and record.passed and record.upstream.base == base):
        return None
    try:
        result = _result(record, plan, base_ref, base, request.allow_drift)
    except ValueError:
        return None  # a value this version does not know (an outcome, a step name): run again
    if not result.ok:
        return None  # never a failing record as a pass, whatever its `result` says
    return replace(result, evidence=path, evidence_sha256=hashlib.sha256(data).hexdigest(),
                   reuse_key=reuse_key, reused=record.date.isoformat())


def _result(record: EvidenceRecord, plan: MinorPlan, base_ref: str, base: str,
            allow_drift: bool) -> MinorResult:
    from ksp.gate.model import MinorResult  # lazy: 43.9 ms of start-up

    # lazy: 32.6 ms of start-up
    from ksp.gate.types import FailureKind, StepName, StepOutcome, StepResult, TestFailure
    from ksp.git.series import Outcome, PatchResult, SeriesResult  # lazy: 25.9 ms of start-up

    patches = [PatchResult(p.file, Outcome(p.result), p.detail, ()) for p in record.patches]
    if [p.name for p in patches] != [p.file for p in plan.patches]:
        raise ValueError("the record names other patches")
    steps = tuple(StepResult(
        StepName(s.name), StepOutcome(s.result), s.command, s.log, s.exit_code, s.duration,
        s.toolchain, tuple(TestFailure(f.package, f.test, FailureKind(f.kind), f.detail)
                           for f in s.failures),
        s.detail, record.warnings if i == 0 else ()) for i, s in enumerate(record.steps))
    if not steps or all(s.result is StepOutcome.SKIPPED for s in steps):
        raise ValueError("nothing was built or tested")
    series = SeriesResult(base, patches, record.upstream.head, allow_drift=allow_drift)
    return MinorResult(plan.minor, base_ref, base, plan, series, steps, setup=record.go_setup)
