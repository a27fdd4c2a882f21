"""report/_table.py draws what a default rich Table draws, without rich's per-cell layout."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ksp.report import _table

HEADERS: list[_table.CellValue] = ["advisory", ("1.30\nextended", "yellow"), "patches"]
ROWS: list[list[_table.CellValue]] = [
    ["CVE-2025-0001", ("patched v1.30/0001", "green"), "12"],
    ["CVE-2025-10000", ("needed", "red"), "3"],
    ["GHSA-xxxx-ünï-cödé", "-", "0"],
]


def _print(renderable: object, *, color: bool) -> str:
    buf = io.StringIO()
    Console(file=buf, width=160, force_terminal=color, no_color=not color).print(renderable)
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines())


def _rich_table(rows: list[list[_table.CellValue]]) -> Table:
    table = Table(title="Coverage", title_justify="left", caption="a caption",
                  caption_justify="left")
    for i, header in enumerate(HEADERS):
        text = Text(header) if isinstance(header, str) else Text(header[0], style=header[1])
        table.add_column(text, no_wrap=True, justify="right" if i == 2 else "left")
    for row in rows:
        table.add_row(*(Text(c) if isinstance(c, str) else Text(c[0], style=c[1]) for c in row))
    return table


@pytest.mark.parametrize("rows", [ROWS, []])
def test_the_same_characters_as_a_rich_table(rows: list[list[_table.CellValue]]) -> None:
    grid = _table.build(HEADERS, rows, right=[2], title="Coverage", caption="a caption")
    assert _print(grid, color=False) == _print(_rich_table(rows), color=False)
    assert grid.row_count == len(rows)


def test_styles_reach_the_terminal() -> None:
    out = _print(_table.build(HEADERS, ROWS, right=[2]), color=True)
    assert "\x1b[32mpatched v1.30/0001" in out and "\x1b[31mneeded" in out


def test_a_cell_is_never_cropped_in_a_narrow_console() -> None:
    long = "x" * 300
    buf = io.StringIO()
    Console(file=buf, width=80, no_color=True).print(_table.build(["a"], [[long]]), crop=False)
    assert long in buf.getvalue()
