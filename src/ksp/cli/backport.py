"""ksp backport: an upstream fix -> a patch (or a worktree to finish) for each target minor."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ksp.cli import _common, _headerflags
from ksp.errors import UsageError
from ksp.model import ADVISORY_ID_RE, BackportClass

if TYPE_CHECKING:
    from ksp.backport.model import BackportResult
    from ksp.git.shadow import Shadow
    from ksp.repo import PatchesRepo


def register(sub: _common.Subcommands) -> None:
    parser = _common.add_command(
        sub, "backport", "triage an upstream fix against each minor; write what applies",
        "ksp backport CVE-2025-5187 --upstream ../kubernetes --commit 3f2a1b9 --write",
        description="Cherry-pick an upstream fix (commits, a range or a merged PR) onto each "
        "target minor's base plus its existing series, without touching your clone, and "
        "classify it: already-applied (the branch or the series has it; the evidence says "
        "how: ancestor, cherry-pick trailer, patch-id, subject and author, the index, a series "
        "patch, reverse-apply, a newer dependency), clean, adjusted (3-way, renames) or "
        "conflict (files, hunks, prerequisite commits and their pull request). --write turns "
        "clean/adjusted results into patch files and leaves a worktree with conflict markers "
        "for the rest; --continue finishes one.",
    )
    parser.add_argument("advisory", nargs="?", help="the advisory id (CVE-…, GHSA-…, INFRA-…)")
    parser.add_argument("--upstream", type=Path,
                        help="a clone of the upstream, only read (default: $KSP_UPSTREAM, "
                        "else ../<upstream name> next to the patches repo)")
    pick = parser.add_mutually_exclusive_group()
    pick.add_argument("--commit", action="append", default=[], metavar="SHA",
                      help="an upstream commit of the fix (repeat, oldest first)")
    pick.add_argument("--range", metavar="A..B", help="the fix's commits as a range")
    pick.add_argument("--merge", metavar="SHA", help="the merge commit of the fix's pull request")
    parser.add_argument("--to", action="append", type=_common.parse_minor, default=[],
                        metavar="MINOR", help="a target minor (repeat; default: every minor "
                        "in the extended window)")
    parser.add_argument("--from", dest="from_branch", metavar="BRANCH",
                        help="start from the fix's backport on this release branch (found by "
                        "its trailer, patch-id, or subject and author)")
    parser.add_argument("--independent", action="store_true",
                        help="try each commit alone instead of as a series")
    parser.add_argument("--write", action="store_true",
                        help="write patches (clean/adjusted) and worktrees (conflicts)")
    parser.add_argument("--continue", dest="resume", action="store_true",
                        help="turn a resolved backport worktree into its patch")
    parser.add_argument("--abort", action="store_true", help="remove a backport worktree")
    parser.add_argument("--minor", type=_common.parse_minor, help="with --continue/--abort")
    parser.add_argument("--class", dest="cls", choices=("adjusted", "rewritten"),
                        default="adjusted", help="Backport: class of a hand-resolved patch")
    parser.add_argument("--no-prerequisites", action="store_true",
                        help="do not search for prerequisite commits of conflicts")
    _headerflags.add(parser)
    _common.add_format(parser)
    _common.add_repo(parser)
    _common.add_date(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.resume or args.abort:
        return _resume(args)
    from ksp import lifecycle  # lazy: 8.3 ms of start-up
    from ksp.backport import run as workflow  # lazy: 40.0 ms of start-up
    from ksp.git.shadow import Shadow  # lazy: 10.2 ms of start-up
    from ksp.repo.config import Config  # lazy: 13.8 ms of start-up

    _common.require(bool(args.advisory), "ADVISORY is required")
    _common.require(bool(ADVISORY_ID_RE.fullmatch(args.advisory)),
                    f"{args.advisory!r} is not an advisory id", "e.g. CVE-2025-5187")
    _common.require(bool(args.commit or args.range or args.merge),
                    "one of --commit, --range or --merge is required")
    repo = _common.repo_or_none(args)
    upstream = _common.upstream_dir(args, repo)
    _common.require(not args.write or repo is not None, "--write needs a patches repo",
                    "run inside one, or pass --repo DIR")
    config = repo.config if repo else Config()
    lc = repo.lifecycle() if repo else lifecycle.embedded()
    shadow = Shadow.open(upstream)
    request = workflow.Request(
        args.advisory, tuple(args.commit), args.range, args.merge, tuple(args.to),
        args.from_branch, args.independent, _common.today(args),
        prerequisites=not args.no_prerequisites,
        mirror_trailer=config.mirror_of.trailer if config.mirror_of else None,
    )
    result = workflow.triage(shadow, repo, config, lc, req=request, warn=_common.log)
    if args.write and repo is not None:  # required above
        result = _write(repo, shadow, result, args)
    _render(result, args.format)
    return 0 if result.ok else 1


def _write(repo: PatchesRepo, shadow: Shadow, result: BackportResult,
           args: argparse.Namespace) -> BackportResult:
    from ksp.backport import write  # lazy: 44.3 ms of start-up

    values = _headerflags.values(args, repo)
    by_minor = {w.minor: w for w in write.write(repo, shadow, result, values)}
    targets = []
    for t in result.targets:
        done = by_minor.get(t.minor)
        targets.append(t._replace(patch=done.patch if done else None,
                                  worktree=done.worktree if done else None))
    return result._replace(targets=tuple(targets))


def _render(result: BackportResult, fmt: str) -> None:
    from ksp.report import backport as report  # lazy: 4.5 ms of start-up

    if fmt == "json":
        _common.emit_json(report.to_json(result))
    else:
        _common.emit(report.text(result))


def _resume(args: argparse.Namespace) -> int:
    from ksp.backport import resume, write  # lazy: 51.0 ms of start-up
    from ksp.report import backport as report  # lazy: 4.4 ms of start-up

    repo = _common.repo_or_none(args)
    states = write.pending(repo, args.advisory, args.minor)
    if not states:
        raise UsageError("no backport worktree to continue",
                         hint="`ksp backport … --write` leaves one for each conflict")
    if len(states) > 1:
        names = ", ".join(f"{s.advisory} {s.minor}" for s in states)
        raise UsageError(f"several backport worktrees: {names}",
                         hint="name one with ADVISORY and --minor")
    if args.abort:
        resume.abort(states[0])
        _common.log(f"ksp: removed {states[0].worktree}")
        return 0
    flags = _headerflags.values(args, None)  # over the values --write saved
    done = resume.resume(states[0], BackportClass(args.cls), values=flags)
    if args.format == "json":
        _common.emit_json(report.continued_json(done))
    else:
        _common.emit(report.continued(done))
    return 0 if done.patch else 1
