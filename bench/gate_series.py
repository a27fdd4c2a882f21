"""Benchmark: the KEP's apply-and-commit by hand with git versus `ksp gate --no-build --no-test`.

Builds a synthetic upstream the size of kubernetes/kubernetes (bench/_synth.py: ~30,000 files,
five release branches) and a 20-patch series for 1.30, then times in the same run:
  (a) baseline: in a clone, `git checkout -B test release-1.30`, then `git apply --index` and
      `git commit` per patch (what tools/apply-and-test-patch-on-release.sh does before building);
  (b) ksp: `ksp gate --no-build --no-test` as a subprocess (the installed script, else
      `python -m ksp`; Python start-up and imports included).
Prints both medians, a second gate run with one more patch, and on the last line
`ratio: <baseline/ksp>`.  Usage: python bench/gate_series.py [files] [repetitions]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _synth import Synth, make_synthetic_upstream

MINOR = "1.30"
KSP_YAML = """schema: ksp/v1
project: kubernetes
upstream: https://github.com/kubernetes/kubernetes
branch: 'release-{minor}'
base: branch
"""


def write_patch(folder: Path, name: str, diff: str) -> Path:
    advisory = name.split("_", 1)[1].removesuffix(".patch")
    header = (f"# Security patch for {advisory}\n# Original patch: https://example.invalid/1\n"
              f"# Testing: pending\n#\n")
    path = folder / name
    path.write_text(header + diff)
    return path


def patches_repo(root: Path, synth: Synth) -> Path:
    (root / f"v{MINOR}").mkdir(parents=True)
    (root / "ksp.yaml").write_text(KSP_YAML)
    (root / "index.yaml").write_text("schema: ksp/v1\nadvisories: {}\n")
    for name, diff in synth.patches:
        write_patch(root / f"v{MINOR}", name, diff)
    return root


def baseline(clone: Path, files: list[Path], env: dict[str, str]) -> float:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(clone), *args], env=env, check=True,
                       stdout=subprocess.DEVNULL)

    start = time.perf_counter()
    git("checkout", "-q", "-B", "test", f"release-{MINOR}")
    for path in files:
        git("apply", "--index", str(path))
        git("commit", "-q", "-m", path.name)
    elapsed = time.perf_counter() - start
    git("checkout", "-q", "main")
    return elapsed


def ksp_command() -> list[str]:
    """The `ksp` script beside this Python, as users run it; else `python -m ksp`."""
    script = Path(sys.executable).parent / "ksp"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "ksp"]


def ksp(repo: Path, upstream: Path, env: dict[str, str], *extra: str) -> float:
    cmd = [*ksp_command(), "gate", "--repo", str(repo), "--upstream", str(upstream),
           "--no-build", "--no-test", *extra]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"ksp gate failed ({proc.returncode}): {proc.stderr.decode()}")
    return elapsed


def median(label: str, runs: int, fn: Callable[[], float]) -> float:
    times = [fn() for _ in range(runs)]
    value = statistics.median(times)
    print(f"{label}: median {value * 1000:.0f} ms over {runs} runs "
          f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})")
    return value


def main(argv: list[str]) -> int:
    files = int(argv[0]) if argv else 30000
    runs = int(argv[1]) if len(argv) > 1 else 5
    with tempfile.TemporaryDirectory(prefix="ksp-bench-") as tmp:
        root = Path(tmp)
        synth = make_synthetic_upstream(root / "up", files=files, minor=MINOR, series=20)
        print(f"synthetic upstream: {files} files, {len(synth.patches)} patches for {MINOR} "
              f"(built in {synth.build_seconds:.1f} s)")
        env = dict(synth.env, XDG_CACHE_HOME=str(root / "cache"))
        env.pop("KSP_TEST_PAUSE_AT", None)
        repo = patches_repo(root / "patches", synth)
        series = sorted((repo / f"v{MINOR}").iterdir())
        clone = root / "clone"
        subprocess.run(["git", "clone", "-q", "--local", str(synth.path), str(clone)], env=env,
                       check=True)
        for m in synth.minors:
            subprocess.run(["git", "-C", str(clone), "branch", "-q", "-f", f"release-{m}",
                            f"origin/release-{m}"], env=env, check=True)
        first = ksp(repo, synth.path, env)  # creates the shadow repository
        print(f"ksp gate, first run (creates the shadow): {first * 1000:.0f} ms")
        base = median("baseline (checkout + git apply/commit x20)", runs,
                      lambda: baseline(clone, series, env))
        fast = median("ksp gate --no-build --no-test", runs, lambda: ksp(repo, synth.path, env))
        name, diff = synth.new_patch()
        extra = write_patch(repo / f"v{MINOR}", name, diff)
        more = median("ksp gate with one added patch (--patch)", runs,
                      lambda: ksp(repo, synth.path, env, "--patch", str(extra)))
        print(f"added patch costs {max(0.0, more - fast) * 1000:.0f} ms over the series alone")
        print(f"ratio: {base / fast:.1f}")
    return 0


if __name__ == "__main__":
    os.environ.pop("KSP_TEST_PAUSE_AT", None)
    raise SystemExit(main(sys.argv[1:]))
