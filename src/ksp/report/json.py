"""JSON for scripts: records (dataclasses, NamedTuples), enums, dates and paths as plain data."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
from pathlib import Path


def plain(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a NamedTuple record
        return {name: plain(getattr(value, name)) for name in value._fields}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


def dumps(value: object) -> str:
    return json.dumps(plain(value), indent=2, ensure_ascii=False) + "\n"
