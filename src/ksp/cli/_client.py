"""The `ksp` script: hand the command to a running `ksp daemon`, else run it in this process.

A command run here pays for Python's start-up and ksp's imports, about two thirds of a quick
command such as the gate's series check. `ksp daemon start` keeps one process with every module
loaded. This client sends it the command line, the working directory, the environment, the
umask and its three standard streams (as file descriptors); the daemon forks a worker that runs
the command as `ksp.cli.main` would here, writing straight to this process's terminal or pipes.
The client forwards Ctrl-C, SIGTERM and SIGHUP to the worker and exits with the worker's code.

No daemon, another ksp installation's daemon, or a daemon whose code changed on disk: the
command runs here. A daemon is never needed for a result, only for a faster one.

Only C modules are imported: `socket.py` and `signal.py` wrap `_socket` and `_signal` in enums,
and importing `enum` costs more than the rest of this client.
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]  # (no stubs: signal.py's C half)
import _socket
import os
import sys

import ksp
from ksp._cachedir import cache_root

MAGIC = b"ksp-daemon/1\n"
SOCKET_PATH_MAX = 107  # sun_path holds 108 bytes, its NUL included
FORWARDED = (_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP)
EXIT_INTERNAL, EXIT_INTERRUPTED = 3, 130  # ksp.cli.main's, which this module must not import


def daemon_dir() -> str:
    return os.path.join(cache_root(), "daemon")


def socket_path() -> str:
    return os.path.join(daemon_dir(), "sock")


def identity() -> str:
    """What a daemon must share with a client to run its commands: this ksp, this environment
    (venv) and interpreter (`python` and `python3` of one venv are the same), and the encoding
    it decodes file names and locale text with."""
    return "\n".join((os.path.dirname(ksp.__file__), sys.prefix, os.path.realpath(sys.executable),
                      ksp.__version__, sys.getfilesystemencoding(), str(sys.flags.utf8_mode)))


def frame(fields: list[str]) -> bytes:
    """The request: MAGIC, the body's length, then NUL-separated fields (argv, environment
    and paths hold no NUL on POSIX; os.fsencode keeps undecodable bytes as they were)."""
    body = b"\0".join(os.fsencode(f) for f in fields)
    return MAGIC + len(body).to_bytes(4, "big") + body


def request(argv: list[str]) -> bytes:
    mask = os.umask(0o22)
    os.umask(mask)
    env = [f"{k}={v}" for k, v in os.environ.items()]
    return frame(["run", identity(), os.getcwd(), str(mask),
                  sys.stdout.encoding, sys.stdout.errors or "strict", sys.stderr.encoding,
                  sys.stderr.errors or "backslashreplace",
                  str(len(argv)), *argv, *env])


def connect(path: str) -> _socket.socket | None:
    if len(os.fsencode(path)) > SOCKET_PATH_MAX or not os.path.exists(path):
        return None
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError:  # a socket left by a daemon that died: run here
        sock.close()
        return None
    return sock


class Lines:
    """The daemon's replies, one line each: `run PID`, then `exit CODE`; or `no REASON`."""

    def __init__(self, sock: _socket.socket) -> None:
        self.sock, self.buffer = sock, b""

    def next(self) -> str | None:
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode("utf-8", "replace")


def run_in_daemon(argv: list[str]) -> int | None:
    """The command's exit code, run by the daemon; None when it is to run here."""
    if sys.stdout is None or sys.stderr is None:  # started with a standard stream closed
        return None
    sock = connect(socket_path())
    if sock is None:
        return None
    try:
        try:
            data = request(argv)
            fds = b"".join(fd.to_bytes(4, sys.byteorder) for fd in (0, 1, 2))
            sent = sock.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
            sock.sendall(data[sent:])
        except OSError:  # a closed standard stream, a daemon going away: run here
            return None
        replies = Lines(sock)
        first = replies.next()
        if first is None or not first.startswith("run ") or not first[4:].isdigit():
            return None  # "no …": another installation, or its code changed on disk
        worker = int(first[4:])
        previous = {signum: _signal.signal(signum, lambda signum, frame: _forward(worker, signum))
                    for signum in FORWARDED}
        try:
            last = replies.next()
        finally:
            for signum, handler in previous.items():
                _signal.signal(signum, handler)
    finally:
        sock.close()
    if last is None or not last.startswith("exit ") or not last[5:].lstrip("-").isdigit():
        print(f"ksp: internal error: the daemon's worker {worker} ended without an exit code",
              file=sys.stderr)
        return EXIT_INTERNAL
    return int(last[5:])


def _forward(worker: int, signum: int) -> None:
    try:
        os.kill(worker, signum)
    except ProcessLookupError:
        pass


def entry() -> None:
    """The `ksp` script. `KSP_DAEMON=off` runs every command here; `ksp daemon …` always does."""
    argv = sys.argv[1:]
    if os.environ.get("KSP_DAEMON") != "off" and argv[:1] != ["daemon"]:
        try:
            code = run_in_daemon(argv)
        except KeyboardInterrupt:  # before the worker was known: closing the socket stops it
            print("ksp: interrupted", file=sys.stderr)
            os._exit(EXIT_INTERRUPTED)
        if code is not None:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except (BrokenPipeError, ValueError):
                    pass
            os._exit(code)
    from ksp.cli.main import entry as run_here  # lazy: 22 ms of start-up, only without a daemon

    run_here()
