"""One error family: library code raises, only the CLI turns errors into exit codes."""

from __future__ import annotations

from pathlib import Path


class KspError(Exception):
    """A failure the user can act on: a one-line message, an optional hint and location."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        path: str | Path | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.path = str(path) if path is not None else None
        self.line = line

    def where(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line else self.path

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class UsageError(KspError):
    """The command line asks for something that cannot be done (exit 2)."""

    exit_code = 2


class FormatError(KspError):
    """A file of ours (ksp.yaml, index.yaml, a patch, a feed) is not in its documented form."""

    key: str | None = None  # the YAML key at fault, so that a loader can add its line


class LifecycleError(KspError):
    """Lifecycle data is missing or malformed."""


class CannotRun(KspError):
    """ksp could not do its job for a reason outside the input: no Go toolchain, a git failure,
    a corrupt cache (exit 4, apart from 1 = findings, so that CI can tell the two apart)."""

    exit_code = 4


class GitError(CannotRun):
    """A git command failed; carries the command and what git said."""

    def __init__(self, message: str, *, cmd: list[str], returncode: int, stderr: str) -> None:
        detail = stderr.strip().splitlines()[-1] if stderr.strip() else ""
        super().__init__(f"{message}: {detail}" if detail else message)
        self.cmd = cmd
        self.returncode = returncode
        self.stderr = stderr


class ApplyConflict(KspError):
    """A patch does not apply; names the patch and the files."""


class NotAPatchesRepo(KspError):
    """The command needs a patches repo and none was found."""


class TriageError(KspError):
    """A triage decision that cannot be recorded as asked (unknown advisory or minor, a missing
    reason or justification); nothing is written."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is (cli/main.py installs the handler), so that it
    unwinds as an interrupt does: every `finally` and undo runs, and the lock is released."""


def raise_if_signalled(returncode: int) -> None:
    """A child killed by SIGINT or SIGTERM (Ctrl-C reaches the whole process group) means we
    were interrupted too: unwind as an interrupt, not as a failed command."""
    if returncode == -2:
        raise KeyboardInterrupt
    if returncode == -15:
        raise Terminated
