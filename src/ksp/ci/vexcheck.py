"""Proof that scanners honour the `ksp vex` document: read Trivy's or Grype's JSON report of a
scan made *with* the document, and list every finding that index.yaml marks `patched`.

Trivy (`--format json`): {"SchemaVersion": 2, "Results": [{"Target", "Vulnerabilities":
[{"VulnerabilityID", "VendorIDs", "PkgName", "InstalledVersion"}]}]}; findings that a VEX
statement suppressed move out of `Vulnerabilities`. Grype (`-o json`): {"matches":
[{"vulnerability": {"id"}, "relatedVulnerabilities": [{"id"}],
"artifact": {"name", "version", "locations"}}], "descriptor": {"name": "grype"}};
suppressed findings move to `ignoredMatches`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ksp._files import read_text
from ksp.errors import FormatError
from ksp.model import Advisory, Minor, Status

MAX_REPORT_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Finding:
    scanner: str
    ids: tuple[str, ...]  # the finding's id first, then the aliases the scanner gave
    package: str
    version: str
    target: str


@dataclass(frozen=True)
class Unsuppressed:
    advisory: str
    finding: Finding
    report: str


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _trivy(data: dict[str, Any]) -> list[Finding]:
    found = []
    for result in _as_list(data.get("Results")):
        if not isinstance(result, dict):
            continue
        for vuln in _as_list(result.get("Vulnerabilities")):
            if isinstance(vuln, dict) and vuln.get("VulnerabilityID"):
                ids = (str(vuln["VulnerabilityID"]),
                       *(str(v) for v in _as_list(vuln.get("VendorIDs"))))
                found.append(Finding("trivy", ids, str(vuln.get("PkgName", "")),
                                     str(vuln.get("InstalledVersion", "")),
                                     str(result.get("Target", ""))))
    return found


def _grype(data: dict[str, Any]) -> list[Finding]:
    found = []
    for match in _as_list(data.get("matches")):
        vuln = match.get("vulnerability") if isinstance(match, dict) else None
        if not isinstance(vuln, dict) or not vuln.get("id"):
            continue
        related = [str(r["id"]) for r in _as_list(match.get("relatedVulnerabilities"))
                   if isinstance(r, dict) and r.get("id")]
        artifact = match.get("artifact") if isinstance(match.get("artifact"), dict) else {}
        locations = [str(loc.get("path", "")) for loc in _as_list(artifact.get("locations"))
                     if isinstance(loc, dict)]
        found.append(Finding("grype", (str(vuln["id"]), *related), str(artifact.get("name", "")),
                             str(artifact.get("version", "")), ", ".join(locations)))
    return found


def read_report(path: Path) -> list[Finding]:
    """The findings of a Trivy or Grype JSON report, recognised by its shape."""
    text = read_text(path, limit=MAX_REPORT_BYTES, what="scanner report")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"not JSON: {exc.msg}", path=path, line=exc.lineno) from None
    except (ValueError, RecursionError) as exc:  # thousands of digits, or nested too deep
        raise FormatError(f"not usable JSON: {str(exc).split(':')[0]}", path=path) from None
    if isinstance(data, dict) and ("SchemaVersion" in data or "Results" in data):
        return _trivy(data)
    if isinstance(data, dict) and "matches" in data:
        return _grype(data)
    raise FormatError("not a Trivy (--format json) or Grype (-o json) report", path=path,
                      hint="expected Trivy's 'SchemaVersion'/'Results' or Grype's 'matches'")


def patched_ids(advisories: list[Advisory], minor: Minor) -> dict[str, str]:
    """Every id (advisory id and aliases) of advisories patched on `minor` -> the advisory."""
    ids: dict[str, str] = {}
    for adv in advisories:
        state = adv.minors.get(minor)
        if state is not None and state.status is Status.PATCHED:
            for name in (adv.id, *adv.aliases):
                ids[name.upper()] = adv.id
    return ids


def check(advisories: list[Advisory], minor: Minor, reports: list[Path]) -> list[Unsuppressed]:
    wanted = patched_ids(advisories, minor)
    problems = []
    for report in reports:
        for finding in read_report(report):
            hit = next((wanted[i.upper()] for i in finding.ids if i.upper() in wanted), None)
            if hit is not None:
                problems.append(Unsuppressed(hit, finding, str(report)))
    return problems
