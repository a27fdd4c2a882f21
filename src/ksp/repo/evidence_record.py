"""The gate's evidence record (`.ksp/evidence/<minor>/evidence.json`): its types, the one writer
and the one reader.

The JSON is a contract for scripts (README, "The gate in more detail"): `dumps` writes the shape
every ksp of schema `ksp-evidence/v1` wrote, and `parse` checks every field's type before
anything sees it, so that the gate's reuse, lint's `Testing:` check and the attestation work on
typed values only.
A record that is not JSON, of another schema, or with a field of the wrong type is a one-line
FormatError naming the file. Fields added to v1 after its first release (`go_setup`, `warnings`,
`reuse_key`, a patch's `commit` and `failed_hunks`, a failure's `detail`) may be missing: older
records keep reading.

The types are NamedTuples, not dataclasses: every gate run creates these classes (it writes a
record), and a NamedTuple class costs about a quarter of a frozen dataclass to create (measured
~0.15 ms against ~0.6 ms each on the shared machine): start-up is issue 16's budget.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import NamedTuple

from ksp._files import read_text
from ksp.errors import FormatError
from ksp.model import Minor

SCHEMA = "ksp-evidence/v1"
RECORD = "evidence.json"  # the latest run's record; `--record` keeps a copy as `<sha256>.json`
_HINT = "run `ksp gate` again to write a new record"


def folder(root: Path, minor: Minor) -> Path:
    """Where a minor's records, logs and attestation go under an evidence root (by default
    `<patches repo>/.ksp/evidence`)."""
    return root / str(minor)


def default_root(repo_root: Path) -> Path:
    return repo_root / ".ksp" / "evidence"


class Upstream(NamedTuple):
    url: str
    base_ref: str
    base: str | None  # None: the minor had no base to gate on
    head: str | None  # base + series; None when the series failed


class FailedHunk(NamedTuple):
    path: str
    hunk: int
    line: int


class PatchEntry(NamedTuple):
    """One patch's verdict; the JSON report writes the same object for each patch."""

    file: str
    sha256: str  # of the whole file
    diff_sha256: str  # of the diff alone: stable when --record rewrites the header
    new: bool
    result: str  # git.series.Outcome's value
    detail: str = ""
    commit: str | None = None
    failed_hunks: tuple[FailedHunk, ...] = ()


class Failure(NamedTuple):
    package: str
    test: str
    kind: str  # gate.types.FailureKind's value
    detail: str = ""


class StepEntry(NamedTuple):
    """One build, test or typecheck step; the JSON report writes the same object."""

    name: str  # gate.types.StepName's value
    result: str  # gate.types.StepOutcome's value
    command: str
    exit_code: int | None = None
    duration: float = 0.0  # seconds, rounded to ms by the gate
    log: str | None = None
    toolchain: str | None = None
    detail: str = ""
    failures: tuple[Failure, ...] = ()


class EvidenceRecord(NamedTuple):
    ksp: str  # the version that wrote it
    date: dt.datetime
    minor: Minor
    result: str  # "pass" | "fail"
    upstream: Upstream
    patches: tuple[PatchEntry, ...] = ()
    steps: tuple[StepEntry, ...] = ()
    go: tuple[str, ...] = ()  # toolchains the steps ran
    go_setup: str = ""
    warnings: tuple[str, ...] = ()
    error: str | None = None
    worktree: str | None = None
    reuse_key: str | None = None  # gate/reuse.py; only a pass is ever reused
    schema: str = SCHEMA

    @property
    def passed(self) -> bool:
        return self.result == "pass"


def patch_json(p: PatchEntry) -> dict[str, object]:
    return {"file": p.file, "sha256": p.sha256, "diff_sha256": p.diff_sha256, "new": p.new,
            "result": p.result, "detail": p.detail, "commit": p.commit,
            "failed_hunks": [{"path": h.path, "hunk": h.hunk, "line": h.line}
                             for h in p.failed_hunks]}


def step_json(s: StepEntry) -> dict[str, object]:
    return {"name": s.name, "result": s.result, "command": s.command, "exit_code": s.exit_code,
            "duration": s.duration, "log": s.log, "toolchain": s.toolchain,
            "detail": s.detail,
            "failures": [{"package": f.package, "test": f.test, "kind": f.kind,
                          "detail": f.detail} for f in s.failures]}


def as_json(r: EvidenceRecord) -> dict[str, object]:
    u = r.upstream
    return {
        "schema": r.schema, "ksp": r.ksp, "date": r.date.isoformat(), "minor": str(r.minor),
        "result": r.result,
        "upstream": {"url": u.url, "base_ref": u.base_ref, "base": u.base, "head": u.head},
        "patches": [patch_json(p) for p in r.patches], "steps": [step_json(s) for s in r.steps],
        "go": list(r.go), "go_setup": r.go_setup, "warnings": list(r.warnings),
        "error": r.error, "worktree": r.worktree, "reuse_key": r.reuse_key,
    }


def dumps(record: EvidenceRecord) -> bytes:
    """The record's bytes, as written to `evidence.json` (and hashed by `Testing:` lines)."""
    return (json.dumps(as_json(record), indent=2, ensure_ascii=False) + "\n").encode()


def read(path: Path) -> EvidenceRecord:
    """The record at `path`, checked; FormatError (one line, naming the file) otherwise."""
    return parse(read_bytes(path), path)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, for a caller that hashes them too: bounded, UTF-8, a regular file."""
    return read_text(path, what="evidence record").encode()


def parse(data: bytes, path: Path) -> EvidenceRecord:
    """The record in `data` (read from `path`): for a caller that also hashes the bytes."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError) as exc:  # not JSON, 5,000 digits, nested too deep
        raise _bad(path, f"not JSON ({str(exc).splitlines()[0][:120]})") from None
    try:
        return _record(_Obj(doc, ""))
    except _Bad as exc:
        raise _bad(path, str(exc)) from None


