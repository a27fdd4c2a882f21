"""Write a whole site at once: build in a temporary folder beside the target, then swap it in.

A failure at any point before the swap leaves the previous site as it was. The target must be
empty, missing, or a site that ksp wrote (it carries a marker file), so that a mistyped `--out`
never deletes a folder of someone's work.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from ksp.errors import UsageError

MARKER = ".ksp-site"


def _check_target(out: Path, protect: tuple[Path, ...]) -> None:
    resolved = out.resolve()
    for path in protect:
        keep = path.resolve()
        if resolved == keep or keep.is_relative_to(resolved):
            raise UsageError(f"refusing to write the site over {out}: it holds {path}",
                             hint="choose a separate output folder, e.g. --out _site")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise UsageError(f"{out} exists and is not a folder", hint="choose another --out")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise UsageError(f"refusing to replace {out}: it is not empty and not a ksp site",
                         hint=f"remove it, or choose another --out (ksp sites carry {MARKER})")


def _safe(relative: str) -> PurePosixPath:
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise ValueError(f"unsafe site path: {relative!r}")
    return path


def write(out: Path, files: Mapping[str, str | bytes], *, protect: tuple[Path, ...] = ()) -> int:
    """Write `files` (site-relative path -> content) as the folder `out`; returns the count."""
    _check_target(out, protect)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".new", dir=out.parent))
    try:
        for relative, content in files.items():
            target = staging.joinpath(*_safe(relative).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            data = content.encode("utf-8") if isinstance(content, str) else content
            target.write_bytes(data)
        (staging / MARKER).write_text("written by `ksp site build`; safe to replace\n")
        staging.chmod(0o755)
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return len(files)


def _swap(staging: Path, out: Path) -> None:
    if not out.exists():
        staging.rename(out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    old.rmdir()
    out.rename(old)
    try:
        staging.rename(out)
    except BaseException:
        with contextlib.suppress(OSError):
            old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)
