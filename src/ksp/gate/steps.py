"""The gate's build, test and typecheck steps on base + series, once per Go toolchain.

Called by the series half (run.py) with the head commit it wrote in the shadow. Everything
runs in the (upstream, minor) worktree of ksp's cache (gate/worktree.py), seen by Go as the
tree really is: vendored, from the module cache, or in a GOPATH (gate/golayout.py). Targets and
test packages come from the import graph (gate/goimports.py). Every step is judged against the
base: a build or vet failure is re-run on the base, failing tests too (gate/teststep.py); what
fails there as well is not the series' fault, and what never ran is `error`, never `pass`.

Commands are ksp.yaml templates: Kubernetes `make WHAT="{targets}"`, `go test {packages}`,
`go vet {packages}` (typecheck also runs gofmt on the changed lines, and runs with the build),
each replaceable per minor (`minors:`). The environment is scrubbed (gate/_exec.py).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ksp._files import cache_dir
from ksp.errors import KspError
from ksp.gate import _exec, goimports, golayout, toolchains
from ksp.gate.goimports import TestPackage
from ksp.gate.stepctx import Ctx, why
from ksp.gate.teststep import test
from ksp.gate.toolchains import Toolchain
from ksp.gate.typecheck import typecheck, vets
from ksp.gate.types import StepName, StepOutcome, StepResult, StepsOutcome, StepsRequest
from ksp.gate.worktree import Worktree, worktree


def run_steps(request: StepsRequest) -> StepsOutcome:
    """Build, typecheck (with build) and test `request.head`; never touches the user's clone."""
    if not (request.build or request.test):
        return StepsOutcome()
    request.log_dir.mkdir(parents=True, exist_ok=True)
    with worktree(request.shadow, request.minor, request.head) as tree:
        chosen = _toolchains(request, tree.path)
        first = Ctx(request, tree, chosen[0][0], chosen[0][1], "", _layout(request, tree))
        early = _preflight(first)
        if early is not None:
            return StepsOutcome(early, tree.path, setup=first.layout.describe())
        try:
            graph = _graph(first)
        except KspError as exc:
            return StepsOutcome(_errors(first, str(exc), first.log("build")), tree.path,
                                setup=first.layout.describe())
        change = goimports.classify(request.changed, graph, tree.path)
        targets = goimports.targets(graph, change, request.config.components)
        packages = goimports.test_packages(graph, change)
        steps: list[StepResult] = []
        for tc, note, suffix in _suffixed(chosen):
            ctx = Ctx(request, tree, tc, note, suffix, first.layout)
            if request.build:
                steps += [_build(ctx, targets, packages), typecheck(ctx, packages)]
            if request.test:
                steps.append(test(ctx, packages, vetted=request.build and vets(ctx, packages)))
        failed = any(s.result in (StepOutcome.FAIL, StepOutcome.ERROR) for s in steps)
        return StepsOutcome(steps, tree.path if failed else None, targets,
                            tuple(p.path for p in packages), first.layout.describe())


def _layout(req: StepsRequest, tree: Worktree) -> golayout.GoLayout:
    settings = req.config.settings(req.minor)
    gopath = cache_dir() / "gopath" / req.shadow.path.name / str(req.minor)
    goproxy = req.goproxy or os.environ.get("KSP_GOPROXY", "")
    fallback = req.config.module_by_minor.get(str(req.minor)) or req.config.module
    return golayout.layout(tree.path, gopath, import_path=settings.import_path,
                           fallback=fallback, goproxy=goproxy, tags=settings.tags)


def _preflight(ctx: Ctx) -> list[StepResult] | None:
    """Modules the tree needs but cannot get: one line, every requested step `error`."""
    missing = golayout.missing_modules(ctx.toolchain.go, ctx.layout, ctx.env, ctx.req.timeout)
    if missing is None:
        return None
    return _errors(ctx, golayout.missing_message(missing, ctx.tree.path), None)


