"""Benchmark: one upstream fix triaged against 5 minors of a kubernetes-sized upstream.

ksp: `ksp backport CVE-… --upstream U --commit FIX --to 1.29 … --to 1.33 --format json`
(in-process; the shadow repository exists after the first run, as it does for a fixer).
Baseline, by hand: for each minor a worktree of the release branch, `git cherry-pick -x FIX`,
look at the result, remove the worktree.

Both must agree on the outcome per minor (the synthetic fix is clean on 1.33/1.32, needs a 3-way
merge on 1.31/1.30, conflicts on 1.29). Prints medians; the last line is `ratio: <baseline/ksp>`.

    python bench/backport_triage.py [--files 30000] [--runs 5] [--hand-runs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _synth import Synth, make_fix_commit_on_main, make_synthetic_upstream

EXPECT = {"clean": "clean", "3way": "adjusted", "conflict": "conflict"}


def ksp_once(synth: Synth, fix: str) -> dict[str, str]:
    from ksp.cli.main import main

    argv = ["backport", "CVE-2025-9999", "--upstream", str(synth.path), "--commit", fix,
            "--format", "json", "--date", "2026-11-22"]
    for minor in synth.minors:
        argv += ["--to", minor]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    if rc not in (0, 1):
        raise SystemExit(f"ksp backport failed ({rc}): {err.getvalue()}")
    data = json.loads(out.getvalue())
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=30000)
    parser.add_argument("--runs", type=int, default=5, help="ksp runs")
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
        ksp_times, ksp_result = timed(lambda: ksp_once(synth, fix.sha), args.runs)
        hand_times, hand_result = timed(lambda: by_hand_once(synth, fix.sha, root),
                                        max(1, args.hand_runs))
        want = {m: EXPECT[o] for m, o in fix.outcome.items()}
        print(f"ksp results:     {dict(sorted(ksp_result.items()))}")  # type: ignore[union-attr]
        print(f"by hand results: {dict(sorted(hand_result.items()))}")  # type: ignore[union-attr]
        if ksp_result != want or cold != want:
            print(f"MISMATCH: expected {want}")
            return 1
        ksp_median, hand_median = statistics.median(ksp_times), statistics.median(hand_times)
        print(f"ksp backport (5 minors): median {ksp_median:.3f} s over {len(ksp_times)} runs")
        print(f"by hand (worktree + cherry-pick per minor): median {hand_median:.3f} s over "
              f"{len(hand_times)} runs")
        print(f"ratio: {hand_median / ksp_median:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
