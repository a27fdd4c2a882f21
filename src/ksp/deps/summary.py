"""Counts of the dependency lane per minor and kind, for status, coverage and the site."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ksp.model import Advisory, AdvisoryKind, Minor, Status


@dataclass(frozen=True)
class LaneCounts:
    """One minor's dependency (or toolchain) advisories by state."""

    minor: str
    kind: str  # dependency | toolchain
    needed: int = 0  # needed, in-progress and wont-fix: what a scanner reports and ksp confirms
    not_affected: int = 0
    patched: int = 0
    triage: int = 0

    @property
    def total(self) -> int:
        return self.needed + self.not_affected + self.patched + self.triage


_AFFECTED = (Status.NEEDED, Status.IN_PROGRESS, Status.WONT_FIX)


def counts(advisories: Iterable[Advisory], minor: Minor, kind: AdvisoryKind) -> LaneCounts:
    states = [a.minors[minor].status for a in advisories
              if a.scope is kind and minor in a.minors]
    return LaneCounts(str(minor), kind.value,
                      needed=sum(1 for s in states if s in _AFFECTED),
                      not_affected=sum(1 for s in states if s is Status.NOT_AFFECTED),
                      patched=sum(1 for s in states if s is Status.PATCHED),
                      triage=sum(1 for s in states if s is Status.NEEDS_TRIAGE))


def in_lane(adv: Advisory) -> bool:
    """From the Go vulnerability database (a per-minor module state), not from a feed."""
    return adv.scope.is_go and any(s.module for s in adv.minors.values())


def lanes(advisories: Iterable[Advisory], minors: Iterable[Minor]) -> list[LaneCounts]:
    """Both kinds for every minor that has one; empty when the index has no such advisory."""
    listed = [a for a in advisories if in_lane(a)]
    if not listed:
        return []
    out = []
    for minor in minors:  # a minor the import did not look at (not in the window) is left out
        pair = [counts(listed, minor, k) for k in (AdvisoryKind.DEPENDENCY, AdvisoryKind.TOOLCHAIN)]
        if any(c.total for c in pair):
            out += pair
    return out


def describe(row: LaneCounts) -> str:
    text = f"{row.needed} needed, {row.not_affected} not-affected, {row.patched} patched"
    return text + (f", {row.triage} to triage" if row.triage else "")
