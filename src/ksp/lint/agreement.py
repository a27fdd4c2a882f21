"""Header <-> index.yaml: the advisory is there, its state references the file with the file's
sha256, severities agree, and every `patch:` in the index names a file that exists."""

from __future__ import annotations

from collections.abc import Iterator

from ksp import severity as sev
from ksp.lint.context import LintContext, PatchEntry
from ksp.lint.findings import Finding
from ksp.lint.headers import header_severity, line_of
from ksp.model import Advisory, AdvisoryId, PatchKind, Status
from ksp.repo.index import IndexDocument
from ksp.repo.layout import INDEX
from ksp.repo.patchfile import PatchFile

_LIVE = (Status.PATCHED, Status.IN_PROGRESS)


def check_patches_in_index(ctx: LintContext) -> Iterator[Finding]:
    if ctx.index is None:
        return
    advisories = ctx.index.advisories()
    for entry, patch in ctx.parsed():
        advisory = advisories.get(AdvisoryId(patch.header.advisory))
        if advisory is None:
            yield Finding.error("KSP301", entry.rel, f"{patch.header.advisory} is not in "
                                "index.yaml", line=1,
                                hint="add it (`ksp new` does) with a state for this minor")
            continue
        yield from _state(ctx.index, entry, patch, advisory)
        yield from _severity(entry, patch, advisory)


def _state(doc: IndexDocument, entry: PatchEntry, patch: PatchFile,
           advisory: Advisory) -> Iterator[Finding]:
    state = advisory.minors.get(entry.minor)
    if state is None:
        if advisory.kind is PatchKind.SECURITY:
            yield Finding.error("KSP302", entry.rel, f"index.yaml has no state of "
                                f"{advisory.id} for {entry.minor}",
                                hint=f"add minors: {{\"{entry.minor}\": {{status: in-progress, "
                                     f"patch: {entry.rel}, sha256: …}}}}")
        return

    def where() -> str:  # a line costs a parse of the index: only for a finding
        return f"index.yaml:{doc.line_of(advisory.id, 'minors', str(entry.minor)) or '?'}"

    if state.patch != entry.rel:
        yield Finding.error("KSP302", entry.rel, f"the index state of {advisory.id} on "
                            f"{entry.minor} ({where()}) references {state.patch or 'no patch'}",
                            hint=f"set patch: {entry.rel}")
        return
    if advisory.kind is PatchKind.SECURITY and state.status not in _LIVE:
        yield Finding.error("KSP303", entry.rel, f"index status of {advisory.id} on "
                            f"{entry.minor} is {state.status} ({where()})",
                            hint="a minor with a patch is patched or in-progress")
    if state.sha256 and state.sha256 != patch.sha256:
        yield Finding.error("KSP304", entry.rel, f"sha256 differs from index.yaml ({where()})",
                            hint="after a reviewer's sign-off use `ksp sign PATCH --reviewer "
                                 f"@handle`; for another intended change set sha256: "
                                 f"{patch.sha256}")


def _severity(entry: PatchEntry, patch: PatchFile, advisory: Advisory) -> Iterator[Finding]:
    stated, indexed = header_severity(patch), advisory.severity
    if stated is None or indexed is None:
        return
    line = line_of(patch, "Severity")
    if stated.rating is not indexed.rating or (
            stated.score is not None and indexed.score is not None
            and abs(stated.score - indexed.score) > 0.05):
        yield Finding.error("KSP306", entry.rel, f"severity {sev.render(stated)} disagrees with "
                            f"index.yaml ({sev.render(indexed)})", line=line)
    if stated.vector and indexed.vector and stated.vector != indexed.vector:
        yield Finding.error("KSP306", entry.rel, "CVSS vector differs from index.yaml",
                            line=line_of(patch, "CVSS vector"))


def check_index_references(ctx: LintContext) -> Iterator[Finding]:
    """Repo-wide: every `patch:` exists and sits in its minor's folder; index severities agree
    with their own vectors."""
    if ctx.index is None:
        return
    for advisory in ctx.index.advisories().values():
        for minor, state in advisory.minors.items():
            if not state.patch:
                continue
            if not state.patch.startswith(f"{minor.folder}/"):
                yield Finding.error("KSP305", INDEX, f"{advisory.id} on {minor} references "
                                    f"{state.patch}, outside {minor.folder}/",
                                    line=ctx.index.line_of(advisory.id, "minors", str(minor)))
            elif not (ctx.root / state.patch).is_file():
                yield Finding.error("KSP305", INDEX, f"{advisory.id} on {minor} references "
                                    f"{state.patch}, which does not exist",
                                    line=ctx.index.line_of(advisory.id, "minors", str(minor)),
                                    hint="fix the path, or the status if the patch was dropped")
        yield from _index_vector(ctx.index, advisory)


def _index_vector(doc: IndexDocument, advisory: Advisory) -> Iterator[Finding]:
    if advisory.severity is None or not advisory.severity.vector:
        return
    try:
        why = sev.disagreement(advisory.severity, advisory.severity.vector)
    except sev.BadVector as exc:
        yield Finding.error("KSP209", INDEX, f"{advisory.id}: {exc}",
                            line=doc.line_of(advisory.id, "severity"))
        return
    if why:
        yield Finding.error("KSP210", INDEX, f"{advisory.id}: {why}",
                            line=doc.line_of(advisory.id, "severity"))
