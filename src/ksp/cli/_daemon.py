"""`ksp daemon run`: one process with ksp loaded that forks a fresh worker for each command.

The daemon imports every module of ksp and every module those import inside functions, then
freezes that state (`gc.freeze`, so workers share its pages) and listens on a Unix socket in a
private folder of the cache (`<cache>/daemon/sock`, mode 0700, the same user only: the peer's
uid is checked). A spare worker, forked ahead, takes each request: it takes the client's
standard streams, working directory, umask and environment, and runs the command through
`ksp.cli.main.main`, as the client would have. Nothing a command does (its configuration, a
hostile patch, a crash) outlives its worker, and every worker starts from the same state,
loaded from the installed package before any request. A worker whose client goes away is sent
SIGTERM (the same clean-up path as Ctrl-C).

The daemon answers `no` instead of running (so the client runs the command itself) when the
client is another installation of ksp or Python, or uses another file-system encoding, and it
leaves when its own code changed on disk, when it is told to stop, or after `idle` seconds
without a request. docs/daemon.md has the whole design.
"""

from __future__ import annotations

import array
import contextlib
import fcntl
import gc
import importlib
import json
import os
import select
import signal
import socket
import stat
import struct
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import ksp
from ksp.cli._client import MAGIC, identity
from ksp.cli.main import EXIT_INTERNAL, EXIT_INTERRUPTED, main
from ksp.errors import KspError

MAX_REQUEST_BYTES = 16 * 1024 * 1024
REQUEST_TIMEOUT = 5.0


def preload() -> dict[str, int]:
    """Import all of ksp and what its functions import; the mtimes of ksp's files and of the
    folders on sys.path (installing or upgrading a dependency changes its site-packages)."""
    import ast  # lazy: 2.2 ms, the daemon only
    import pkgutil  # lazy: 0.7 ms, the daemon only

    for info in pkgutil.walk_packages(ksp.__path__, "ksp."):
        importlib.import_module(info.name)
    files = {m.__file__ for name, m in list(sys.modules.items())
             if (name == "ksp" or name.startswith("ksp.")) and getattr(m, "__file__", None)}
    for path in sorted(f for f in files if f is not None):
        tree = ast.parse(Path(path).read_text(encoding="utf-8"), path)
        for node in ast.walk(tree):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module
                     and not node.level else [])
            for name in names:
                with contextlib.suppress(ImportError):  # an optional dependency not installed
                    importlib.import_module(name)
    loaded = [m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)]
    folders = {entry for entry in sys.path if entry and Path(entry).is_dir() and
               any(f.startswith(entry + os.sep) for f in loaded if f)}
    return {path: Path(path).stat().st_mtime_ns for path in [*files, *folders] if path is not None}


def changed(files: dict[str, int]) -> bool:
    for path, mtime in files.items():
        try:
            # os.stat, not Path.stat: 0.2 ms against 0.9 ms for the ~200 paths, every command
            if os.stat(path).st_mtime_ns != mtime:  # noqa: PTH116
                return True
        except OSError:
            return True
    return False


