"""Write a series' commits into the shadow repository with one `git fast-import`.

One process writes every blob, tree and commit; the commits get fixed identities and dates so
that the same series on the same base gives the same shas (evidence and worktrees can be reused).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from contextlib import AbstractContextManager

from ksp._files import cache_dir, flock
from ksp.git.shadow import Shadow

COMMITTER = "ksp <ksp@localhost>"
Changes = dict[str, tuple[str, bytes] | None]  # path -> (mode, content), None: deleted


def _quote(path: str) -> bytes:
    raw = path.encode("utf-8", "surrogateescape")
    if any(c in raw for c in b'"\\\n') or raw.startswith(b" "):
        raw = b'"' + raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(b"\n", b"\\n") + b'"'
    return raw


def _one_at_a_time(shadow: Shadow) -> AbstractContextManager[None]:
    """Two runs writing the same series (parallel backports or gates of one minor) make the same
    pack, and the second fast-import dies on the first one's `.keep` file: one at a time."""

    # In ksp's cache, not the repository: `ksp apply` writes into a consumer's, and leaves no file.
    key = hashlib.sha256(str(shadow.path.resolve()).encode()).hexdigest()[:24]
    folder = cache_dir() / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    return flock(folder / f"fast-import-{key}.lock")


def write_commits(shadow: Shadow, base: str,
                   commits: list[tuple[str, Changes]],
                   when: dt.datetime | None) -> list[str]:
    """One fast-import stream: every blob, tree and commit of the series, in the shadow only."""
    stamp = int((when or dt.datetime(2000, 1, 1, tzinfo=dt.UTC)).timestamp())
    # A ref per run: minors checked in parallel must not share (and lock) one.
    ref = f"refs/ksp/tmp/series-{os.getpid()}-{os.urandom(4).hex()}"
    stream = bytearray()
    for number, (message, changes) in enumerate(commits, start=1):
        msg = message.encode()
        stream += (f"commit {ref}\nmark :{number}\n"
                   f"committer {COMMITTER} {stamp} +0000\n").encode()
        stream += b"data %d\n%s\n" % (len(msg), msg)
        stream += (f"from {base}\n" if number == 1 else f"from :{number - 1}\n").encode()
        for path, entry in sorted(changes.items()):
            if entry is None:
                stream += b"D " + _quote(path) + b"\n"
            else:
                mode, data = entry
                stream += b"M %s inline %s\ndata %d\n%s\n" % (mode.encode(), _quote(path),
                                                           len(data), data)
    # fast-import updates refs only when the stream ends; resetting the ref to the null id there
    # deletes it, so no temporary ref outlives the process, even when it is killed.
    stream += f"reset {ref}\nfrom {'0' * len(base)}\n\n".encode()
    marks = shadow.path / f"ksp-marks-{os.getpid()}-{os.urandom(4).hex()}"  # ours, not TMPDIR
    try:
        with _one_at_a_time(shadow):
            shadow.git("fast-import", "--quiet", "--force", f"--export-marks={marks}",
                       input=bytes(stream))
        found = dict(line.split() for line in marks.read_text().splitlines())
    finally:
        marks.unlink(missing_ok=True)
    return [found[f":{n}"] for n in range(1, len(commits) + 1)]
