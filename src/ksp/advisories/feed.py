"""The official Kubernetes CVE feed: JSON Feed 1.1 with `_kubernetes_io` extensions.

The feed carries no structured versions: affected and fixed versions appear only in each item's
`content_text`, as Markdown lists such as `- kube-apiserver v1.27.0 - v1.27.2` or `<= v1.24.14`.
Those lines are read into the same ranges an OSV record has, so that one derivation serves both.
An item can announce several CVEs (`"id": "CVE-2023-2727, CVE-2023-2728"`); each gets its own
record, with its own section of the text when the item has one (`### CVE-2023-2727: title`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ksp.advisories import _json
from ksp.advisories.project import Profile
from ksp.advisories.records import Event, Package, Range, Record, parse_timestamp
from ksp.advisories.scope import release_modules
from ksp.errors import FormatError
from ksp.model import ADVISORY_ID_RE
from ksp.versions import ZERO, Version

_V = r"[vV]?\d+\.\d+(?:\.(?:\d+|x))?"
_OPEN_RE = re.compile(rf"^(?P<prefix>.*?)(?P<op><=|<|>=|>)\s*(?P<a>{_V})\s*$")
_SPAN_RE = re.compile(rf"^(?P<prefix>.*?)(?P<a>{_V})\s*-\s*(?P<b>{_V})\b")
_ONE_RE = re.compile(rf"^(?P<prefix>.*?)(?P<a>{_V})\b")
_CVSS_RE = re.compile(r"CVSS:[34]\.[01](?:/[A-Za-z]{1,3}:[A-Za-z]{1,3})+")
_HEADING_RE = re.compile(r"^\s*(#{1,6}\s|\*\*[^*]+\*\*:?\s*$|\*\*[^*]+:\*\*\s*$)")
_AFFECTED_RE = re.compile(r"^\s*(#{1,6}\s*|\*\*)\s*(affected|vulnerable) versions?", re.I)
_FIXED_RE = re.compile(r"^\s*(#{1,6}\s*|\*\*)\s*fixed versions?", re.I)
_SECTION_RE = re.compile(r"^#{2,4}\s*(?P<id>CVE-\d{4}-\d{4,})\s*:\s*(?P<title>.+?)\s*$", re.M)
_PR_RE = re.compile(r"(?<![\w/])#(\d{2,7})\b")
_STOP_WORDS = frozenset({"fixed", "in", "by", "kubernetes", "and", "versions", "version", "all"})


def load(source: str | Path, profile: Profile) -> list[Record]:
    data = _json.load(source, what="CVE feed")
    origin = str(source)
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(
            "https://jsonfeed.org/version/1"):
        raise FormatError("not a JSON Feed (expected 'version': 'https://jsonfeed.org/version/1.1')",
                          path=origin, hint="pass the official feed: "
                          "https://kubernetes.io/docs/reference/issues-security/official-cve-feed/index.json")
    items = data.get("items")
    if not isinstance(items, list):
        raise FormatError("CVE feed has no 'items' list", path=origin)
    records: list[Record] = []
    for number, item in enumerate(items):
        records.extend(_item(item, number, origin, profile))
    return records


def _item(item: Any, number: int, origin: str, profile: Profile) -> Iterator[Record]:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        raise FormatError(f"feed item {number} is not an object with a string 'id'", path=origin)
    ids = [part.strip() for part in item["id"].split(",") if part.strip()]
    bad = [i for i in ids if not ADVISORY_ID_RE.fullmatch(i)]
    if not ids or bad:
        raise FormatError(f"feed item {number}: id {item['id']!r} is not a CVE id", path=origin)
    for field in ("summary", "content_text", "url", "date_published"):
        if item.get(field) is not None and not isinstance(item[field], str):
            raise FormatError(f"feed item {number}: '{field}' must be a string", path=origin)
    text = (item.get("content_text") or "").replace("\r\n", "\n")
    sections = {m["id"]: m for m in _SECTION_RE.finditer(text)}
    for ident in ids:
        section, title = text, item.get("summary")
        if ident in sections:
            match = sections[ident]
            end = min((m.start() for m in sections.values() if m.start() > match.start()),
                      default=len(text))
            section, title = text[match.start():end], match["title"]
        yield _record(ident, item, section, title, origin=origin, profile=profile)


def _record(ident: str, item: dict[str, Any], text: str, title: str | None, *, origin: str,
            profile: Profile) -> Record:
    affected = _lines(text, _AFFECTED_RE)
    packages = _packages(affected, profile)
    fixed_lines = _lines(text, _FIXED_RE)
    fixed = sorted({v for prefix, v in (_first_version(line) for line in fixed_lines)
                    if v and _is_project(prefix, profile)})
    components = [w for line in affected + fixed_lines for w in _words(_prefix(line))
                  if w in profile.components]
    vector = _CVSS_RE.search(text) or _CVSS_RE.search(item.get("content_text") or "")
    return Record(
        id=ident, source="feed", origin=origin,
        title=(title or "").strip() or None,
        issue=_issue(item, profile),
        published=parse_timestamp(item.get("date_published")),
        vector=vector.group(0) if vector else None,
        components=tuple(dict.fromkeys(components)),
        fixed_in=tuple(f"v{v}" for v in fixed),
        fixes=tuple(dict.fromkeys(f"{profile.upstream}/pull/{n}" for line in fixed_lines
                                  for n in _PR_RE.findall(line)))
        if profile.upstream.startswith("https://github.com/") else (),
        packages=tuple(packages),
        mentions=release_modules(text),
    )


def _lines(text: str, heading: re.Pattern[str]) -> list[str]:
    """The list lines under the first heading that matches, up to the next heading."""
    out: list[str] = []
    inside = False
    for line in text.split("\n"):
        if heading.match(line):
            inside = True
            continue
        if inside and _HEADING_RE.match(line) and out:
            break
        if inside and line.strip():
            out.append(line.strip().lstrip("-*• ").strip())
    return out


def _packages(lines: list[str], profile: Profile) -> list[Package]:
    grouped: dict[str, list[Range]] = {}
    for line in lines:
        parsed = _range(line)
        if parsed is None:
            continue
        prefix, rng = parsed
        key = "" if _is_project(prefix, profile) else " ".join(_words(prefix))
        grouped.setdefault(key, []).append(rng)
    return [Package(_package_name(key, profile), "feed", key == "", tuple(ranges))
            for key, ranges in grouped.items()]


def _range(line: str) -> tuple[str, Range] | None:
    if match := _OPEN_RE.match(line):
        version = Version.parse(match["a"])
        assert version is not None
        op = match["op"]
        events = {"<=": [Event("introduced", ZERO), Event("last_affected", version)],
                  "<": [Event("introduced", ZERO), Event("fixed", version)],
                  ">=": [Event("introduced", version)],
                  ">": [Event("introduced", version), Event("last_affected", version)]}[op]
        if op == ">":  # everything above, but not the version itself: rare; keep it simple
            events = [Event("introduced", version)]
        return match["prefix"], Range("SEMVER", tuple(events))
    match = _SPAN_RE.match(line) or _ONE_RE.match(line)
    if not match:
        return None
    low = Version.parse(match["a"])
    high = Version.parse(match.groupdict().get("b") or match["a"])
    assert low is not None and high is not None
    return match["prefix"], Range("SEMVER", (Event("introduced", low),
                                             Event("last_affected", high)))


def _prefix(line: str) -> str:
    match = _ONE_RE.match(line)
    return match["prefix"] if match else ""


def _first_version(line: str) -> tuple[str, Version | None]:
    match = _ONE_RE.match(line)
    if not match or "master" in line.split(match["a"], maxsplit=1)[0].lower():
        return "", None
    return match["prefix"], Version.parse(match["a"])


def _words(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Za-z][\w.-]*", text)
            if w.lower() not in _STOP_WORDS]


def _is_project(prefix: str, profile: Profile) -> bool:
    words = _words(prefix.replace("<", " ").replace(">", " ").replace("=", " "))
    return all(profile.is_project_word(w) for w in words)


def _package_name(key: str, profile: Profile) -> str:
    return profile.module or profile.project if key == "" else key


def _issue(item: dict[str, Any], profile: Profile) -> str | None:
    url = item.get("url")
    if isinstance(url, str) and "/issues/" in url:
        return url
    number = (item.get("_kubernetes_io") or {}).get("issue_number")
    if isinstance(number, int) and profile.upstream.startswith("https://github.com/"):
        return f"{profile.upstream}/issues/{number}"
    return None


