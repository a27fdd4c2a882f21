"""`ksp status` as a terminal table."""

from __future__ import annotations

import io

from rich.console import Console

from ksp.model import Window
from ksp.report import _table
from ksp.report._table import CellValue
from ksp.status import StatusResult

_STYLE = {Window.SUPPORTED: "green", Window.EXTENDED: "yellow", Window.EXPIRED: "dim",
          Window.UNKNOWN: "magenta"}


def text(result: StatusResult, *, color: bool = False) -> str:
    in_repo = result.repo is not None
    headers: list[CellValue] = ["minor", "window", "released", "end of life", "extended until"]
    if in_repo:
        headers += ["patches", "gaps", "patched", "median days to patch"]
    rows: list[list[CellValue]] = []
    for row in result.minors:
        cells: list[CellValue] = [row.minor, (str(row.window), _STYLE[row.window]),
                                  row.released or "-", row.eol or "-", row.extended_until or "-"]
        if in_repo:
            median = row.median_days_to_patch
            cells += [str(row.patches), str(row.gaps), str(row.patched),
                      "-" if median is None else f"{median:g}"]
        rows.append(cells)
    table = _table.build(
        headers, rows, right=range(5, 9), title=f"{result.project} minors on {result.date}",
        title_justify="left", caption_justify="left",
        caption=f"extended window: end of life + {result.extended_months} months")
    buf = io.StringIO()
    Console(file=buf, width=140, force_terminal=color, no_color=not color).print(table)
    return buf.getvalue()
