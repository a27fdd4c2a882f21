"""Benchmark: one upstream fix triaged against 5 minors of a kubernetes-sized upstream.

ksp: `ksp backport CVE-… --upstream U --commit FIX --to 1.29 … --to 1.33 --format json`
as a command (the installed script: Python start-up and imports included; the shadow repository
exists after the first run, as it does for a fixer), timed in alternating pairs with the
careful baseline.
Two baselines, by hand:
- checkout: for each minor a worktree of the release branch, `git apply --check`,
  `git cherry-pick -x FIX`, look at the result, remove the worktree;
- careful (the fair one, and the ratio's): no checkout at all; for each minor a temporary index
  of the release branch (`git read-tree`), `git apply --check --cached` (exact?), else
  `git merge-tree --write-tree --merge-base=FIX^ BRANCH FIX` (merges?; git 2.40+; on older git
  `git apply --cached --3way` on the same temporary index).

All must agree on the outcome per minor (the synthetic fix is clean on 1.33/1.32, needs a 3-way
merge on 1.31/1.30, conflicts on 1.29). Prints medians with min-max and both ratios; the last
line is `ratio: <careful baseline/ksp>` (medians).

    python bench/backport_triage.py [--files 30000] [--runs 5] [--hand-runs 3]
"""

from __future__ import annotations

import argparse
import json
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
from _synth import Synth, make_fix_commit_on_main, make_synthetic_upstream

EXPECT = {"clean": "clean", "3way": "adjusted", "conflict": "conflict"}


def ksp_command() -> list[str]:
    """The `ksp` script beside this Python, as users run it; else `python -m ksp`."""
    script = Path(sys.executable).parent / "ksp"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "ksp"]


def ksp_once(synth: Synth, fix: str) -> dict[str, str]:
    argv = [*ksp_command(), "backport", "CVE-2025-9999", "--upstream", str(synth.path),
            "--commit", fix, "--format", "json", "--date", "2026-11-22"]
    for minor in synth.minors:
        argv += ["--to", minor]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False,
                          env={**os.environ, **synth.env})
    if proc.returncode not in (0, 1):
        raise SystemExit(f"ksp backport failed ({proc.returncode}): {proc.stderr}")
    data = json.loads(proc.stdout)
    return {t["minor"]: t["result"] for t in data["targets"]}


def by_hand_once(synth: Synth, fix: str, scratch: Path) -> dict[str, str]:
    """Per minor: a worktree, `git apply --check` (exact?), `git cherry-pick -x` (merges?)."""
    env = synth.env
    patch = _git(synth.path, env, "show", "--format=", fix)
    results = {}
    for minor in synth.minors:
        wt = scratch / f"wt-{minor}"
        _git(synth.path, env, "worktree", "add", "-q", "--detach", str(wt), synth.branch(minor))
        exact = subprocess.run(["git", "-C", str(wt), "apply", "--check"], input=patch, env=env,
                               capture_output=True, text=True, check=False).returncode == 0
        pick = subprocess.run(["git", "-C", str(wt), "cherry-pick", "-x", fix], env=env,
                              capture_output=True, text=True, check=False)
        if pick.returncode == 0:
            results[minor] = "clean" if exact else "adjusted"
        else:
            _git(wt, env, "cherry-pick", "--abort")
            results[minor] = "conflict"
        _git(synth.path, env, "worktree", "remove", "--force", str(wt))
    return results


def _git_version() -> tuple[int, ...]:
    out = subprocess.run(["git", "version"], capture_output=True, text=True, check=True).stdout
    return tuple(int(n) for n in out.split()[2].split(".")[:2] if n.isdigit())


MERGE_BASE_OPTION = _git_version() >= (2, 40)  # `git merge-tree --merge-base`


def careful_once(synth: Synth, fix: str, scratch: Path) -> dict[str, str]:
    """Per minor, without a worktree: a temporary index + `git apply --check --cached`, else
    `git merge-tree` with the fix's parent as merge base (what a careful person runs)."""
    env = synth.env
    patch = _git(synth.path, env, "show", "--format=", "--binary", fix)
    parent = _git(synth.path, env, "rev-parse", f"{fix}^").strip()
    results = {}
    for minor in synth.minors:
        index_env = dict(env, GIT_INDEX_FILE=str(scratch / f"index-{minor}"))
        _git(synth.path, index_env, "read-tree", synth.branch(minor))
        exact = subprocess.run(["git", "-C", str(synth.path), "apply", "--check", "--cached"],
                               input=patch, env=index_env, capture_output=True, text=True,
                               check=False).returncode == 0
        if exact:
            results[minor] = "clean"
        elif MERGE_BASE_OPTION:
            merged = subprocess.run(["git", "-C", str(synth.path), "merge-tree", "--write-tree",
                                     f"--merge-base={parent}", synth.branch(minor), fix],
                                    env=env, capture_output=True, text=True, check=False)
            results[minor] = "adjusted" if merged.returncode == 0 else "conflict"
        else:
            merged = subprocess.run(["git", "-C", str(synth.path), "apply", "--cached", "--3way"],
                                    input=patch, env=index_env, capture_output=True, text=True,
                                    check=False)
            results[minor] = "adjusted" if merged.returncode == 0 else "conflict"
        os.unlink(scratch / f"index-{minor}")
    return results


