"""Benchmark: the KEP's apply-and-commit by hand with git versus `ksp gate --no-build --no-test`.

Builds a synthetic upstream the size of kubernetes/kubernetes (bench/_synth.py: ~30,000 files,
five release branches) and a 20-patch series for 1.30, then times in the same run, as
alternating A/B pairs (so that the machine's load hits both sides alike):
  (a) baseline: in a clone, `git checkout -B test release-1.30`, then `git apply --index` and
      `git commit` per patch (what tools/apply-and-test-patch-on-release.sh does before building);
  (b) ksp: `ksp gate --no-build --no-test` as a subprocess (the installed script, else
      `python -m ksp`; Python start-up and imports included), first as a plain command
      (KSP_DAEMON=off), then with `ksp daemon start` run once before the pairs (the script's
      own interpreter still starts for every run; ksp's imports are the daemon's).
Then ksp against the floor, also alternating: the irreducible git work of the same series, i.e.
one `git cat-file --batch` of the blobs the series touches and one `git fast-import` of the 20
resulting commits (their new blobs inline), with no interpreter and no diff logic at all.
Prints medians with min-max, a gate run with one more patch, the plain command's ratios, and
last, for the command with the daemon, `min pair ratio: N` then `ratio: N` (the medians').
Usage: python bench/gate_series.py [files] [pairs]
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
from _bytecode import compile_ksp
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


def daemon(action: str, env: dict[str, str]) -> None:
    subprocess.run([*ksp_command(), "daemon", action], env=env, check=True,
                   stdout=subprocess.DEVNULL)


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


def floor_inputs(clone: Path, env: dict[str, str]) -> tuple[bytes, bytes]:
    """From the baseline's branch `test` (the series applied by git): the touched blobs of the
    base, for `cat-file --batch`, and a fast-import stream writing the 20 commits again."""
    def git(*args: str) -> bytes:
        return subprocess.run(["git", "-C", str(clone), *args], env=env, check=True,
                              capture_output=True).stdout

    base = git("rev-parse", f"release-{MINOR}").decode().strip()
    commits = git("rev-list", "--reverse", f"{base}..test").decode().split()
    touched: set[str] = set()
    stream = [b"reset refs/ksp-floor/run\nfrom " + base.encode() + b"\n"]
    for commit in commits:
        paths = git("diff-tree", "--no-commit-id", "-r", "--name-only", "-z", commit)
        names = [p.decode() for p in paths.split(b"\0") if p]
        touched.update(names)
        stream.append(b"commit refs/ksp-floor/run\ncommitter B <b@example.invalid> 0 +0000\n"
                      b"data 6\nfloor\n")
        for name in names:
            data = git("cat-file", "blob", f"{commit}:{name}")
            stream.append(f"M 100644 inline {name}\ndata {len(data)}\n".encode() + data + b"\n")
    blobs = git("rev-parse", *[f"{base}:{p}" for p in sorted(touched)
                               if git("ls-tree", base, "--", p)])
    return blobs, b"".join(stream)


def floor(clone: Path, env: dict[str, str], blobs: bytes, stream: bytes) -> float:
    start = time.perf_counter()
    subprocess.run(["git", "-C", str(clone), "cat-file", "--batch"], input=blobs, env=env,
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["git", "-C", str(clone), "fast-import", "--quiet", "--force"], input=stream,
                   env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def pairs(label_a: str, label_b: str, runs: int, a: Callable[[], float],
          b: Callable[[], float]) -> tuple[list[float], list[float]]:
    """Alternating A/B pairs (A first in even pairs, B first in odd ones)."""
    times_a, times_b = [], []
    for n in range(runs):
        if n % 2 == 0:
            times_a.append(a())
            times_b.append(b())
        else:
            times_b.append(b())
            times_a.append(a())
    for label, times in ((label_a, times_a), (label_b, times_b)):
        print(f"{label}: median {statistics.median(times) * 1000:.0f} ms "
              f"(min {min(times) * 1000:.0f} - max {max(times) * 1000:.0f}) over {runs} runs")
    return times_a, times_b


def main(argv: list[str]) -> int:
    compile_ksp()
    files = int(argv[0]) if argv else 30000
    runs = int(argv[1]) if len(argv) > 1 else 11
    with tempfile.TemporaryDirectory(prefix="ksp-bench-") as tmp:
        root = Path(tmp)
        synth = make_synthetic_upstream(root / "up", files=files, minor=MINOR, series=20)
        print(f"synthetic upstream: {files} files, {len(synth.patches)} patches for {MINOR} "
              f"(built in {synth.build_seconds:.1f} s); load {os.getloadavg()[0]:.2f}")
        env = dict(synth.env, XDG_CACHE_HOME=str(root / "cache"))
        env.pop("KSP_TEST_PAUSE_AT", None)
        env.pop("KSP_CACHE_DIR", None)
        repo = patches_repo(root / "patches", synth)
        series = sorted((repo / f"v{MINOR}").iterdir())
        clone = root / "clone"
        subprocess.run(["git", "clone", "-q", "--local", str(synth.path), str(clone)], env=env,
                       check=True)
        for m in synth.minors:
            subprocess.run(["git", "-C", str(clone), "branch", "-q", "-f", f"release-{m}",
                            f"origin/release-{m}"], env=env, check=True)
        plain = dict(env, KSP_DAEMON="off")
        first = ksp(repo, synth.path, plain)  # creates the shadow repository
        print(f"ksp gate, first run (creates the shadow): {first * 1000:.0f} ms")
        base, fast = pairs("baseline (checkout + git apply/commit x20)",
                           "ksp gate --no-build --no-test (plain command)", runs,
                           lambda: baseline(clone, series, env),
                           lambda: ksp(repo, synth.path, plain))
        plain_ratios = [b / k for b, k in zip(base, fast, strict=True)]
        print(f"plain command: min pair ratio {min(plain_ratios):.1f}, ratio "
              f"{statistics.median(base) / statistics.median(fast):.1f}")
        daemon("start", env)
        try:
            base, fast = pairs("baseline (checkout + git apply/commit x20)",
                               "ksp gate --no-build --no-test (with ksp daemon)", runs,
                               lambda: baseline(clone, series, env),
                               lambda: ksp(repo, synth.path, env))
            blobs, stream = floor_inputs(clone, env)
            ours, least = pairs("ksp gate --no-build --no-test (with ksp daemon, again)",
                                "floor (git cat-file --batch + one git fast-import)", runs,
                                lambda: ksp(repo, synth.path, env),
                                lambda: floor(clone, env, blobs, stream))
            print(f"ksp / floor: {statistics.median(ours) / statistics.median(least):.1f}x "
                  f"(target within 3x)")
            name, diff = synth.new_patch()
            extra = write_patch(repo / f"v{MINOR}", name, diff)
            more = [ksp(repo, synth.path, env, "--patch", str(extra))
                    for _ in range(max(3, runs // 2))]
            print(f"ksp gate with one added patch (--patch, with ksp daemon): median "
                  f"{statistics.median(more) * 1000:.0f} ms")
        finally:
            daemon("stop", env)
        ratios = [b / k for b, k in zip(base, fast, strict=True)]
        print(f"pair ratios with ksp daemon: {' '.join(f'{r:.1f}' for r in ratios)} (load "
              f"{os.getloadavg()[0]:.2f})")
        print(f"min pair ratio: {min(ratios):.1f}")
        print(f"ratio: {statistics.median(base) / statistics.median(fast):.1f}")
    return 0


if __name__ == "__main__":
    os.environ.pop("KSP_TEST_PAUSE_AT", None)
    raise SystemExit(main(sys.argv[1:]))
