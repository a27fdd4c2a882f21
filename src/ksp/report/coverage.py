"""`ksp coverage` in four formats: a terminal table, Markdown, CSV (one row per cell) and JSON.

Every format lists gaps first (the order `coverage.compute` gives) and ends with the per-minor
summary the KEP asks for: patches maintained, open gaps, median days from publication to patch.
"""

from __future__ import annotations

import csv
import enum
import io
from typing import assert_never

from rich.console import Console

from ksp.coverage import Cell, Coverage
from ksp.model import Status, Window
from ksp.report import _table
from ksp.report._table import CellValue
from ksp.report.json import dumps

DISCLAIMER = ("Community maintained, not officially supported, provided without warranty; "
              "upgrading to a supported version is strongly recommended.")
STATUS_STYLE = {
    Status.NEEDED: "bold red", Status.NEEDS_TRIAGE: "yellow", Status.IN_PROGRESS: "cyan",
    Status.PATCHED: "green", Status.NOT_AFFECTED: "dim green", Status.WONT_FIX: "magenta",
}
WINDOW_STYLE = {Window.SUPPORTED: "green", Window.EXTENDED: "yellow", Window.EXPIRED: "dim",
                Window.UNKNOWN: "magenta"}
CSV_FIELDS = ("advisory", "title", "rating", "score", "published", "minor", "window", "status",
              "patch", "sha256", "justification", "reason", "fixed_upstream_in")