def _git(repo: Path, env: dict[str, str], *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], env=env, capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


def timed(fn: object, runs: int) -> tuple[list[float], object]:
    times, last = [], None
    for _ in range(runs):
        start = time.perf_counter()
        last = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return times, last


def main(argv: list[str] | None = None) -> int:
    compile_ksp()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=30000)
    parser.add_argument("--runs", type=int, default=9, help="ksp/careful pairs")
    parser.add_argument("--hand-runs", type=int, default=3,
                        help="baseline runs (each checks out 5 worktrees)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ksp-bench-backport-") as tmp:
        root = Path(tmp)
        os.environ["KSP_CACHE_DIR"] = str(root / "cache")
        os.environ["HOME"] = str(root / "home")
        synth = make_synthetic_upstream(root / "up", files=args.files, checkout=False)
        fix = make_fix_commit_on_main(synth)
        print(f"upstream: {synth.files} files, {len(synth.minors)} release branches, "
              f"built in {synth.build_seconds:.1f} s; fix {fix.sha[:12]}")
        start = time.perf_counter()
        cold = ksp_once(synth, fix.sha)
        print(f"ksp first run (creates the shadow): {time.perf_counter() - start:.3f} s")
        ksp_times: list[float] = []
        careful_times: list[float] = []
        ksp_result: object = None
        careful_result: object = None
        for n in range(args.runs):  # alternating pairs, each side first in turn
            for side in ("ksp", "careful") if n % 2 == 0 else ("careful", "ksp"):
                if side == "ksp":
                    took, ksp_result = timed(lambda: ksp_once(synth, fix.sha), 1)
                    ksp_times += took
                else:
                    took, careful_result = timed(lambda: careful_once(synth, fix.sha, root), 1)
                    careful_times += took
        hand_times, hand_result = timed(lambda: by_hand_once(synth, fix.sha, root),
                                        max(1, args.hand_runs))
        want = {m: EXPECT[o] for m, o in fix.outcome.items()}
        print(f"ksp results:     {dict(sorted(ksp_result.items()))}")  # type: ignore[union-attr]
        print(f"by hand results: {dict(sorted(hand_result.items()))}")  # type: ignore[union-attr]
        print(f"careful results: {dict(sorted(careful_result.items()))}")  # type: ignore[union-attr]
        if want != ksp_result or want != cold or want != hand_result or want != careful_result:
            print(f"MISMATCH: expected {want}")
            return 1
        ksp_median = statistics.median(ksp_times)
        hand_median = statistics.median(hand_times)
        careful_median = statistics.median(careful_times)
        print(f"load {os.getloadavg()[0]:.2f}")
        print(f"ksp backport as a command (5 minors): median {ksp_median:.3f} s "
              f"(min {min(ksp_times):.3f} - max {max(ksp_times):.3f}) over {len(ksp_times)} runs")
        print(f"baseline checkout (worktree + apply --check + cherry-pick per minor): median "
              f"{hand_median:.3f} s over {len(hand_times)} runs, ratio "
              f"{hand_median / ksp_median:.1f}")
        merge = "merge-tree" if MERGE_BASE_OPTION else "apply --cached --3way"
        print(f"baseline careful (temporary index + apply --check --cached, else {merge}; "
              f"no checkout): median {careful_median:.3f} s (min {min(careful_times):.3f} - max "
              f"{max(careful_times):.3f}) over {len(careful_times)} runs, ratio "
              f"{careful_median / ksp_median:.1f}")
        resident = with_daemon(lambda: ksp_once(synth, fix.sha), want, args.runs,
                               {**os.environ, **synth.env})
        print(f"ksp backport with `ksp daemon` running: median {resident:.3f} s, ratio "
              f"{careful_median / resident:.1f} against the careful baseline (the plain command's "
              "ratio is the last line)")
        print(f"ratio: {careful_median / ksp_median:.1f}")
    return 0


def with_daemon(run: Callable[[], dict[str, str]], want: dict[str, str], runs: int,
                env: dict[str, str]) -> float:
    """The median of `runs` runs of the same command with a daemon (same results required),
    started in the commands' environment (its locale decides whether it may serve them)."""
    subprocess.run([*ksp_command(), "daemon", "start"], check=True, capture_output=True, env=env)
    try:
        took, result = timed(run, runs)
    finally:
        subprocess.run([*ksp_command(), "daemon", "stop"], check=True, capture_output=True,
                       env=env)
    if result != want:
        raise SystemExit(f"MISMATCH with the daemon: {result}, expected {want}")
    return statistics.median(took)


if __name__ == "__main__":
    raise SystemExit(main())
