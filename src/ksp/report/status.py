"""`ksp status` as a terminal table."""

from __future__ import annotations

import io

from rich.console import Console

from ksp.model import Window
from ksp.report import _table
from ksp.report._table import CellValue
from ksp.status import MinorStatus, StatusResult

_STYLE = {Window.SUPPORTED: "green", Window.EXTENDED: "yellow", Window.EXPIRED: "dim",
          Window.UNKNOWN: "magenta"}


def _go(row: MinorStatus) -> str:
    """The minor's Go and the Go release policy: until when that Go gets security releases."""
    if not row.go or not row.go_policy:
        return "-"
    until = row.go_policy.rsplit(" ", 1)[-1]
    return f"{row.go} ({'until' if row.go_supported else 'EOL'} {until})"


def text(result: StatusResult, *, color: bool = False) -> str:
    in_repo = result.repo is not None
    headers: list[CellValue] = ["minor", "window", "released", "end of life", "extended until"]
    if in_repo:
        headers += ["patches", "gaps", "patched", "median days to patch"]
    with_go = any(row.go for row in result.minors)
    with_lane = any(row.dependency for row in result.minors)
    if with_go:
        headers.append("Go (policy)")
    if with_lane:
        headers.append("deps/Go needed")
    rows: list[list[CellValue]] = []
    for row in result.minors:
        cells: list[CellValue] = [row.minor, (str(row.window), _STYLE[row.window]),
                                  row.released or "-", row.eol or "-", row.extended_until or "-"]
        if in_repo:
            median = row.median_days_to_patch
            cells += [str(row.patches), str(row.gaps), str(row.patched),
                      "-" if median is None else f"{median:g}"]
        if with_go:
            cells.append(_go(row))
        if with_lane:
            cells.append(f"{row.dependency.needed}/{row.toolchain.needed}"
                         if row.dependency and row.toolchain else "-")
        rows.append(cells)
    right = [*range(5, 9), *([len(headers) - 1] if with_lane else [])]
    table = _table.build(
        headers, rows, right=right, title=f"{result.project} minors on {result.date}",
        caption=f"extended window: end of life + {result.extended_months} months")
    buf = io.StringIO()
    Console(file=buf, width=170 if with_go or with_lane else 140, force_terminal=color,
            no_color=not color).print(table, crop=False)
    return buf.getvalue()
