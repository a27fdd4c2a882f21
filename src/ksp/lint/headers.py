"""Header checks: the patch's own fields, without looking at the index."""

from __future__ import annotations

from collections.abc import Iterator

from ksp import severity as sev
from ksp.lint.context import LintContext, PatchEntry
from ksp.lint.findings import Finding
from ksp.model import BackportClass, PatchKind, Severity, TestsProvenance
from ksp.repo.patchfile import INFRA_REQUIRED, KNOWN_KEYS, PENDING, SECURITY_REQUIRED, PatchFile

_ENUMS = {
    "Backport": ("KSP205", [b.value for b in BackportClass]),
    "Tests": ("KSP206", [t.value for t in TestsProvenance]),
}


def line_of(patch: PatchFile, key: str) -> int | None:
    for number, line in enumerate(patch.header.lines, start=1):
        if line.key == key:
            return number
    return None


def check_headers(ctx: LintContext) -> Iterator[Finding]:
    for entry, patch in ctx.parsed():
        yield from _identity(entry, patch)
        yield from _required(ctx, entry, patch)
        yield from _known_keys(entry, patch)
        yield from _severity(entry, patch)


def _identity(entry: PatchEntry, patch: PatchFile) -> Iterator[Finding]:
    file_id = entry.name.split("_", 1)[1].removesuffix(".patch")
    if patch.header.advisory != file_id:
        yield Finding.error("KSP207", entry.rel, f"header is for {patch.header.advisory} but the "
                            f"file name says {file_id}", line=1,
                            hint="fix the title line or rename the file")
    if patch.header.kind is not PatchKind.of(file_id):
        want = "Infrastructure" if PatchKind.of(file_id) is PatchKind.INFRASTRUCTURE else "Security"
        yield Finding.error("KSP211", entry.rel, f"a {patch.header.kind} header for {file_id}",
                            line=1, hint=f"the title line should be '# {want} patch for {file_id}'")


def _required(ctx: LintContext, entry: PatchEntry, patch: PatchFile) -> Iterator[Finding]:
    required = SECURITY_REQUIRED if patch.header.kind is PatchKind.SECURITY else INFRA_REQUIRED
    end = patch.header_lines
    for key in required:
        value = patch.header.get(key)
        if key == "SRC Reviewer" and not value:
            if not ctx.options.pre_review:
                yield Finding.error("KSP203", entry.rel, "SRC Reviewer is empty",
                                    line=line_of(patch, key) or end,
                                    hint="an SRC member signs the patch before merge; "
                                         "use --pre-review until then")
        elif value is None:
            yield Finding.error("KSP202", entry.rel, f"header lacks '{key}'", line=end,
                                hint=f"add a line '# {key}: …' to the header")
        elif not value:
            yield Finding.error("KSP202", entry.rel, f"header field '{key}' is empty",
                                line=line_of(patch, key))
    testing = patch.header.get("Testing") or ""
    if testing.lower().startswith(PENDING) and not ctx.options.pre_review:
        yield Finding.warning("KSP212", entry.rel, "Testing is still pending",
                            line=line_of(patch, "Testing"),
                            hint="run `ksp gate --record` to write the evidence")


def _known_keys(entry: PatchEntry, patch: PatchFile) -> Iterator[Finding]:
    for number, line in enumerate(patch.header.lines, start=1):
        if line.key and line.key not in KNOWN_KEYS:
            yield Finding.warning("KSP204", entry.rel, f"unknown header key '{line.key}'",
                                  line=number, hint="kept as is; check its spelling")
        elif line.key in _ENUMS and line.value:
            code, allowed = _ENUMS[line.key]
            if line.value not in allowed:
                yield Finding.error(code, entry.rel, f"{line.key}: {line.value!r} is not one of "
                                    + ", ".join(allowed), line=number)


def header_severity(patch: PatchFile) -> Severity | None:
    parsed = patch.header.severity
    if parsed is None:
        return None
    return Severity(parsed[0], parsed[1], patch.header.get("CVSS vector") or None)


def _severity(entry: PatchEntry, patch: PatchFile) -> Iterator[Finding]:
    value = patch.header.get("Severity")
    stated = header_severity(patch)
    if value and stated is None:
        yield Finding.error("KSP208", entry.rel, f"Severity {value!r} is not in the form "
                            "'RATING (CVSS n.n)'", line=line_of(patch, "Severity"),
                            hint="e.g. 'MEDIUM (CVSS 6.7)'; rating NONE, LOW, MEDIUM, HIGH, "
                                 "CRITICAL")
    vector = patch.header.get("CVSS vector")
    if not vector:
        return
    line = line_of(patch, "CVSS vector")
    try:
        why = sev.disagreement(stated, vector) if stated else None
        computed = sev.from_vector(vector)
    except sev.BadVector as exc:
        yield Finding.error("KSP209", entry.rel, str(exc), line=line)
        return
    if why:
        yield Finding.error("KSP210", entry.rel, why, line=line_of(patch, "Severity"),
                            hint=f"write 'Severity: {sev.render(computed)}' or fix the vector")
