"""OSV records (a file, a list, an API answer `{"vulns": [...]}` or a folder of them).

Each record is validated against the OSV JSON schema shipped in the package. cve-feed-osv writes
the ecosystem as `kubernetes` where the schema spells it `Kubernetes`; a difference of case only is
accepted, anything else the schema rejects is an error naming the file and the field.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from ksp.advisories import _json
from ksp.advisories.project import Profile
from ksp.advisories.records import Event, Package, Range, Record, parse_timestamp
from ksp.errors import FormatError
from ksp.model import ADVISORY_ID_RE
from ksp.versions import Version

MAX_FILES = 5000
_ISSUE_RE = re.compile(r"^https://github\.com/[^/]+/[^/]+/issues/\d+$")
_FIX_RE = re.compile(r"^https://github\.com/[^/]+/[^/]+/(pull/\d+|commit/[0-9a-f]{7,40})$")


@cache
def _schema() -> dict[str, Any]:
    text = (resources.files("ksp") / "data" / "osv.schema.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(_schema(), format_checker=jsonschema.FormatChecker())


@cache
def _ecosystems() -> dict[str, str]:
    names = _schema()["$defs"]["ecosystemName"]["enum"]
    return {str(n).lower(): str(n) for n in names}


def load(sources: list[str | Path], profile: Profile) -> list[Record]:
    """Every record of every source; files in a folder are read in name order."""
    records: list[Record] = []
    for source in sources:
        for path in _expand(source):
            records.extend(_load_one(path, profile))
    return records


def _expand(source: str | Path) -> list[str | Path]:
    if isinstance(source, str) and _json.is_url(source):
        return [source]
    path = Path(source)
    if path.is_dir():
        return list(_json.json_files(path, what="OSV records", limit=MAX_FILES))
    return [source]


def _load_one(source: str | Path, profile: Profile) -> list[Record]:
    data = _json.load(source, what="OSV record")
    if isinstance(data, dict) and isinstance(data.get("vulns"), list):
        data = data["vulns"]
    items = data if isinstance(data, list) else [data]
    return [parse(item, str(source), profile) for item in items]


def _normalised(item: Any) -> Any:
    """The record with ecosystem names spelled as the schema spells them (case only)."""
    if not isinstance(item, dict) or not isinstance(item.get("affected"), list):
        return item
    copy = dict(item)
    copy["affected"] = []
    for affected in item["affected"]:
        if isinstance(affected, dict) and isinstance(affected.get("package"), dict):
            package = dict(affected["package"])
            eco = package.get("ecosystem")
            if isinstance(eco, str):
                base, sep, suffix = eco.partition(":")
                package["ecosystem"] = _ecosystems().get(base.lower(), base) + sep + suffix
            copy["affected"].append({**affected, "package": package})
        else:
            copy["affected"].append(affected)
    return copy


def validate(item: Any, origin: str) -> dict[str, Any]:
    item = _normalised(item)
    if not isinstance(item, dict):
        raise FormatError(f"OSV record must be a JSON object, got {type(item).__name__}",
                          path=origin)
    errors = sorted(_validator().iter_errors(item), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.absolute_path) or "(top)"
        message = err.message if len(err.message) < 160 else err.message[:157] + "..."
        raise FormatError(f"not an OSV record: {where}: {message}", path=origin,
                          hint="see https://ossf.github.io/osv-schema/")
    return item


def parse(raw: Any, origin: str, profile: Profile) -> Record:
    item = validate(raw, origin)
    ident, aliases = _identity(item, origin)
    refs = [r.get("url", "") for r in item.get("references") or [] if isinstance(r, dict)]
    packages = tuple(_package(a, profile) for a in item.get("affected") or [])
    fixed = sorted({e.version for p in packages if p.project for r in p.ranges
                    for e in r.events if e.kind == "fixed"})
    return Record(
        id=ident, source="osv", origin=origin,
        title=(item.get("summary") or "").strip() or _first_line(item.get("details")),
        issue=next((u for u in refs if _ISSUE_RE.match(u)), None),
        published=parse_timestamp(item.get("published")),
        vector=_vector(item),
        aliases=aliases,
        components=tuple(dict.fromkeys(
            c for p in packages if (c := profile.component_of(p.name)))),
        fixed_in=tuple(f"v{v}" for v in fixed),
        fixes=tuple(dict.fromkeys(u for u in refs if _FIX_RE.match(u)
                                  and u.startswith(profile.upstream + "/"))),
        packages=packages,
    )


def _identity(item: dict[str, Any], origin: str) -> tuple[str, tuple[str, ...]]:
    """The index key (a CVE where there is one, else a GHSA) and the other names."""
    names = [str(item["id"]), *(str(a) for a in item.get("aliases") or [])]
    key = next((n for n in names if n.startswith("CVE-") and ADVISORY_ID_RE.fullmatch(n)), None)
    key = key or next((n for n in names if n.startswith("GHSA-") and ADVISORY_ID_RE.fullmatch(n)),
                      None)
    if key is None:
        raise FormatError(f"OSV record {item['id']} has no CVE or GHSA id among its aliases",
                          path=origin, hint="ksp keys advisories by CVE or GHSA id")
    return key, tuple(dict.fromkeys(n for n in names if n != key))


def _package(affected: dict[str, Any], profile: Profile) -> Package:
    pkg = affected.get("package") or {}
    name, eco = str(pkg.get("name", "")), str(pkg.get("ecosystem", ""))
    ranges: list[Range] = []
    skipped = bad = None
    for rng in affected.get("ranges") or []:
        kind = str(rng.get("type"))
        if kind == "GIT" or (kind == "ECOSYSTEM" and not profile.semver_ecosystem(eco)):
            skipped = f"{kind} ranges of {name} ({eco}) are not comparable with versions"
            continue
        events = []
        for event in rng.get("events") or []:
            for key, text in event.items():
                version = Version.parse(profile.normalise(str(text), name, eco))
                if version is None:
                    bad = f"{name}: version {text!r} is not a semantic version"
                else:
                    events.append(Event(key, version))
        ranges.append(Range(kind, tuple(events)))
    versions = tuple(v for t in affected.get("versions") or []
                     if (v := Version.parse(profile.normalise(str(t), name, eco))))
    undecidable = bad
    if not ranges and not versions:
        undecidable = bad or skipped or f"{name} has neither ranges nor versions"
    return Package(name, eco, profile.is_project(name), tuple(ranges), versions, undecidable)


def _vector(item: dict[str, Any]) -> str | None:
    severities = list(item.get("severity") or [])
    for affected in item.get("affected") or []:
        severities.extend(affected.get("severity") or [])
    for wanted in ("CVSS_V3", "CVSS_V4"):
        for severity in severities:
            if severity.get("type") == wanted:
                return str(severity.get("score"))
    return None




def _first_line(text: Any) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    return text.strip().splitlines()[0][:200]
