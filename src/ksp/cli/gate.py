"""ksp gate: the KEP's apply-and-test, in ksp-owned state only (the user's clone is read)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ksp.cli import _common
from ksp.errors import KspError, UsageError

if TYPE_CHECKING:
    from ksp.gate.model import GateResult
    from ksp.model import Minor
    from ksp.repo.layout import PatchesRepo

FORMATS = ("markdown", "junit")


def register(sub: _common.Subcommands) -> None:
    parser = _common.add_command(
        sub, "gate", "apply each minor's series and the new patches on the base; build and test",
        "ksp gate --upstream ../kubernetes --since origin/main --format markdown",
    )
    _common.add_format(parser, *FORMATS)
    _common.add_repo(parser)
    add = parser.add_argument
    add("--upstream", type=Path, default=None,
        help="clone of the upstream project, only read (default: $KSP_UPSTREAM, else "
             "../<upstream name> next to the patches repo)")
    add("--minor", action="append", type=_common.parse_minor, default=[],
        help="gate this minor (repeatable; default: the minors of --patch/--since, else all)")
    add("--patch", action="append", type=Path, default=[], metavar="FILE",
        help="a new patch, applied after the minor's series (repeatable)")
    add("--since", metavar="REF", help="new patches: those changed in the patches repo since REF")
    add("--base", choices=("branch", "tag"), default=None,
        help="base: the release branch tip or the final tag (default: ksp.yaml's base)")
    add("--no-build", action="store_true", help="do not build")
    add("--no-test", action="store_true", help="do not run tests")
    add("--no-reuse", action="store_true",
        help="build and test even when a passing record of the same base, patches, toolchain "
             "and configuration exists (default: reuse it and say so)")
    add("--allow-drift", action="store_true",
        help="accept patches that apply only with offsets or a 3-way merge")
    add("--jobs", type=_common.at_least(1), default=0, help="minors in parallel (default: cores)")
    add("--go", action="append", default=[], metavar="X",
        help="a Go toolchain (path or version) to build and test with (repeatable)")
    add("--goproxy", metavar="URL", default=None,
        help="let Go fetch modules the module cache lacks from this proxy (also "
             "$KSP_GOPROXY; default: offline, the module cache only; a file:// folder works)")
    add("--timeout", type=_common.at_least(1), default=None, metavar="S", help="seconds per step")
    add("--evidence-dir", type=Path, default=None, metavar="DIR",
        help="where evidence records and logs go (default: <repo>/.ksp/evidence)")
    add("--record", action="store_true",
        help="on a pass, write the new patches' Testing: line and their sha256 in index.yaml")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import signal  # lazy: 0.6 ms of start-up
    import threading  # lazy: 0.6 ms of start-up

    if threading.current_thread() is not threading.main_thread():
        return _run(args)
    previous = signal.signal(signal.SIGTERM, _interrupt)  # clean up as on Ctrl-C
    try:
        return _run(args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _run(args: argparse.Namespace) -> int:
    from ksp.gate.model import GateRequest  # lazy: 29.9 ms of start-up
    from ksp.gate.run import run_gate  # lazy: 33.0 ms of start-up

    repo = _common.repo_required(args)
    if args.since:  # a pull request: checked with the base's ksp.yaml (upstream, commands…)
        repo = repo.at_base(args.since)
    _common.require(not (args.record and args.no_build and args.no_test),
                    "--record needs a run that builds or tests",
                    hint="drop --no-build/--no-test: the Testing: line is evidence of testing")
    _common.require(not args.goproxy or args.goproxy.startswith(("https://", "http://", "file://")),
                    f"--goproxy {args.goproxy!r} is not a proxy URL",
                    hint="e.g. --goproxy https://proxy.example or --goproxy file:///srv/goproxy")
    _common.require(not args.record or bool(args.patch or args.since),
                    "--record needs --patch FILE or --since REF: they select the patches whose "
                    "Testing: line it writes")
    today = dt.date.today()
    _warn_named(repo, args.minor, today)
    request = GateRequest(
        repo=repo, upstream=_common.upstream_dir(args, repo), minors=tuple(args.minor),
        patches=tuple(args.patch), since=args.since, base_mode=args.base,
        build=not args.no_build, test=not args.no_test, allow_drift=args.allow_drift,
        jobs=args.jobs, toolchains=tuple(args.go), timeout=args.timeout,
        goproxy=args.goproxy or "", reuse=not args.no_reuse,
        evidence_dir=_evidence_dir(args.evidence_dir),
    )
    result = run_gate(request)
    if result.note:
        _common.log(f"ksp gate: nothing to gate: {result.note}")
    # The text report carries the warnings; say them on stderr too unless both go to one terminal.
    same_screen = args.format == "text" and sys.stdout.isatty() and sys.stderr.isatty()
    for minor in result.minors:
        for note in [] if same_screen else minor.toolchain_notes:
            _common.log(f"ksp: warning: {minor.minor}: {note.removeprefix('warning: ')}")
        if minor.worktree:
            _common.log(f"ksp gate: {minor.minor}: failing worktree kept at {minor.worktree}")
    if args.record and result.ok:
        from ksp.gate import evidence  # lazy: 21.8 ms of start-up

        for path in evidence.record(repo, result, today):
            shown = path.relative_to(repo.root) if path.is_relative_to(repo.root) else path
            _common.log(f"ksp gate: recorded the Testing: line of {shown} and marked its "
                        "advisory patched on that minor in index.yaml")
    color = sys.stdout.isatty()
    _common.emit(_render(args.format, result, color=color), styled=color)
    return 0 if result.ok else 1


def _evidence_dir(given: Path | None) -> Path | None:
    """--evidence-dir, made if missing; refused up front when it cannot be written to."""
    if given is None:
        return None

    path = given.resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--evidence-dir {given}: cannot create it ({exc.strerror})",
                         hint="give a writable folder") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"--evidence-dir {given}: not writable", hint="give a writable folder")
    return path


def _warn_named(repo: PatchesRepo, minors: list[Minor], today: dt.date) -> None:
    """A minor named by --minor that is expired or unknown is gated, with a warning."""
    if not minors:
        return
    from ksp.lifecycle import named_anyway  # lazy: 9.1 ms of start-up

    try:
        lifecycle = repo.lifecycle()
    except KspError as exc:
        _common.log(f"ksp: warning: cannot read the lifecycle data ({exc}); not checking "
                    "whether the --minor minors are still in their window")
        return
    for minor in sorted(set(minors), reverse=True):
        warning = named_anyway(lifecycle, minor, today, doing="gating", flag="--minor")
        if warning:
            _common.log(warning)


def _render(fmt: str, result: GateResult, *, color: bool) -> str:
    if fmt == "json":
        from ksp.report import gate_json  # lazy: 32.9 ms of start-up

        return gate_json.render(result)
    if fmt == "markdown":
        from ksp.report import gate_markdown  # lazy: 34.8 ms of start-up

        return gate_markdown.markdown(result)
    if fmt == "junit":
        from ksp.report import gate_junit  # lazy: 36.4 ms of start-up

        return gate_junit.junit(result)
    from ksp.report import gate_text  # lazy: 34.5 ms of start-up

    return gate_text.text(result, color=color)
