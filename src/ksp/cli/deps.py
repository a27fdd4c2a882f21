"""ksp deps: the Go version and modules each minor builds with, and its dependency advisories."""

from __future__ import annotations

import argparse
from pathlib import Path

from ksp.cli import _common


def register(sub: _common.Subcommands) -> None:
    parser = _common.add_command(
        sub, "deps", "Go version and modules per minor at base + series, and their advisories",
        "ksp deps --upstream ../kubernetes --minor 1.32 --format json",
        description=(
            "For each minor (default: the extended-window minors), read .go-version, every\n"
            "go.mod of the tree and vendor/modules.txt at the base plus the minor's patch\n"
            "series (written by the gate's series engine in ksp's shadow repository; the\n"
            "upstream clone is only read, nothing is downloaded). Then list the dependency and\n"
            "toolchain advisories of index.yaml (`ksp advisories import --go-vulndb`), with the\n"
            "fix for each needed one: the upstream commit that bumped the module on a newer\n"
            "release branch (for `ksp backport --commit`), or the Go release (INFRA-go-…)."),
    )
    _common.add_repo(parser)
    parser.add_argument("--upstream", type=Path, default=None,
                        help="clone of the upstream project, only read (default: $KSP_UPSTREAM, "
                             "else ../<upstream name> next to the patches repo)")
    parser.add_argument("--minor", action="append", type=_common.parse_minor, default=[],
                        help="this minor (repeatable; default: the extended-window minors)")
    parser.add_argument("--base", choices=("branch", "tag"), default=None,
                        help="the release branch tip or the last release tag (default: ksp.yaml)")
    parser.add_argument("--modules", action="store_true", help="list every module (text)")
    parser.add_argument("--go-vulndb", metavar="DIR|URL", default=None,
                        help="the Go vulnerability database: a proposed bump must then leave "
                             "every affected range of the record, not only pass the first fix")
    _common.add_format(parser, "markdown")
    _common.add_date(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ksp.deps import command  # lazy: 129.7 ms of start-up
    from ksp.report import deps as report  # lazy: 127.7 ms of start-up

    repo = _common.repo_required(args)
    today = _common.today(args)
    minors = list(args.minor) or command.default_minors(repo, today)
    _common.require(bool(minors), f"no minor is in the extended window on {today}",
                    hint="name one with --minor")
    result = command.run(repo, _common.upstream_dir(args, repo), minors, today, base_mode=args.base,
                         vulndb_source=args.go_vulndb, log=_common.log)
    if args.format == "json":
        _common.emit_json(result)
    elif args.format == "markdown":
        _common.emit(report.markdown(result))
    else:
        _common.emit(report.text(result, all_modules=args.modules))
    return 0
