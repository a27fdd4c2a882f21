"""The gate as a pull-request comment. The hidden marker on the first line lets CI find and
update its one comment instead of adding a new one per push."""

from __future__ import annotations

from pathlib import Path

from ksp.gate.model import GateResult, MinorResult, outcome_of
from ksp.report.gate_text import short_command, short_path, step_cause, warnings

MARKER = "<!-- ksp-gate -->"
ICONS = {"applied": "✅", "already-applied": "ℹ️", "drift": "⚠️", "failed": "❌", "skipped": "⏭️",
         "pass": "✅", "fail": "❌", "error": "⛔"}


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", "<br>") if value else ""


def markdown(result: GateResult) -> str:
    if not result.minors:  # not a pass: nothing was gated
        why = result.note or "the change touches no patch file"
        why = why[:1].upper() + why[1:]
        return "\n".join([MARKER, "## ksp gate: nothing to gate", "", f"{why}.", "",
                          f"<sub>upstream {result.upstream}</sub>"]) + "\n"
    verdict = "pass" if result.ok else "fail"
    lines = [MARKER, f"## ksp gate: {ICONS[verdict]} {verdict}", ""]
    for minor in result.minors:
        lines += _minor(minor, result.repo_root)
    lines.append(f"<sub>upstream {result.upstream}</sub>")
    return "\n".join(lines) + "\n"


def _minor(m: MinorResult, root: Path | None) -> list[str]:
    verdict = "pass" if m.ok else "fail"
    base = f" on `{m.base[:12]}` ({m.base_ref})" if m.base else ""
    lines = [f"### {m.minor}: {ICONS[verdict]} {verdict}{base}", ""]
    for warning in warnings(m):
        lines += [f"> ⚠️ {_cell(warning)}", ""]
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
        detail = f"`{_cell(short_command(s.command))}`" if s.command else _cell(s.detail)
        detail += f"<br>**{_cell(cause)}**" if (cause := step_cause(s)) else ""
        failures = "".join(f"<br>{f.kind.value}: `{f.package}` {_cell(f.test)}"
                           for f in s.failures)
        log = f"`{short_path(s.log, root)}`" if s.log else ""
        lines.append(f"| {s.name.value} | {s.toolchain or ''} | {ICONS.get(s.result.value, '')} "
                     f"{s.result.value} | {detail}{failures} | {log} |")
    lines.append("")
    if m.worktree:
        lines += [f"Failing worktree kept at `{m.worktree}`.", ""]
    if m.evidence_sha256:
        lines += [f"Evidence: `{short_path(m.evidence, root)}` (sha256 `{m.evidence_sha256}`)",
                  ""]
    if m.reused:
        lines += [f"Reused evidence of {m.reused} (same base, patches, toolchain and "
                  "configuration; `--no-reuse` runs the steps again).", ""]
    return lines
