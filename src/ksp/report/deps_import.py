"""The Go lane's import report as text, with the index's counts per minor and kind."""

from __future__ import annotations

import textwrap
from collections import Counter

from ksp.deps.store import StoreReport
from ksp.model import Minor
from ksp.repo.layout import PatchesRepo


def text(report: StoreReport, repo: PatchesRepo) -> str:
    verb = "would add" if report.dry_run else "added"
    added = textwrap.fill(", ".join(report.added), width=96, initial_indent="  ",
                          subsequent_indent="  ") if report.added else "  -"
    lines = [
        f"{report.records} Go records; extended-window minors on {report.date}: "
        f"{', '.join(report.minors) or 'none'}",
        f"{verb} {len(report.added)} dependency/toolchain advisories:", added,
        f"{'would update' if report.dry_run else 'updated'} {len(report.updated)} advisories",
    ]
    if report.disagreements:
        lines.append(f"{len(report.disagreements)} statuses set by a person differ from the "
                     "derivation (kept as they are):")
        lines += [f"  {d.advisory} {d.minor}: recorded {d.recorded}, derived {d.derived}"
                  for d in report.disagreements]
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
