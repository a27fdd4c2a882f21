"""`ksp daemon`: commands handed to a real daemon (a real socket, real forks) behave exactly as
commands run in their own process: output, exit codes, working directory, environment,
interrupts; a client that dies takes its worker with it; bad requests and unsafe folders are
refused; and without a daemon, or with one that cannot serve, the command still runs."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from _child import child
from _gatekit import add_patch, make_patches_repo, snapshot
from factories.goupstream import Upstream, good_patch, make_go_upstream
from ksp.cli import _client
from ksp.cli._daemon import changed

KSP = [sys.executable, "-m", "ksp"]


def ksp(*args: str, env: dict[str, str], cwd: Path | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KSP, *args], env=env, cwd=cwd, input=stdin, capture_output=True,
                          text=True, timeout=120, check=False)


def served(env: dict[str, str]) -> int:
    state = json.loads(ksp("daemon", "status", "--format", "json", env=env).stdout)
    return int(state["served"]) if state["running"] else -1


@pytest.fixture
def cache() -> Iterator[Path]:
    """A short cache folder: a Unix socket's path holds at most 107 bytes, and pytest's
    temporary folders can be longer than that."""
    path = Path(tempfile.mkdtemp(prefix="kd-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def env(cache: Path) -> Iterator[dict[str, str]]:
    """The environment of a user with a running daemon; stopped afterwards."""
    env = dict(os.environ, KSP_CACHE_DIR=str(cache))
    started = ksp("daemon", "start", "--idle", "120", env=env)
    assert started.returncode == 0, started.stderr
    assert "ksp daemon: started, pid" in started.stdout
    yield env
    ksp("daemon", "stop", env=env)


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Upstream:
    return make_go_upstream(tmp_path_factory.mktemp("daemon") / "demo")


def test_commands_through_the_daemon_print_and_exit_as_without_it(env: dict[str, str],
                                                                 tmp_path: Path) -> None:
    plain = dict(env, KSP_DAEMON="off")
    repo = tmp_path / "patches"
    assert ksp("init", str(repo), env=plain).returncode == 0
    cases = [("status", "--date", "2026-01-01", "--format", "json"),
             ("status", "--date", "2026-01-01"), ("lint",), ("nosuch",), ("gate", "--help"),
             ("--version",), ("lint", "--repo", str(tmp_path / "missing"))]
    before = served(env)
    for args in cases:
        here = ksp(*args, env=plain, cwd=repo)
        there = ksp(*args, env=env, cwd=repo)  # the patches repo found from the working dir
        assert (there.returncode, there.stdout, there.stderr) == \
            (here.returncode, here.stdout, here.stderr), args
    assert served(env) == before + len(cases)


def test_the_worker_gets_the_clients_environment_and_folder(env: dict[str, str],
                                                            tmp_path: Path) -> None:
    """Each command runs with its own client's environment and folder, not the daemon's."""
    helps = []
    for columns in ("60", "130"):
        wide = dict(env, COLUMNS=columns)
        there = ksp("gate", "--help", env=wide)
        assert there.stdout == ksp("gate", "--help", env=dict(wide, KSP_DAEMON="off")).stdout
        helps.append(there.stdout)
    assert helps[0] != helps[1]
    repo = tmp_path / "patches"
    assert ksp("init", str(repo), env=env).returncode == 0
    inside = ksp("status", "--format", "json", "--date", "2026-01-01", env=env, cwd=repo)
    outside = ksp("status", "--format", "json", "--date", "2026-01-01", env=env, cwd=tmp_path)
    assert json.loads(inside.stdout) != json.loads(outside.stdout)


def test_a_gate_through_the_daemon_is_the_gate(env: dict[str, str], upstream: Upstream,
                                                tmp_path: Path) -> None:
    repo = make_patches_repo(tmp_path / "patches")
    add_patch(repo, "1.30", 1, good_patch(upstream, "1.30"))
    args = ("gate", "--repo", str(repo), "--upstream", str(upstream.path), "--no-build",
            "--no-test", "--format", "json")
    before = snapshot(upstream.path)
    there = ksp(*args, env=env)
    assert there.returncode == 0, there.stderr
    here = ksp(*args, "--no-reuse", env=dict(env, KSP_DAEMON="off"))
    assert here.returncode == 0, here.stderr
    ours, theirs = json.loads(there.stdout), json.loads(here.stdout)
    assert ours["result"] == theirs["result"] == "pass"
    assert [(m["result"], m["head"]) for m in ours["minors"]] == \
        [(m["result"], m["head"]) for m in theirs["minors"]]
    assert snapshot(upstream.path) == before


def test_ctrl_c_reaches_the_worker_and_leaves_no_trace(env: dict[str, str], upstream: Upstream,
                                                       tmp_path: Path) -> None:
    repo = make_patches_repo(tmp_path / "patches")
    add_patch(repo, "1.30", 1, good_patch(upstream, "1.30"))
    before = snapshot(upstream.path)
    paused = dict(env, KSP_TEST_PAUSE_AT="series", KSP_TEST_PAUSE_FILE=str(tmp_path / "never"))
    argv = [*KSP, "gate", "--repo", str(repo), "--upstream", str(upstream.path), "--no-build",
            "--no-test", "--format", "json"]
    count = served(env)
    with child(argv, env=paused) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.strip() == "ksp: test pause at series":
                proc.send_signal(signal.SIGINT)
                break
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "ksp: interrupted" in err and out == ""
    assert served(env) == count + 1  # it ran in the daemon, not in the client
    assert snapshot(upstream.path) == before


def test_a_client_killed_takes_its_worker_with_it(env: dict[str, str], upstream: Upstream,
                                                  tmp_path: Path) -> None:
    repo = make_patches_repo(tmp_path / "patches")
    add_patch(repo, "1.30", 1, good_patch(upstream, "1.30"))
    paused = dict(env, KSP_TEST_PAUSE_AT="series", KSP_TEST_PAUSE_FILE=str(tmp_path / "never"))
    argv = [*KSP, "-v", "gate", "--repo", str(repo), "--upstream", str(upstream.path),
            "--no-build", "--no-test"]
    with child(argv, env=paused) as proc:
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.strip() == "ksp: test pause at series":
                break
        worker = _worker_of(tmp_path)
        proc.kill()
        proc.communicate(timeout=30)
    deadline = time.monotonic() + 20
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)


def _worker_of(tmp_path: Path) -> int:
    """The paused worker: the process whose environment names this test's pause file."""
    found = _processes(f"KSP_TEST_PAUSE_FILE={tmp_path / 'never'}", b"daemon")
    assert found, "no worker found"
    return found[0]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_without_a_daemon_commands_run_here(cache: Path) -> None:
    env = dict(os.environ, KSP_CACHE_DIR=str(cache))
    status = ksp("daemon", "status", env=env)
    assert (status.returncode, status.stdout) == (1, "ksp daemon: not running\n")
    assert ksp("status", "--format", "json", env=env).returncode == 0
    stopped = ksp("daemon", "stop", env=env)
    assert (stopped.returncode, stopped.stdout) == (0, "ksp daemon: not running\n")


