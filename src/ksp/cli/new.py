"""ksp new: add a patch for an advisory and a minor, with its header and index entry."""

from __future__ import annotations

import argparse
from pathlib import Path

from ksp.cli import _common, _headerflags


def register(sub: _common.Subcommands) -> None:
    parser = _common.add_command(
        sub, "new", "add a patch (from a diff, a format-patch mail or upstream commits)",
        "ksp new CVE-2025-5187 --minor 1.32 --upstream ../kubernetes --commit 1a2b3c4 "
        "--cve-issue https://github.com/kubernetes/kubernetes/issues/133471 "
        "--cvss-vector CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:L "
        "--components kube-apiserver --fixer @me --backport clean --tests kept",
    )
    parser.add_argument("advisory", help="CVE-…, GHSA-… or INFRA-<slug>")
    parser.add_argument("--minor", required=True, type=_common.parse_minor,
                        help="target minor, e.g. 1.32 (accepted whatever its window)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--diff", type=Path, metavar="FILE", help="a plain git diff")
    source.add_argument("--mail", type=Path, metavar="FILE", help="a git format-patch mail")
    source.add_argument("--upstream", type=Path, metavar="DIR",
                        help="a local clone of the upstream (with --commit): the commits are "
                        "rebased onto the minor's base + series, as `ksp backport --write` "
                        "does; a conflict is refused")
    parser.add_argument("--commit", nargs="+", action="extend", default=[], metavar="SHA",
                        help="upstream commit(s), oldest first, or a range A..B")
    parser.add_argument("--testing", metavar="TEXT",
                        help="the Testing line (default: pending until `ksp gate --record`)")
    parser.add_argument("--backport",
                        choices=("clean", "adjusted", "rewritten", "original-mitigation"))
    _headerflags.add(parser)
    _common.add_format(parser)
    _common.add_repo(parser)
    _common.add_date(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ksp import new  # lazy: 43.8 ms of start-up

    _common.require(bool(args.commit) == bool(args.upstream),
                    "--upstream DIR and --commit SHA… go together")
    repo = _common.repo_required(args)
    limit = repo.config.policy.max_patch_bytes
    if args.diff:
        source = new.from_diff(args.diff, limit)
    elif args.mail:
        source = new.from_mail(args.mail, limit)
    else:
        source, cls, warning = new.on_minor(repo, new.from_upstream(args.upstream, args.commit),
                                            args.advisory, args.minor, _common.today(args))
        if warning:
            _common.log(f"ksp: warning: {warning}")
        elif args.backport in (None, "clean") and cls == "adjusted":
            args.backport = "adjusted"  # rebased by a 3-way merge: not the upstream diff as is
        elif args.backport is None:
            args.backport = cls
    header = _headerflags.values(args, repo, testing=args.testing, backport=args.backport)
    request = new.NewRequest(args.advisory, args.minor, header)
    result = new.create(repo, request, source, _common.today(args))
    for warning in result.warnings:
        _common.log(f"ksp: warning: {warning}")
    if args.format == "json":
        _common.emit_json(result)
    else:
        _common.emit(f"wrote {result.path} ({result.advisory} on {result.minor}: in-progress "
                     "in index.yaml)")
        _common.log(f"next: ksp gate --patch {result.path} --record, then ksp lint")
    return 0
