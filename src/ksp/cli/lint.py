"""ksp lint: check a patches repo (or what changed since a ref) against the repository format."""

from __future__ import annotations

import argparse
from pathlib import Path

from ksp.cli import _common


def register(sub: _common.Subcommands) -> None:
    parser = _common.add_command(
        sub, "lint", "check names, headers, index agreement, severity, disclaimers, policy",
        "ksp lint --since origin/main --upstream ../kubernetes --format json",
    )
    _common.add_format(parser)
    _common.add_repo(parser)
    _common.add_date(parser)
    parser.add_argument("--pre-review", action="store_true",
                        help="before SRC review: allow an empty SRC Reviewer and pending Testing")
    parser.add_argument("--since", metavar="REF",
                        help="lint only patch files changed since REF (plus repo-wide checks)")
    parser.add_argument("--upstream", metavar="DIR", type=Path,
                        help="a clone of the upstream: every referenced commit must exist there")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ksp import lint  # lazy: 53.5 ms of start-up
    from ksp.git._run import is_repo  # lazy: 3.4 ms of start-up
    from ksp.report import lint as lint_report  # lazy: 54.4 ms of start-up

    repo = _common.repo_required(args)
    if args.upstream is not None:
        _common.require(args.upstream.is_dir() and is_repo(args.upstream),
                        f"--upstream {args.upstream}: not a git repository",
                        hint="give a local clone of the upstream project")
    options = lint.LintOptions(pre_review=args.pre_review, since=args.since,
                               upstream=args.upstream)
    result = lint.run(repo, _common.today(args), options)
    if args.format == "json":
        _common.emit(lint_report.json(result))
    else:
        _common.emit(lint_report.text(result))
    errors = [f for f in result.findings if f.severity is lint.Level.ERROR]
    summary = f"ksp lint: {result.errors} error(s), {result.warnings} warning(s)"
    _common.log(f"{summary}; first: {lint_report.line(errors[0])}" if errors else summary)
    return 1 if errors else 0
