"""What every step of one toolchain shares: the worktree, how Go sees it, logs, verdicts.

Every step is judged against the base. A step that fails is run again on the unpatched base
(`on_base`): failing there too is not the series' fault, but it is not a pass either. A step in
which nothing was built or tested is `error`, with its cause in one line (gate/diagnose.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ksp.gate import _exec, diagnose
from ksp.gate.golayout import GoLayout
from ksp.gate.toolchains import Toolchain
from ksp.gate.types import StepName, StepOutcome, StepResult, StepsRequest, TestFailure
from ksp.gate.worktree import Worktree
from ksp.repo.config import Commands, MinorSettings


@dataclass
class Ctx:
    req: StepsRequest
    tree: Worktree
    toolchain: Toolchain
    note: str  # a warning about the toolchain choice, shown in each step's detail
    suffix: str  # log name suffix: "" with one toolchain, "-go1.22.12" with several
    layout: GoLayout

    @property
    def settings(self) -> MinorSettings:
        return self.req.config.settings(self.req.minor)

    @property
    def commands(self) -> Commands:
        return self.req.config.commands_for(self.req.minor)

    @property
    def env(self) -> dict[str, str]:
        return _exec.environment(self.toolchain, self.tree.path, self.commands.env,
                                 self.layout.env(), self.layout.proxy)

    @property
    def cwd(self) -> Path:
        """Where Go runs: the worktree, or its path inside the GOPATH."""
        return self.layout.root

    def log(self, name: str, ext: str = "log") -> Path:
        return self.req.log_dir / f"{name}{self.suffix}.{ext}"

    def vendors(self, root: str = ".") -> bool:
        return (self.tree.path / root / "vendor" / "modules.txt").is_file()

    def argv(self, template: str, values: dict[str, list[str]]) -> list[str]:
        argv = _exec.expand(template, values)
        if argv and argv[0] == "go":
            argv[0] = str(self.toolchain.go)
        return argv

    def cause(self, log: Path, start: int = 0) -> str:
        """The root cause that the log (from byte `start`) shows, or ""."""
        with log.open("rb") as fh:
            fh.seek(start)
            text = fh.read().decode(errors="replace")
        return diagnose.cause(text, self.tree.path)

    @contextmanager
    def on_base(self) -> Iterator[None]:
        """The worktree on the unpatched base for the block, then back on the series."""
        try:
            self.tree.move(self.req.base)
            yield
        finally:
            self.tree.move(self.req.head)

    def result(self, name: StepName, ok: bool | StepOutcome, command: str, log: Path, *,
               exit_code: int | None, duration: float, detail: str = "",
               failures: tuple[TestFailure, ...] = ()) -> StepResult:
        outcome = ok if isinstance(ok, StepOutcome) else (
            StepOutcome.PASS if ok else StepOutcome.FAIL)
        detail = "; ".join(d for d in (detail, self.note) if d)
        return StepResult(name, outcome, command, str(log), exit_code, duration,
                          self.toolchain.version, failures, detail,
                          (self.note,) if self.note else ())

    def skipped(self, name: StepName, why: str) -> StepResult:
        return StepResult(name, StepOutcome.SKIPPED, "", None, None, 0.0, self.toolchain.version,
                          (), why)

    def error(self, name: StepName, why: str, log: Path | None = None) -> StepResult:
        return StepResult(name, StepOutcome.ERROR, "", str(log) if log else None, None, 0.0,
                          self.toolchain.version, (), why, (self.note,) if self.note else ())


def why(ran: _exec.Ran) -> str:
    return "timed out" if ran.timed_out else ""
