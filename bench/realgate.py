"""Benchmark: `ksp gate` on a real release branch against the same work done by hand.

Given a clone (default /work/real/runc, release-1.0), in the same run:
  by hand: a fresh checkout of the branch (`git clone --shared`), `git apply` of the patches,
           `go build ./...`, `go vet` and `go test` of the changed packages;
  ksp:     `ksp gate --patch …` (its shadow, worktree, import graph and logs included).
Rounds: cold (empty Go build cache, empty ksp cache), warm (the same series again, with
`--no-reuse`: the steps really run), warm reused (the same series once more: ksp reuses the
passing record, `reused evidence of <date>`; compared with the warm by-hand time, not re-run),
and warm after adding one patch. Both sides use the same Go and their own GOCACHE, so each
side's cold round really is cold; a throwaway build first primes the OS page cache (toolchain,
C compiler, the clone's objects), which otherwise favours whichever side runs second. Prints the
times and, last, the ratios (ksp / by hand).

Usage: python bench/realgate.py [CLONE] [--minor 1.0] [--go PATH]
The patches are ksp backports of two real upstream commits (see FIRST, SECOND).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from realworld_gate import HEADER, INFRA, ksp  # noqa: E402

# runc: /proc/sys/kernel/ns_last_pid allowed (libcontainer + its test), then "init: do not
# print environment variable value" (libcontainer).
FIRST = "51649a7d388ffd8c746b1e601bc763004f9e98bd"
SECOND = "63af8b00699fc8d40336ad2d2b03d37f076e2b94"
MODULE = "github.com/opencontainers/runc"


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
    return time.monotonic() - started


def by_hand(clone: Path, branch: str, patches: list[Path], packages: list[str], go: str,
            env: dict[str, str], work: Path) -> tuple[float, str]:
    """Fresh checkout, apply, go build ./..., go vet and go test of the changed packages."""
    tree = work / f"hand-{time.monotonic_ns()}"
    started = time.monotonic()
    subprocess.run(["git", "clone", "-q", "--shared", "--branch", branch, str(clone),
                    str(tree)], check=True, capture_output=True)
    for patch in patches:
        subprocess.run(["git", "apply", str(patch)], cwd=tree, check=True, capture_output=True)
    vendor = ["-mod=vendor"] if (tree / "vendor" / "modules.txt").is_file() else []
    build = timed([go, "build", *vendor, "./..."], tree, env)
    vet = timed([go, "vet", *vendor, *packages], tree, env) if packages else 0.0
    test = timed([go, "test", *vendor, *packages], tree, env) if packages else 0.0
    took = time.monotonic() - started
    shutil.rmtree(tree, ignore_errors=True)
    return took, f"build={build:.1f}s vet={vet:.1f}s test={test:.1f}s"


def with_ksp(repo: Path, clone: Path, patches: list[Path], go: str, env: dict[str, str],
             *extra: str) -> tuple[float, dict[str, object]]:
    argv = ["gate", "--upstream", str(clone), "--format", "json", "--go", go, "--jobs", "1",
            *extra]
    for patch in patches:
        argv += ["--patch", str(patch)]
    started = time.monotonic()
    old = dict(os.environ)
    os.environ.update(env)
    try:
        proc = ksp(*argv, cwd=repo)
    finally:
        os.environ.clear()
        os.environ.update(old)
    return time.monotonic() - started, json.loads(proc.stdout)


def changed_packages(patches: list[Path]) -> list[str]:
    """The packages whose Go files the patches change (what ksp tests, found as by hand)."""
    folders = {line[6:].rsplit("/", 1)[0] if "/" in line[6:] else "."
               for patch in patches for line in patch.read_text().splitlines()
               if line.startswith("+++ b/") and line.endswith(".go")}
    return sorted(MODULE if f == "." else f"{MODULE}/{f}" for f in folders)


def prepare(work: Path, clone: Path, minor: str) -> tuple[Path, list[Path]]:
    repo = work / "patches"
    ksp("init", str(repo), "--project", "go", "--upstream", "https://github.com/opencontainers/"
        "runc", "--module", MODULE, cwd=work)
    patches = []
    for number, commit in enumerate((FIRST, SECOND), start=1):
        adv = f"INFRA-bench-{number}"
        ksp("backport", adv, "--upstream", str(clone), "--commit", commit, "--to", minor,
            "--write", *HEADER, *INFRA, cwd=repo)
        [patch] = (repo / f"v{minor}").glob(f"*_{adv}.patch")
        patches.append(patch)
    # The gate's series is every patch in the minor's folder: the second one waits outside it
    # (in a folder of the same name, so --patch still names its minor) until "warm+1 patch".
    held = work / "held" / f"v{minor}" / patches[1].name
    held.parent.mkdir(parents=True)
    patches[1] = patches[1].rename(held)
    return repo, patches


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clone", type=Path, nargs="?", default=Path("/work/real/runc"))
    parser.add_argument("--minor", default="1.0")
    parser.add_argument("--go", default=shutil.which("go") or "go")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ksp-realgate-"))
    try:
        return run(args.clone.resolve(), args.minor, args.go, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(clone: Path, minor: str, go: str, work: Path) -> int:
    base_env = {**os.environ, "GOFLAGS": "", "GOTOOLCHAIN": "local", "GOPROXY": "off",
                "GOWORK": "off"}
    hand_env = {**base_env, "GOCACHE": str(work / "gocache-hand")}
    ksp_env = {**base_env, "GOCACHE": str(work / "gocache-ksp"),
               "KSP_CACHE_DIR": str(work / "ksp-cache")}
    os.environ["KSP_CACHE_DIR"] = ksp_env["KSP_CACHE_DIR"]
    repo, patches = prepare(work, clone, minor)
    branch = f"release-{minor}"
    # Whichever side runs cold first would also pay for reading the toolchain, the C compiler
    # and the clone's objects from disk: one throwaway cold build first (own Go cache).
    by_hand(clone, branch, [], [], go, {**base_env, "GOCACHE": str(work / "gocache-prime")},
            work)
    rounds = [("cold", patches[:1], ("--no-reuse",)), ("warm", patches[:1], ("--no-reuse",)),
              ("warm reused", patches[:1], ()), ("warm+1 patch", patches, ())]
    print(f"{clone.name} {branch}, go {go}", flush=True)
    ratios = []
    hand, parts = 0.0, ""
    for name, series, extra in rounds:
        # By hand first, then ksp: each has its own Go cache; the machine's load is shared.
        if name != "warm reused":  # the same work by hand as "warm": its time stands
            hand, parts = by_hand(clone, branch, series, changed_packages(series), go,
                                  hand_env, work)
        took, result = with_ksp(repo, clone, series, go, ksp_env, *extra)
        [minor_result] = result["minors"]
        shown = " ".join(f"{s['name']}={s['result']}({s['duration']:.1f}s)"
                         for s in minor_result["steps"])
        if minor_result.get("reused"):
            shown = f"reused evidence of {minor_result['reused']}; {shown}"
        print(f"{name:<13} by hand {hand:6.1f} s ({parts})   ksp {took:6.1f} s ({shown})",
              flush=True)
        ratios.append(f"{name} {took / hand:.2f}")
    print("ratio (ksp / by hand): " + ", ".join(ratios))
    return 0


if __name__ == "__main__":
    sys.exit(main())
