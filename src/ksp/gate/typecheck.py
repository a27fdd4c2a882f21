"""The typecheck step: gofmt on the lines the series writes, then `go vet` judged on the base.

A vet finding that the base has too (same file and message; line numbers move) is
pre-existing and does not fail the step; a new one does. Either check can be switched off per
minor (ksp.yaml `minors: {<minor>: {gofmt: false, vet: false}}`), and the vet template changed
(`typecheck:`).
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from ksp.gate import _exec, gofmt
from ksp.gate.goimports import TestPackage
from ksp.gate.stepctx import Ctx
from ksp.gate.types import StepName, StepOutcome, StepResult

_FINDING = re.compile(r"^(?:vet: )?(?:\./)?(\S+?\.go):\d+(?::\d+)?: (.*)$")


def by_module(packages: Sequence[TestPackage]) -> dict[str, list[TestPackage]]:
    groups: dict[str, list[TestPackage]] = {}
    for pkg in packages:
        groups.setdefault(pkg.module_root, []).append(pkg)
    return groups


def typecheck(ctx: Ctx, packages: Sequence[TestPackage]) -> StepResult:
    settings = ctx.settings
    files = [f for f in ctx.req.changed if f.endswith(".go") and
             "vendor" not in PurePosixPath(f).parts and (ctx.tree.path / f).is_file()]
    if not (settings.gofmt and files) and not (settings.vet and packages):
        why_not = "no Go source changed" if not (files or packages) else \
            "gofmt and vet switched off for this minor in ksp.yaml"
        return ctx.skipped(StepName.TYPECHECK, why_not)
    log = ctx.log("typecheck")
    log.write_bytes(b"")
    commands, problems, notes = [], [], []
    if settings.gofmt and files:
        verdict = gofmt.judge(ctx.tree.path, ctx.toolchain.gofmt, ctx.env, files,
                              base=ctx.req.base, head=ctx.req.head, timeout=ctx.req.timeout)
        commands.append(shlex.join(["gofmt", "-l", *files]))
        with log.open("a") as fh:
            fh.write(f"$ {commands[-1]}\n" + "".join(f"{p}\n" for p in verdict.problems) +
                     (f"ksp: {verdict.note}\n" if verdict.note else ""))
        problems += verdict.problems
        notes += [verdict.note] if verdict.note else []
    code, took, errored = 0, 0.0, ""
    for root, group in by_module(packages).items() if settings.vet else ():
        ran, found = _vet(ctx, root, [p.arg for p in group], log)
        commands.append(ran.command)
        took += ran.duration
        if not (ran.exit_code or ran.timed_out):
            continue
        code = ran.exit_code
        if ran.timed_out:
            problems.append("go vet timed out")
            continue
        new, old, base_failed = _against_base(ctx, root, group, found, log)
        if new:
            problems.append(f"{len(new)} new vet finding{'s' if len(new) > 1 else ''}: "
                            f"{new[0][0]}: {new[0][1]}")
        elif not found and base_failed:
            errored = ctx.cause(log) or "go vet fails on the base too, without findings"
        elif not found:
            problems.append(ctx.cause(log) or "go vet failed")
        else:
            notes.append(f"{old} pre-existing vet finding{'s' if old > 1 else ''} (on the base "
                         "too)")
    outcome = (StepOutcome.FAIL if problems else StepOutcome.ERROR if errored
               else StepOutcome.PASS)
    detail = "; ".join([d for d in (*problems, errored, *notes) if d][:4])
    return ctx.result(StepName.TYPECHECK, outcome, " && ".join(commands), log, exit_code=code,
                      duration=took, detail=detail)


def vets(ctx: Ctx, packages: Sequence[TestPackage]) -> bool:
    """Whether this step runs `go vet` (all its analyzers) on `packages`: then the test step
    need not run again the subset of them that `go test` runs by default."""
    return bool(ctx.settings.vet and packages and
                _exec.is_go(ctx.argv(ctx.commands.typecheck, {"packages": ["."]}), "vet"))


def _vet(ctx: Ctx, root: str, args: list[str], log: Path
         ) -> tuple[_exec.Ran, Counter[tuple[str, str]]]:
    env = ctx.env
    argv = ctx.argv(ctx.commands.typecheck, {"packages": args})
    if _exec.is_go(argv, "vet"):
        argv = _exec.with_go_flags(argv, env, vendor=ctx.vendors(root))
    start = log.stat().st_size
    ran = _exec.run(argv, cwd=ctx.cwd / root, env=env, timeout=ctx.req.timeout, log=log)
    with log.open("rb") as fh:
        fh.seek(start)
        text = fh.read().decode(errors="replace")
    found: Counter[tuple[str, str]] = Counter(
        (m.group(1), m.group(2)) for line in text.splitlines() if (m := _FINDING.match(line)))
    return ran, found


def _against_base(ctx: Ctx, root: str, group: list[TestPackage],
                  found: Counter[tuple[str, str]], log: Path
                  ) -> tuple[list[tuple[str, str]], int, bool]:
    """(findings the base lacks, findings it shares, whether vet failed on the base too)."""
    existing = [p.arg for p in group if not p.dir]  # packages the series adds are not there
    if not existing:
        return list(found), 0, False
    with log.open("a") as fh:
        fh.write(f"ksp: go vet failed; running it on the base {ctx.req.base} to compare\n")
    with ctx.on_base():
        ran, on_base = _vet(ctx, root, existing, log)
    new = list((found - on_base).elements())
    shared = sum((found & on_base).values())
    return new, shared, bool(ran.exit_code or ran.timed_out)

