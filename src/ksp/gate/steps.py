"""The gate's build, test and typecheck steps on base + series, once per Go toolchain.

Called by the series half (run.py) with the head commit it wrote in the shadow. Everything
runs in the (upstream, minor) worktree of ksp's cache (gate/worktree.py); targets and test
packages come from the import graph (gate/goimports.py); failing tests are judged by
gate/gotest.py, which may briefly move the worktree to the base to see if they fail there too.

Commands are ksp.yaml templates: Kubernetes `make WHAT="{targets}"`, `go test {packages}`,
`go vet {packages}` (typecheck also runs gofmt -l on the changed files, and runs with the build).
The KEP's full dockerized build is the alternative `build: build/run.sh make all`. GOPATH-era
trees set `env: {GO111MODULE: "off"}`; the environment is otherwise scrubbed (gate/_exec.py).
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ksp._files import cache_dir
from ksp.errors import KspError
from ksp.gate import _exec, goimports, gotest, toolchains
from ksp.gate.goimports import TestPackage
from ksp.gate.toolchains import Toolchain
from ksp.gate.types import (
    FailureKind,
    StepName,
    StepOutcome,
    StepResult,
    StepsOutcome,
    StepsRequest,
    TestFailure,
)
from ksp.gate.worktree import Worktree, worktree


@dataclass
class _Ctx:
    req: StepsRequest
    tree: Worktree
    toolchain: Toolchain
    note: str  # a warning about the toolchain choice, shown in each step's detail
    suffix: str  # log name suffix: "" with one toolchain, "-go1.22.12" with several

    @property
    def env(self) -> dict[str, str]:
        return _exec.environment(self.toolchain, self.tree.path, self.req.config.commands.env)

    def log(self, name: str, ext: str = "log") -> Path:
        return self.req.log_dir / f"{name}{self.suffix}.{ext}"

    def vendors(self, root: str = ".") -> bool:
        return (self.tree.path / root / "vendor" / "modules.txt").is_file()

    def argv(self, template: str, values: dict[str, list[str]]) -> list[str]:
        argv = _exec.expand(template, values)
        if argv and argv[0] == "go":
            argv[0] = str(self.toolchain.go)
        return argv

    def result(self, name: StepName, ok: bool, command: str, log: Path, *, exit_code: int | None,
               duration: float, detail: str = "",
               failures: tuple[TestFailure, ...] = ()) -> StepResult:
        detail = "; ".join(d for d in (detail, self.note) if d)
        return StepResult(name, StepOutcome.PASS if ok else StepOutcome.FAIL, command, str(log),
                          exit_code, duration, self.toolchain.version, failures, detail,
                          (self.note,) if self.note else ())

    def skipped(self, name: StepName, why: str) -> StepResult:
        return StepResult(name, StepOutcome.SKIPPED, "", None, None, 0.0, self.toolchain.version,
                          (), why)


def run_steps(request: StepsRequest) -> StepsOutcome:
    """Build, typecheck (with build) and test `request.head`; never touches the user's clone."""
    if not (request.build or request.test):
        return StepsOutcome()
    request.log_dir.mkdir(parents=True, exist_ok=True)
    with worktree(request.shadow, request.minor, request.head) as tree:
        chosen = _toolchains(request, tree.path)
        first = _Ctx(request, tree, chosen[0][0], chosen[0][1], "")
        try:
            graph = _graph(first)
        except KspError as exc:
            step = first.result(StepName.BUILD, False, "go list -deps ./...", first.log("build"),
                                exit_code=None, duration=0.0, detail=str(exc))
            return StepsOutcome([step], tree.path)
        change = goimports.classify(request.changed, graph, tree.path)
        targets = goimports.targets(graph, change, request.config.components)
        packages = goimports.test_packages(graph, change)
        steps: list[StepResult] = []
        for tc, note, suffix in _suffixed(chosen):
            ctx = _Ctx(request, tree, tc, note, suffix)
            if request.build:
                steps += [_build(ctx, targets), _typecheck(ctx, packages)]
            if request.test:
                steps.append(_test(ctx, packages))
        failed = any(s.result is StepOutcome.FAIL for s in steps)
        return StepsOutcome(steps, tree.path if failed else None, targets,
                            tuple(p.path for p in packages))


def _toolchains(req: StepsRequest, tree: Path) -> list[tuple[Toolchain, str]]:
    if not req.toolchains:
        return [toolchains.default(tree, req.config.toolchains)]
    specs = dict.fromkeys(req.toolchains)  # each --go once, in the order given
    return [(toolchains.resolve(spec, req.config.toolchains), "") for spec in specs]


