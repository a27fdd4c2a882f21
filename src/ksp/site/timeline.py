"""Support windows on one time axis, as percentages, so that plain CSS can draw the bars."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ksp.lifecycle import Lifecycle
from ksp.model import Minor, Window
from ksp.site.model import Bar, Tick, Timeline

# Expired minors stay on the timeline this long after their extended window closed.
RECENTLY_EXPIRED = dt.timedelta(days=365)


def shown_minors(lifecycle: Lifecycle, today: dt.date, extra: Iterable[Minor]) -> list[Minor]:
    """Minors in a window, recently expired ones, and those the repo has anything for."""
    keep = set(extra)
    for minor in lifecycle.minors():
        until = lifecycle.extended_until(minor)
        if lifecycle.window(minor, today) is not Window.EXPIRED or (
                until is not None and until >= today - RECENTLY_EXPIRED):
            keep.add(minor)
    return sorted(keep, reverse=True)


def _bounds(lifecycle: Lifecycle, minors: list[Minor], today: dt.date) -> tuple[dt.date, dt.date]:
    starts = [today]
    ends = [today]
    for minor in minors:
        release = lifecycle.release(minor)
        eol = lifecycle.eol(minor)
        if release and (release.released or eol):
            starts.append(release.released or eol or today)
        until = lifecycle.extended_until(minor)
        if until:
            ends.append(until)
    return dt.date(min(starts).year, 1, 1), dt.date(max(ends).year + 1, 1, 1)


def _percent(day: dt.date, start: dt.date, span: int) -> float:
    return round(max(0.0, min(100.0, (day - start).days * 100.0 / span)), 3)


def build(lifecycle: Lifecycle, today: dt.date, minors: list[Minor],
          pages: set[str] | None = None) -> Timeline:
    start, end = _bounds(lifecycle, minors, today)
    span = max(1, (end - start).days)
    ticks = [Tick(str(year), _percent(dt.date(year, 1, 1), start, span))
             for year in range(start.year, end.year)]
    bars = [_bar(lifecycle, m, today, start, span, pages or set()) for m in minors]
    return Timeline(start.isoformat(), end.isoformat(), today.isoformat(),
                    _percent(today, start, span), ticks, bars)


def _bar(lifecycle: Lifecycle, minor: Minor, today: dt.date, start: dt.date,  # noqa: PLR0917
         span: int, pages: set[str]) -> Bar:
    release = lifecycle.release(minor)
    until = lifecycle.extended_until(minor)
    window = lifecycle.window(minor, today)
    eol = lifecycle.eol(minor)
    if release is None or eol is None or until is None:
        return Bar(str(minor), window, None, None, None, has_page=str(minor) in pages)
    opened = release.released or eol
    sup_left = _percent(opened, start, span)
    ext_left = _percent(eol, start, span)
    return Bar(
        str(minor), window,
        release.released.isoformat() if release.released else None,
        eol.isoformat(), until.isoformat(),
        supported_left=sup_left, supported_width=round(ext_left - sup_left, 3),
        extended_left=ext_left,
        extended_width=round(_percent(until, start, span) - ext_left, 3),
        has_page=str(minor) in pages,
    )
