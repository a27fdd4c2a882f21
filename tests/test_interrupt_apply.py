"""`ksp apply` interrupted with SIGINT and SIGTERM at random points, 56 times: the consumer's
tree is untouched or fully applied every time (`git status --porcelain --ignored`, HEAD, the
index's entries and the files), never in between.

Half the signals go to ksp alone, half to its whole process group (as Ctrl-C in a terminal
does, reaching the git children too); half the runs use --commit. The delays are random over
the length of a full run (a fixed seed, printed on failure). A signal that lands while the
interpreter is still starting (before ksp runs) ends it with Python's own traceback: allowed.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from _child import default_signals
from _faultkit import env
from test_apply import EDITS, make_consumer, make_series

pytestmark = pytest.mark.slow

TRIALS = 56
SEED = 20261202


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                          text=True).stdout


def state(tree: Path, start: str) -> tuple[str, ...]:
    """What the user sees; commits are compared by tree and count (their dates differ)."""
    files = "".join(f"{p}:{(tree / p).read_text()}" for p in sorted(
        git(tree, "ls-files").split()))
    return (git(tree, "status", "--porcelain", "--ignored"), git(tree, "rev-parse", "HEAD^{tree}"),
            git(tree, "rev-list", "--count", f"{start}..HEAD"), git(tree, "ls-files", "--stage"),
            files, git(tree, "symbolic-ref", "HEAD"))


def _start(argv: list[str], tmp: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "ksp", *argv], env=env(tmp),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, preexec_fn=default_signals)  # noqa: PLW1509


def _expected(tmp: Path, repo: Path, commit: bool) -> tuple[tuple[str, ...], float]:
    """The fully applied state, and how long a whole run takes."""
    tree = make_consumer(tmp / f"reference-{commit}")
    start = git(tree, "rev-parse", "HEAD").strip()
    began = time.monotonic()
    proc = _start(_argv(repo, tree, commit), tmp)
    assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    return state(tree, start), time.monotonic() - began


def _argv(repo: Path, tree: Path, commit: bool) -> list[str]:
    return ["apply", "--repo", str(repo), "--minor", "1.30", "--to", str(tree),
            *(["--commit"] if commit else [])]


def test_apply_interrupted_at_random_points(tmp_path: Path) -> None:
    repo = make_series(tmp_path, EDITS)
    done = {commit: _expected(tmp_path, repo, commit) for commit in (False, True)}
    rng = random.Random(SEED)
    codes: dict[int, int] = {}
    outcomes = {"untouched": 0, "applied": 0}
    for trial in range(TRIALS):
        commit, group = trial % 2 == 0, trial % 4 < 2
        sig = signal.SIGINT if trial % 8 < 4 else signal.SIGTERM
        tree = make_consumer(tmp_path / f"t{trial}")
        start = git(tree, "rev-parse", "HEAD").strip()
        before = state(tree, start)
        applied, length = done[commit]
        delay = rng.uniform(0, length * 1.1)
        proc = _start(_argv(repo, tree, commit), tmp_path)
        try:
            time.sleep(delay)
            with_context = f"trial {trial} (seed {SEED}): {sig.name} after {delay:.3f}s"
            if proc.poll() is None:
                if group:
                    os.killpg(proc.pid, sig)
                else:
                    proc.send_signal(sig)
            code = proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        codes[code] = codes.get(code, 0) + 1
        err = proc.stderr.read().decode() if proc.stderr else ""
        before_main = code == 1 and "KeyboardInterrupt" in err and "ksp:" not in err
        assert code in (0, 130, 143, -sig) or before_main, f"{with_context}: exit {code}: {err}"
        after = state(tree, start)
        assert after in (before, applied), with_context
        outcomes["untouched" if after == before else "applied"] += 1
        if code in (130, 143):
            assert code == (130 if sig is signal.SIGINT else 143), with_context
    # the signals really landed while ksp was working, and runs did finish
    assert codes.get(130, 0) + codes.get(143, 0) >= 5, codes
    assert outcomes["untouched"] >= 5 and outcomes["applied"] >= 1, (outcomes, codes)
