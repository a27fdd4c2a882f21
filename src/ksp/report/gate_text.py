"""The gate for a person at a terminal: per minor, the series patch by patch, then the steps.

On a terminal the report is a rich table. Piped (CI logs, scripts, the benchmark) it is plain
lines, one per patch and step, which grep well and skip rich's ~100 ms of import and layout.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ksp.gate.model import GateResult, MinorResult, outcome_of
from ksp.gate.types import StepResult
from ksp.report._term import printable

if TYPE_CHECKING:
    from rich.console import Console

# An absolute path to the go (or gofmt) binary, bare or shell-quoted: the toolchain column
# already says which Go ran, so commands read `go build …`.
_GO_BINARY = re.compile(r"(?<!\S)(?:'/[^']*/|/\S*/)(go|gofmt)'?(?!\S)")

STYLES = {"applied": "green", "already-applied": "cyan", "drift": "yellow", "failed": "bold red",
          "skipped": "dim", "pass": "green", "fail": "bold red", "error": "bold magenta"}


def short_command(command: str) -> str:
    """`/…/bin/go build ./cmd/x` -> `go build ./cmd/x` (also after `&&`)."""
    return _GO_BINARY.sub(r"\1", command)


def short_path(path: str | Path | None, root: Path | None) -> str:
    """A path inside the patches repo relative to it; any other path as it is."""
    if not path:
        return ""
    given = Path(path)
    if root is not None and given.is_absolute() and given.is_relative_to(root):
        return given.relative_to(root).as_posix()
    return str(path)


def step_cause(s: StepResult) -> str:
    """A step's detail (its root cause, pre-existing findings) without the toolchain warning,
    which the report shows once per minor; "" for a skipped step (its command column says)."""
    if not s.command:
        return ""
    detail = s.detail
    for warning in s.warnings:
        detail = detail.replace(warning, "")
    return detail.strip("; ")


def warnings(m: MinorResult) -> list[str]:
    """Short warning lines for a minor: the toolchain it did not find, …"""
    return [note.removeprefix("warning: ") for note in m.toolchain_notes]


def _summary(result: GateResult) -> str:
    failed = [str(m.minor) for m in result.minors if not m.ok]
    summary = f"gate {'PASS' if result.ok else 'FAIL'}: {len(result.minors)} minor(s)"
    return summary + (f", failed: {', '.join(failed)}" if failed else "")


def plain(result: GateResult) -> str:
    if not result.minors:
        return ""  # the command says why on stderr: nothing to gate is not a PASS
    root = result.repo_root
    lines = []
    for m in result.minors:
        base = f"  base {m.base[:12]} ({m.base_ref})" if m.base else ""
        lines.append(f"{m.minor}  {'PASS' if m.ok else 'FAIL'}{base}")
        lines += [f"  warning: {w}" for w in warnings(m)]
        lines += [f"  error: {m.error}"] if m.error else []
        for planned, outcome in m.patch_results():
            new = " (new)" if planned.new else ""
            detail = outcome.detail if outcome else ""
            lines.append(f"  {outcome_of(outcome):<15} {planned.file}{new}  {detail}")
        for s in m.steps:
            go = f" [{s.toolchain}]" if s.toolchain else ""
            log = f"  log: {short_path(s.log, root)}" if s.log else ""
            shown = short_command(s.command) if s.command else s.detail
            lines.append(f"  {s.result.value:<15} {s.name.value}{go}  {shown}{log}")
            lines += [f"    {cause}"] if (cause := step_cause(s)) else []
            lines += [f"    {f.kind.value}: {f.package} {f.test}" for f in s.failures]
        lines += [f"  kept failing worktree: {m.worktree}"] if m.worktree else []
        lines += [f"  evidence: {short_path(m.evidence, root)}"] if m.evidence else []
        lines += [f"  reused evidence of {m.reused}"] if m.reused else []
        lines.append("")
    return "\n".join([*lines, _summary(result)]) + "\n"


def text(result: GateResult, *, color: bool = False) -> str:
    if not color or not result.minors:
        return plain(result)
    from rich.console import Console  # lazy: 16.6 ms of start-up
    from rich.text import Text  # lazy: 11.2 ms of start-up

    buf = io.StringIO()
    console = Console(file=buf, width=140, force_terminal=color, no_color=not color,
                      highlight=False)
    for minor in result.minors:
        _minor(console, minor, result.repo_root)
    console.print(Text(_summary(result), style=STYLES["pass" if result.ok else "fail"]))
    return buf.getvalue()


def _minor(console: Console, m: MinorResult, root: Path | None) -> None:
    from rich.table import Table  # lazy: 15.3 ms of start-up
    from rich.text import Text  # lazy: 11.1 ms of start-up

    verdict = "pass" if m.ok else "fail"
    head = Text(f"{m.minor}  ")
    head.append(verdict.upper(), style=STYLES[verdict])
    if m.base:
        head.append(f"  base {m.base[:12]} ({m.base_ref})")
    console.print(head)
    for warning in warnings(m):
        console.print(Text(f"  warning: {warning}", style="yellow"))
    if m.error:
        console.print(Text(printable(f"  error: {m.error}"), style="red"))
    patches = Table(box=None, pad_edge=False, show_edge=False)
    for column in ("patch", "result", "detail"):
        patches.add_column(column)
    for planned, outcome in m.patch_results():
        state = outcome_of(outcome)
        name = printable(planned.file + (" (new)" if planned.new else ""))
        patches.add_row(Text(name), Text(state, style=STYLES.get(state, "")),
                        Text(printable(outcome.detail if outcome else "")))
    console.print(patches)
    steps = Table(box=None, pad_edge=False, show_edge=False)
    for column in ("step", "go", "result", "command / detail", "log"):
        steps.add_column(column)
    for s in m.steps:
        detail = short_command(s.command) if s.command else s.detail
        detail += f"\n{cause}" if (cause := step_cause(s)) else ""
        for failure in s.failures:
            detail += f"\n{failure.kind.value}: {failure.package} {failure.test}"
        steps.add_row(s.name.value, s.toolchain or "", Text(s.result.value,
                      style=STYLES.get(s.result.value, "")), detail, short_path(s.log, root))
    console.print(steps)
    if m.worktree:
        console.print(f"  kept failing worktree: {m.worktree}")
    if m.evidence:
        console.print(f"  evidence: {short_path(m.evidence, root)}")
    if m.reused:
        console.print(f"  reused evidence of {m.reused}")
    console.print()
