"""`ksp status --fleet` as one terminal table: every project's minors that matter today."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from ksp.fleet import FleetStatus
from ksp.model import Window
from ksp.status import MinorStatus

_STYLE = {Window.SUPPORTED: "green", Window.EXTENDED: "yellow", Window.EXPIRED: "dim",
          Window.UNKNOWN: "magenta"}


def shown(row: MinorStatus) -> bool:
    """Expired minors without patches or gaps are history, not fleet state."""
    return row.window is not Window.EXPIRED or bool(row.patches or row.gaps)


def text(result: FleetStatus, *, color: bool = False) -> str:
    table = Table(title=f"fleet on {result.date}: {len(result.projects)} patches repos",
                  title_justify="left", caption="expired minors without patches or gaps are "
                  "left out (--format json has them)", caption_justify="left")
    for column in ("repo", "project", "minor", "window", "end of life", "extended until"):
        table.add_column(column)
    for column in ("patches", "gaps", "patched"):
        table.add_column(column, justify="right")
    for project in result.projects:
        rows = [r for r in project.status.minors if shown(r)]
        for i, row in enumerate(rows):
            table.add_row(project.name if i == 0 else "", project.project if i == 0 else "",
                          row.minor, f"[{_STYLE[row.window]}]{row.window}[/]", row.eol or "-",
                          row.extended_until or "-", str(row.patches), str(row.gaps),
                          str(row.patched), end_section=i == len(rows) - 1)
    buf = io.StringIO()
    Console(file=buf, width=140, force_terminal=color, no_color=not color).print(table)
    return buf.getvalue()
