"""File I/O shared by the loaders: bounded reads, hostile-YAML guards, atomic writes, a repo lock.

Every file ksp reads comes from a pull request or a download, so reads are bounded and YAML is
parsed with aliases refused (no billion-laughs), and every write goes through a temp file and a
rename so that an interrupted run leaves the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
from collections.abc import Iterator
from pathlib import Path

from ksp._cachedir import cache_root
from ksp.errors import FormatError

MAX_FILE_BYTES = 10 * 1024 * 1024


def cache_dir() -> Path:
    """KSP_CACHE_DIR, else $XDG_CACHE_HOME/ksp, else ~/.cache/ksp."""
    return Path(cache_root())


def read_text(path: Path, *, limit: int = MAX_FILE_BYTES, what: str = "file",
              bytes_from: bytes | None = None) -> str:
    """Read a UTF-8 text file, refusing huge files, symlinks out of place and bad bytes.

    `bytes_from`: from the first line starting with it (a patch's diff), bytes that are not
    UTF-8 are kept as they are (decoded with surrogateescape, so they encode back exactly)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise FormatError(f"{what} not found", path=path) from None
    except OSError as exc:
        raise FormatError(f"cannot read {what}: {exc.strerror}", path=path) from None
    if not path.is_file():
        raise FormatError(f"{what} is not a regular file", path=path)
    if size > limit:
        raise FormatError(
            f"{what} is {size:,} bytes, over the limit of {limit:,}",
            path=path,
            hint="split it, or raise the limit in ksp.yaml's policy if this is intended",
        )
    data = path.read_bytes()
    if bytes_from is not None:
        cut = 0 if data.startswith(bytes_from) else data.find(b"\n" + bytes_from) + 1
        if cut > 0 or data.startswith(bytes_from):
            head = read_bytes_as_text(data[:cut], path, what)
            return head + data[cut:].decode("utf-8", "surrogateescape")
    return read_bytes_as_text(data, path, what)


def read_bytes_as_text(data: bytes, path: Path, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FormatError(
            f"{what} is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            path=path,
            line=line,
        ) from None


def atomic_write(path: Path, data: str | bytes, *, mode: int = 0o644) -> None:
    """Write via a temp file in the same folder and rename: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # surrogateescape: a str that holds undecodable bytes of git data (see ksp.git._run) is
    # written back as those bytes; any other str is plain UTF-8.
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    # os.open with O_EXCL, not tempfile.mkstemp: importing tempfile costs ~8 ms at every start.
    tmp = str(path.parent / f".{path.name}.{os.getpid()}.{os.urandom(6).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def repo_lock(root: Path, timeout: float = 60.0) -> Iterator[None]:
    """Serialise writers of one patches repo (two `ksp` processes editing index.yaml at once)."""
    from filelock import FileLock, Timeout  # lazy: 27.6 ms of start-up

    lock = FileLock(str(root / ".ksp.lock"))
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise FormatError(
            "another ksp process holds the repository lock",
            path=root / ".ksp.lock",
            hint="wait for it to finish; remove the file only if no ksp process is running",
        ) from None
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def flock(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (made if missing) for the block, between processes and
    threads alike; the kernel drops it when the holder dies. For short internal sections: no
    timeout, and no import of filelock (~10 ms of start-up on the gate and backport paths)."""

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def fault(step: str) -> None:
    """Die here, as a kill would, when KSP_FAULT_AT names this step (the fault-injection tests
    use it to stop a writing command at each of its write steps)."""
    if os.environ.get("KSP_FAULT_AT") == step:
        os._exit(86)


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while a step that must not be cut in half runs (renames
    of a journalled operation, moving a consumer's tree); they are delivered right after."""

    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
