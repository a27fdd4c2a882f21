"""`ksp triage` output: what a decision changed, and an advisory's history, as text or JSON."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from ksp.model import Advisory, Decision
from ksp.triage import Result


def decision(d: Decision) -> dict[str, object]:
    """One history entry as index.yaml spells it (`from`/`to`, the minor as "1.32")."""
    out: dict[str, object] = {"date": d.date.isoformat(), "by": d.by}
    if d.minor is not None:
        out["minor"] = str(d.minor)
    out["from"] = d.before
    out["to"] = d.after
    out["why"] = d.why
    return out


def result_json(result: Result) -> dict[str, object]:
    return {"advisory": result.advisory, "written": result.written,
            "changes": [decision(d) for d in result.changes],
            "skipped": [{"minor": str(s.minor), "why": s.why} for s in result.skipped]}


def result_text(result: Result) -> str:
    lines = []
    if result.changes:
        first = result.changes[0]
        lines.append(f"{result.advisory}: recorded by {first.by} on {first.date.isoformat()}")
        lines += [f"  {_what(d)}: {d.before or 'no status'} → {d.after}" for d in result.changes]
        if first.why:
            lines.append(f"  why: {first.why}")
    else:
        lines.append(f"{result.advisory}: nothing to change (already recorded so)")
    lines += [f"  skipped {s.minor}: {s.why}" for s in result.skipped]
    lines.append("index.yaml updated" if result.written else "index.yaml unchanged")
    return "\n".join(lines)


def history_json(advisory: Advisory) -> dict[str, object]:
    return {"advisory": advisory.id, "kind": advisory.scope.value, "project": advisory.project,
            "history": [decision(d) for d in advisory.history]}


def history_text(advisory: Advisory) -> str:
    if not advisory.history:
        return f"{advisory.id}: no decision recorded yet (`ksp triage` records them)"
    table = Table(title=f"History of {advisory.id}", title_justify="left")
    for column in ("date", "by", "minor", "change", "why"):
        table.add_column(column, no_wrap=column != "why")
    for d in advisory.history:
        table.add_row(d.date.isoformat(), d.by, _what(d), f"{d.before or '-'} → {d.after}",
                      d.why or "")
    buf = io.StringIO()
    Console(file=buf, width=120, no_color=True).print(table)
    return buf.getvalue()


def _what(d: Decision) -> str:
    return str(d.minor) if d.minor is not None else "kind"
