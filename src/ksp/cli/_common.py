"""Options and helpers shared by the command modules."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ksp.errors import NotAPatchesRepo, UsageError
from ksp.model import Minor
from ksp.report.json import dumps

if TYPE_CHECKING:
    from ksp.repo.layout import PatchesRepo


if TYPE_CHECKING:
    from typing import TypeAlias

    #: What `register(sub)` of each command module receives: argparse's subcommand registry.
    Subcommands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's formatter, given its width: left to itself it imports shutil (~5 ms at every
    start, help or not) to ask for the terminal size."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        if width is None:
            try:
                width = int(os.environ.get("COLUMNS") or os.get_terminal_size(2).columns) - 2
            except (OSError, ValueError):
                width = 78
        super().__init__(prog, indent_increment, max_help_position, width)


def add_command(sub: Subcommands, name: str, help: str, example: str,
                description: str | None = None) -> argparse.ArgumentParser:
    """A subcommand whose --help ends with an example."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=help, description=description or help,
        epilog=f"example:\n  {example}",
        formatter_class=HelpFormatter,
    )
    return parser


def add_format(parser: argparse.ArgumentParser, *choices: str) -> None:
    parser.add_argument("--format", choices=("text", "json", *choices), default="text",
                        help="output format on stdout (default: text)")


def add_repo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, default=None,
                        help="patches repo (default: the one containing the current folder)")


def add_date(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", type=parse_date, default=None,
                        help="answer for this day (YYYY-MM-DD; default: today)")


def parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (expected YYYY-MM-DD)") from None


def parse_minor(text: str) -> Minor:
    try:
        return Minor.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def at_least(minimum: int, what: str = "a number") -> Callable[[str], int]:
    """An argparse type: a whole number no smaller than `minimum`."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def today(args: argparse.Namespace) -> dt.date:
    return getattr(args, "date", None) or dt.date.today()


def displayable(text: str) -> str:
    """Bytes of git data that are not UTF-8 (kept as surrogate escapes) shown as U+FFFD, so
    that stdout gets valid UTF-8 (and JSON stays JSON) whatever the terminal's error mode."""
    if not re.search("[\udc80-\udcff]", text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def emit(text: str, *, styled: bool = False) -> None:
    """The result, on stdout. Control characters from the input are shown escaped, unless the
    text is `styled` (rich's colours; the renderer escaped what it took from the input)."""
    from ksp.report._term import printable  # lazy: 0.6 ms of start-up

    text = displayable(text if styled else printable(text))
    sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    sys.stdout.flush()


def emit_json(data: Any) -> None:
    emit(dumps(data))


def log(message: str) -> None:
    """Progress and warnings, on stderr (control characters from the input escaped)."""
    from ksp.report._term import printable  # lazy: 0.6 ms of start-up

    print(printable(message), file=sys.stderr)


def require(condition: bool, message: str, hint: str | None = None) -> None:
    if not condition:
        raise UsageError(message, hint=hint)


def repo_or_none(args: argparse.Namespace) -> PatchesRepo | None:
    from ksp.repo import find_repo, open_repo  # lazy: 14.2 ms of start-up

    if getattr(args, "repo", None):
        return open_repo(args.repo)
    return find_repo()


def repo_required(args: argparse.Namespace) -> PatchesRepo:
    repo = repo_or_none(args)
    if repo is None:
        raise NotAPatchesRepo("not inside a patches repo (no ksp.yaml and index.yaml found)",
                              hint="pass --repo DIR, or run `ksp init DIR` first")
    return repo


def upstream_dir(args: argparse.Namespace, repo: PatchesRepo | None) -> Path:
    """The upstream clone: --upstream, else $KSP_UPSTREAM, else the folder beside the patches
    repo named after ksp.yaml's upstream URL (`../kubernetes` for .../kubernetes/kubernetes)."""
    if getattr(args, "upstream", None) is not None:
        return Path(args.upstream)
    if os.environ.get("KSP_UPSTREAM"):
        return Path(os.environ["KSP_UPSTREAM"])
    require(repo is not None, "--upstream DIR is required outside a patches repo")
    assert repo is not None
    name = str(repo.config.upstream).rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    return repo.root.parent / name
