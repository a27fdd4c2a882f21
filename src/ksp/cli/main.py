"""Entry point: parse, dispatch to one command module, map errors to exit codes.

Exit codes: 0 ok, 1 findings or failures, 2 usage, 3 internal error, 4 could not run (no Go
toolchain, a git failure, a corrupt cache), 130 interrupted (SIGINT), 143 terminated (SIGTERM:
turned into the same clean path as Ctrl-C).
Command modules are discovered, so adding a command is adding a module; they import their
heavy dependencies inside `run` so that `ksp` starts fast.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import ksp.cli as package
from ksp import __version__
from ksp.cli._common import HelpFormatter
from ksp.errors import KspError, Terminated

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL, EXIT_CANNOT_RUN = 0, 1, 2, 3, 4
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    import signal  # lazy: 0.6 ms of start-up

    previous = None
    with contextlib.suppress(ValueError):  # not the main thread (a test calling main())
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


EPILOG = """\
exit codes: 0 ok, 1 findings or failures, 2 usage error, 3 internal error,
  4 could not run (no Go toolchain, git failure, corrupt cache), 130 interrupted,
  143 terminated (SIGTERM)
examples:
  ksp status                       support windows of every Kubernetes minor today
  ksp init security-patches        scaffold a patches repo
  ksp gate --upstream ../kubernetes --since origin/main
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"ksp: usage error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; `only` registers just that command (its module alone is imported)."""
    parser = _Parser(
        prog="ksp",
        description="Community security patches for out-of-support Kubernetes minors.",
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ksp {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show tracebacks of internal errors and more logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in [only] if only else _all_commands():
        importlib.import_module(f"ksp.cli.{name}").register(sub)
    return parser


def _all_commands() -> list[str]:
    import pkgutil  # lazy: 0.7 ms of start-up (only `ksp --help` lists every command)

    return sorted(info.name for info in pkgutil.iter_modules(package.__path__)
                  if not info.name.startswith("_") and info.name != "main")


def _command(argv: Sequence[str]) -> str | None:
    """The command named by argv, when it is a plain `ksp [-v] COMMAND …` call."""

    words = [a for a in argv if a not in ("-v", "--verbose")]
    if not words or words[0].startswith("-") or words[0].startswith("_") or words[0] == "main":
        return None
    path = Path(package.__path__[0]) / f"{words[0]}.py"
    return words[0] if path.is_file() else None


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_command(argv))  # `ksp gate` imports the gate's module only
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    handler = _verbose_logging() if args.verbose else None
    try:
        with _sigterm_as_interrupt():
            return int(args.func(args))
    except KspError as exc:
        from ksp.report._term import printable  # lazy: 0.5 ms of start-up

        print(printable(f"ksp: error: {exc}").replace("\n", "\\n"), file=sys.stderr)
        if exc.hint:
            print(printable(f"  hint: {exc.hint}").replace("\n", "\\n"), file=sys.stderr)
        return exc.exit_code
    except Terminated:
        print("ksp: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("ksp: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        if args.verbose:
            import traceback  # lazy: 1.1 ms of start-up

            traceback.print_exc()
        print(f"ksp: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        print(f"  hint: rerun as `ksp -v {args.command} …` for the traceback and a log of the "
              "git commands, and report it", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        if handler is not None:
            import logging  # lazy: 3.5 ms of start-up

            root = logging.getLogger("ksp")
            root.debug("%s done in %.0f ms", args.command, (time.perf_counter() - started) * 1000)
            root.removeHandler(handler)
            root.setLevel(logging.NOTSET)


def _verbose_logging() -> Any:
    """`-v`: every git command ksp runs, with its exit code and time, on stderr."""
    import logging  # lazy: 3.5 ms of start-up

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("ksp: %(name)s: %(message)s"))
    root = logging.getLogger("ksp")
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    return handler


def entry() -> None:
    """The `ksp` script: run, flush, and leave without the interpreter's teardown.

    Tearing the interpreter down costs ~20 ms, a tenth of a quick command such as the gate's
    series check. Nothing needs it: every file, lock, thread pool and child process ksp opens is
    closed by a context manager before `main` returns, so only stdio is left to flush."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        # BrokenPipeError: the reader went away (`ksp status | head`); ValueError: closed.
        with contextlib.suppress(BrokenPipeError, ValueError):
            stream.flush()
    os._exit(code)