def _bad(path: Path, why: str) -> FormatError:
    return FormatError(f"not a ksp evidence record: {why}", path=path, hint=_HINT)


class _Bad(Exception):
    """A field of the wrong type (the message names it), turned into a FormatError."""


def _record(doc: _Obj) -> EvidenceRecord:
    schema = doc.text("schema")
    if schema != SCHEMA:
        raise _Bad(f"schema {schema[:60]!r}; this ksp reads {SCHEMA}")
    ksp = doc.text("ksp")
    try:
        date = dt.datetime.fromisoformat(doc.text("date"))
        minor = Minor.parse(doc.text("minor"))
    except ValueError as exc:
        raise _Bad(str(exc)[:160]) from None
    result = doc.text("result")
    if result not in ("pass", "fail"):
        raise _Bad(f"'result' must be \"pass\" or \"fail\", not {result[:40]!r}")
    up = doc.obj("upstream")
    return EvidenceRecord(
        ksp=ksp, date=date, minor=minor, result=result,
        upstream=Upstream(up.text("url"), up.text("base_ref"), up.opt_text("base"),
                          up.opt_text("head")),
        patches=tuple(_patch(p) for p in doc.objects("patches")),
        steps=tuple(_step(s) for s in doc.objects("steps")),
        go=doc.texts("go"), go_setup=doc.text("go_setup", missing=""),
        warnings=doc.texts("warnings", missing=True), error=doc.opt_text("error"),
        worktree=doc.opt_text("worktree"), reuse_key=doc.opt_text("reuse_key", missing=True),
    )


def _patch(p: _Obj) -> PatchEntry:
    return PatchEntry(
        p.text("file"), p.text("sha256"), p.text("diff_sha256"), p.flag("new"), p.text("result"),
        p.text("detail"), p.opt_text("commit", missing=True),
        tuple(FailedHunk(h.text("path"), h.integer("hunk"), h.integer("line"))
              for h in p.objects("failed_hunks", missing=True)))


def _step(s: _Obj) -> StepEntry:
    return StepEntry(
        s.text("name"), s.text("result"), s.text("command"), s.opt_int("exit_code"),
        s.number("duration"), s.opt_text("log"), s.opt_text("toolchain"), s.text("detail"),
        tuple(Failure(f.text("package"), f.text("test"), f.text("kind"),
                      f.text("detail", missing=""))
              for f in s.objects("failures")))


_LIMIT = 2**63  # an exit code, a hunk or a line beyond this is not one ksp wrote


class _Obj:
    """A JSON object being read: each getter checks its field's type and names the field
    (e.g. `steps[1].duration`) when it is wrong. `missing=`: what a field added to v1 after
    its first release reads as when an older record lacks it; other fields are required."""

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, dict):
            raise _Bad(f"'{where}' must be an object" if where else "not a JSON object")
        self._data: dict[str, object] = data
        self._where = where

    def _name(self, key: str) -> str:
        return f"{self._where}.{key}" if self._where else key

    def _get(self, key: str, missing: object) -> object:
        if key in self._data:
            return self._data[key]
        if missing is _REQUIRED:
            raise _Bad(f"'{self._name(key)}' is missing")
        return missing

    def _wrong(self, key: str, what: str) -> _Bad:
        return _Bad(f"'{self._name(key)}' must be {what}")

    def text(self, key: str, *, missing: str | None = None) -> str:
        value = self._get(key, _REQUIRED if missing is None else missing)
        if not isinstance(value, str):
            raise self._wrong(key, "a string")
        return value

    def opt_text(self, key: str, *, missing: bool = False) -> str | None:
        value = self._get(key, None if missing else _REQUIRED)
        if value is not None and not isinstance(value, str):
            raise self._wrong(key, "a string or null")
        return value

    def integer(self, key: str) -> int:
        value = self._get(key, _REQUIRED)
        if not isinstance(value, int) or isinstance(value, bool) or abs(value) >= _LIMIT:
            raise self._wrong(key, "an integer")
        return value

    def opt_int(self, key: str) -> int | None:
        return None if self._get(key, _REQUIRED) is None else self.integer(key)

    def number(self, key: str) -> float:
        value = self._get(key, _REQUIRED)
        if not isinstance(value, int | float) or isinstance(value, bool) \
                or not math.isfinite(value) or not 0 <= value < _LIMIT:
            raise self._wrong(key, "a number of seconds")
        return float(value)

    def flag(self, key: str) -> bool:
        value = self._get(key, _REQUIRED)
        if not isinstance(value, bool):
            raise self._wrong(key, "true or false")
        return value

    def _list(self, key: str, missing: bool) -> list[object]:
        value = self._get(key, [] if missing else _REQUIRED)
        if not isinstance(value, list):
            raise self._wrong(key, "a list")
        return value

    def texts(self, key: str, *, missing: bool = False) -> tuple[str, ...]:
        items = self._list(key, missing)
        if not all(isinstance(i, str) for i in items):
            raise self._wrong(key, "a list of strings")
        return tuple(str(i) for i in items)

    def objects(self, key: str, *, missing: bool = False) -> list[_Obj]:
        return [_Obj(item, f"{self._name(key)}[{i}]")
                for i, item in enumerate(self._list(key, missing))]

    def obj(self, key: str) -> _Obj:
        return _Obj(self._get(key, _REQUIRED), self._name(key))


_REQUIRED = object()
