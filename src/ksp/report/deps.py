"""`ksp deps` as text or Markdown: per minor, the Go and modules in use, then the advisories."""

from __future__ import annotations

from ksp.deps.command import AdvisoryRow, DepsResult, MinorDeps


def text(result: DepsResult, *, all_modules: bool = False) -> str:
    out: list[str] = []
    for row in result.minors:
        out += _minor(row, all_modules)
    return "\n".join(out) if out else "no minor selected"


def _minor(row: MinorDeps, all_modules: bool) -> list[str]:
    series = f"{row.patches} patch{'' if row.patches == 1 else 'es'}"
    go = f"Go {row.go} ({row.go_source})" if row.go else "Go version unknown"
    lines = [f"{row.minor}  {row.base_ref} @ {row.base[:12]} + {series}: {go}"
             + (f"; {row.go_policy}" if row.go_policy else ""),
             f"  {len(row.modules)} module{'' if len(row.modules) == 1 else 's'}"
             + (" (vendored)" if row.vendored else "")]
    if all_modules:
        lines += [f"    {m.path} {m.version}  ({m.source})" for m in row.modules]
    for change in row.changed:
        lines.append(f"  changed by the series: {change.module} {change.base or '-'} -> "
                     f"{change.head or '-'}")
    counts = _counts(row.advisories)
    lines.append(f"  dependency and toolchain advisories: {counts}")
    if row.go_bump:
        lines.append(f"  Go bump: INFRA-go-{row.go_bump} ({row.go_bump_note}; "
                     f"{row.go_bump_policy}); check it with ksp gate --minor {row.minor} "
                     f"--go {row.go_bump}")
    for adv in row.advisories:
        lines += _advisory(adv)
    return [*lines, ""]


def _counts(rows: list[AdvisoryRow]) -> str:
    wanted = ("needed", "not-affected", "patched")
    parts = [f"{sum(1 for r in rows if r.status == s)} {s}" for s in wanted]
    other = sum(1 for r in rows if r.status not in wanted)
    return ", ".join(parts + ([f"{other} other"] if other else []))


def _advisory(adv: AdvisoryRow) -> list[str]:
    if adv.status != "needed":
        return []
    fixed = f", fixed in {adv.fixed_version}" if adv.fixed_version else ", no fix yet"
    who = f"; linked by {', '.join(adv.linked_by)}" if adv.linked_by else ""
    lines = [f"    {adv.id}  {adv.module} {adv.version}{fixed}{who}"]
    fix = adv.fix
    if fix is None:
        return lines
    if fix.commit:
        lines.append(f"      fix: {fix.branch} moved it to {fix.bumped_to} in {fix.commit[:12]} "
                     f"({fix.subject})")
    if fix.infra:
        lines.append(f"      fix: Go {fix.fixed} as {fix.infra}")
    if fix.policy:
        lines.append(f"      {fix.policy}")
    if fix.command:
        lines.append(f"      next: {fix.command}")
    if fix.note:
        lines.append(f"      {fix.note}")
    return lines


def markdown(result: DepsResult) -> str:
    out = [f"## Dependencies and Go on {result.date}", ""]
    for row in result.minors:
        go = f"Go {row.go} ({row.go_source})" if row.go else "Go unknown"
        out += [f"### {row.minor}: {go}", "",
                f"{row.base_ref} @ `{row.base[:12]}` + {row.patches} patch(es); "
                f"{len(row.modules)} modules{' (vendored)' if row.vendored else ''}"
                + (f"; {row.go_policy}" if row.go_policy else ""), ""]
        if row.changed:
            out += ["| changed by the series | base | with series |", "|---|---|---|"]
            out += [f"| {c.module} | {c.base or '-'} | {c.head or '-'} |" for c in row.changed]
            out.append("")
        out += [f"Dependency and toolchain advisories: {_counts(row.advisories)}", ""]
        if row.go_bump:
            out += [f"Go bump: `INFRA-go-{row.go_bump}` ({row.go_bump_note}; "
                    f"{row.go_bump_policy}): `ksp gate --minor {row.minor} --go {row.go_bump}`",
                    ""]
        needed = [a for a in row.advisories if a.status == "needed"]
        if needed:
            out += ["| advisory | module | in use | fixed in | linked by | fix |",
                    "|---|---|---|---|---|---|"]
            out += [f"| {a.id} | {a.module} | {a.version} | {a.fixed_version or '-'} | "
                    f"{', '.join(a.linked_by) or '-'} | {_fix_cell(a)} |" for a in needed]
            out.append("")
    return "\n".join(out)


def _fix_cell(adv: AdvisoryRow) -> str:
    fix = adv.fix
    if fix is None:
        return "-"
    if fix.command:
        return f"`{fix.command}`"
    return fix.note or "-"
