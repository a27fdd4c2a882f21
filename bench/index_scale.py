"""Benchmark: reading a large index — `ksp status`, `ksp coverage`, `ksp lint` as commands.

Builds a Kubernetes patches repo with 500 advisories x 10 minors and 300 patches (100 on each
of the three extended minors on the benchmark day), every patch with a full header and its
sha256 in index.yaml, so that lint passes; then a copy with one deliberate finding (a stale
sha256) to time lint's path that names a line. Each command runs as the installed script
(Python start-up and imports included), alternating with a baseline in the same run: the
interpreter alone (`python -c pass`), so the figures say how much is ksp's own work.

Prints per command the median and min-max over N runs, its target (< 0.5 s) and, last,
`slowest: S s (command)`.   Usage: python bench/index_scale.py [runs]
"""

from __future__ import annotations

import hashlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bytecode import compile_ksp

ADVISORIES, PATCHES = 500, 300
MINORS = [f"1.{n}" for n in range(25, 35)]  # 1.25 … 1.34
EXTENDED = ("1.32", "1.33", "1.34")
DAY = "2026-12-02"
TARGET = 0.5
VECTOR = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"  # HIGH 6.5

KSP_YAML = """schema: ksp/v1
project: kubernetes
upstream: https://github.com/kubernetes/kubernetes
branch: 'release-{minor}'
tag: 'v{minor}.{patch}'
base: branch
"""


def _diff(k: int) -> str:
    path = f"pkg/bench/f{k:04d}.go"
    return (f"diff --git a/{path} b/{path}\nnew file mode 100644\n"
            f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,3 @@\n+package bench\n+\n"
            f"+const F{k} = {k}\n")


def _patch(advisory: str, k: int) -> str:
    return (f"# Security patch for {advisory}\n"
            f"# Original patch: https://github.com/kubernetes/kubernetes/pull/{100000 + k}\n"
            f"# CVE issue: https://github.com/kubernetes/kubernetes/issues/{200000 + k}\n"
            f"# Severity: MEDIUM (CVSS 6.5)\n# CVSS vector: {VECTOR}\n"
            f"# Affected components: kube-apiserver\n# Backport: clean\n# Tests: kept\n#\n"
            f"# Testing: pending: run `ksp gate --record` to write the evidence\n"
            f"# CVE Fixer: @fixer\n# SRC Reviewer: @reviewer\n#\n" + _diff(k))


def build(root: Path) -> Path:
    """The patches repo: advisory i is patched on one extended minor when i < PATCHES."""
    root.mkdir(parents=True)
    (root / "ksp.yaml").write_text(KSP_YAML)
    (root / "README.md").write_text(_readme())
    (root / "OWNERS").write_text("approvers: [reviewer]\nreviewers: [reviewer]\n")
    lines = ["# ksp index: one entry per advisory, a status per minor. See README.md.",
             "schema: ksp/v1", "advisories:"]
    counters = dict.fromkeys(EXTENDED, 0)
    for i in range(ADVISORIES):
        advisory = f"CVE-2024-{10000 + i}"
        lines += [f"  {advisory}:", f"    title: Synthetic advisory number {i}",
                  f"    issue: https://github.com/kubernetes/kubernetes/issues/{200000 + i}",
                  f"    published: 2024-{1 + i % 12:02d}-{1 + i % 28:02d}",
                  f'    severity: {{rating: MEDIUM, score: 6.5, vector: "{VECTOR}"}}',
                  "    components: [kube-apiserver]", "    minors:"]
        patched_on = EXTENDED[i % 3] if i < PATCHES else None
        for minor in MINORS:
            if minor == patched_on:
                counters[minor] += 1
                name = f"v{minor}/{counters[minor]:04d}_{advisory}.patch"
                body = _patch(advisory, i)
                (root / name).parent.mkdir(exist_ok=True)
                (root / name).write_text(body)
                digest = hashlib.sha256(body.encode()).hexdigest()
                lines.append(f"      '{minor}': {{status: in-progress, patch: {name}, "
                             f"sha256: {digest}}}")
            else:
                status = "needed" if minor in EXTENDED else "not-affected"
                extra = ", justification: vulnerable_code_not_present" \
                    if status == "not-affected" else ""
                lines.append(f"      '{minor}': {{status: {status}{extra}}}")
    (root / "index.yaml").write_text("\n".join(lines) + "\n")
    return root


def _readme() -> str:
    from ksp.repo.scaffold import InitOptions, files

    return files(InitOptions("kubernetes", None, "release-{minor}", "v{minor}.{patch}",
                             None))["README.md"]


def _ksp() -> list[str]:
    script = Path(sys.executable).with_name("ksp")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ksp"]


def _time(argv: list[str], cwd: Path, expect: int) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != expect:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}, expected {expect}:\n"
                         f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return elapsed


def main(argv: list[str]) -> int:
    compile_ksp()
    runs = int(argv[1]) if len(argv) > 1 else 7
    ksp = _ksp()
    with tempfile.TemporaryDirectory(prefix="ksp-index-scale-") as tmp:
        clean = build(Path(tmp) / "clean")
        broken = Path(tmp) / "finding"
        shutil.copytree(clean, broken)
        _stale_sha(broken / "index.yaml")
        cases = [
            ("ksp status", [*ksp, "status", "--date", DAY], clean, 0),
            ("ksp coverage", [*ksp, "coverage", "--date", DAY], clean, 0),
            ("ksp lint", [*ksp, "lint", "--date", DAY], clean, 0),
            ("ksp lint (1 finding)", [*ksp, "lint", "--date", DAY], broken, 1),
        ]
        for _, argv_, cwd, expect in cases:  # warm the parse caches and the page cache
            _time(argv_, cwd, expect)
        python = [sys.executable, "-c", "pass"]
        print(f"repo: {ADVISORIES} advisories x {len(MINORS)} minors, {PATCHES} patches; "
              f"{runs} runs each, alternating with the baseline `python -c pass`")
        slowest = ("", 0.0)
        for name, argv_, cwd, expect in cases:
            ours, base = [], []
            for _ in range(runs):
                ours.append(_time(argv_, cwd, expect))
                base.append(_time(python, cwd, 0))
            median = statistics.median(ours)
            verdict = "ok" if median < TARGET else "over"
            print(f"{name:22} median {median:.3f} s (min {min(ours):.3f}, max {max(ours):.3f}); "
                  f"interpreter alone {statistics.median(base):.3f} s; "
                  f"target < {TARGET} s: {verdict}")
            if median > slowest[1]:
                slowest = (name, median)
        print(f"slowest: {slowest[1]:.3f} s ({slowest[0]})")
    return 0


def _stale_sha(index: Path) -> None:
    """One deliberate finding: the first patch's sha256 in index.yaml no longer matches."""
    text = index.read_text()
    at = text.index("sha256: ") + len("sha256: ")
    index.write_text(text[:at] + "f" * 64 + text[at + 64:])  # a hex digest, of other bytes


if __name__ == "__main__":
    sys.exit(main(sys.argv))