def _suffixed(chosen: list[tuple[Toolchain, str]]) -> list[tuple[Toolchain, str, str]]:
    """Log-name suffixes: none with one toolchain, else the version (numbered if repeated)."""
    if len(chosen) == 1:
        return [(chosen[0][0], chosen[0][1], "")]
    out, seen = [], set()
    for tc, note in chosen:
        suffix, n = f"-{tc.version}", 1
        while suffix in seen:
            n += 1
            suffix = f"-{tc.version}-{n}"
        seen.add(suffix)
        out.append((tc, note, suffix))
    return out


def _graph(ctx: _Ctx) -> goimports.Graph:
    """The base's import graph, from the cache or computed once on the base tree."""
    req = ctx.req
    folder = cache_dir() / "graphs" / req.shadow.path.name
    graph = goimports.load_graph(folder, req.base)
    if graph is not None:
        return graph
    try:
        ctx.tree.move(req.base)
        graph = goimports.Graph(goimports.find_modules(ctx.tree.path, req.config.module))
        pkgs = goimports.go_list(ctx.tree.path, ctx.toolchain.go, ctx.env,
                                 vendor=ctx.vendors(), timeout=req.timeout)
        graph.packages = {p.path: p for p in pkgs}
    finally:
        ctx.tree.move(req.head)
    goimports.save_graph(folder, req.base, graph)
    return graph


def _build(ctx: _Ctx, targets: Sequence[str]) -> StepResult:
    if not targets:
        return ctx.skipped(StepName.BUILD, "no binary of the component map imports the change")
    template = ctx.req.config.commands.build
    go = _is_go_template(template)
    argv = ctx.argv(template, {"targets": [f"./{t}" if go else t for t in targets]})
    env = ctx.env
    if _exec.is_go(argv, "build"):
        argv = _exec.with_go_flags(argv, env, vendor=ctx.vendors())
    ctx.tree.clean()  # output of an earlier toolchain must not satisfy this one
    log = ctx.log("build")
    log.write_bytes(b"")
    ran = _exec.run(argv, cwd=ctx.tree.path, env=env, timeout=ctx.req.timeout, log=log)
    return ctx.result(StepName.BUILD, ran.exit_code == 0 and not ran.timed_out, ran.command, log,
                      exit_code=ran.exit_code, duration=ran.duration, detail=_why(ran))


def _typecheck(ctx: _Ctx, packages: Sequence[TestPackage]) -> StepResult:
    """gofmt -l on the changed Go files, then the typecheck template on the changed packages."""
    files = [f for f in ctx.req.changed if f.endswith(".go") and
             "vendor" not in PurePosixPath(f).parts and (ctx.tree.path / f).is_file()]
    if not files and not packages:
        return ctx.skipped(StepName.TYPECHECK, "no Go source changed")
    log, env = ctx.log("typecheck"), ctx.env
    log.write_bytes(b"")
    commands, problems, code, took = [], [], 0, 0.0
    if files:
        out = ctx.log("typecheck", "gofmt")
        ran = _exec.run([str(ctx.toolchain.gofmt), "-l", *files], cwd=ctx.tree.path, env=env,
                        timeout=ctx.req.timeout, log=log, stdout=out)
        unformatted = out.read_text(errors="replace").split()
        out.unlink()
        with log.open("a") as fh:
            fh.write("".join(f"not gofmt-clean: {f}\n" for f in unformatted))
        commands.append(shlex.join(["gofmt", "-l", *files]))
        code, took = ran.exit_code, ran.duration
        if unformatted or ran.exit_code:
            problems.append("not gofmt-clean: " + " ".join(unformatted) if unformatted
                            else "gofmt failed (syntax error?)")
    for root, group in _by_module(packages).items():
        argv = ctx.argv(ctx.req.config.commands.typecheck, {"packages": [p.arg for p in group]})
        if _exec.is_go(argv, "vet"):
            argv = _exec.with_go_flags(argv, env, vendor=ctx.vendors(root))
        ran = _exec.run(argv, cwd=ctx.tree.path / root, env=env, timeout=ctx.req.timeout,
                        log=log)
        commands.append(ran.command)
        took += ran.duration
        if ran.exit_code or ran.timed_out:
            code = ran.exit_code
            problems.append(_why(ran) or f"{argv[1] if len(argv) > 1 else argv[0]} failed")
    return ctx.result(StepName.TYPECHECK, not problems, " && ".join(commands), log,
                      exit_code=code, duration=took, detail="; ".join(problems))


