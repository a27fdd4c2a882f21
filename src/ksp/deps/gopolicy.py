"""The Go release policy: each major release is supported until two newer majors exist.

Release days of the Go majors are embedded (from the Go release history); a major not listed is
estimated on Go's six-month cadence (February and August) and marked as estimated. A minor
building with an unsupported Go gets no more Go security releases on its line: a stdlib fix then
means a Go major bump, which is an infrastructure patch (`INFRA-go-<version>`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

RELEASED = {
    13: dt.date(2019, 9, 3), 14: dt.date(2020, 2, 25), 15: dt.date(2020, 8, 11),
    16: dt.date(2021, 2, 16), 17: dt.date(2021, 8, 16), 18: dt.date(2022, 3, 15),
    19: dt.date(2022, 8, 2), 20: dt.date(2023, 2, 1), 21: dt.date(2023, 8, 8),
    22: dt.date(2024, 2, 6), 23: dt.date(2024, 8, 13), 24: dt.date(2025, 2, 11),
    25: dt.date(2025, 8, 12),
}


@dataclass(frozen=True)
class GoSupport:
    line: str  # e.g. 1.22
    supported: bool
    until: dt.date  # the day 1.(N+2) is (or was, or is expected to be) released
    estimated: bool

    def describe(self) -> str:
        when = f"{'~' if self.estimated else ''}{self.until.isoformat()}"
        return f"Go {self.line} supported until {when}" if self.supported else \
            f"Go {self.line} unsupported since {when}"


def released(minor: int) -> tuple[dt.date, bool]:
    """The release day of Go 1.<minor>, and whether it is an estimate."""
    if minor in RELEASED:
        return RELEASED[minor], False
    last = max(RELEASED)
    steps = minor - last
    months = RELEASED[last].month - 1 + 6 * steps
    return dt.date(RELEASED[last].year + months // 12, months % 12 + 1, 11), True


def support(go_version: str, today: dt.date) -> GoSupport | None:
    parts = go_version.removeprefix("go").split(".")
    if len(parts) < 2 or not parts[0].isdigit() or not parts[1].isdigit() or parts[0] != "1":
        return None
    minor = int(parts[1])
    until, estimated = released(minor + 2)
    return GoSupport(f"1.{minor}", today < until, until, estimated)
