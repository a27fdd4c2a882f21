"""The one home of each concept (docs/architecture.md), kept: a second parser or builder of
the same thing elsewhere in src/ fails here, named by file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "ksp"

# (what, a pattern that only the home may contain, the home: a file or a folder under src/ksp)
HOMES = [
    ("index.yaml's YAML tree (typed edits: repo/index_edit.py)", r"\.doc\[", "repo/"),
    ("CVSS scoring", r"^\s*(?:from|import) cvss\b", "severity.py"),
    ("version parsing", r"semver\.Version\.parse\(|semver\.VersionInfo", "versions.py"),
    ("package URLs", r"\bPackageURL\(|f\"pkg:", "purl.py"),
    ("the evidence record's schema", r"ksp-evidence/v1", "repo/evidence_record.py"),
    ("a second diff parser", r"^\s*(?:from|import) unidiff\b", "nowhere"),
    ("threads for independent items", r"ThreadPoolExecutor\(", "_parallel.py"),
]


@pytest.mark.parametrize(("what", "pattern", "home"), HOMES, ids=[h[0] for h in HOMES])
def test_only_its_home_holds_it(what: str, pattern: str, home: str) -> None:
    regex = re.compile(pattern)
    strays = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel == home or (home.endswith("/") and rel.startswith(home)):
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if regex.search(line):
                strays.append(f"ksp/{rel}:{number}")
    assert not strays, f"{what} belongs in {home}: {', '.join(strays)}"


def test_each_home_exists() -> None:
    for _, _, home in HOMES:
        assert home == "nowhere" or (SRC / home).exists(), home
