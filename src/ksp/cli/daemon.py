"""ksp daemon: keep ksp loaded so that every command starts in a few milliseconds.

`ksp daemon start` runs `ksp daemon run` in the background and returns once it listens. From
then on, `ksp` commands of the same installation, user and cache are handed to it, and it forks
a fresh worker for each: output, exit codes and files are the same as without the daemon, in
tens of milliseconds less. KSP_DAEMON=off runs a command without it. `ksp daemon stop` ends
it; it also leaves by itself after `--idle` seconds without a command, or at the first command
after ksp's code changed on disk. How it works and its security: docs/daemon.md.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from ksp.cli import _client, _common
from ksp.errors import KspError

DEFAULT_IDLE = 1800
START_TIMEOUT = 60.0


def register(sub: _common.Subcommands) -> None:
    parser = _common.add_command(
        sub, "daemon", "keep ksp loaded in the background so that commands start fast",
        "ksp daemon start && ksp gate --no-build --no-test && ksp daemon stop",
        description=__doc__.split("\n\n", 1)[1] if __doc__ else None)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                    parser_class=type(parser))
    for name, help, example in (
        ("start", "start a daemon in the background (no-op when one runs)",
         "ksp daemon start --idle 600"),
        ("run", "run the daemon in the foreground (for a service manager)",
         "ksp daemon run --idle 0"),
        ("stop", "stop the running daemon", "ksp daemon stop"),
        ("status", "whether a daemon runs, its pid and what it served",
         "ksp daemon status --format json"),
    ):
        action = _common.add_command(actions, name, help, example)
        if name in ("start", "run"):
            action.add_argument("--idle", type=_common.at_least(0, "a number of seconds"),
                                default=DEFAULT_IDLE, metavar="SECONDS",
                                help="stop after this long without a command; 0: never "
                                     f"(default: {DEFAULT_IDLE})")
        if name == "run":
            action.add_argument("--ready-fd", type=int, default=None, help=argparse.SUPPRESS)
        if name == "status":
            _common.add_format(action)
        action.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = _client.socket_path()
    _common.require(len(os.fsencode(path)) <= _client.SOCKET_PATH_MAX,
                    f"the daemon's socket path is too long for a Unix socket: {path}",
                    "set KSP_CACHE_DIR to a shorter folder")
    idle = float(getattr(args, "idle", 0) or "inf")  # 0: never
    if args.action == "run":
        from ksp.cli._daemon import Daemon, private_dir  # lazy: 3.2 ms, `ksp daemon run` only

        return Daemon(private_dir(Path(_client.daemon_dir())), idle).serve(args.ready_fd)
    if args.action == "start":
        return _start(idle)
    if args.action == "stop":
        return _stop()
    state = ask("ping")
    if args.format == "json":
        _common.emit_json({"running": state is not None, **(state or {})})
    elif state is None:
        _common.emit("ksp daemon: not running")
    else:
        served = state["served"]
        _common.emit(f"ksp daemon: running, pid {state['pid']}, {served} "
                     f"command{'' if served == 1 else 's'} served, socket {state['socket']}")
    return 0 if state is not None else 1


def ask(kind: str) -> dict[str, object] | None:
    """Send `ping` or `stop`; the daemon's answer, or None when none answers."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    try:
        with sock:
            sock.connect(_client.socket_path())
            sock.sendall(_client.frame([kind]))
            answer = _client.Lines(sock).next()
    except OSError:
        return None
    if answer is None or not answer.startswith("ok"):
        return None
    body = answer[3:]
    return json.loads(body) if body.startswith("{") else {"answer": body}


def _start(idle: float) -> int:
    state = ask("ping")
    if state is not None:
        _common.emit(f"ksp daemon: already running, pid {state['pid']}")
        return 0
    from ksp.cli._daemon import private_dir  # lazy: 3.2 ms, `ksp daemon start` only

    directory = private_dir(Path(_client.daemon_dir()))
    read, write = os.pipe()
    with (directory / "log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ksp", "daemon", "run", "--idle",
             "0" if idle == float("inf") else str(int(idle)),
             "--ready-fd", str(write)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(write,),
            start_new_session=True, env={**os.environ, "KSP_DAEMON": "off"})
    os.close(write)
    deadline = time.monotonic() + START_TIMEOUT
    with os.fdopen(read, "rb") as ready:
        ready.read()  # EOF once the daemon listens (or has exited)
    state = ask("ping")
    while state is None and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        state = ask("ping")
    if state is None:
        lines = (directory / "log").read_text(encoding="utf-8", errors="replace").split("\n")
        said = [line.strip() for line in lines if line.strip()]
        raise KspError(f"the daemon did not start: {said[-1] if said else 'no message'}",
                       hint=f"its log: {directory / 'log'}")
    _common.emit(f"ksp daemon: started, pid {state['pid']}, socket {state['socket']}; "
                 + ("it stops when told" if idle == float("inf")
                    else f"it stops after {idle:.0f} s without a command"))
    return 0


def _stop() -> int:
    state = ask("ping")
    if state is None:
        _common.emit("ksp daemon: not running")
        return 0
    ask("stop")
    deadline = time.monotonic() + 10
    while Path(_client.socket_path()).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    _common.emit(f"ksp daemon: stopped, pid {state['pid']}")
    return 0
