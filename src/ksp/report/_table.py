"""Terminal tables that stay fast on large inputs: laid out once, drawn as styled rich Text.

rich's Table measures, pads and crops every cell through its layout engine: ~0.1 ms a cell on
the CI machine, so 0.6 s for a 500-advisory coverage matrix (6,500 cells) and most of
`ksp coverage`'s time. These tables are simpler than what that engine is for: plain cells
(no markup, no nested renderables), each column as wide as its widest cell, never wrapped or
cropped. So each column's width is computed once and every line is one rich `Text` in rich's
own `HEAVY_HEAD` box (what a default rich Table draws): rich still does the styles, the colour
detection and the output, and the table looks as before. A cell is never cropped: a table wider
than the terminal makes long lines rather than lost text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions

#: A cell: its text, or its text and a rich style name.
CellValue = str | tuple[str, str]


class Grid:
    """A table of `rows` under `headers`: `Console.print(grid, crop=False)` (without crop=False
    rich would cut lines at the terminal's width)."""

    def __init__(self, headers: Sequence[CellValue], rows: Sequence[Sequence[CellValue]], *,
                 right: Sequence[int] = (), title: str = "", caption: str = "") -> None:
        self.headers = [_split(h) for h in headers]
        self.rows = [[_split(c) for c in row] for row in rows]
        self.right = set(right)
        self.title, self.caption = title, caption
        self.widths = [max(cell_len(line) for cell in (head, *(r[i] for r in self.rows))
                           for line in cell[0]) for i, head in enumerate(self.headers)]

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Text]:
        yield from self.lines()

    def lines(self) -> Iterator[Text]:
        width = sum(self.widths) + 3 * len(self.widths) + 1
        if self.title:
            yield _line(self.title.ljust(width), "italic")
        yield _rule("┏", "━", "┳", "┓", self.widths)
        yield from self._row(self.headers, bottom=True, style="bold", edge="┃")
        yield _rule("┡", "━", "╇", "┩", self.widths)
        for row in self.rows:
            yield from self._row(row, bottom=False, style="", edge="│")
        yield _rule("└", "─", "┴", "┘", self.widths)
        if self.caption:
            yield _line(self.caption.ljust(width), "dim")

    def _row(self, cells: list[tuple[list[str], str]], *, bottom: bool, style: str,
             edge: str) -> Iterator[Text]:
        height = max(len(lines) for lines, _ in cells)
        for n in range(height):
            text = Text(edge, no_wrap=True, overflow="ignore", end="\n")
            for i, (lines, cell_style) in enumerate(cells):
                at = n - (height - len(lines)) if bottom else n
                value = lines[at] if 0 <= at < len(lines) else ""
                pad = " " * (self.widths[i] - cell_len(value))
                text.append(" ")
                text.append(pad + value if i in self.right else value + pad,
                            style=cell_style or style or None)
                text.append(" " + edge)
            yield text


def _split(value: CellValue) -> tuple[list[str], str]:
    raw, style = (value, "") if isinstance(value, str) else value
    return raw.split("\n"), style


def _rule(left: str, fill: str, cross: str, right: str, widths: list[int]) -> Text:
    return _line(left + cross.join(fill * (w + 2) for w in widths) + right, "")


def _line(value: str, style: str) -> Text:
    return Text(value, style=style or "", no_wrap=True, overflow="ignore", end="\n")


def build(headers: Sequence[CellValue], rows: Sequence[Sequence[CellValue]], *,
          right: Sequence[int] = (), title: str = "", caption: str = "") -> Grid:
    """A table of `rows` under `headers`; `right` names the right-justified columns. The title
    and caption are left-justified."""
    return Grid(headers, rows, right=right, title=title, caption=caption)