def _errors(ctx: Ctx, why_: str, log: Path | None) -> list[StepResult]:
    names = [*([StepName.BUILD, StepName.TYPECHECK] if ctx.req.build else []),
             *([StepName.TEST] if ctx.req.test else [])]
    first = names[0] if names else None
    return [ctx.error(name, why_ if name is first else f"not run: see {first}", log)
            for name in names]


def _toolchains(req: StepsRequest, tree: Path) -> list[tuple[Toolchain, str]]:
    if not req.toolchains:
        wanted = req.config.settings(req.minor).go or None
        return [toolchains.default(tree, req.config.toolchains, wanted=wanted)]
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


def _graph(ctx: Ctx) -> goimports.Graph:
    """The base's import graph, from the cache or computed once on the base tree."""
    req = ctx.req
    folder = cache_dir() / "graphs" / req.shadow.path.name
    graph = goimports.load_graph(folder, req.base, _graph_key(ctx))
    if graph is not None:
        return graph
    with ctx.on_base():
        graph = goimports.Graph(goimports.find_modules(ctx.tree.path, ctx.layout.import_path
                                                       or req.config.module))
        pkgs = goimports.go_list(ctx.cwd, ctx.toolchain.go, ctx.env, vendor=ctx.vendors(),
                                 timeout=req.timeout, tree=ctx.tree.path)
        graph.packages = {p.path: p for p in pkgs}
    goimports.save_graph(folder, req.base, graph, _graph_key(ctx))
    return graph


def _graph_key(ctx: Ctx) -> str:
    """A GOPATH tree's graph depends on its import path; a module tree's only on the commit."""
    return f"gopath-{ctx.layout.import_path.replace('/', '_')}" if ctx.layout.gopath else ""


def _build(ctx: Ctx, targets: Sequence[str], packages: Sequence[TestPackage]) -> StepResult:
    """The binaries that import the change; with none (a library), the changed packages."""
    template = ctx.commands.build
    go = _is_go_template(template)
    names = [t if t == "." else f"./{t}" for t in targets] if go else list(targets)
    if not targets and go:
        names = [p.arg for p in packages if p.module_root == "."]
    if not names:
        return ctx.skipped(StepName.BUILD, "no binary of the module imports the change")
    env = ctx.env
    argv = ctx.argv(template, {"targets": names})
    if _exec.is_go(argv, "build"):
        argv = _exec.with_go_flags(argv, env, vendor=ctx.vendors())
    ctx.tree.clean()  # output of an earlier toolchain must not satisfy this one
    log = ctx.log("build")
    log.write_bytes(b"")
    ran = _exec.run(argv, cwd=ctx.cwd, env=env, timeout=ctx.req.timeout, log=log)
    if ran.exit_code == 0 and not ran.timed_out:
        return ctx.result(StepName.BUILD, True, ran.command, log, exit_code=0,
                          duration=ran.duration)
    cause = why(ran) or ctx.cause(log)
    outcome = StepOutcome.FAIL
    comparable = bool(targets) or not any(p.dir for p in packages)  # no package of its own
    if not ran.timed_out and comparable and _fails_on_base(ctx, argv, env, log):
        outcome = StepOutcome.ERROR
        cause = f"fails on the base too: {cause or 'see the log'}"
    return ctx.result(StepName.BUILD, outcome, ran.command, log, exit_code=ran.exit_code,
                      duration=ran.duration, detail=cause)


def _fails_on_base(ctx: Ctx, argv: list[str], env: dict[str, str], log: Path) -> bool:
    with log.open("a") as fh:
        fh.write(f"ksp: the build failed; building the base {ctx.req.base} to compare\n")
    with ctx.on_base():
        ran = _exec.run(argv, cwd=ctx.cwd, env=env, timeout=ctx.req.timeout, log=log)
    return ran.exit_code != 0


def _is_go_template(template: str) -> bool:
    words = template.split()
    return bool(words) and Path(words[0]).name == "go"