def test_a_socket_left_by_a_dead_daemon_is_ignored(cache: Path) -> None:
    env = dict(os.environ, KSP_CACHE_DIR=str(cache))
    (cache / "daemon").mkdir(mode=0o700)
    left = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    left.bind(str(cache / "daemon" / "sock"))
    left.close()  # the file stays; nobody listens
    assert ksp("status", "--format", "json", env=env).returncode == 0
    started = ksp("daemon", "start", env=env)
    assert started.returncode == 0, started.stderr
    try:
        assert served(env) >= 0
    finally:
        ksp("daemon", "stop", env=env)


def _processes(variable: str, command: bytes) -> list[int]:
    """Live processes (not this one) with `variable` in their environment and `command` in
    their command line."""
    mark = variable.encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                environ = (entry / "environ").read_bytes().split(b"\0")
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if mark in environ and command in cmdline and _alive(int(entry.name)):
                found.append(int(entry.name))
    return found


def _processes_of(cache: Path) -> list[int]:
    """The daemon's processes (itself, its spare, its workers) for this cache folder."""
    return _processes(f"KSP_CACHE_DIR={cache}", b"daemon\0run")


def _until_gone(cache: Path) -> list[int]:
    deadline = time.monotonic() + 20
    while _processes_of(cache) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _processes_of(cache)


def test_start_twice_stop_and_idle_leave_no_process(env: dict[str, str], cache: Path) -> None:
    again = ksp("daemon", "start", env=env)
    assert again.returncode == 0 and "already running" in again.stdout
    deadline = time.monotonic() + 10
    while len(_processes_of(cache)) != 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_processes_of(cache)) == 2  # the daemon and its spare
    for _ in range(3):  # spares consumed and forked again
        assert ksp("daemon", "status", env=env).returncode == 0
    assert ksp("daemon", "stop", env=env).stdout.startswith("ksp daemon: stopped, pid ")
    assert not (cache / "daemon" / "sock").exists()
    assert _until_gone(cache) == []
    assert ksp("daemon", "status", env=env).returncode == 1
    assert ksp("daemon", "start", "--idle", "1", env=env).returncode == 0
    deadline = time.monotonic() + 20
    while (cache / "daemon" / "sock").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not (cache / "daemon" / "sock").exists()
    assert _until_gone(cache) == []


