"""ksp coverage: the advisory x minor matrix, gaps first."""

from __future__ import annotations

import argparse
import sys

from ksp.cli import _common
from ksp.model import Rating, Status


def register(sub: _common.Subcommands) -> None:
    parser = _common.add_command(
        sub, "coverage", "advisory x minor matrix with statuses and windows, gaps first",
        "ksp coverage --minor 1.30 --status needed --severity MEDIUM --format markdown",
    )
    parser.add_argument("--format", choices=("text", "json", "markdown", "csv"), default="text",
                        help="output format on stdout (default: text)")
    _common.add_repo(parser)
    _common.add_date(parser)
    parser.add_argument("--minor", action="append", type=_common.parse_minor, default=[],
                        help="only this minor (repeatable; default: supported and extended)")
    parser.add_argument("--status", action="append", type=Status, default=[],
                        choices=list(Status), metavar="STATUS",
                        help="only advisories with this status on a shown minor (repeatable): "
                             + ", ".join(s.value for s in Status))
    parser.add_argument("--severity", type=_rating, metavar="MIN", default=None,
                        help="only advisories rated at least this (LOW, MEDIUM, HIGH, CRITICAL)")
    parser.add_argument("--since", type=_common.parse_date, metavar="D", default=None,
                        help="only advisories published on or after this day")
    parser.add_argument("--until", type=_common.parse_date, metavar="D", default=None,
                        help="only advisories published on or before this day")
    parser.set_defaults(func=run)


def _rating(text: str) -> Rating:
    try:
        rating = Rating(text.upper())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a severity: {text!r} (expected LOW, MEDIUM, HIGH or CRITICAL)") from None
    if rating is Rating.UNKNOWN:
        raise argparse.ArgumentTypeError("UNKNOWN is not a minimum severity")
    return rating


def run(args: argparse.Namespace) -> int:
    from ksp import coverage  # lazy: 30.4 ms of start-up
    from ksp.report import coverage as report  # lazy: 52.3 ms of start-up
    from ksp.review.provenance import of_repo  # lazy: 17.1 ms of start-up

    _common.require(not (args.since and args.until and args.since > args.until),
                    "--since is after --until")
    repo = _common.repo_required(args)
    filters = coverage.Filters(tuple(args.minor), tuple(args.status), args.severity,
                               args.since, args.until)
    result = coverage.compute(list(repo.advisories().values()), repo.lifecycle(),
                              _common.today(args), filters, repo.config.project,
                              provenance=of_repo(repo))
    color = sys.stdout.isatty()
    _common.emit(report.render(result, report.Format(args.format), color=color), styled=color)
    return 0
