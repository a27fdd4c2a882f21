"""The gate as a pull-request comment. The hidden marker on the first line lets CI find and
update its one comment instead of adding a new one per push."""

from __future__ import annotations

from ksp.gate.run import GateResult, MinorResult, outcome_of

MARKER = "<!-- ksp-gate -->"
ICONS = {"applied": "✅", "already-applied": "ℹ️", "drift": "⚠️", "failed": "❌", "skipped": "⏭️",
         "pass": "✅", "fail": "❌"}


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", "<br>") if value else ""


def markdown(result: GateResult) -> str:
    verdict = "pass" if result.ok else "fail"
    lines = [MARKER, f"## ksp gate: {ICONS[verdict]} {verdict}", ""]
    if not result.minors:
        lines.append("No minor to gate: the change touches no patch file.")
    for minor in result.minors:
        lines += _minor(minor)
    lines.append(f"<sub>upstream {result.upstream}</sub>")
    return "\n".join(lines) + "\n"


def _minor(m: MinorResult) -> list[str]:
    verdict = "pass" if m.ok else "fail"
    base = f" on `{m.base[:12]}` ({m.base_ref})" if m.base else ""
    lines = [f"### {m.minor}: {ICONS[verdict]} {verdict}{base}", ""]
    if m.error:
        lines += [f"**Error:** {_cell(m.error)}", ""]
    lines += ["| # | patch | series | detail |", "| --- | --- | --- | --- |"]
    for number, (planned, outcome) in enumerate(m.patch_results(), start=1):
        state = outcome_of(outcome)
        name = f"`{planned.file}`" + (" (new)" if planned.new else "")
        detail = outcome.detail if outcome else ""
        lines.append(f"| {number} | {name} | {ICONS.get(state, '')} {state} | {_cell(detail)} |")
    lines += ["", "| step | toolchain | result | command | log |",
              "| --- | --- | --- | --- | --- |"]
    for s in m.steps:
        detail = f"`{_cell(s.command)}`" if s.command else _cell(s.detail)
        failures = "".join(f"<br>{f.kind.value}: `{f.package}` {_cell(f.test)}"
                           for f in s.failures)
        log = f"`{s.log}`" if s.log else ""
        lines.append(f"| {s.name.value} | {s.toolchain or ''} | {ICONS.get(s.result.value, '')} "
                     f"{s.result.value} | {detail}{failures} | {log} |")
    lines.append("")
    if m.worktree:
        lines += [f"Failing worktree kept at `{m.worktree}`.", ""]
    if m.evidence_sha256:
        lines += [f"Evidence: `{m.evidence}` (sha256 `{m.evidence_sha256}`)", ""]
    return lines