def private_dir(path: Path) -> Path:
    """The daemon's folder, created 0700; refused when another user owns it or can write it."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise KspError(f"{path}: the daemon's folder must be a directory of this user that "
                       f"nobody else can use (mode {stat.filemode(info.st_mode)})",
                       hint="remove it, or set KSP_CACHE_DIR to a private folder")
    return path


@contextlib.contextmanager
def only_daemon(directory: Path) -> Iterator[int]:
    """Hold `<dir>/lock` for the daemon's life (its pid inside): one daemon per cache. Workers
    close the descriptor: a flock belongs to the open file, which a fork shares."""
    fd = os.open(directory / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 32, 0).decode(errors="replace").strip()
            raise KspError(f"a ksp daemon is already running (pid {other or '?'})",
                           hint="`ksp daemon stop` ends it") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield fd
    finally:
        os.close(fd)


class Daemon:
    """The daemon keeps one spare worker forked ahead, blocked in accept() on the socket, so a
    command pays for no fork: the spare that takes a connection tells the daemon (a byte on a
    pipe), which forks the next spare, and serves that one connection. `served` counts the
    commands run (not pings) as the size of a file each worker appends a byte to."""

    def __init__(self, directory: Path, idle: float) -> None:
        self.directory, self.idle = directory.absolute(), idle
        self.path = self.directory / "sock"
        self.me = identity()
        self.files: dict[str, int] = {}
        self.pid, self.started = os.getpid(), time.time()
        self.lock = self.notify = self.served = self.lifeline = self.alive = -1

    def serve(self, ready: int | None = None) -> int:
        """Listen until stopped, idle or stale. `ready`: a pipe to close once listening."""
        self.files = preload()
        gc.collect()
        gc.freeze()
        with only_daemon(self.directory) as self.lock, self._listener() as listener:
            os.chdir("/")  # not to hold the folder it was started in; workers take the client's
            signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            if ready is not None:
                os.close(ready)  # before any fork: a worker holding it would keep it open
            taken, self.notify = os.pipe()
            # Spares wait on the read end; only the daemon keeps the write end, so however the
            # daemon ends (stopped, idle, killed), a spare sees end-of-file and leaves.
            self.lifeline, self.alive = os.pipe()
            # One byte appended per command run: O_APPEND makes each worker's write atomic.
            self.served = os.open(self.directory / "served",
                                  os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
            spare = self._spare(listener)
            last = time.monotonic()
            try:
                while True:
                    left = self.idle - (time.monotonic() - last)
                    if left <= 0:
                        return 0
                    readable, _, _ = select.select([taken], [], [], min(1.0, left))
                    news = os.read(taken, 256) if readable else b""
                    if b"s" in news:
                        return 0
                    if news:
                        last = time.monotonic()
                    if _reap(spare) or news:
                        spare = self._spare(listener)
            finally:
                os.close(self.alive)  # the spare leaves (see above)

    def _spare(self, listener: socket.socket) -> int:
        # Blocked until the child has its own handlers: a SIGTERM for it in between would run
        # the daemon's handler in the child (or be lost).
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGHUP})
        pid = os.fork()
        if pid:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            return pid
        code = 0
        try:
            for fd in (self.lock, self.alive):
                os.close(fd)
            for signum in (signal.SIGTERM, signal.SIGHUP):
                signal.signal(signum, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            _touch_everything()
            conn = self._accept(listener)
            if conn is not None:
                os.write(self.notify, b".")
                with conn:
                    if self.handle(conn, listener) == "stop":
                        os.write(self.notify, b"s")
        except BaseException:  # a spare never returns into the daemon
            code = EXIT_INTERNAL
        os._exit(code)

    def _accept(self, listener: socket.socket) -> socket.socket | None:
        """The next connection; None when the daemon is gone (its lifeline closed first)."""
        listener.setblocking(False)  # another spare (of a daemon going away) may take it
        while True:
            ready, _, _ = select.select([self.lifeline, listener.fileno()], [], [])
            if self.lifeline in ready:
                return None
            try:
                conn, _ = listener.accept()
            except BlockingIOError:
                continue
            conn.setblocking(True)
            return conn

    @contextlib.contextmanager
    def _listener(self) -> Iterator[socket.socket]:
        self.path.unlink(missing_ok=True)  # a socket left by a daemon that died (the lock is ours)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(self.path))
            self.path.chmod(0o600)
            listener.listen(64)
            yield listener
        finally:
            listener.close()
            self.path.unlink(missing_ok=True)

    def handle(self, conn: socket.socket, listener: socket.socket) -> str:
        """One connection, in the spare that accepted it; a `run` request never returns."""
        if not _same_user(conn):
            return "refused"
        conn.settimeout(REQUEST_TIMEOUT)
        fds: list[int] = []
        try:
            fields = receive(conn, fds)
            if fields is None:
                return "refused"
            kind = fields[0]
            if kind == "ping":
                conn.sendall(f"ok {json.dumps(self.status())}\n".encode())
            elif kind == "stop":
                conn.sendall(b"ok stopping\n")
                return "stop"
            elif kind != "run" or len(fds) != 3 or len(fields) < 9:
                conn.sendall(b"no bad request\n")
            elif fields[1] != self.me:
                conn.sendall(b"no another installation of ksp or Python\n")
            elif changed(self.files):
                conn.sendall(b"no the daemon's code changed on disk; it stops\n")
                return "stop"
            else:
                os.write(self.served, b"+")
                work(conn, listener, fds, fields)
        except (OSError, ValueError):
            return "refused"  # a client that went away or sent garbage
        finally:
            for fd in fds:
                os.close(fd)
        return "served"

    def status(self) -> dict[str, object]:
        forever = self.idle == float("inf")
        return {"pid": self.pid, "socket": str(self.path), "started": self.started,
                "served": os.fstat(self.served).st_size,
                "idle_seconds": None if forever else self.idle, "python": sys.executable,
                "modules": len(sys.modules)}


def _touch_everything() -> None:
    """In a new spare, before it waits: take a reference to every object once. A fresh fork
    shares the daemon's pages until it writes to them, and reference counts are writes, so its
    first command would pay for copying them (~4 ms of the gate's series check here); the
    spare pays while nobody waits. Then freeze again, so that the worker's collections skip
    these objects."""
    gc.unfreeze()
    for _ in gc.get_objects():
        pass
    gc.freeze()


def _same_user(conn: socket.socket) -> bool:
    """The peer's uid, where the system tells it (Linux); elsewhere the folder's mode guards."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return True
    creds = conn.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    return bool(struct.unpack("3i", creds)[1] == os.getuid())


def _reap(spare: int) -> bool:
    """Collect finished workers; whether the spare was among them (killed before it served)."""
    died = False
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return died
        if pid == 0:
            return died
        died = died or pid == spare


def receive(conn: socket.socket, fds: list[int]) -> list[str] | None:
    """One request's fields; the descriptors it carried are appended to `fds` (to close)."""
    data, ancillary, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(3 * 4))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            received = array.array("i")
            received.frombytes(payload[: len(payload) - len(payload) % received.itemsize])
            fds.extend(received)
    head = len(MAGIC) + 4
    while len(data) < head:
        more = conn.recv(65536)
        if not more:
            return None
        data += more
    if not data.startswith(MAGIC):
        return None
    size = int.from_bytes(data[len(MAGIC):head], "big")
    if size > MAX_REQUEST_BYTES:
        return None
    while len(data) < head + size:
        more = conn.recv(min(1 << 20, head + size - len(data)))
        if not more:
            return None
        data += more
    return [os.fsdecode(field) for field in data[head:head + size].split(b"\0")]


