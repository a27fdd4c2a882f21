"""Bounded, depth-checked JSON loading for files and URLs that come from outside."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from ksp._files import MAX_FILE_BYTES, read_text
from ksp.errors import FormatError

MAX_DEPTH = 64
TIMEOUT = 30


def json_files(folder: Path, *, what: str, limit: int) -> list[Path]:
    """The `*.json` files of a folder of records, sorted; none, or more than `limit`, is an
    error naming the folder."""
    files = sorted(p for p in folder.iterdir() if p.suffix == ".json" and p.is_file())
    if not files:
        raise FormatError(f"folder has no *.json {what}", path=folder)
    if len(files) > limit:
        raise FormatError(f"folder has {len(files)} records, over the limit of {limit}",
                          path=folder)
    return files


def is_url(source: str) -> bool:
    return source.startswith(("https://", "http://"))


def load(source: str | Path, *, what: str) -> Any:
    """Parse JSON from a file or URL; any problem is one FormatError naming the source."""
    if isinstance(source, str) and is_url(source):
        return parse(_fetch(source, what), source, what=what)
    path = Path(source)
    return parse(read_text(path, what=what), path, what=what)


def parse(text: str, where: str | Path, *, what: str) -> Any:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        cut = " (the file looks truncated)" if exc.pos >= len(text.rstrip()) else ""
        raise FormatError(f"{what} is not valid JSON: {exc.msg}{cut}", path=where,
                          line=exc.lineno) from None
    except RecursionError:
        raise FormatError(f"{what} is nested deeper than {MAX_DEPTH} levels", path=where) from None
    except ValueError as exc:  # a number of thousands of digits (int conversion limit)
        raise FormatError(f"{what} is not usable JSON: {str(exc).split(':')[0]}",
                          path=where) from None
    if _depth(data) > MAX_DEPTH:
        raise FormatError(f"{what} is nested deeper than {MAX_DEPTH} levels", path=where)
    return data


def _depth(node: Any) -> int:
    """Depth of nested containers, without recursion (a hostile file must not blow the stack)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(node, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _fetch(url: str, what: str) -> str:
    request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                  "User-Agent": "ksp advisories import"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            data: bytes = response.read(MAX_FILE_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FormatError(f"cannot download {what}: {reason}", path=url,
                          hint="check the URL and the network, or pass a local file") from None
    if len(data) > MAX_FILE_BYTES:
        raise FormatError(f"{what} is over the limit of {MAX_FILE_BYTES:,} bytes", path=url)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError(f"{what} is not valid UTF-8", path=url) from None
