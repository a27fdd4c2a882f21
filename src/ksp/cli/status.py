"""ksp status: support windows, patches and gaps per minor."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ksp.cli import _common
from ksp.model import Minor, Window

if TYPE_CHECKING:
    from ksp.repo import PatchesRepo


def register(sub: _common.Subcommands) -> None:
    parser = _common.add_command(
        sub, "status", "support window of every minor; patches and gaps inside a patches repo",
        "ksp status --date 2026-11-22 --format json",
    )
    _common.add_format(parser)
    _common.add_repo(parser)
    _common.add_date(parser)
    parser.add_argument("--minor", action="append", type=_common.parse_minor, default=[],
                        help="also show this minor, even if lifecycle data does not know it")
    parser.add_argument("--upstream", type=Path, default=None,
                        help="clone of the upstream project, read for each minor's Go version "
                             "(default: $KSP_UPSTREAM, else ../<upstream name> when it exists)")
    parser.add_argument("--fleet", nargs="+", type=Path, metavar="DIR",
                        help="one table over several patches repos (folders, or a file with "
                             "`fleet: [dir, …]`), e.g. --fleet kubernetes-patches runc-patches")
    parser.set_defaults(func=run)


def _upstream(args: argparse.Namespace, repo: PatchesRepo) -> Path | None:
    path = _common.upstream_dir(args, repo)
    return path if path.is_dir() else None


def run(args: argparse.Namespace) -> int:
    if args.fleet:
        return _fleet(args)

    from ksp import lifecycle, status  # lazy: 22.9 ms of start-up

    repo = _common.repo_or_none(args)
    lc = repo.lifecycle() if repo else lifecycle.embedded()
    result = status.compute(lc, _common.today(args), repo, extra=args.minor,
                            upstream=_upstream(args, repo) if repo else None)
    if not result.minors:
        _common.log(f"no lifecycle data for {lc.project}: bring it with `ksp lifecycle import "
                    "FILE` (an endoflife.date product file, or schedule.yaml / eol.yaml)")
    unplaced = [r.minor for r in result.minors if r.window is Window.UNKNOWN]
    if unplaced:
        _common.log(f"ksp: note: no support window for {', '.join(unplaced)}: "
                    + lc.unplaced_reason(Minor.parse(unplaced[0])))
    if args.format == "json":
        _common.emit_json(result)
    else:
        from ksp.report import status as status_report  # lazy: 40.7 ms of start-up (rich)

        color = sys.stdout.isatty()
        _common.emit(status_report.text(result, color=color), styled=color)
    return 0


def _fleet(args: argparse.Namespace) -> int:
    from ksp import fleet  # lazy: 23.4 ms of start-up
    from ksp.report import fleet as fleet_report  # lazy: 42.1 ms of start-up

    _common.require(args.repo is None and not args.minor, "--fleet stands alone",
                    hint="leave out --repo and --minor; name every repo after --fleet")
    result = fleet.status(fleet.members(args.fleet), _common.today(args))
    if args.format == "json":
        _common.emit_json(result)
    else:
        _common.emit(fleet_report.text(result, color=sys.stdout.isatty()))
    return 0
