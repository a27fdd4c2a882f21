"""The Go vulnerability database: OSV records of ecosystem `Go` (modules, `stdlib`, `toolchain`).

A source is a folder of `GO-*.json` records (the database's `ID/` folder, or a copy of it), one
record file, or a URL of a record or a list of records. Every record is validated against the
OSV schema shipped in the package before anything is used: a bad file stops the import.

Records that name the same flaw (a shared CVE, GHSA or GO alias) are joined into one advisory.
Its id is the lowest CVE among the joined names when there is one, else the lowest GO id: CVEs
are what scanners print, and a GO id is the database's own stable name when no CVE exists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ksp._files import atomic_write, cache_dir, read_text
from ksp.advisories import _json
from ksp.advisories.osv import validate
from ksp.advisories.records import parse_timestamp
from ksp.errors import FormatError

MAX_FILES = 20000
STDLIB = "stdlib"
TOOLCHAIN = "toolchain"


@dataclass(frozen=True)
class Symbols:
    package: str  # import path, e.g. golang.org/x/net/http2 or net/http
    symbols: tuple[str, ...]  # empty: the whole package


@dataclass(frozen=True)
class Affected:
    module: str  # a module path, or stdlib / toolchain
    ranges: tuple[tuple[tuple[str, str], ...], ...]  # SEMVER ranges: ((kind, version), …)
    imports: tuple[Symbols, ...] = ()


@dataclass(frozen=True)
class GoRecord:
    id: str  # GO-YYYY-NNNN
    origin: str
    summary: str
    aliases: tuple[str, ...]
    published: dt.date | None
    fixes: tuple[str, ...]
    affected: tuple[Affected, ...]
    withdrawn: bool = False


def load(source: str) -> list[GoRecord]:
    """Every record of a folder (name order), file or URL.

    Validating 4,000 records against the OSV schema takes seconds; the sha256 of each file that
    passed is kept in ksp's cache, so an unchanged file is not validated twice.
    """
    seen = _validated()
    passed: set[str] = set()
    out: list[GoRecord] = []
    for item, origin, digest in _items(source):
        out.append(parse(item, origin, valid=digest in seen))
        passed.add(digest)
    if passed - seen:
        _remember(seen | passed)
    return out


def _cache_file() -> Path:
    return cache_dir() / "vulndb" / "validated.json"


def _validated() -> set[str]:
    try:
        return set(json.loads(_cache_file().read_text()))
    except (OSError, ValueError, TypeError):
        return set()


def _remember(digests: set[str]) -> None:
    path = _cache_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(sorted(digests)))


def _items(source: str) -> list[tuple[Any, str, str]]:
    """(record, origin, a digest of its source bytes: "" for a URL, never cached)."""
    if _json.is_url(source):
        return [(item, origin, "") for item, origin in
                _unpack(_json.load(source, what="Go vulnerability record"), source)]
    path = Path(source)
    if not path.exists():
        raise FormatError("no such file or folder", path=path,
                          hint="pass the Go vulnerability database's ID/ folder, a record or a URL")
    files = [path] if not path.is_dir() else _folder(path)
    out = []
    for file in files:
        text = read_text(file, what="Go vulnerability record")
        digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
        data = _json.parse(text, file, what="Go vulnerability record")
        out += [(item, origin, digest) for item, origin in _unpack(data, str(file))]
    return out


def _folder(path: Path) -> list[Path]:
    folder = path / "ID" if (path / "ID").is_dir() else path
    return _json.json_files(folder, what="Go vulnerability records", limit=MAX_FILES)


def _unpack(data: Any, origin: str) -> list[tuple[Any, str]]:
    if isinstance(data, dict) and isinstance(data.get("vulns"), list):
        data = data["vulns"]
    return [(item, origin) for item in (data if isinstance(data, list) else [data])]


def parse(raw: Any, origin: str, *, valid: bool = False) -> GoRecord:
    """`valid`: the same bytes passed the OSV schema before (see `_items`), skip it."""
    item = raw if valid and isinstance(raw, dict) else validate(raw, origin)
    affected = tuple(_affected(a, origin) for a in item.get("affected") or []
                     if (a.get("package") or {}).get("ecosystem") == "Go")
    refs = item.get("references") or []
    return GoRecord(
        id=str(item["id"]), origin=origin,
        summary=(item.get("summary") or "").strip() or str(item["id"]),
        aliases=tuple(str(a) for a in item.get("aliases") or []),
        published=_date(item.get("published")),
        fixes=tuple(str(r["url"]) for r in refs if r.get("type") == "FIX" and r.get("url")),
        affected=affected,
        withdrawn=bool(item.get("withdrawn")),
    )


def _date(value: Any) -> dt.date | None:
    day = parse_timestamp(value)
    return day if day and day.year > 1 else None  # the database writes 0001-01-01 for unknown


def _affected(affected: dict[str, Any], origin: str) -> Affected:
    name = str(affected["package"]["name"])
    ranges = []
    for rng in affected.get("ranges") or []:
        if rng.get("type") != "SEMVER":
            raise FormatError(f"{name}: range type {rng.get('type')} (the Go database uses "
                              "SEMVER only)", path=origin)
        ranges.append(tuple((k, str(v)) for e in rng.get("events") or [] for k, v in e.items()))
    specific = affected.get("ecosystem_specific") or {}
    imports = tuple(Symbols(str(i.get("path", "")), tuple(str(s) for s in i.get("symbols") or []))
                    for i in specific.get("imports") or [] if i.get("path"))
    return Affected(name, tuple(ranges), imports)


def advisory_id(names: set[str]) -> str:
    """The lowest CVE among the names, else the lowest GO id, else the lowest name."""
    def order(n: str) -> tuple[int, ...]:
        return tuple(int(p) for p in n.split("-")[1:3] if p.isdigit())

    for prefix in ("CVE-", "GO-"):
        picked = sorted((n for n in names if n.startswith(prefix)), key=order)
        if picked:
            return picked[0]
    return sorted(names)[0]


def join(records: list[GoRecord]) -> dict[str, list[GoRecord]]:
    """Records grouped by the flaw they describe (connected through any shared name)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for rec in records:
        for alias in rec.aliases:
            parent[find(alias)] = find(rec.id)
    groups: dict[str, list[GoRecord]] = {}
    names: dict[str, set[str]] = {}
    for rec in records:
        root = find(rec.id)
        groups.setdefault(root, []).append(rec)
        names.setdefault(root, set()).update((rec.id, *rec.aliases))
    return {advisory_id(names[root]): sorted(recs, key=lambda r: r.id)
            for root, recs in groups.items()}
