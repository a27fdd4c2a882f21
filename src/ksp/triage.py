"""`ksp triage`: a maintainer's decision on an advisory, recorded in index.yaml with its history.

Editing index.yaml by hand breaks the schema, lint and the sha rules too easily, and leaves no
trace of who decided what. A decision here is checked whole before anything is written, then
applied under the repo lock in one atomic write: the new state (without `source: import`, so no
later import changes it) and one history entry per change (who, when, minor, from, to, why). The
same command sets whose advisory it is (`--kind`), overriding the importer's scope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TypeVar

from ksp.errors import TriageError
from ksp.model import (
    Advisory,
    AdvisoryId,
    AdvisoryKind,
    Decision,
    Justification,
    Minor,
    MinorState,
    PatchKind,
    Status,
    Window,
)
from ksp.repo import PatchesRepo
from ksp.repo.index_edit import IndexEdit
from ksp.repo.index_edit import edit as index_edit

_E = TypeVar("_E", Status, AdvisoryKind, Justification)
STATUSES = (Status.NEEDS_TRIAGE, Status.NEEDED, Status.NOT_AFFECTED, Status.WONT_FIX)
_KEPT = (Status.PATCHED, Status.IN_PROGRESS)  # a patch file stands behind these


@dataclass(frozen=True)
class Request:
    advisory: str
    by: str
    date: dt.date
    minors: tuple[Minor, ...] = ()
    all_minors: bool = False
    status: str | None = None
    justification: str | None = None
    note: str | None = None
    kind: str | None = None
    project: str | None = None


@dataclass(frozen=True)
class Skipped:
    minor: Minor
    why: str


@dataclass
class Result:
    advisory: str
    changes: list[Decision] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    written: bool = False


def _fail(message: str) -> TriageError:
    return TriageError(message)


def _one_line(value: str | None, option: str) -> None:
    if value is not None and (not value.strip() or any(c in value for c in "\n\r\x00")):
        raise _fail(f"{option} must be one non-empty line")


def check(request: Request) -> tuple[Status | None, Justification | None, AdvisoryKind | None]:
    """Everything that can be checked without the index: the words of the request."""
    _one_line(request.note, "--note")
    _one_line(request.project, "--project")
    if not request.by.strip() or any(c in request.by for c in "\n\r\x00"):
        raise _fail(f"--by {request.by!r}: expected a handle such as @maintainer, on one line")
    if request.status is None and request.kind is None:
        raise _fail("nothing to record: pass --status STATUS and/or --kind KIND")
    status = _enum(Status, request.status, "status", STATUSES)
    kind = _enum(AdvisoryKind, request.kind, "kind", tuple(AdvisoryKind))
    justification = _enum(Justification, request.justification, "justification",
                          tuple(Justification))
    if status is Status.NOT_AFFECTED and justification is None:
        raise _fail("--status not-affected needs --justification (one of OpenVEX's: "
                    + ", ".join(j.value for j in Justification) + ")")
    if justification is not None and status is not Status.NOT_AFFECTED:
        raise _fail("--justification goes with --status not-affected only")
    if status is Status.WONT_FIX and not request.note:
        raise _fail("--status wont-fix needs a reason: pass --note TEXT")
    if status is not None and not request.minors and not request.all_minors:
        raise _fail("name the minors: --minor M (repeatable) or --all-minors")
    if status is None and (request.minors or request.all_minors or justification):
        raise _fail("--minor, --all-minors and --justification go with --status")
    return status, justification, kind


def _enum(cls: type[_E], value: str | None, what: str, allowed: tuple[_E, ...]) -> _E | None:
    if value is None:
        return None
    found = next((e for e in allowed if e.value == value), None)
    if found is None:
        raise _fail(f"--{what} {value!r} is not one of: " + ", ".join(e.value for e in allowed))
    return found


def triage(repo: PatchesRepo, request: Request) -> Result:
    status, justification, kind = check(request)
    result = Result(request.advisory)
    with index_edit(repo.index_path, save=False) as document:
        advisory = _advisory(document, request.advisory)
        if kind is not None:
            _kind(document, advisory, kind, request, result)
        if status is not None:
            minors = _minors(repo, advisory, request, result)
            state = MinorState(status, reason=request.note, justification=justification)
            for minor in minors:
                _state(document, advisory, minor, state, request=request, result=result)
        if result.changes:
            document.stage(repo.index_path, document.render())
            result.written = True
    return result


def _advisory(document: IndexEdit, ident: str) -> Advisory:
    advisory = document.advisories().get(AdvisoryId(ident))
    if advisory is None:
        raise _fail(f"{ident} is not in index.yaml (`ksp advisories import` adds advisories)")
    if advisory.kind is PatchKind.INFRASTRUCTURE:
        raise _fail(f"{ident} is an infrastructure entry: it fixes no advisory to triage")
    return advisory


def _minors(repo: PatchesRepo, advisory: Advisory, request: Request,
            result: Result) -> list[Minor]:
    lifecycle = repo.lifecycle()
    if request.all_minors:
        wanted = set(lifecycle.in_window(request.date, Window.EXTENDED)) | set(advisory.minors)
        minors = []
        for minor in sorted(wanted, reverse=True):
            state = advisory.minors.get(minor)
            if state and state.status in _KEPT:
                why = f"{state.status} ({state.patch or 'no patch'})"
                result.skipped.append(Skipped(minor, why))
            else:
                minors.append(minor)
        return minors
    for minor in request.minors:
        if lifecycle.release(minor) is None and minor not in advisory.minors:
            raise _fail(f"minor {minor} is unknown: not in the lifecycle data nor in "
                        f"{advisory.id}'s states")
        state = advisory.minors.get(minor)
        if state and state.status in _KEPT:
            raise _fail(f"{advisory.id} is {state.status} on {minor} "
                        f"({state.patch or 'no patch'}): remove the patch before re-triaging")
    return list(dict.fromkeys(request.minors))


def _state(document: IndexEdit, advisory: Advisory, minor: Minor, new: MinorState, *,
           request: Request, result: Result) -> None:
    old = advisory.minors.get(minor)
    if old and old.source is None and (old.status, old.reason, old.justification) == (
            new.status, new.reason, new.justification):
        return  # already decided so, by a person
    document.set_state(advisory.id, minor, new)
    decision = Decision(request.by.strip(), request.date, new.status.value, minor,
                        old.status.value if old else None, request.note)
    document.add_history(advisory.id, decision)
    result.changes.append(decision)


def _kind(document: IndexEdit, advisory: Advisory, kind: AdvisoryKind, request: Request,
          result: Result) -> None:
    project = request.project or (advisory.project if kind is not AdvisoryKind.PROJECT else None)
    if kind is not AdvisoryKind.PROJECT and not project:
        raise _fail(f"--kind {kind} needs --project PACKAGE (the module or product it is about)")
    if advisory.scope is kind and advisory.project == project and advisory.scope_source is None:
        return
    document.set_scope(advisory.id, kind, project, imported=False)
    decision = Decision(request.by.strip(), request.date, kind.value, None, advisory.scope.value,
                        request.note)
    document.add_history(advisory.id, decision)
    result.changes.append(decision)


def history(repo: PatchesRepo, ident: str) -> Advisory:
    """The advisory, for its `history`; unknown ids are an error."""
    advisories = repo.advisories()
    advisory = advisories.get(AdvisoryId(ident))
    if advisory is None:
        raise _fail(f"{ident} is not in index.yaml")
    return advisory
