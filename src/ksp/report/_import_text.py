"""The lines every import report opens with, and how it lists statuses a person set."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ksp.advisories.importer import Disagreement


class _Report(Protocol):
    date: str
    minors: list[str]
    records: int
    dry_run: bool
    added: list[str]

    @property
    def updated(self) -> Sequence[object]: ...


def opening(report: _Report, records: str, added: str) -> list[str]:
    """`N records; extended-window minors …`, the added ids wrapped, the updated count."""
    verb = "would add" if report.dry_run else "added"
    ids = textwrap.fill(", ".join(report.added), width=96, initial_indent="  ",
                        subsequent_indent="  ") if report.added else "  -"
    return [
        f"{report.records} {records}; extended-window minors on {report.date}: "
        f"{', '.join(report.minors) or 'none'}",
        f"{verb} {len(report.added)} {added}:", ids,
        f"{'would update' if report.dry_run else 'updated'} {len(report.updated)} advisories",
    ]


def disagreements(found: Sequence[Disagreement], reasons: Iterable[str] | None = None
                  ) -> list[str]:
    """Statuses a person set that the sources would derive otherwise (kept as they are)."""
    if not found:
        return []
    why = list(reasons) if reasons is not None else [""] * len(found)
    return [f"{len(found)} statuses set by a person differ from the derivation (kept as they "
            "are):", *(f"  {d.advisory} {d.minor}: recorded {d.recorded}, derived {d.derived}"
                       + (f" ({r})" if r else "") for d, r in zip(found, why, strict=True))]
