"""The text renderers on their real output, read back cell by cell: `ksp status`'s table (the
README's first command) against the same run's JSON, `ksp coverage`'s tables, the gate's text."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from _samples import DAY, DIFF, VECTOR
from ksp import lifecycle, status
from ksp.cli.main import main
from ksp.model import Window
from ksp.report import gate_text
from ksp.report import status as status_report
from test_coverage import INDEX as COVERAGE_INDEX
from test_gate_cli import synthetic_result

OTHER_PROJECT = """  CVE-2025-0009:
    title: A CSI driver's bug
    issue: https://github.com/kubernetes/kubernetes/issues/9
    published: 2025-07-01
    severity: {rating: MEDIUM, score: 6.5}
    kind: other-project
    project: sigs.k8s.io/foo-csi-driver
    minors: {}
"""
STATUS_COLUMNS = ["minor", "window", "released", "end of life", "extended until"]
REPO_COLUMNS = ["patches", "gaps", "patched", "median days to patch"]


def tables(text: str) -> list[tuple[list[list[str]], list[list[str]]]]:
    """Each rich box table in `text`: its header lines and its body rows, as stripped cells."""
    found: list[tuple[list[list[str]], list[list[str]]]] = []
    for line in text.splitlines():
        if line.startswith("┏"):
            found.append(([], []))
        elif line.startswith("┃"):
            found[-1][0].append([cell.strip() for cell in line.strip("┃").split("┃")])
        elif line.startswith("│"):
            found[-1][1].append([cell.strip() for cell in line.strip("│").split("│")])
    return found


def table_rows(text: str) -> tuple[list[str], list[list[str]]]:
    """The only table's one header line and its rows."""
    [(head, rows)] = tables(text)
    [header] = head
    return header, rows


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


def test_coverage_tables_hold_the_matrix_the_summary_and_the_other_projects(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "patches"
    assert main(["init", str(root)]) == 0
    (root / "index.yaml").write_text(COVERAGE_INDEX + OTHER_PROJECT)
    capsys.readouterr()
    assert main(["coverage", "--repo", str(root), "--date", DAY, "--minor", "1.33",
                 "--minor", "1.32"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].rstrip() == f"Coverage on {DAY} (gaps first)"
    (matrix_head, matrix), (summary_head, summary), (others_head, others) = tables(text)
    assert matrix_head == [["", "", "", "1.33", "1.32"],
                           ["advisory", "severity", "published", "extended", "extended"]]
    assert matrix == [
        ["CVE-2025-0002", "HIGH 8.1", "2025-06-01", "needed", "not-affected"],
        ["CVE-2025-0003", "MEDIUM 5.0", "2025-09-01", "-", "needs-triage"],
        ["CVE-2025-0001", "LOW 3.1", "2025-03-01", "patched", "patched"]]
    assert summary_head == [["minor", "window", "patches", "gaps", "median days to patch"]]
    assert summary == [["1.33", "extended", "1", "1", "30"], ["1.32", "extended", "1", "1", "10"]]
    assert others_head == [["advisory", "kind", "package", "severity", "published"]]
    assert others == [["CVE-2025-0009", "other-project", "sigs.k8s.io/foo-csi-driver",
                       "MEDIUM 6.5", "2025-07-01"]]
    assert "(not counted as gaps)" in text and "INFRA-go-1.24" not in text
    assert text.rstrip().endswith("upgrading to a supported version is strongly recommended.")


def test_coverage_markdown_lists_the_other_projects_apart(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "patches"
    assert main(["init", str(root)]) == 0
    (root / "index.yaml").write_text(COVERAGE_INDEX + OTHER_PROJECT)
    capsys.readouterr()
    assert main(["coverage", "--repo", str(root), "--date", DAY, "--format", "markdown"]) == 0
    text = capsys.readouterr().out
    others = text[text.index("### "):]
    assert others.splitlines()[:6] == [
        "### Advisories for other Kubernetes-org projects and for dependencies", "",
        "Not counted as gaps.", "",
        "| Advisory | Kind | Package | Severity | Published |", "|---|---|---|---|---|"]
    assert others.splitlines()[6] == (
        "| [CVE-2025-0009](https://github.com/kubernetes/kubernetes/issues/9) | other-project | "
        "sigs.k8s.io/foo-csi-driver | MEDIUM 6.5 | 2025-07-01 |")


def test_gate_text_lists_each_step_with_its_toolchain_command_and_log(tmp_path: Path) -> None:
    result = synthetic_result(tmp_path)
    minor = result.minors[0]
    evidence = tmp_path / ".ksp" / "evidence" / "1.30"
    kept = Path("/tmp/ksp-kept-worktree")
    result.minors[0] = replace(minor, error="no base for 1.30", worktree=kept, evidence=evidence)
    plain = gate_text.text(result, color=False)
    coloured = gate_text.text(result, color=True)
    assert "\x1b[" not in plain and "\x1b[" in coloured
    for text in (plain, _strip_sgr(coloured)):
        lines = text.splitlines()
        assert lines[0].split() == ["1.30", "FAIL", "base", "aaaaaaaaaaaa", "(release-1.30)"]
        assert "  error: no base for 1.30" in lines
        assert f"  kept failing worktree: {kept}" in lines
        assert "  evidence: .ksp/evidence/1.30" in lines
        assert lines[-1] == "gate FAIL: 1 minor(s), failed: 1.30"
        assert str(tmp_path) not in text and "/opt/go" not in text
    steps = [line.split() for line in plain.splitlines() if line.startswith("  pass ")]
    assert steps == [["pass", name, "[go1.27.3]", "go", name, "./cmd/x", "log:",
                      f".ksp/evidence/1.30/logs/{name}.log"] for name in ("build", "test")]
    table = [line.split() for line in _strip_sgr(coloured).splitlines()
             if line.split()[:1] in (["build"], ["test"])]
    assert table == [[name, "go1.27.3", "pass", "go", name, "./cmd/x",
                      f".ksp/evidence/1.30/logs/{name}.log"] for name in ("build", "test")]
