"""`ksp lint` results: grep-friendly lines grouped by file, or JSON."""

from __future__ import annotations

from itertools import groupby

from ksp.lint import Finding, LintResult
from ksp.report.json import dumps


def text(result: LintResult) -> str:
    """`file:line: level code: message (hint)`, files in order, a blank line between files."""
    blocks = []
    for _file, group in groupby(result.findings, key=lambda f: f.file):
        blocks.append("\n".join(line(f) for f in group))
    summary = f"{result.result}: {result.errors} error(s), {result.warnings} warning(s)"
    return "\n\n".join([*blocks, summary]) + "\n"


def line(finding: Finding) -> str:
    hint = f" ({finding.hint})" if finding.hint else ""
    return f"{finding.location}: {finding.severity} {finding.code}: {finding.message}{hint}"


def json(result: LintResult) -> str:
    return dumps({"result": result.result, "errors": result.errors,
                  "warnings": result.warnings, "findings": result.findings})
