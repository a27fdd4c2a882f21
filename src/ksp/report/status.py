"""`ksp status` as a terminal table."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from ksp.model import Window
from ksp.status import MinorStatus, StatusResult

_STYLE = {Window.SUPPORTED: "green", Window.EXTENDED: "yellow", Window.EXPIRED: "dim",
          Window.UNKNOWN: "magenta"}


def _go(row: MinorStatus) -> str:
    if not row.go or not row.go_policy:
        return "-"
    until = row.go_policy.rsplit(" ", 1)[-1]
    return f"{row.go} ({'until' if row.go_supported else 'EOL'} {until})"


def text(result: StatusResult, *, color: bool = False) -> str:
    in_repo = result.repo is not None
    table = Table(title=f"{result.project} minors on {result.date}", title_justify="left",
                  caption=f"extended window: end of life + {result.extended_months} months",
                  caption_justify="left")
    for column in ("minor", "window", "released", "end of life", "extended until"):
        table.add_column(column)
    if in_repo:
        for column in ("patches", "gaps", "patched", "median days to patch"):
            table.add_column(column, justify="right")
    with_go = any(row.go for row in result.minors)
    with_lane = any(row.dependency for row in result.minors)
    if with_go:
        table.add_column("Go (policy)", no_wrap=True)
    if with_lane:
        table.add_column("deps/Go needed", justify="right")
    for row in result.minors:
        cells = [row.minor, f"[{_STYLE[row.window]}]{row.window}[/]", row.released or "-",
                 row.eol or "-", row.extended_until or "-"]
        if in_repo:
            median = row.median_days_to_patch
            cells += [str(row.patches), str(row.gaps), str(row.patched),
                      "-" if median is None else f"{median:g}"]
        if with_go:
            cells.append(_go(row))
        if with_lane:
            cells.append(f"{row.dependency.needed}/{row.toolchain.needed}"
                         if row.dependency and row.toolchain else "-")
        table.add_row(*cells)
    buf = io.StringIO()
    Console(file=buf, width=170, force_terminal=color, no_color=not color).print(table)
    return buf.getvalue()
