"""ksp apply: apply a minor's series to a consumer's tree, all or nothing."""

from __future__ import annotations

import argparse
from pathlib import Path

from ksp.cli import _common


def register(sub: _common.Subcommands) -> None:
    parser = _common.add_command(
        sub, "apply", "apply a minor's patch series to your own tree, all or nothing",
        "ksp apply --minor 1.30 --to ../kubernetes --commit",
        description=(
            "Checks every patch first; patches already present (they reverse-apply) are\n"
            "skipped. If any other patch does not apply, nothing is changed. --commit makes one\n"
            "commit per patch with Ksp-Advisory, Ksp-Original-Patch, Ksp-Patch-Sha256 and\n"
            "Ksp-Build trailers. A tree with uncommitted changes is refused unless --force."),
    )
    _common.add_repo(parser)
    _common.add_format(parser)
    parser.add_argument("--minor", type=_common.parse_minor, required=True)
    parser.add_argument("--to", type=Path, required=True, metavar="DIR",
                        help="your git checkout (a tag or your fork)")
    parser.add_argument("--dry-run", action="store_true", help="check only; change nothing")
    parser.add_argument("--commit", action="store_true", help="one commit per patch")
    parser.add_argument("--force", action="store_true",
                        help="apply even though the tree has uncommitted changes")
    parser.add_argument("--require-signed", action="store_true",
                        help="refuse unless vX.Y/SERIES matches the patches and carries valid "
                             "signatures of the approvers each patch needs (and a signed, "
                             "passing gate attestation)")
    parser.add_argument("--allowed-signers", type=Path, metavar="FILE",
                        help="with --require-signed: your pinned copy of ALLOWED_SIGNERS "
                             "(default: the patches repo's)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ksp import apply  # lazy: 36.1 ms of start-up

    repo = _common.repo_required(args)
    result = apply.run(repo, args.minor, args.to, dry_run=args.dry_run, commit=args.commit,
                       force=args.force, require_signed=args.require_signed,
                       allowed_signers=args.allowed_signers)
    if args.format == "json":
        _common.emit_json(result)
        return 0
    verb = "would apply" if result.dry_run else "applied"
    lines = [f"{p.patch}: {'skipped, ' + p.detail if p.action == 'skip' else verb}"
             for p in result.patches]
    count = sum(p.action == "apply" for p in result.patches)
    skipped = sum(p.action == "skip" for p in result.patches)
    summary = f"{count} {verb}, {skipped} already present; build {result.build}"
    if result.commit and not result.dry_run:
        count_commits = len(result.commits)
        summary += f"; {count_commits} commit{'' if count_commits == 1 else 's'}"
    if result.review is not None:
        lines.insert(0, str(result.review["summary"]))
    _common.emit("\n".join([*lines, summary]))
    return 0