class Format(enum.Enum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    CSV = "csv"


def render(result: Coverage, fmt: Format, *, color: bool = False) -> str:
    if fmt is Format.TEXT:
        return text(result, color=color)
    if fmt is Format.JSON:
        return dumps(result)
    if fmt is Format.MARKDOWN:
        return markdown(result)
    if fmt is Format.CSV:
        return to_csv(result)
    assert_never(fmt)


def _cell_text(cell: Cell) -> str:
    if cell.status is None:
        return f"fixed {cell.fixed_upstream_in}" if cell.fixed_upstream_in else "-"
    text = cell.status.value
    if cell.provenance and cell.status is Status.PATCHED:
        text += f" ({cell.provenance.backport})"
    if cell.fixed_upstream_in and cell.status is not Status.PATCHED:
        text += f" (upstream {cell.fixed_upstream_in})"
    return text


def text(result: Coverage, *, color: bool = False) -> str:
    windows = {s.minor: s.window for s in result.summary}
    headers: list[CellValue] = ["advisory", "severity", "published"]
    headers += [(f"{m}\n{windows[m]}", WINDOW_STYLE[windows[m]]) for m in result.minors]
    rows: list[list[CellValue]] = []
    for row in result.rows:
        score = f" {row.score:.1f}" if row.score is not None else ""
        cells = [(_cell_text(c), STATUS_STYLE[c.status]) if c.status else _cell_text(c)
                 for c in row.cells]
        rows.append([row.advisory, f"{row.rating}{score}", row.published or "-", *cells])
    table = _table.build(headers, rows, title=f"Coverage on {result.date} (gaps first)")
    summary = _table.build(
        ["minor", "window", "patches", "gaps", "median days to patch"],
        [[s.minor, (str(s.window), WINDOW_STYLE[s.window]), str(s.patches), str(s.gaps),
          "-" if s.median_days_to_patch is None else f"{s.median_days_to_patch:g}"]
         for s in result.summary],
        title="Per minor")
    buf = io.StringIO()
    console = Console(file=buf, width=160, force_terminal=color, no_color=not color)
    console.print(table if result.rows else "no advisories match", crop=False)
    provenance = _provenance_table(result)
    if provenance.row_count:
        console.print(provenance, crop=False)
    console.print(summary, crop=False)
    if result.others:
        console.print(_others_table(result), crop=False)
    if result.dependencies:
        console.print(_lane_table(result), crop=False)
    console.print(DISCLAIMER, style="dim")
    return buf.getvalue()


_LANE_HEAD = ("minor", "dependency needed", "not-affected", "patched",
              "toolchain needed", "not-affected", "patched")


def _lane_rows(result: Coverage) -> list[list[str]]:
    """Per minor: dependency then toolchain counts (needed / not-affected / patched)."""
    by_minor: dict[str, list[str]] = {}
    for row in result.dependencies:
        by_minor.setdefault(row.minor, [row.minor]).extend(
            str(n) for n in (row.needed, row.not_affected, row.patched))
    return list(by_minor.values())


def _lane_table(result: Coverage) -> _table.Grid:
    return _table.build(list(_LANE_HEAD), _lane_rows(result), right=range(1, len(_LANE_HEAD)),
                        title="Dependencies and Go toolchain (Go vulnerability database)")


def _provenance_table(result: Coverage) -> _table.Grid:
    """Per patch: its backport class, what happened to the upstream tests, who reviewed it."""
    rows: list[list[CellValue]] = []
    seen = set()
    for row in result.rows:
        for cell in row.cells:
            p = cell.provenance
            if p is None or cell.patch is None or cell.patch in seen:
                continue
            seen.add(cell.patch)
            rows.append([cell.patch, row.advisory, p.backport, p.tests or "-",
                         ", ".join(p.reviewers) or "not reviewed"])
    return _table.build(["patch", "advisory", "class", "tests", "reviewed by"], rows,
                        title="Provenance of the patches")


def _others_table(result: Coverage) -> _table.Grid:
    rows: list[list[CellValue]] = [
        [o.advisory, o.kind.value, o.project or "-",
         f"{o.rating}{f' {o.score:.1f}' if o.score is not None else ''}", o.published or "-"]
        for o in result.others]
    return _table.build(["advisory", "kind", "package", "severity", "published"], rows,
                        title=f"{result.others_title} (not counted as gaps)")


def _md(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def markdown(result: Coverage) -> str:
    windows = {s.minor: s.window for s in result.summary}
    head = ["Advisory", "Severity", "Published",
            *(f"{m} ({windows[m]})" for m in result.minors)]
    lines = [f"## Coverage on {result.date}", "", "| " + " | ".join(head) + " |",
             "|" + "---|" * len(head)]
    for row in result.rows:
        name = f"[{row.advisory}]({row.issue})" if row.issue else row.advisory
        score = f" {row.score:.1f}" if row.score is not None else ""
        cells = [name, f"{row.rating}{score}", row.published or "-",
                 *(_md(_cell_text(c)) for c in row.cells)]
        lines.append("| " + " | ".join(_md(c) if i else c for i, c in enumerate(cells)) + " |")
    if not result.rows:
        lines.append("| no advisories match |" + " |" * (len(head) - 1))
    lines += ["", "| Minor | Window | Patches | Gaps | Median days to patch |",
              "|---|---|---|---|---|"]
    for s in result.summary:
        median = "-" if s.median_days_to_patch is None else f"{s.median_days_to_patch:g}"
        lines.append(f"| {s.minor} | {s.window} | {s.patches} | {s.gaps} | {median} |")
    if result.others:
        lines += ["", f"### {result.others_title}", "", "Not counted as gaps.", "",
                  "| Advisory | Kind | Package | Severity | Published |", "|---|---|---|---|---|"]
        for o in result.others:
            name = f"[{o.advisory}]({o.issue})" if o.issue else o.advisory
            score = f" {o.score:.1f}" if o.score is not None else ""
            lines.append(f"| {name} | {o.kind.value} | {_md(o.project or '-')} | "
                         f"{o.rating}{score} | {o.published or '-'} |")
    if result.dependencies:
        lines += ["", "### Dependencies and Go toolchain", "",
                  "| Minor | Dependency needed | Not affected | Patched | Toolchain needed | "
                  "Not affected | Patched |", "|---|---|---|---|---|---|---|"]
        lines += ["| " + " | ".join(cells) + " |" for cells in _lane_rows(result)]
    lines += ["", f"_{DISCLAIMER}_", ""]
    return "\n".join(lines)


def to_csv(result: Coverage) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for row in result.rows:
        for cell in row.cells:
            writer.writerow([
                row.advisory, row.title, row.rating.value,
                "" if row.score is None else f"{row.score:g}", row.published or "", cell.minor,
                cell.window.value, cell.status.value if cell.status else "", cell.patch or "",
                cell.sha256 or "", cell.justification or "", cell.reason or "",
                cell.fixed_upstream_in or "",
            ])
    return buf.getvalue()
