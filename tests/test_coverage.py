"""ksp coverage: gaps first, filters, and the four formats."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from ksp.cli.main import main

SHA = {"a": "a" * 64, "b": "b" * 64, "c": "c" * 64}
INDEX = """schema: ksp/v1
advisories:
  CVE-2025-0001:
    title: Low, patched everywhere
    published: 2025-03-01
    severity: {rating: LOW, score: 3.1}
    minors:
      "1.32": {status: patched, patch: v1.32/0001_CVE-2025-0001.patch, sha256: "@a@",
               patched_on: 2025-03-11}
      "1.33": {status: patched, patch: v1.33/0001_CVE-2025-0001.patch, sha256: "@b@",
               patched_on: 2025-03-31}
  CVE-2025-0002:
    title: High, still needed on 1.33
    issue: https://github.com/kubernetes/kubernetes/issues/2
    published: 2025-06-01
    severity: {rating: HIGH, score: 8.1}
    upstream: {fixed_in: [v1.34.2]}
    minors:
      "1.33": {status: needed}
      "1.32": {status: not-affected, justification: vulnerable_code_not_present}
  CVE-2025-0003:
    title: Medium | untriaged
    published: 2025-09-01
    severity: {rating: MEDIUM, score: 5.0}
    minors:
      "1.32": {status: needs-triage}
  INFRA-go-1.24:
    title: Go toolchain bump
    kind: infrastructure
    minors:
      "1.32": {status: patched, patch: v1.32/0002_INFRA-go-1.24.patch, sha256: "@c@"}
"""
for _key, _value in SHA.items():
    INDEX = INDEX.replace(f"@{_key}@", _value)


@pytest.fixture
def repo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = tmp_path / "patches"
    assert main(["init", str(root)]) == 0
    (root / "index.yaml").write_text(INDEX)
    capsys.readouterr()
    return root


def coverage(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    rc = main(["coverage", "--repo", str(repo), "--date", "2026-11-22", *args])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    return captured.out


def test_json_gaps_first_and_summary(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(coverage(repo, capsys, "--format", "json"))
    assert data["minors"] == ["1.36", "1.35", "1.34", "1.33", "1.32"]
    # needed before needs-triage before no gap; infrastructure never counts as coverage
    assert [r["advisory"] for r in data["rows"]] == ["CVE-2025-0002", "CVE-2025-0003",
                                                     "CVE-2025-0001"]
    cells = {c["minor"]: c for c in data["rows"][0]["cells"]}
    assert cells["1.34"]["fixed_upstream_in"] == "v1.34.2"
    assert cells["1.33"]["window"] == "extended" and cells["1.33"]["status"] == "needed"
    summary = {s["minor"]: s for s in data["summary"]}
    assert summary["1.32"]["patches"] == 1 and summary["1.32"]["gaps"] == 1
    assert summary["1.33"]["median_days_to_patch"] == 30
    assert summary["1.32"]["median_days_to_patch"] == 10


@pytest.mark.parametrize(("args", "expected"), [
    (["--minor", "1.32"], ["CVE-2025-0003", "CVE-2025-0002", "CVE-2025-0001"]),
    (["--status", "needed"], ["CVE-2025-0002"]),
    (["--status", "patched", "--status", "needs-triage"], ["CVE-2025-0003", "CVE-2025-0001"]),
    (["--severity", "medium"], ["CVE-2025-0002", "CVE-2025-0003"]),
    (["--since", "2025-05-01", "--until", "2025-08-01"], ["CVE-2025-0002"]),
])
def test_filters(repo: Path, capsys: pytest.CaptureFixture[str], args: list[str],
                 expected: list[str]) -> None:
    data = json.loads(coverage(repo, capsys, "--format", "json", *args))
    assert [r["advisory"] for r in data["rows"]] == expected


def test_minor_filter_limits_columns(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(coverage(repo, capsys, "--format", "json", "--minor", "1.32"))
    assert data["minors"] == ["1.32"]
    assert [s["minor"] for s in data["summary"]] == ["1.32"]


def test_text_table(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = coverage(repo, capsys)
    lines = out.splitlines()
    row = next(line for line in lines if "CVE-2025-0002" in line)
    assert "needed" in row and "HIGH 8.1" in row and "not-affected" in row
    assert out.index("CVE-2025-0002") < out.index("CVE-2025-0003") < out.index("CVE-2025-0001")
    assert "extended" in out and "not officially supported" in out
    assert "INFRA-go-1.24" not in out


def test_markdown(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = coverage(repo, capsys, "--format", "markdown", "--minor", "1.33", "--minor", "1.32")
    assert "| Advisory | Severity | Published | 1.33 (extended) | 1.32 (extended) |" in out
    assert ("| [CVE-2025-0002](https://github.com/kubernetes/kubernetes/issues/2) | HIGH 8.1 | "
            "2025-06-01 | needed | not-affected |") in out
    assert "| 1.33 | extended | 1 | 1 | 30 |" in out
    assert "_Community maintained, not officially supported" in out


def test_csv_one_row_per_cell(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = coverage(repo, capsys, "--format", "csv", "--minor", "1.33", "--minor", "1.32")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 3 * 2
    assert rows[0]["advisory"] == "CVE-2025-0002" and rows[0]["minor"] == "1.33"
    assert rows[0]["status"] == "needed"
    patched = next(r for r in rows if r["advisory"] == "CVE-2025-0001" and r["minor"] == "1.32")
    assert patched["patch"] == "v1.32/0001_CVE-2025-0001.patch" and patched["sha256"] == "a" * 64
    assert next(r for r in rows if r["advisory"] == "CVE-2025-0003" and r["minor"] == "1.32")[
        "title"] == "Medium | untriaged"


def test_bad_filters_are_usage_errors(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coverage", "--repo", str(repo), "--severity", "huge"]) == 2
    assert main(["coverage", "--repo", str(repo), "--since", "2025-09-01",
                 "--until", "2025-01-01"]) == 2
    assert "--since is after --until" in capsys.readouterr().err
