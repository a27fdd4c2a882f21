"""index.yaml's decisions: whose advisory it is, and each status against its recorded history.

A patch for another project's advisory (a CSI driver's) has no place in this repository; an
advisory kept apart should name what it is about; and a status a person set must be the last one
`ksp triage` recorded for that minor, so that the history stays the record of every decision.
"""

from __future__ import annotations

from collections.abc import Iterator

from ksp.lint.context import LintContext
from ksp.lint.findings import Finding
from ksp.model import AdvisoryKind, Status
from ksp.repo.layout import INDEX

_BY_PATCH = (Status.PATCHED, Status.IN_PROGRESS)  # set by `ksp new`/`gate --record`, not triage


def check_scope(ctx: LintContext) -> Iterator[Finding]:
    if ctx.index is None:
        return
    for advisory in ctx.index.advisories().values():
        if advisory.scope is AdvisoryKind.PROJECT:
            continue
        if not advisory.project:  # a line costs a parse of the index: only for a finding
            yield Finding.warning("KSP307", INDEX, f"{advisory.id} is kind {advisory.scope} but "
                                  "names no project", line=ctx.index.line_of(advisory.id),
                                  hint=f"ksp triage {advisory.id} --kind {advisory.scope} "
                                       "--project PACKAGE")
        if advisory.scope is AdvisoryKind.OTHER_PROJECT:
            for minor, state in advisory.minors.items():
                if state.patch:
                    yield Finding.error(
                        "KSP308", INDEX, f"{advisory.id} is another project's advisory "
                        f"({advisory.project or 'not named'}) but {minor} has a patch",
                        line=ctx.index.line_of(advisory.id, "minors", str(minor)),
                        hint="patches here are for this project's own advisories; if it is, "
                             f"ksp triage {advisory.id} --kind project")


def check_history(ctx: LintContext) -> Iterator[Finding]:
    if ctx.index is None:
        return
    for advisory in ctx.index.advisories().values():
        last = {d.minor: d for d in advisory.history if d.minor is not None}
        for minor, state in advisory.minors.items():
            decided = last.get(minor)
            if (decided is None or state.source is not None or state.status in _BY_PATCH
                    or decided.after == state.status.value):
                continue
            yield Finding.warning(
                "KSP309", INDEX, f"{advisory.id} on {minor} is {state.status}, but its last "
                f"recorded decision is {decided.after} ({decided.by}, {decided.date})",
                line=ctx.index.line_of(advisory.id, "minors", str(minor)),
                hint=f"record the change: ksp triage {advisory.id} --minor {minor} "
                     f"--status {state.status} --note WHY")
