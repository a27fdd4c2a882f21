"""Multi-file writes to a patches repo as one operation: staged, journalled, then renamed.

`ksp new` writes a patch and index.yaml; `sign` several patches and the index; `gate --record`
and `advisories import` the same. Each does it inside `transaction(root)`, under the repo lock:

1. every new content goes to a temporary file next to its target (`.NAME.ksp-txn-….tmp`);
2. `.ksp/journal.json` lists the renames (written atomically, after every temp file is synced);
3. the renames run, then the journal is removed.

A crash before step 2 leaves only temporary files, which the next writer removes (they are
git-ignored and lint skips them); a crash after it leaves a journal, which the next command
rolls forward before it reads anything (`recover`). So the repo is always either before or
after the operation, never between: no patch without its index entry, no second file for one
advisory. Signals are held back while the renames run.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ksp._files import deferred_signals, fault, repo_lock
from ksp.errors import FormatError

JOURNAL = Path(".ksp") / "journal.json"
_TMP_TAG = ".ksp-txn-"


@dataclass
class Transaction:
    """The files one operation writes or removes; nothing is visible until commit()."""

    root: Path
    staged: list[tuple[Path, Path]] = field(default_factory=list)  # (temp, target)
    removed: list[Path] = field(default_factory=list)

    def write(self, path: Path, data: str | bytes) -> None:
        """Stage `data` for `path` (inside the repo); the file appears at commit()."""
        target = self._inside(path)
        # surrogateescape: a str holding undecodable bytes of git data is written back as those
        raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f".{target.name}{_TMP_TAG}{os.getpid()}-{os.urandom(4).hex()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        self.staged.append((tmp, target))
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        fault("staged-file")

    def remove(self, path: Path) -> None:
        self.removed.append(self._inside(path))

    def written(self, path: Path) -> bool:
        target = self._inside(path)
        return any(t == target for _, t in self.staged)

    def _inside(self, path: Path) -> Path:
        target = path if path.is_absolute() else self.root / path
        if not target.resolve().is_relative_to(self.root.resolve()):
            raise FormatError(f"{path} is outside the patches repo", path=path)
        return target

    def commit(self) -> None:
        if not self.staged and not self.removed:
            return
        fault("staged")
        rel = [[str(t.relative_to(self.root)), str(p.relative_to(self.root))]
               for t, p in self.staged]
        body = {"version": 1, "renames": rel,
                "removes": [str(p.relative_to(self.root)) for p in self.removed]}
        with deferred_signals():
            _write_journal(self.root, json.dumps(body, indent=1) + "\n")
            fault("journal")
            _replay(self.root, body)

    def abort(self) -> None:
        for tmp, _ in self.staged:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def _write_journal(root: Path, text: str) -> None:
    path = root / JOURNAL
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"journal.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _replay(root: Path, body: dict[str, object]) -> None:
    renames = body.get("renames")
    removes = body.get("removes")
    if not isinstance(renames, list) or not isinstance(removes, list):
        raise FormatError("journal is not a ksp journal", path=root / JOURNAL)
    for number, pair in enumerate(renames, start=1):
        tmp, target = root / str(pair[0]), root / str(pair[1])
        if tmp.exists():
            os.replace(tmp, target)
        fault(f"rename-{number}")
    for name in removes:
        with contextlib.suppress(FileNotFoundError):
            (root / str(name)).unlink()
    (root / JOURNAL).unlink()


def recover(root: Path) -> bool:
    """Finish an operation a crash cut short (call under the repo lock); True if there was one."""
    path = root / JOURNAL
    if not path.is_file():
        return False
    try:
        body = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        body = None
    if not isinstance(body, dict) or body.get("version") != 1:
        raise FormatError("the journal of an interrupted ksp operation is unreadable",
                          path=path, hint="check `git status`, then remove the file")
    with deferred_signals():
        _replay(root, body)
    return True


def _sweep(root: Path) -> None:
    """Remove temporary files of operations that died before their journal was written."""
    for folder in (root, *(p for p in root.iterdir() if p.is_dir() and p.name.startswith("v"))):
        for tmp in folder.glob(f".*{_TMP_TAG}*.tmp"):
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def recover_if_needed(root: Path) -> None:
    """For readers: one stat; with a journal left behind, take the lock and roll it forward."""
    if (root / JOURNAL).is_file():
        with repo_lock(root):
            recover(root)


@contextlib.contextmanager
def transaction(root: Path) -> Iterator[Transaction]:
    """Lock the repo, finish any interrupted operation, and let the caller stage its writes;
    they are committed together when the block succeeds, dropped when it raises."""
    with repo_lock(root):
        recover(root)
        _sweep(root)
        txn = Transaction(root)
        try:
            yield txn
        except BaseException:
            txn.abort()
            raise
        txn.commit()
