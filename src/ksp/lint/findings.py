"""What lint reports: a finding with a level, a stable code, a place, a message and a hint."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ksp.errors import KspError
from ksp.model import StrEnum


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem; `file` is relative to the patches repo root (posix), `line` 1-based."""

    severity: Level
    code: str
    file: str
    line: int | None
    message: str
    hint: str | None = None

    @classmethod
    def error(cls, code: str, file: str, message: str, *, line: int | None = None,
              hint: str | None = None) -> Finding:
        return cls(Level.ERROR, code, file, line, message, hint)

    @classmethod
    def warning(cls, code: str, file: str, message: str, *, line: int | None = None,
                hint: str | None = None) -> Finding:
        return cls(Level.WARNING, code, file, line, message, hint)

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def sort_key(self) -> tuple[str, int, str]:
        return (self.file, self.line or 0, self.code)


def relative(path: str | Path | None, root: Path, default: str) -> str:
    """`path` relative to `root` when it lies inside it, else as given."""
    if path is None:
        return default
    candidate = Path(path)
    try:
        return candidate.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return candidate.as_posix()


def from_error(code: str, exc: KspError, root: Path, default: str) -> Finding:
    """A loader's error (file, line, message, hint) as an error finding."""
    return Finding.error(code, relative(exc.path, root, default), exc.message, line=exc.line,
                         hint=exc.hint)
