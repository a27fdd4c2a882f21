"""A patches repo with real advisories (tests/data/advisories) and a few patches, for the site
and CI tests. Statuses per minor are made up but plausible for 2026-11-22 (window 1.32-1.34)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ruamel.yaml import YAML

from ksp.cli.main import main

DATA = Path(__file__).parent / "data" / "advisories" / "kubernetes-cves-2023-2025.yaml"
TODAY = "2026-11-22"
XSS_TITLE = '<script>alert("owned")</script> & "quoted" <b>title</b>'

# advisory -> minor -> status; "patch" statuses get a file in the series.
STATES = {
    "CVE-2025-13281": {"1.34": "needed", "1.33": "patch", "1.32": "patch"},
    "CVE-2025-5187": {"1.33": "patch", "1.32": "patch"},
    "CVE-2025-1767": {"1.34": "needs-triage", "1.33": "in-progress", "1.32": "needed"},
    "CVE-2025-0426": {"1.32": "not-affected"},
    "CVE-2024-10220": {"1.32": "wont-fix"},
}
SEVERITY = {  # from the data file's comments (score and rating of its CVSS vector)
    "CVE-2025-13281": ("MEDIUM", 5.8, None),
    "CVE-2025-5187": ("MEDIUM", 6.7, "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:L"),
    "CVE-2025-1767": ("MEDIUM", 6.5, "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:N"),
    "CVE-2025-0426": ("MEDIUM", 6.2, None),
    "CVE-2024-10220": ("HIGH", 8.1, "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N"),
}


def _records() -> dict[str, dict[str, object]]:
    return {r["id"]: r for r in YAML(typ="safe").load(DATA.read_text()) if isinstance(r["id"], str)}


def _patch(adv: str, minor: str, component: str, url: str) -> str:
    rating, score, _vector = SEVERITY[adv]
    return (
        f"# Security patch for {adv}\n"
        f"# Original patch: {url}\n"
        f"# CVE issue: https://github.com/kubernetes/kubernetes/issues/1\n"
        f"# Severity: {rating} (CVSS {score})\n"
        f"# Affected components: {component}\n"
        "#\n"
        f"# Testing: Validated against v{minor}.9 on 2026-01-10\n"
        "# CVE Fixer: @fixer\n"
        "# SRC Reviewer: @src-member\n"
        "#\n"
        f"diff --git a/pkg/{adv}.go b/pkg/{adv}.go\n"
        f"--- a/pkg/{adv}.go\n+++ b/pkg/{adv}.go\n"
        "@@ -1,2 +1,2 @@\n package pkg\n-var fixed = false\n+var fixed = true\n"
    )


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _entry(adv: str, rec: dict[str, object], minors: dict[str, str]) -> str:
    rating, score, vector = SEVERITY[adv]
    sev = f"{{rating: {rating}, score: {score}"
    sev += f", vector: {_quote(vector)}}}" if vector else "}"
    fixed_in = rec.get("fixed")
    fixed = [f"v{v}" for v in fixed_in] if isinstance(fixed_in, list) else []
    lines = [f"  {adv}:",
             f"    title: {_quote(str(rec.get('summary') or rec['component']))}",
             f"    issue: https://github.com/kubernetes/kubernetes/issues/{rec['issue']}",
             f"    severity: {sev}",
             f"    components: [{str(rec['component']).split(' ')[0]}]"]
    if fixed:
        lines.append(f"    upstream: {{fixed_in: [{', '.join(fixed)}]}}")
    lines.append("    minors:")
    lines += [f'      "{m}": {s}' for m, s in minors.items()]
    return "\n".join(lines) + "\n"


def make_repo(root: Path) -> Path:
    """`ksp init`, then patches and index entries written directly."""
    assert main(["init", str(root)]) == 0
    records = _records()
    entries = []
    numbers: dict[str, int] = {}
    for adv, minors in STATES.items():
        rec = records[adv]
        states = {}
        for minor, status in minors.items():
            if status != "patch":
                extra = ", reason: \"needs a rewrite; upgrade\"" if status == "wont-fix" else ""
                extra += ", justification: vulnerable_code_not_present" \
                    if status == "not-affected" else ""
                states[minor] = f"{{status: {status}{extra}}}"
                continue
            numbers[minor] = numbers.get(minor, 0) + 1
            rel = f"v{minor}/{numbers[minor]:04d}_{adv}.patch"
            text = _patch(adv, minor, str(rec["component"]).split(" ")[0],
                          "https://github.com/kubernetes/kubernetes/pull/133467")
            (root / rel).parent.mkdir(exist_ok=True)
            (root / rel).write_text(text)
            digest = hashlib.sha256(text.encode()).hexdigest()
            states[minor] = f"{{status: patched, patch: {rel}, sha256: {digest}}}"
        entries.append(_entry(adv, rec, states))
    entries.append(
        "  CVE-2099-0001:\n"
        f"    title: {_quote(XSS_TITLE)}\n"
        "    issue: \"javascript:alert(1)\"\n"
        "    severity: {rating: LOW, score: 2.0}\n"
        "    minors:\n      \"1.33\": {status: needed}\n")
    entries.append(  # another project's advisory: listed apart, counted nowhere
        "  CVE-2024-7646:\n"
        "    title: Ingress-nginx Annotation Validation Bypass\n"
        "    kind: other-project\n"
        "    project: k8s.io/ingress-nginx\n"
        "    source: import\n"
        "    severity: {rating: HIGH, score: 8.8}\n")
    (root / "index.yaml").write_text("schema: ksp/v1\nadvisories:\n" + "".join(entries))
    history = ("    history:\n      - {date: 2026-11-20, by: \"@src-member\", minor: \"1.32\", "
               "from: needs-triage, to: wont-fix, why: needs a rewrite; upgrade}\n")
    text = (root / "index.yaml").read_text()
    (root / "index.yaml").write_text(text.replace("  CVE-2024-10220:\n", "  CVE-2024-10220:\n"
                                                  + history, 1))
    return root
