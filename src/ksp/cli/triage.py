"""ksp triage: record a maintainer's decision on an advisory, or show its history."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ksp.cli import _common
from ksp.errors import TriageError
from ksp.model import Minor

if TYPE_CHECKING:
    from collections.abc import Callable

    from ksp.model import Minor
    from ksp.repo import PatchesRepo


def register(sub: _common.Subcommands) -> None:
    parser = _common.add_command(
        sub, "triage", "record a decision on an advisory (status per minor, or whose it is)",
        "ksp triage CVE-2020-8554 --all-minors --status wont-fix "
        "--note 'design issue, no upstream fix; restrict externalIPs' --by @alice",
        description=(
            "Record a decision in index.yaml, under the repo lock and atomically: a status\n"
            "per minor (needs-triage, needed, not-affected with an OpenVEX justification,\n"
            "wont-fix with a reason given as --note) and/or whose advisory it is (--kind).\n"
            "Each change is appended to the advisory's history (who, when, minor, from, to,\n"
            "why); a later `ksp advisories import` never overwrites it. --history shows it."),
    )
    parser.add_argument("advisory", metavar="ADVISORY", help="the CVE or GHSA id")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--minor", action="append", default=[], metavar="M",
                       help="a minor to decide for (repeatable)")
    which.add_argument("--all-minors", action="store_true",
                       help="every extended-window minor and every minor with a state "
                            "(patched and in-progress ones are skipped)")
    parser.add_argument("--status", metavar="STATUS",
                        help="needs-triage, needed, not-affected or wont-fix")
    parser.add_argument("--justification", metavar="J",
                        help="with not-affected: one of OpenVEX's five justifications, e.g. "
                             "vulnerable_code_not_present")
    parser.add_argument("--note", metavar="TEXT",
                        help="why, on one line (the reason wont-fix needs; the impact "
                             "statement of not-affected)")
    parser.add_argument("--kind", metavar="KIND",
                        help="whose advisory: project, other-project, dependency or toolchain")
    parser.add_argument("--project", metavar="PACKAGE",
                        help="with --kind other than project: the module or product it is about")
    parser.add_argument("--by", metavar="@HANDLE",
                        help="who decides (default: git's github.user as @handle, else "
                             "user.name)")
    parser.add_argument("--history", action="store_true",
                        help="show the advisory's recorded decisions and change nothing")
    _common.add_format(parser)
    _common.add_repo(parser)
    parser.add_argument("--date", type=_common.parse_date, default=None,
                        help="the day of the decision, and of the window --all-minors uses "
                             "(YYYY-MM-DD; default: today)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ksp import triage  # lazy: 21.6 ms of start-up
    from ksp.report import triage as report  # lazy: 41.2 ms of start-up

    repo = _common.repo_required(args)
    if args.history:
        if any((args.status, args.kind, args.minor, args.all_minors, args.note,
                args.justification)):
            raise TriageError("--history shows decisions; it takes no decision options")
        advisory = triage.history(repo, args.advisory)
        _emit(args, report.history_json(advisory), lambda: report.history_text(advisory))
        return 0
    request = triage.Request(
        advisory=args.advisory, by=args.by if args.by is not None else _default_by(repo),
        date=_common.today(args), minors=tuple(_minor(m) for m in args.minor),
        all_minors=args.all_minors, status=args.status, justification=args.justification,
        note=args.note, kind=args.kind, project=args.project)
    result = triage.triage(repo, request)
    _emit(args, report.result_json(result), lambda: report.result_text(result))
    return 0


def _emit(args: argparse.Namespace, data: object, text: Callable[[], str]) -> None:
    if args.format == "json":
        _common.emit_json(data)
    else:
        _common.emit(text())


def _minor(text: str) -> Minor:
    try:
        return Minor.parse(text)
    except ValueError as exc:
        raise TriageError(f"--minor: {exc}") from None


def _default_by(repo: PatchesRepo) -> str:
    from ksp.headerfields import default_fixer  # lazy: 21.3 ms of start-up

    by = default_fixer(repo.root)
    if not by:
        raise TriageError("who decides? pass --by @handle (or set git's github.user)")
    return by
