"""YAML in and out: hostile input refused, errors with file and line, and a parse cache.

Every YAML file ksp reads may come from a pull request, so aliases (billion laughs) and deep
nesting are refused. Read-only loads go through libyaml when it is installed, with the pure
parser (YAML 1.2, authoritative) as the fallback that also words the errors.

Read-only loads can also use a cache keyed by the file's bytes: the parsed data as JSON in ksp's
cache folder. `ksp gate` reads ksp.yaml on every run, and parsing it costs more than the rest of
a series check; with the cache, ruamel is not even imported on that path. Cached loads always
return JSON types (dates as ISO strings), hit or miss, so callers see one shape.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ksp import __version__
from ksp._files import atomic_write, cache_dir, read_text
from ksp.errors import FormatError

if TYPE_CHECKING:
    from ruamel.yaml import YAML

# Anchors, aliases or deep flow nesting: only then is the (slower) event walk needed.
_MAYBE_HOSTILE = re.compile(r"(?:^|[\s\[{,:?-])[&*][^\s,\]}]|[\[{]{8}", re.MULTILINE)
MAX_YAML_DEPTH = 32
_FAILED = object()


def _check_events(yaml: YAML, text: str, path: Path) -> None:
    # lazy: 10.0 ms of start-up
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent

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


def _load_fast(text: str) -> Any:
    """libyaml's parser for read-only loads; anything it finds odd goes to the pure parser."""
    if _MAYBE_HOSTILE.search(text):
        return _FAILED
    try:
        # lazy: 9.5 ms of start-up; ruamel.yaml.clib's libyaml: a read-only load ~6x faster
        import _ruamel_yaml  # noqa: F401
        from ruamel.yaml import YAML  # lazy: 11.0 ms of start-up
        from ruamel.yaml.error import YAMLError  # lazy: 10.0 ms of start-up
    except ImportError:  # pragma: no cover - the pure parser is used then
        return _FAILED
    yaml = YAML(typ="safe", pure=False)
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text)
    except (YAMLError, RecursionError, ValueError):
        return _FAILED


def _parse(path: Path, text: str, roundtrip: bool) -> Any:
    from ruamel.yaml import YAML  # lazy: 10.2 ms of start-up
    from ruamel.yaml.error import MarkedYAMLError, YAMLError  # lazy: 10.3 ms of start-up

    if not roundtrip:
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
    except (ValueError, OverflowError) as exc:  # e.g. a timestamp 2026-02-30
        line, token = _bad_value(text)
        what = (f"impossible value {token!r}" if token else
                f"impossible value ({str(exc).split(':')[0]})")
        raise FormatError(what, path=path, line=line,
                          hint="dates are YYYY-MM-DD and must exist") from None
    except YAMLError as exc:
        raise FormatError(f"malformed YAML: {str(exc).splitlines()[0]}", path=path) from None


_DATE_LIKE = re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}(?:[Tt ][0-9:.]+(?:Z|[+-][0-9:]+)?)?\b")


def _bad_value(text: str) -> tuple[int | None, str | None]:
    """The line and text of the first date-like scalar that is not a real date, or of a number
    too long to convert."""
    for number, line in enumerate(text.splitlines(), start=1):
        if re.search(r"\d{4000}", line):
            return number, line.strip()[:40] + "…"
        for match in _DATE_LIKE.finditer(line):
            day = match.group(0)[:10].split("-")
            try:
                dt.date(int(day[0]), int(day[1]), int(day[2]))
            except ValueError:
                return number, match.group(0)
    return None, None


def json_types(node: Any) -> Any:
    """Parsed YAML as JSON types: mappings with string keys, lists, dates as ISO strings."""
    if isinstance(node, dict):
        return {str(k): json_types(v) for k, v in node.items()}
    if isinstance(node, list):
        return [json_types(v) for v in node]
    if isinstance(node, dt.date):
        return node.isoformat()
    return node


#: Entries kept in each cache folder; the oldest go first when a miss adds one more.
CACHE_ENTRIES = 256


def _cache_file(text: str, folder: str = "parsed") -> Path:
    key = hashlib.sha256(f"ksp {__version__}\0{text}".encode()).hexdigest()[:40]
    return cache_dir() / folder / f"{key}.json"


