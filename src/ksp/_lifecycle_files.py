"""Lifecycle files: the formats `ksp lifecycle import` reads and the one ksp writes.

Recognised by shape: ksp's own `ksp-lifecycle/v1`, the Kubernetes website's schedule.yaml and
eol.yaml, endoflife.date product files (Markdown with YAML front matter) and endoflife.date's JSON
API (`[{"cycle": "1.7", "releaseDate": …, "eol": …, "latest": …}]`). In endoflife.date data `eol`
is a date, `false` (still supported, no end date yet) or `true` (ended, date not given).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ksp._files import read_text
from ksp._yaml import load_yaml
from ksp.errors import LifecycleError
from ksp.model import Minor, Release


@dataclass(frozen=True)
class LifecycleFile:
    project: str
    releases: list[Release]
    # A documented rule: a minor is supported until the N-th newer minor is released (runc: 3,
    # etcd: 2). It gives an end date where the file has none.
    supported_minors: int | None = None
    sources: tuple[str, ...] = field(default=())


def _date(value: Any, path: Path, what: str) -> dt.date | None:
    if value in (None, "") or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise LifecycleError(f"{what}: not a date: {value!r}", path=path) from None


def _version(value: Any) -> str | None:
    return None if value in (None, "") or isinstance(value, bool) else str(value)


def _supported(eol: Any) -> bool | None:
    """endoflife.date: `eol: false` is still supported, `eol: true` has ended."""
    return (not eol) if isinstance(eol, bool) else None


def _release(minor: Any, path: Path, **fields: Any) -> Release:
    if isinstance(minor, float):  # `release: 1.30` unquoted is the number 1.3
        raise LifecycleError(f"minor {minor!r} is a number, not a string", path=path,
                             hint="quote minor versions: \"1.30\"")
    try:
        parsed = Minor.parse(str(minor))
    except ValueError as exc:
        raise LifecycleError(str(exc), path=path) from None
    dates = {k: _date(fields.get(k), path, f"{minor} {k}")
             for k in ("released", "eol_planned", "eol_actual")}
    versions = fields.get("versions", {})
    supported = fields.get("supported")
    return Release(
        parsed, released=dates["released"], eol_planned=dates["eol_planned"],
        eol_actual=dates["eol_actual"], final_patch=_version(versions.get("final_patch")),
        latest_patch=_version(versions.get("latest_patch")),
        supported=supported if isinstance(supported, bool) else None,
    )


def _endoflife(rows: list[dict[str, Any]], path: Path, cycle: str) -> list[Release]:
    """endoflife.date rows: the product file's `releaseCycle` or the API's `cycle`."""
    return [
        _release(r.get(cycle), path, released=r.get("releaseDate"), eol_planned=r.get("eol"),
                 supported=_supported(r.get("eol")), versions={"latest_patch": r.get("latest")})
        for r in rows
    ]


def _ksp(data: dict[str, Any], path: Path) -> LifecycleFile:
    policy = data.get("policy") or {}
    if not isinstance(policy, dict):
        raise LifecycleError("'policy' must be a mapping", path=path)
    minors = policy.get("supported_minors")
    if minors is not None and (not isinstance(minors, int) or isinstance(minors, bool)
                               or minors < 1):
        raise LifecycleError("policy.supported_minors must be a positive integer", path=path)
    sources = data.get("sources") or []
    releases = [
        _release(r.get("minor"), path, released=r.get("released"),
                 eol_planned=r.get("eol_planned"), eol_actual=r.get("eol_actual"),
                 supported=r.get("supported"),
                 versions={"final_patch": r.get("final_patch"),
                           "latest_patch": r.get("latest_patch")})
        for r in _rows(data, "releases", path)
    ]
    return LifecycleFile(str(data.get("project", "custom")), releases, minors,
                         tuple(str(s) for s in sources if isinstance(sources, list)))


def parse(data: Any, path: Path) -> LifecycleFile:
    """Recognise the formats by shape."""
    if isinstance(data, list):  # endoflife.date JSON API: /api/<product>.json
        if not all(isinstance(r, dict) and "cycle" in r for r in data):
            raise LifecycleError("lifecycle JSON: expected a list of {cycle, releaseDate, eol…}",
                                 path=path)
        return LifecycleFile(path.stem.lower(), _endoflife(data, path, "cycle"))
    if not isinstance(data, dict):
        raise LifecycleError("lifecycle file: expected a mapping at the top", path=path)
    if data.get("schema") == "ksp-lifecycle/v1":
        return _ksp(data, path)
    if "schedules" in data:  # kubernetes/website data/releases/schedule.yaml
        return LifecycleFile("kubernetes", [
            _release(r.get("release"), path, released=r.get("releaseDate"),
                     eol_planned=r.get("endOfLifeDate"))
            for r in _rows(data, "schedules", path)])
    if "branches" in data:  # kubernetes/website data/releases/eol.yaml: actual EOLs
        return LifecycleFile("kubernetes", [
            _release(r.get("release"), path, eol_actual=r.get("endOfLifeDate"),
                     versions={"final_patch": r.get("finalPatchRelease")})
            for r in _rows(data, "branches", path)])
    if "releases" in data:  # endoflife.date product file (front matter)
        return LifecycleFile(str(data.get("title", path.stem)).lower(),
                             _endoflife(_rows(data, "releases", path), path, "releaseCycle"))
    raise LifecycleError(
        "unrecognised lifecycle file", path=path,
        hint="expected schedule.yaml, eol.yaml, an endoflife.date product file or its JSON API "
             "answer, or ksp's format")


def _rows(data: dict[str, Any], key: str, path: Path) -> list[dict[str, Any]]:
    rows = data.get(key)
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise LifecycleError(f"'{key}' must be a list of mappings", path=path)
    return rows


def read(path: Path, text: str | None = None) -> LifecycleFile:
    if text is None:
        text = read_text(path, what="lifecycle file")
    if path.suffix == ".md" or (text.startswith("---\n") and text.count("\n---") >= 1):
        text = _front_matter(text)
    return parse(load_yaml(path, text=text, cache=True), path)


def _front_matter(text: str) -> str:
    """endoflife.date files are Markdown with YAML front matter between '---' lines."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return text
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            # Keep the leading lines (as blank) so that error line numbers match the file.
            return "\n" + "".join(lines[1:i])
    return "".join(lines[1:])
