"""The text renderers on their real output: `ksp status`'s table (the README's first command),
read back row by row and column by column against the same run's JSON."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from _samples import DAY, DIFF, VECTOR
from ksp import lifecycle, status
from ksp.cli.main import main
from ksp.model import Window
from ksp.report import status as status_report

STATUS_COLUMNS = ["minor", "window", "released", "end of life", "extended until"]
REPO_COLUMNS = ["patches", "gaps", "patched", "median days to patch"]


def table_rows(text: str) -> tuple[list[str], list[list[str]]]:
    """A rich box table's header cells and body rows, as stripped cell texts."""
    lines = text.splitlines()
    [header] = [line for line in lines if line.startswith("┃")]
    body = [line for line in lines if line.startswith("│")]
    cells = [[cell.strip() for cell in line.strip("│┃").split(sep)]
             for line, sep in [(header, "┃"), *((line, "│") for line in body)]]
    return cells[0], cells[1:]


def status_both(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[str, dict[str, object]]:
    assert main(["status", "--date", DAY, *argv]) == 0
    text = capsys.readouterr().out
    assert main(["status", "--date", DAY, "--format", "json", *argv]) == 0
    return text, json.loads(capsys.readouterr().out)


def json_cells(row: dict[str, object], keys: list[str]) -> list[str]:
    return ["-" if row[key] is None else f"{row[key]:g}" if isinstance(row[key], float)
            else str(row[key]) for key in keys]


def test_status_table_outside_a_repo_is_the_json_as_a_table(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    text, data = status_both(capsys)
    lines = text.splitlines()
    assert lines[0].rstrip() == f"kubernetes minors on {DAY}"
    assert lines[-1].rstrip() == "extended window: end of life + 12 months"
    header, rows = table_rows(text)
    assert header == STATUS_COLUMNS
    minors = data["minors"]
    assert isinstance(minors, list)
    keys = ["minor", "window", "released", "eol", "extended_until"]
    assert rows == [json_cells(row, keys) for row in minors]
    assert rows[0][0] == "1.36" and len(rows) >= 7  # newest first, every known minor
    by_minor = {row[0]: row for row in rows}
    assert by_minor["1.31"] == ["1.31", "expired", "2024-08-13", "2025-11-11", "2026-11-11"]
    assert by_minor["1.34"][1] == "extended" and by_minor["1.36"][1] == "supported"
    assert "\x1b[" not in text  # not a terminal: no colour codes


def test_status_table_inside_a_repo_adds_the_kep_counts(
        repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "fix.diff"
    source.write_text(DIFF)
    assert main([
        "new", "CVE-2025-5187", "--minor", "1.33", "--diff", str(source), "--repo", str(repo),
        "--title", "Nodes can delete themselves", "--cvss-vector", VECTOR,
        "--original-patch", "https://github.com/kubernetes/kubernetes/pull/133467",
        "--cve-issue", "https://github.com/kubernetes/kubernetes/issues/133471",
        "--components", "kube-apiserver", "--fixer", "@fixer", "--reviewer", "@src",
        "--testing", "Validated against v1.33.13 on 2026-11-20", "--date", DAY]) == 0
    index = repo / "index.yaml"
    text = index.read_text()
    # Published 2025-08-11, patched on 1.33 twenty-one days later; still needed on 1.32.
    edited = text.replace("    minors:\n      '1.33': {status: in-progress,",
                          "    published: 2025-08-11\n    minors:\n"
                          "      '1.32': {status: needed}\n"
                          "      '1.33': {status: patched, patched_on: 2025-09-01,")
    assert edited != text
    index.write_text(edited)
    monkeypatch.chdir(repo)
    capsys.readouterr()
    text, data = status_both(capsys)
    header, rows = table_rows(text)
    assert header == STATUS_COLUMNS + REPO_COLUMNS
    minors = data["minors"]
    assert isinstance(minors, list)
    keys = ["minor", "window", "released", "eol", "extended_until", "patches", "gaps", "patched",
            "median_days_to_patch"]
    assert rows == [json_cells(row, keys) for row in minors]
    by_minor = {row[0]: row[5:] for row in rows}
    assert by_minor["1.33"] == ["1", "0", "1", "21"]  # patches, gaps, patched, median days
    assert by_minor["1.32"] == ["0", "1", "0", "-"]
    assert by_minor["1.34"] == ["0", "0", "0", "-"]
    # Words are left-justified, the counts right-justified.
    for line in (line for line in text.splitlines() if line.startswith("│")):
        raw = line.strip("│").split("│")
        assert [cell.strip().ljust(len(cell) - 2) for cell in raw[:5]] == [c[1:-1] for c in raw[:5]]
        assert [cell.strip().rjust(len(cell) - 2) for cell in raw[5:]] == [c[1:-1] for c in raw[5:]]


def test_status_colours_each_window_on_a_terminal() -> None:
    result = status.compute(lifecycle.embedded(), dt.date.fromisoformat(DAY))
    coloured = status_report.text(result, color=True)
    plain = status_report.text(result, color=False)
    assert "\x1b[" in coloured and "\x1b[" not in plain
    # green supported, yellow extended, dim expired (SGR 32, 33, 2)
    for window, sgr in [(Window.SUPPORTED, "32"), (Window.EXTENDED, "33"), (Window.EXPIRED, "2")]:
        assert f"\x1b[{sgr}m{window}" in coloured, window
    assert table_rows(plain) == table_rows(_strip_sgr(coloured))


def _strip_sgr(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
