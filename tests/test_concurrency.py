"""16 writers at once on one minor, 5 rounds: no lost update, no duplicate number, lint passes.

Each round starts 16 `ksp` processes together on the same minor: `ksp new` and
`ksp backport --write` for fresh advisories, and `ksp advisories import` of one OSV record each
(an index-only writer: a write from a stale read would lose another writer's entry). Each
backport picks its own upstream fix, one file each.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from _backportkit import Upstream, go_file, lines
from _faultkit import env, ksp, problems
from ksp.repo.index import IndexDocument

pytestmark = pytest.mark.slow

ROUNDS, WRITERS, IMPORTS, BACKPORTS = 5, 16, 4, 4
OSV = sorted((Path(__file__).parent / "data" / "advisories" / "osv").glob("CVE-*.json"))
VECTOR = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"


HEADER = ("--title", "t", "--cvss-vector", VECTOR, "--original-patch",
          "https://github.com/kubernetes/kubernetes/pull/1", "--cve-issue",
          "https://github.com/kubernetes/kubernetes/issues/2", "--components", "kube-apiserver",
          "--fixer", "@f")


def _new(root: Path, tmp: Path, advisory: str) -> list[str]:
    """A new file of its own, so that every patch applies on top of any other (backport checks
    the minor's series on the base first)."""
    name = advisory.replace("-", "").lower()
    diff = tmp / f"{advisory}.diff"
    diff.write_text(f"diff --git a/pkg/{name}/n.go b/pkg/{name}/n.go\nnew file mode 100644\n"
                    f"index 0000000..1111111\n--- /dev/null\n+++ b/pkg/{name}/n.go\n"
                    f"@@ -0,0 +1 @@\n+package {name}\n")
    return ["new", advisory, "--minor", "1.32", "--diff", str(diff), "--repo", str(root),
            *HEADER, "--testing", "Validated on 2026-11-20"]


def _upstream(path: Path) -> tuple[Upstream, list[str]]:
    """release-1.32 and main with one file per fix; main has one fix commit per file."""
    up = Upstream.create(path)
    count = ROUNDS * BACKPORTS
    up.commit({f"pkg/fix{i}/fix.go": go_file(lines(5), f"fix{i}") for i in range(count)},
              "Initial import")
    up.git("branch", "release-1.32", "main")
    fixes = [up.commit({f"pkg/fix{i}/fix.go": go_file([*lines(4), "\tfixed"], f"fix{i}")},
                       f"Fix {i}") for i in range(count)]
    return up, fixes


def _backport(root: Path, up: Upstream, sha: str, advisory: str) -> list[str]:
    return ["backport", advisory, "--upstream", str(up.path), "--to", "1.32", "--commit", sha,
            "--write", "--repo", str(root), "--date", "2026-11-22", *HEADER]


def test_sixteen_writers_on_one_minor(tmp_path: Path) -> None:
    root = tmp_path / "patches"
    assert ksp(tmp_path, "init", str(root)).returncode == 0
    up, fixes = _upstream(tmp_path / "up")
    made: list[str] = []
    imported: set[str] = set()
    for round_ in range(ROUNDS):
        fresh = [f"CVE-2025-{1000 + round_ * WRITERS + i}" for i in range(WRITERS - IMPORTS)]
        argvs = [_new(root, tmp_path, advisory) for advisory in fresh[BACKPORTS:]]
        argvs += [_backport(root, up, fixes[round_ * BACKPORTS + i], advisory)
                  for i, advisory in enumerate(fresh[:BACKPORTS])]
        records = OSV[round_ * IMPORTS:(round_ + 1) * IMPORTS]
        argvs += [["advisories", "import", "--repo", str(root), "--osv", str(record), "--date",
                   "2026-11-22"] for record in records]
        procs = [subprocess.Popen([sys.executable, "-m", "ksp", *argv], env=env(tmp_path),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for argv in argvs]
        try:
            outputs = ["".join(p.communicate(timeout=300)) for p in procs]
            results = list(zip([p.returncode for p in procs], outputs, strict=True))
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        assert [err for rc, err in results if rc != 0] == []
        made += [f"v1.32/{p.name}" for p in sorted((root / "v1.32").glob("*.patch"))
                 if p.name.split("_", 1)[1].removesuffix(".patch") in fresh]
        names = sorted(p.name for p in (root / "v1.32").glob("*.patch"))
        numbers = [int(n[:4]) for n in names]
        assert numbers == list(range(1, len(made) + 1))  # no duplicate, no gap
        assert problems(root) == []  # no lost update: every file and sha in the index
        imported |= {r.stem for r in records}
        advisories = IndexDocument.load(root / "index.yaml").advisories()
        assert set(advisories) == {*(rel.split("_", 1)[1][:-6] for rel in made), *imported}
        lint = ksp(tmp_path, "lint", "--repo", str(root), "--pre-review")
        assert lint.returncode == 0, lint.stdout + lint.stderr
