"""The Go lane's import report as text, with the index's counts per minor and kind."""

from __future__ import annotations

from collections import Counter

from ksp.deps.store import StoreReport
from ksp.model import Minor
from ksp.repo.layout import PatchesRepo
from ksp.report import _import_text


def text(report: StoreReport, repo: PatchesRepo) -> str:
    lines = _import_text.opening(report, "Go records", "dependency/toolchain advisories")
    lines += _import_text.disagreements(report.disagreements)
    if not report.dry_run and not report.written:
        lines.append("index.yaml unchanged")
    lines += ["status per minor in index.yaml (dependency | toolchain):"]
    advisories = [a for a in repo.advisories().values() if a.scope.is_go]
    for name in report.minors:
        minor = Minor.parse(name)
        parts = []
        for kind in ("dependency", "toolchain"):
            counts = Counter(a.minors[minor].status.value for a in advisories
                             if minor in a.minors and a.scope.value == kind)
            parts.append(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none")
        lines.append(f"  {name}: {parts[0]} | {parts[1]}")
    return "\n".join(lines)