def test_a_killed_daemon_takes_its_spare_and_commands_run_here(env: dict[str, str],
                                                              cache: Path) -> None:
    state = json.loads(ksp("daemon", "status", "--format", "json", env=env).stdout)
    os.kill(int(state["pid"]), signal.SIGKILL)
    assert _until_gone(cache) == []  # the spare saw its lifeline close
    assert (cache / "daemon" / "sock").exists()  # left behind; nobody listens
    proc = ksp("status", "--format", "json", env=env)
    assert proc.returncode == 0 and json.loads(proc.stdout)["minors"]
    started = ksp("daemon", "start", env=env)  # the lock died with the daemon
    assert started.returncode == 0, started.stderr


def test_an_unsafe_folder_is_refused(cache: Path) -> None:
    env = dict(os.environ, KSP_CACHE_DIR=str(cache))
    (cache / "daemon").mkdir()
    (cache / "daemon").chmod(0o777)
    proc = ksp("daemon", "start", env=env)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"ksp: error: {cache / 'daemon'}: the daemon's folder must")
    assert not (cache / "daemon" / "sock").exists()


def test_a_socket_path_too_long_is_refused_and_commands_still_run(tmp_path: Path) -> None:
    long = tmp_path / ("x" * 120)
    env = dict(os.environ, KSP_CACHE_DIR=str(long))
    proc = ksp("daemon", "start", env=env)
    assert proc.returncode == 2 and "too long for a Unix socket" in proc.stderr
    assert ksp("status", "--format", "json", env=env).returncode == 0


def _send(cache: Path, data: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(30)
        sock.connect(str(cache / "daemon" / "sock"))
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    return answer


@pytest.mark.parametrize("request_bytes", [
    b"GET / HTTP/1.0\r\n\r\n",
    _client.MAGIC + (1 << 30).to_bytes(4, "big"),  # a body too big to accept
    _client.MAGIC + (10).to_bytes(4, "big") + b"short",  # cut off
    _client.frame(["run", "not-this-ksp", "/", "18", "utf-8", "strict", "utf-8", "strict", "0"]),
    _client.frame(["run", _client.identity(), "/", "18", "utf-8", "strict", "utf-8", "strict",
                   "0"]),  # no standard streams passed
    _client.frame(["dance"]),
])
def test_bad_requests_are_refused_and_the_daemon_goes_on(env: dict[str, str], cache: Path,
                                                         request_bytes: bytes) -> None:
    answer = _send(cache, request_bytes)
    assert answer == b"" or answer.startswith(b"no "), answer
    assert ksp("status", "--format", "json", env=env).returncode == 0
    assert served(env) == 1  # the status command, in the daemon; the bad request ran nothing


def test_concurrent_clients(env: dict[str, str]) -> None:
    procs = [subprocess.Popen([*KSP, "status", "--format", "json", "--date", "2026-01-01"],
                              env=env, stdout=subprocess.PIPE, text=True) for _ in range(6)]
    outs = [p.communicate(timeout=60)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len(set(outs)) == 1 and json.loads(outs[0])["minors"]


def test_code_changed_on_disk_is_noticed(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("x = 1\n")
    files = {str(source): source.stat().st_mtime_ns}
    assert not changed(files)
    os.utime(source, ns=(0, source.stat().st_mtime_ns + 1))
    assert changed(files)
    source.unlink()
    assert changed(files)


def _on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, bytes]:
    """`ksp args` with stdout and stderr on a pseudo-terminal: its exit code and what it drew."""
    import pty

    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen([*KSP, *args], env={**env, "COLUMNS": "100", "TERM": "xterm"},
                                stdin=subprocess.DEVNULL, stdout=follower, stderr=follower)
        os.close(follower)
        drawn = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not chunk:
                break
            drawn += chunk
        return proc.wait(timeout=60), drawn
    finally:
        os.close(leader)


def test_a_terminal_is_still_a_terminal_through_the_daemon(env: dict[str, str]) -> None:
    """The worker writes to the client's own terminal (its descriptors were passed): rich sees
    a terminal and draws the same colours as a plain command."""
    args = ["status", "--date", "2026-01-01"]
    before = served(env)
    there = _on_a_terminal(args, env)
    here = _on_a_terminal(args, dict(env, KSP_DAEMON="off"))
    assert served(env) == before + 1
    assert there == here
    assert b"\x1b[" in there[1]  # styled: a terminal was seen


def test_files_created_where_the_daemon_started_do_not_stop_it(cache: Path,
                                                               tmp_path: Path) -> None:
    """Only ksp's files and the folders its modules come from are watched for a change of
    code, not the folder `ksp daemon start` ran in (which `python -m` put on sys.path)."""
    env = dict(os.environ, KSP_CACHE_DIR=str(cache))
    assert ksp("daemon", "start", env=env, cwd=tmp_path).returncode == 0
    try:
        (tmp_path / "new.txt").write_text("x\n")
        (tmp_path / "json.py").write_text("raise SystemExit('imported from the start folder')\n")
        proc = ksp("status", "--format", "json", "--date", "2026-01-01", env=env, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert served(env) == 1
    finally:
        ksp("daemon", "stop", env=env)
