"""File I/O shared by the loaders: bounded reads, hostile-YAML guards, atomic writes, a repo lock.

Every file ksp reads comes from a pull request or a download, so reads are bounded and YAML is
parsed with aliases refused (no billion-laughs), and every write goes through a temp file and a
rename so that an interrupted run leaves the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent

from ksp.errors import FormatError

MAX_FILE_BYTES = 10 * 1024 * 1024
# Anchors, aliases or deep flow nesting: only then is the (slower) event walk needed.
_MAYBE_HOSTILE = re.compile(r"(?:^|[\s\[{,:?-])[&*][^\s,\]}]|[\[{]{8}", re.MULTILINE)
MAX_YAML_DEPTH = 32


def read_text(path: Path, *, limit: int = MAX_FILE_BYTES, what: str = "file") -> str:
    """Read a UTF-8 text file, refusing huge files, symlinks out of place and bad bytes."""
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
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FormatError(
            f"{what} is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            path=path,
            line=line,
        ) from None


def _check_events(yaml: YAML, text: str, path: Path) -> None:
    depth = 0
    for event in yaml.parse(io.StringIO(text)):
        if isinstance(event, AliasEvent):
            line = event.start_mark.line + 1 if event.start_mark else None
            raise FormatError(
                "YAML aliases are not allowed (they can expand without bound)",
                path=path,
                line=line,
                hint="write the value out instead of using &anchor / *alias",
            )
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else None
                raise FormatError(f"YAML nested deeper than {MAX_YAML_DEPTH}", path=path, line=line)
        elif isinstance(event, CollectionEndEvent):
            depth -= 1


_FAILED = object()
try:
    import ruamel.yaml.clib  # noqa: F401 - libyaml: a read-only load about ten times faster

    _HAVE_LIBYAML = True
except ImportError:  # pragma: no cover - the pure parser is used then
    _HAVE_LIBYAML = False


def _load_fast(text: str) -> Any:
    """libyaml's parser for read-only loads; anything it finds odd goes to the pure parser,
    which is authoritative (YAML 1.2) and gives the error messages."""
    if _MAYBE_HOSTILE.search(text):
        return _FAILED
    yaml = YAML(typ="safe", pure=False)
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text)
    except (YAMLError, RecursionError, ValueError):
        return _FAILED


def load_yaml(path: Path, *, roundtrip: bool = False, text: str | None = None) -> Any:
    """Parse YAML safely; errors name the file and line. `roundtrip` keeps comments and order."""
    if text is None:
        text = read_text(path, what="YAML file")
    if not roundtrip and _HAVE_LIBYAML:
        fast = _load_fast(text)
        if fast is not _FAILED:
            return fast
    yaml = YAML(typ="rt" if roundtrip else "safe", pure=True)
    yaml.allow_duplicate_keys = False
    yaml.preserve_quotes = roundtrip  # an edit leaves the quoting of untouched values alone
    try:
        if _MAYBE_HOSTILE.search(text):
            _check_events(yaml, text, path)
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = (exc.problem or exc.context or "malformed YAML").strip()
        if "duplicate key" in str(exc):
            problem = "duplicate key " + str(exc).split("duplicate key", 1)[1].split("\n")[0]
        raise FormatError(f"malformed YAML: {problem}", path=path, line=line) from None
    except RecursionError:
        raise FormatError("YAML nested too deeply", path=path) from None
    except YAMLError as exc:
        raise FormatError(f"malformed YAML: {str(exc).splitlines()[0]}", path=path) from None


def dump_yaml(data: Any) -> str:
    yaml = YAML(typ="rt", pure=True)
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()


def atomic_write(path: Path, data: str | bytes, *, mode: int = 0o644) -> None:
    """Write via a temp file in the same folder and rename: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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
    from filelock import FileLock, Timeout

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
