"""ksp vex: an OpenVEX document for a minor's patched build, for Trivy, Grype and others."""

from __future__ import annotations

import argparse
from pathlib import Path

from ksp.cli import _common


def register(sub: _common.Subcommands) -> None:
    parser = _common.add_command(
        sub, "vex", "OpenVEX document for a minor's patched build",
        "ksp vex --minor 1.30 --image registry.example/kube-apiserver@sha256:<64 hex> "
        "--out kube-apiserver.vex.json",
        description=(
            "One statement per advisory and product. Products are pinned by default: the\n"
            "sha256 of each --artifact and each --image digest, with the Go module at the base\n"
            "release as subcomponent. --broad writes a separate document with module and\n"
            "pkg:k8s identifiers, which also match unpatched upstream builds.\n\n"
            "  trivy image --vex kube-apiserver.vex.json IMAGE\n"
            "  grype IMAGE --vex kube-apiserver.vex.json"),
    )
    _common.add_repo(parser)
    parser.add_argument("--minor", type=_common.parse_minor, required=True)
    parser.add_argument("--base", metavar="vX.Y.Z", default=None,
                        help="upstream release the build starts from (default: the minor's "
                             "final patch release)")
    parser.add_argument("--artifact", metavar="FILE", type=Path, action="append", default=[],
                        help="a built binary: pkg:generic/<name>@sha256:<hash> (repeatable)")
    parser.add_argument("--image", metavar="REF@sha256:…", action="append", default=[],
                        help="an image by digest: pkg:oci/<name>@sha256:<digest> (repeatable)")
    parser.add_argument("--broad", action="store_true",
                        help="module and pkg:k8s products instead (also match unpatched builds)")
    parser.add_argument("--author", default="ksp community security patches",
                        help="the document's author")
    parser.add_argument("--out", metavar="FILE", type=Path, default=None,
                        help="write here (atomically) instead of stdout")
    _common.add_date(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ksp import vex  # lazy: 23.5 ms of start-up
    from ksp._files import atomic_write  # lazy: 0.9 ms of start-up
    from ksp.report import openvex  # lazy: 66.8 ms of start-up

    repo = _common.repo_required(args)
    if args.out:
        from ksp.repo.outputs import check_out  # lazy: 12.4 ms of start-up

        check_out(args.out, repo.root)  # before any work: nothing is written on refusal
    result = vex.build(repo, args.minor, base=args.base, artifacts=tuple(args.artifact),
                       images=tuple(args.image), broad=args.broad, author=args.author,
                       today=_common.today(args))
    problems = openvex.errors(openvex.document(result))
    if problems:  # our bug, not the user's: never hand out an invalid document
        raise RuntimeError(f"generated OpenVEX document is invalid: {problems[0]}")
    text = openvex.render(result)
    if args.out:
        atomic_write(args.out, text)
        _common.log(f"wrote {args.out}: {len(result.statements)} statements, build {result.build}")
    else:
        _common.emit(text)
    return 0