def _by_module(packages: Sequence[TestPackage]) -> dict[str, list[TestPackage]]:
    groups: dict[str, list[TestPackage]] = {}
    for pkg in packages:
        groups.setdefault(pkg.module_root, []).append(pkg)
    return groups


def _is_go_template(template: str) -> bool:
    words = template.split()
    return bool(words) and Path(words[0]).name == "go"


def _why(ran: _exec.Ran) -> str:
    return "timed out" if ran.timed_out else ""


def _test(ctx: _Ctx, packages: Sequence[TestPackage]) -> StepResult:
    if not packages:
        return ctx.skipped(StepName.TEST, "no Go package changed")
    log = ctx.log("test")
    log.write_bytes(b"")
    runner = _TestRunner(ctx, {p.path: p for p in packages}, log)
    commands, failures, code, took = [], [], 0, 0.0
    for root, group in _by_module(packages).items():
        ran, found = runner.run(root, [p.arg for p in group], ctx.log("test", "json"))
        commands.append(ran.command)
        took += ran.duration
        code = code or ran.exit_code
        if (ran.exit_code or ran.timed_out) and not found:
            found = [gotest.Failed(group[0].path if len(group) == 1 else "", "")]
        failures += found
    verdicts = gotest.judge(failures, entries=ctx.req.config.known_failures.get(ctx.req.minor, ()),
                            today=dt.date.today(), retries=ctx.req.retries, rerun=runner.rerun,
                            on_base=runner.on_base)
    new = [v for v in verdicts if v.kind is FailureKind.NEW]
    counts = {k: sum(v.kind is k for v in verdicts) for k in FailureKind}
    detail = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    return ctx.result(StepName.TEST, not new, " && ".join(commands), log, exit_code=code,
                      duration=took, detail=detail, failures=tuple(verdicts))


class _TestRunner:
    """Runs the test template (and single-test re-runs) with -json where it is `go test`."""

    def __init__(self, ctx: _Ctx, known: dict[str, TestPackage], log: Path) -> None:
        self.ctx, self.known, self.log = ctx, known, log

    def run(self, root: str, args: list[str], out: Path, extra: Sequence[str] = ()
            ) -> tuple[_exec.Ran, list[gotest.Failed]]:
        ctx, env = self.ctx, self.ctx.env
        argv = ctx.argv(ctx.req.config.commands.test, {"packages": args})
        if not _exec.is_go(argv, "test"):
            argv = [str(ctx.toolchain.go), "test", *args] if extra else argv
        json_mode = _exec.is_go(argv, "test")
        if json_mode:
            argv = _exec.with_go_flags(argv, env, vendor=ctx.vendors(root),
                                       extra=["-json", *extra])
        start = self.log.stat().st_size
        ran = _exec.run(argv, cwd=ctx.tree.path / root, env=env, timeout=ctx.req.timeout,
                        log=self.log, stdout=out if json_mode else None)
        if json_mode:
            found, text = gotest.parse_json(out)
            with self.log.open("a") as fh:
                fh.write(text)
        else:
            with self.log.open("rb") as fh:
                fh.seek(start)
                found = gotest.parse_text(fh.read().decode(errors="replace"))
        return ran, found

    def _once(self, failure: gotest.Failed, *, exit_counts: bool = True
              ) -> list[gotest.Failed] | None:
        """Re-run one failure; its failures, or None when it cannot be re-run.

        On the base, only a reported failure counts (`exit_counts=False`): a package the
        series adds does not exist there, and `go test` exits non-zero for that too."""
        pkg = self.known.get(failure.package)
        if pkg is None:
            return None
        extra = ["-count=1", *(["-run", f"^{failure.test}$"] if failure.test else [])]
        ran, found = self.run(pkg.module_root, [pkg.arg], self.ctx.log("test", "rerun.json"),
                              extra)
        if exit_counts and (ran.exit_code or ran.timed_out) and not found:
            found = [gotest.Failed(failure.package, "")]
        return found

    def rerun(self, failure: gotest.Failed) -> bool:
        found = self._once(failure)
        return found is None or bool(found)

    def on_base(self, failures: list[gotest.Failed]) -> set[gotest.Failed]:
        tree, req = self.ctx.tree, self.ctx.req
        with self.log.open("a") as fh:
            fh.write(f"ksp: re-running {len(failures)} failure(s) on the base {req.base}\n")
        same: set[gotest.Failed] = set()
        try:
            tree.move(req.base)
            for failure in failures:
                found = self._once(failure, exit_counts=False)
                if found and (failure in found or not failure.test):
                    same.add(failure)
        finally:
            tree.move(req.head)
        return same