def work(conn: socket.socket, listener: socket.socket, fds: list[int],
         fields: list[str]) -> NoReturn:
    """The forked worker: become the client's process and run its command; never returns."""
    code = EXIT_INTERNAL
    try:
        listener.close()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        fds.clear()
        _, _, cwd, umask, out_enc, out_err, err_enc, err_err, argc, *rest = fields
        argv, env = rest[: int(argc)], rest[int(argc):]
        os.chdir(cwd)
        os.umask(int(umask))
        os.environ.clear()
        for item in env:
            key, sep, value = item.partition("=")
            if sep and key:
                os.environ[key] = value
        sys.stdin = open(0, encoding=out_enc, closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", buffering=1 if os.isatty(1) else -1,  # noqa: SIM115
                          encoding=out_enc, errors=out_err, closefd=False)
        sys.stderr = open(2, "w", buffering=1, encoding=err_enc, errors=err_err,  # noqa: SIM115
                          closefd=False)
        sys.argv = ["ksp", *argv]
        conn.sendall(f"run {os.getpid()}\n".encode())
        threading.Thread(target=_watch, args=(conn,), daemon=True).start()
        code = main(argv)
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    except BaseException as exc:  # the worker answers whatever happened
        with contextlib.suppress(Exception):
            print(f"ksp: internal error in the daemon's worker: {type(exc).__name__}: {exc}",
                  file=sys.stderr)
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BrokenPipeError, ValueError, OSError):
                stream.flush()
        with contextlib.suppress(OSError):
            conn.sendall(f"exit {code}\n".encode())
        os._exit(code)


def _watch(conn: socket.socket) -> None:
    """The client went away (its end closed): stop the command as SIGTERM would."""
    with contextlib.suppress(OSError):
        conn.settimeout(None)
        conn.recv(1)
    os.kill(os.getpid(), signal.SIGTERM)
