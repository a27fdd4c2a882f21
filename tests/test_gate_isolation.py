"""The gate never touches the user's clone: not on a pass, not on a failure, not when it is
interrupted (SIGINT, SIGTERM) at any phase; and it leaves no temporary state behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from _child import child, kill_matching
from _gatekit import add_patch, dirty, git, make_patches_repo, snapshot
from factories.goupstream import Upstream, good_patch, good_patch_stacked, make_go_upstream
from ksp.cli.main import main


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Upstream:
    """A contributor's clone, with local work in every place git keeps it."""
    up = make_go_upstream(tmp_path_factory.mktemp("iso") / "demo")
    dirty(up.path, up.hotspot)
    return up


@pytest.fixture
def setup(clone: Upstream, tmp_path: Path) -> tuple[Upstream, Path]:
    up = clone
    repo = make_patches_repo(tmp_path / "patches")
    add_patch(repo, "1.30", 1, good_patch(up, "1.30"))
    add_patch(repo, "1.30", 2, good_patch_stacked(up, "1.30"))
    return up, repo


def shadow_refs() -> str:
    shadows = Path(os.environ["XDG_CACHE_HOME"]) / "ksp" / "shadow"
    return "".join(git(s, "for-each-ref") for s in shadows.iterdir()) if shadows.is_dir() else ""


def test_a_passing_run_leaves_the_clone_as_it_was(setup: tuple[Upstream, Path],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    up, repo = setup
    before = snapshot(up.path)
    rc = main(["gate", "--repo", str(repo), "--upstream", str(up.path), "--no-build",
               "--no-test"])
    assert rc == 0, capsys.readouterr().err
    assert snapshot(up.path) == before
    assert shadow_refs() == ""


def test_a_run_that_fails_to_apply_leaves_the_clone_as_it_was(
        setup: tuple[Upstream, Path], capsys: pytest.CaptureFixture[str]) -> None:
    up, repo = setup
    (repo / "v1.30" / "0001_CVE-2025-1001.patch").unlink()  # 0002 needs 0001's lines
    before = snapshot(up.path)
    rc = main(["gate", "--repo", str(repo), "--upstream", str(up.path), "--no-build",
               "--no-test"])
    assert rc == 1
    assert "failed" in capsys.readouterr().out
    assert snapshot(up.path) == before


@pytest.mark.parametrize(("phase", "signum"), [
    ("series", signal.SIGINT), ("series", signal.SIGTERM), ("after-series", signal.SIGINT),
    ("steps", signal.SIGTERM), ("evidence", signal.SIGINT),
])
def test_an_interrupted_run_leaves_the_clone_and_no_temporary_state(
        setup: tuple[Upstream, Path], tmp_path: Path, phase: str, signum: int) -> None:
    up, repo = setup
    before = snapshot(up.path)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = dict(os.environ, KSP_TEST_PAUSE_AT=phase, KSP_TEST_PAUSE_FILE=str(tmp_path / "never"),
               TMPDIR=str(tmp))
    argv = [sys.executable, "-m", "ksp", "gate", "--repo", str(repo), "--upstream", str(up.path),
            "--no-build", "--no-test", "--format", "json"]
    with child(argv, env=env) as proc:
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if line.strip() == f"ksp: test pause at {phase}":
                proc.send_signal(signum)
                break
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, "".join(seen) + err
    assert "ksp: interrupted" in err
    assert out == ""  # no half report
    assert snapshot(up.path) == before
    assert shadow_refs() == ""
    assert list(tmp.iterdir()) == []  # temporary indexes, marks and merge files are gone


def test_the_pause_hook_is_inert_without_its_variable(setup: tuple[Upstream, Path],
                                                      tmp_path: Path) -> None:
    up, repo = setup
    env = {k: v for k, v in os.environ.items() if not k.startswith("KSP_TEST_")}
    proc = subprocess.run(
        [sys.executable, "-m", "ksp", "gate", "--repo", str(repo), "--upstream", str(up.path),
         "--no-build", "--no-test"], capture_output=True, text=True, env=env, timeout=60,
        check=False)
    assert proc.returncode == 0, proc.stderr
    assert "test pause" not in proc.stderr


@pytest.mark.go  # the build command is `sh`, but the gate needs a Go toolchain to start
def test_an_interrupt_kills_a_build_running_in_a_worker(setup: tuple[Upstream, Path],
                                                         tmp_path: Path) -> None:
    """Steps run in their own sessions, so Ctrl-C reaches only ksp: it must kill them itself."""
    up, repo = setup
    started = tmp_path / "build-started"
    marker = f"sleep 299.{os.getpid()}"  # a unique command line to look for afterwards
    config = (repo / "ksp.yaml").read_text().replace(
        "build: 'go build {targets}'", f"build: 'sh -c \"touch {started}; {marker}\"'")
    assert config != (repo / "ksp.yaml").read_text()
    (repo / "ksp.yaml").write_text(config)
    argv = [sys.executable, "-m", "ksp", "gate", "--repo", str(repo), "--upstream", str(up.path),
            "--minor", "1.30", "--minor", "1.31", "--jobs", "2", "--no-test"]
    try:
        with child(argv) as proc:
            for _ in range(600):  # a bound, not a timing: wait until the build step runs
                if started.exists() or proc.poll() is not None:
                    break
                subprocess.run(["sleep", "0.1"], check=True)
            assert started.exists(), proc.communicate()[1]
            running = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True,
                                     check=False).stdout
            assert running, "the build step is running when the interrupt comes"
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, err
        left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True,
                              check=False).stdout
        assert left == "", "the build step must not outlive the interrupted gate"
    finally:
        kill_matching(marker)  # the steps run in their own sessions: a failure must not leak them
