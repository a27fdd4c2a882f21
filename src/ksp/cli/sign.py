"""ksp sign: record the SRC reviewer's sign-off in patch headers (and their sha256 in the index)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ksp.cli import _common


def register(sub: Any) -> None:
    parser = _common.add_command(
        sub, "sign", "write the SRC reviewer into patch headers and update their sha256 in "
        "index.yaml", "ksp sign v1.32/0003_CVE-2025-5187.patch --reviewer @src-member",
    )
    parser.add_argument("patches", nargs="+", type=Path, metavar="PATCH")
    parser.add_argument("--reviewer", required=True, help="the SRC member's handle")
    _common.add_repo(parser)
    _common.add_format(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ksp.sign import sign

    repo = _common.repo_required(args)
    signed = sign(repo, list(args.patches), args.reviewer)
    if args.format == "json":
        _common.emit_json({"signed": signed})
    else:
        lines = []
        for s in signed:
            n = s.index_entries
            entries = "1 index entry" if n == 1 else f"{n} index entries"
            lines.append(f"signed {s.patch} as {s.reviewer}; sha256 {s.sha256[:12]}… in {entries}")
        _common.emit("\n".join(lines))
    return 0