def _store(path: Path, data: str) -> None:
    """Write a cache entry and keep its folder bounded (pruned on misses only, never on hits)."""
    with contextlib.suppress(OSError):  # a read-only cache folder only costs speed
        atomic_write(path, data)
        entries = sorted(path.parent.glob("*.json"), key=_mtime)
        for old in entries[: max(0, len(entries) - CACHE_ENTRIES)]:
            old.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def load_yaml(path: Path, *, roundtrip: bool = False, text: str | None = None,
              cache: bool = False) -> Any:
    """Parse YAML safely; errors name the file and line. `roundtrip` keeps comments and order;
    `cache` keeps the parsed data keyed by content (JSON types, see the module docstring)."""
    if text is None:
        text = read_text(path, what="YAML file")
    if not cache or roundtrip:
        return _parse(path, text, roundtrip)
    stored = _cache_file(text)
    try:
        return json.loads(stored.read_text("utf-8"))
    except (OSError, ValueError):
        pass
    data = json_types(_parse(path, text, roundtrip=False))
    _store(stored, json.dumps(data))
    return data


def checked(text: str, check: str) -> bool:
    """Whether `text` passed `check` (a name with its version, e.g. the schema's hash) before."""
    return _cache_file(f"{check}\0{text}", "checked").is_file()


def mark_checked(text: str, check: str) -> None:
    """Remember that `text` passed `check`, so that the next read skips it (see `checked`)."""
    _store(_cache_file(f"{check}\0{text}", "checked"), "true")


def line_index(text: str) -> Any:
    """The composed node tree of `text`: node positions, no values.

    Readers load through the cache, without positions; when a finding needs a line, this
    composes the document once with libyaml (several times faster than a round-trip load),
    or with the pure composer (YAML 1.2, authoritative) when libyaml finds the text odd."""
    from ruamel.yaml import YAML  # lazy: 9.9 ms of start-up
    from ruamel.yaml.error import YAMLError  # lazy: 9.6 ms of start-up

    try:
        import _ruamel_yaml  # noqa: F401  # lazy: 9.8 ms of start-up (ruamel's libyaml)

        return YAML(typ="safe", pure=False).compose(text)
    except (ImportError, YAMLError):
        return YAML(typ="safe", pure=True).compose(text)


def block_line(text: str, path: Sequence[str | int]) -> int | None:
    """The line of the deepest key of `path` found in `text`'s block mappings, by indentation
    alone (a few milliseconds where composing a large index takes a few hundred): each key is
    looked for inside its parent's block only. Keys inside a flow mapping (`{status: …}`) are
    not looked into; their line is their parent's, the one a reader needs."""
    lines = text.splitlines()
    line, start, indent = None, 0, -1
    for key in path:
        pattern = re.compile(rf"^( *)(?:- +)?(['\"]?){re.escape(str(key))}\2 *:(?: |$)")
        found = None
        for i in range(start, len(lines)):
            raw = lines[i]
            stripped = raw.lstrip(" ")
            if not stripped or stripped.startswith("#"):
                continue
            if len(raw) - len(stripped) <= indent:
                break  # the parent's block ended
            match = pattern.match(raw)
            if match:
                found = (i, len(match[1]))
                break
        if found is None:
            return line
        line, start, indent = found[0] + 1, found[0] + 1, found[1]
    return line


def node_line(node: Any, path: Sequence[str | int]) -> int | None:
    """The line of the deepest node of `path` in a `line_index` tree (1-based)."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode  # lazy: 9.9 ms of start-up

    line = None
    for key in path:
        if isinstance(node, MappingNode):
            match = next((v for k, v in node.value if str(k.value) == str(key)), None)
            if match is None:
                break
            line = next(k for k, v in node.value if v is match).start_mark.line + 1
            node = match
        elif isinstance(node, SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            break
    return line


def dump_yaml(data: Any) -> str:
    """YAML text that ksp itself can read back: never an anchor or alias (ksp refuses those on
    input), even when one object (a date, a list) is referenced twice."""
    from ruamel.yaml import YAML  # lazy: 9.9 ms of start-up

    yaml = YAML(typ="rt", pure=True)
    yaml.representer.ignore_aliases = lambda *_: True
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    buf = io.StringIO()
    yaml.dump(data, buf)
    return buf.getvalue()
