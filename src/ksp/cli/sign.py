"""ksp sign: an approver signs patches (header, index sha256, SSH-signed series manifest)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ksp.cli import _common
from ksp.model import Minor

if TYPE_CHECKING:
    from ksp.repo import PatchesRepo
    from ksp.sign import SignedFile


def register(sub: _common.Subcommands) -> None:
    parser = _common.add_command(
        sub, "sign", "an approver signs patches: SRC Reviewer header, index sha256, and an SSH "
        "signature of the minor's series manifest",
        "ksp sign v1.32/0003_CVE-2025-5187.patch --reviewer @src-member --key ~/.ssh/id_ed25519",
        description=(
            "The reviewer must be an approver in OWNERS and not the patch's fixer; rewritten\n"
            "and original-mitigation patches need two approvers (ksp.yaml review:). Writes\n"
            "vX.Y/SERIES and vX.Y/SERIES.@handle.sig (ssh-keygen -Y sign -n ksp-series); the\n"
            "key must be listed for the handle in ALLOWED_SIGNERS. --attestation FILE signs\n"
            "the gate's in-toto attestation, kept as vX.Y/GATE.intoto.json."),
    )
    parser.add_argument("patches", nargs="*", type=Path, metavar="PATCH")
    parser.add_argument("--reviewer", required=True, help="the approver's handle, e.g. @alice")
    parser.add_argument("--key", type=Path, metavar="PATH",
                        help="SSH private key (default: git's user.signingkey)")
    parser.add_argument("--attestation", type=Path, metavar="FILE",
                        help="sign a gate attestation (.ksp/evidence/X.Y/attestation.intoto.json)")
    parser.add_argument("--upstream", type=Path, metavar="DIR",
                        help="a clone of the upstream to resolve the series' base commit from "
                             "(default: the gate attestation of the series)")
    _common.add_repo(parser)
    _common.add_format(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ksp.sign import Signed, SignOptions, sign, sign_attestation  # lazy: 42.4 ms of start-up

    repo = _common.repo_required(args)
    _common.require(bool(args.patches) or args.attestation is not None,
                    "give PATCH files to sign, or --attestation FILE")
    options = SignOptions(key=args.key, upstream=args.upstream)
    signed: list[Signed] = []
    files: list[SignedFile] = []
    if args.patches:
        signed, files = sign(repo, list(args.patches), args.reviewer, options)
    if args.attestation is not None:
        _common.require(args.attestation.is_file(), f"--attestation {args.attestation}: no such "
                        "file", hint="`ksp gate` writes .ksp/evidence/X.Y/attestation.intoto.json")
        files.append(sign_attestation(repo, args.attestation, args.reviewer, options))
    _still_needed(repo, files)
    if args.format == "json":
        _common.emit_json({"signed": signed, "files": files})
        return 0
    lines = []
    for s in signed:
        n = s.index_entries
        entries = "1 index entry" if n == 1 else f"{n} index entries"
        lines.append(f"signed {s.patch} as {s.reviewer}; sha256 {s.sha256[:12]}… in {entries}")
    for f in files:
        base = f" (base {f.base})" if f.base else ""
        lines.append(f"signed {f.file}{base}: {f.signature}")
    _common.emit("\n".join(lines))
    return 0


def _still_needed(repo: PatchesRepo, files: list[SignedFile]) -> None:
    """On stderr: what the minors just signed still lack (another approver, a stale signature,
    the attestation), so that the next step is plain."""
    from ksp.review import trust as trust_mod  # lazy: 20.2 ms of start-up
    from ksp.review.verify import review_minor  # lazy: 36.2 ms of start-up

    trust = trust_mod.load(repo.root)
    for folder in sorted({f.file.split("/", 1)[0] for f in files}):
        for problem in review_minor(repo, Minor.parse(folder), trust).problems:
            hint = f" ({problem.hint})" if problem.hint else ""
            _common.log(f"still needed: {problem.file}: {problem.message}{hint}")
