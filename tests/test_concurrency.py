"""16 writers at once on one minor, 5 rounds: no lost update, no duplicate number, lint passes.

Each round starts 16 `ksp` processes together on the same minor: `ksp new` for fresh advisories
and, after the first round, `ksp sign` on patches of the round before (a sign changes a patch
and its sha256 in index.yaml; a lost update would show as a disagreement).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from _faultkit import env, ksp, problems
from ksp.repo.index import IndexDocument

pytestmark = pytest.mark.slow

ROUNDS, WRITERS, SIGNERS = 5, 16, 4
VECTOR = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"


def _new(root: Path, diff: Path, advisory: str) -> list[str]:
    return ["new", advisory, "--minor", "1.33", "--diff", str(diff), "--repo", str(root),
            "--title", "t", "--cvss-vector", VECTOR, "--original-patch",
            "https://github.com/kubernetes/kubernetes/pull/1", "--cve-issue",
            "https://github.com/kubernetes/kubernetes/issues/2", "--components",
            "kube-apiserver", "--fixer", "@f", "--testing", "Validated on 2026-11-20"]


def test_sixteen_writers_on_one_minor(tmp_path: Path) -> None:
    root = tmp_path / "patches"
    assert ksp(tmp_path, "init", str(root)).returncode == 0
    diff = tmp_path / "d.diff"
    diff.write_text("diff --git a/pkg/auth/a.go b/pkg/auth/a.go\nindex 1111111..2222222 100644\n"
                    "--- a/pkg/auth/a.go\n+++ b/pkg/auth/a.go\n@@ -1 +1 @@\n-a\n+b\n")
    made: list[str] = []
    for round_ in range(ROUNDS):
        signers = SIGNERS if made else 0
        fresh = [f"CVE-2025-{1000 + round_ * WRITERS + i}" for i in range(WRITERS - signers)]
        argvs = [_new(root, diff, advisory) for advisory in fresh]
        argvs += [["sign", str(root / rel), "--reviewer", f"@src{round_}", "--repo", str(root)]
                  for rel in made[-signers:]] if signers else []
        procs = [subprocess.Popen([sys.executable, "-m", "ksp", *argv], env=env(tmp_path),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for argv in argvs]
        try:
            results = [(p.wait(timeout=300), p.communicate()[1]) for p in procs]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        assert [err for rc, err in results if rc != 0] == []
        made += [f"v1.33/{p.name}" for p in sorted((root / "v1.33").glob("*.patch"))
                 if p.name.split("_", 1)[1].removesuffix(".patch") in fresh]
        names = sorted(p.name for p in (root / "v1.33").glob("*.patch"))
        numbers = [int(n[:4]) for n in names]
        assert numbers == list(range(1, len(made) + 1))  # no duplicate, no gap
        assert problems(root) == []  # no lost update: every file and sha in the index
        advisories = IndexDocument.load(root / "index.yaml").advisories()
        assert len(advisories) == len(made)
        signed = [rel for rel in made[:-len(fresh)][-signers:]] if signers else []
        for rel in signed:
            assert f"# SRC Reviewer: @src{round_}\n" in (root / rel).read_text()
        lint = ksp(tmp_path, "lint", "--repo", str(root), "--pre-review")
        assert lint.returncode == 0, lint.stdout + lint.stderr
