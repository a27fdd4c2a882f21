"""ksp status: support windows, patches and gaps per minor."""

from __future__ import annotations

import argparse
from typing import Any

from ksp.cli import _common


def register(sub: Any) -> None:
    parser = _common.add_command(
        sub, "status", "support window of every minor; patches and gaps inside a patches repo",
        "ksp status --date 2026-11-22 --format json",
    )
    _common.add_format(parser)
    _common.add_repo(parser)
    _common.add_date(parser)
    parser.add_argument("--minor", action="append", type=_common.parse_minor, default=[],
                        help="also show this minor, even if lifecycle data does not know it")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from ksp import lifecycle, status

    repo = _common.repo_or_none(args)
    lc = repo.lifecycle() if repo else lifecycle.embedded()
    result = status.compute(lc, _common.today(args), repo, extra=args.minor)
    if not result.minors:
        _common.log(f"no lifecycle data for {lc.project}: bring it with `ksp lifecycle import "
                    "FILE` (an endoflife.date product file, or schedule.yaml / eol.yaml)")
    if args.format == "json":
        _common.emit_json(result)
    else:
        from ksp.report import status as status_report  # rich: only for the table

        color = sys.stdout.isatty()
        _common.emit(status_report.text(result, color=color), styled=color)
    return 0
