"""The test step: `go test -json` of the changed packages, each failure judged (gotest.py).

Nothing ran is never a pass: when no test ran at all (`[no test files]` everywhere, `[setup
failed]`, a panic in `init`, every file excluded by build constraints), or a changed package
cannot be tested on the base either, the step is `error` with the cause in one line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from ksp.gate import _exec, gotest
from ksp.gate.goimports import TestPackage
from ksp.gate.stepctx import Ctx
from ksp.gate.typecheck import by_module
from ksp.gate.types import FailureKind, StepName, StepOutcome, StepResult, TestFailure


def test(ctx: Ctx, packages: Sequence[TestPackage], *, vetted: bool = False) -> StepResult:
    """`vetted`: the typecheck step ran `go vet` on these packages, so `go test` runs with
    -vet=off instead of its own vet (a subset of go vet's analyzers that would compile and
    analyse every package again: 2.7 s of runc's 4.2 s cold test step)."""
    if not packages:
        return ctx.skipped(StepName.TEST, "no Go package changed")
    log = ctx.log("test")
    log.write_bytes(b"")
    runner = TestRunner(ctx, {p.path: p for p in packages}, log, vetted=vetted)
    commands, failures, code, took = [], [], 0, 0.0
    ran_tests: int | None = 0
    for root, group in by_module(packages).items():
        ran, found, count = runner.run(root, [p.arg for p in group], ctx.log("test", "json"))
        commands.append(ran.command)
        took += ran.duration
        code = code or ran.exit_code
        ran_tests = None if count is None or ran_tests is None else ran_tests + count
        if (ran.exit_code or ran.timed_out) and not found:
            found = [gotest.Failed(group[0].path if len(group) == 1 else "", "")]
        failures += found
    verdicts = gotest.judge(failures, entries=ctx.req.config.known_failures.get(ctx.req.minor, ()),
                            today=dt.date.today(), retries=ctx.req.retries, rerun=runner.rerun,
                            on_base=runner.on_base)
    outcome, why = _verdict(ctx, verdicts, ran_tests, log)
    counts = {k: sum(v.kind is k for v in verdicts) for k in FailureKind}
    detail = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    return ctx.result(StepName.TEST, outcome, " && ".join(commands), log, exit_code=code,
                      duration=took, detail="; ".join(d for d in (why, detail) if d),
                      failures=tuple(verdicts))


def _verdict(ctx: Ctx, verdicts: list[TestFailure], ran_tests: int | None, log: Path
             ) -> tuple[StepOutcome, str]:
    if any(v.kind is FailureKind.NEW for v in verdicts):
        new = next(v for v in verdicts if v.kind is FailureKind.NEW)
        if new.test:
            return StepOutcome.FAIL, f"new failure: {new.package}.{new.test}"
        return StepOutcome.FAIL, f"{new.package or 'the tests'} failed: " + (
            ctx.cause(log) or "see the log")
    untestable = [v.package for v in verdicts if not v.test and v.kind is FailureKind.PRE_EXISTING]
    if untestable:
        cause = ctx.cause(log) or "see the log"
        return StepOutcome.ERROR, (f"{untestable[0] or 'the packages'} cannot be tested on the "
                                   f"base either: {cause}")
    if ran_tests == 0:
        return StepOutcome.ERROR, ctx.cause(log) or "no test ran: the changed packages have " \
            "no tests (or none matched)"
    return StepOutcome.PASS, ""


class TestRunner:
    """Runs the test template (and single-test re-runs) with -json where it is `go test`."""

    def __init__(self, ctx: Ctx, known: dict[str, TestPackage], log: Path, *,
                 vetted: bool = False) -> None:
        self.ctx, self.known, self.log = ctx, known, log
        self.vetted = vetted

    def run(self, root: str, args: list[str], out: Path, extra: Sequence[str] = ()
            ) -> tuple[_exec.Ran, list[gotest.Failed], int | None]:
        """The run, its failures, and how many tests ran (None: not known, not `go test`)."""
        ctx, env = self.ctx, self.ctx.env
        argv = ctx.argv(ctx.commands.test, {"packages": args})
        if not _exec.is_go(argv, "test"):
            argv = [str(ctx.toolchain.go), "test", *args] if extra else argv
        json_mode = _exec.is_go(argv, "test")
        if json_mode:
            argv = _exec.with_go_flags(argv, env, vendor=ctx.vendors(root),
                                       extra=["-json", *extra],
                                       defaults=["-vet=off"] if self.vetted else [])
        start = self.log.stat().st_size
        ran = _exec.run(argv, cwd=ctx.cwd / root, env=env, timeout=ctx.req.timeout,
                        log=self.log, stdout=out if json_mode else None)
        if json_mode:
            parsed = gotest.parse_stream(out)
            with self.log.open("a") as fh:
                fh.write(parsed.text)
            return ran, parsed.failed, parsed.ran
        with self.log.open("rb") as fh:
            fh.seek(start)
            return ran, gotest.parse_text(fh.read().decode(errors="replace")), None

    def _once(self, failure: gotest.Failed, *, exit_counts: bool = True
              ) -> list[gotest.Failed] | None:
        """Re-run one failure; its failures, or None when it cannot be re-run.

        On the base, only a reported failure counts (`exit_counts=False`): a package the
        series adds does not exist there, and `go test` exits non-zero for that too."""
        pkg = self.known.get(failure.package)
        if pkg is None:
            return None
        extra = ["-count=1", *(["-run", f"^{failure.test}$"] if failure.test else [])]
        ran, found, _ = self.run(pkg.module_root, [pkg.arg], self.ctx.log("test", "rerun.json"),
                                 extra)
        if exit_counts and (ran.exit_code or ran.timed_out) and not found:
            found = [gotest.Failed(failure.package, "")]
        return found

    def rerun(self, failure: gotest.Failed) -> bool:
        found = self._once(failure)
        return found is None or bool(found)

    def on_base(self, failures: list[gotest.Failed]) -> set[gotest.Failed]:
        with self.log.open("a") as fh:
            fh.write(f"ksp: re-running {len(failures)} failure(s) on the base "
                     f"{self.ctx.req.base}\n")
        same: set[gotest.Failed] = set()
        with self.ctx.on_base():
            for failure in failures:
                found = self._once(failure, exit_counts=False)
                if found and (failure in found or not failure.test):
                    same.add(failure)
        return same
