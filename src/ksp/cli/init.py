"""ksp init: scaffold a patches repo."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ksp.cli import _common


def register(sub: Any) -> None:
    parser = _common.add_command(
        sub, "init", "scaffold a patches repo that passes `ksp lint` at once",
        "ksp init containerd-patches --project go --upstream https://github.com/containerd/"
        "containerd --branch-template 'release/{minor}'",
    )
    parser.add_argument("dir", type=Path, help="folder to create (may exist if empty)")
    parser.add_argument("--project", choices=("kubernetes", "go"), default="kubernetes",
                        help="profile: kubernetes (embedded lifecycle, components) or go")
    parser.add_argument("--upstream", help="upstream repository URL")
    parser.add_argument("--branch-template", default="release-{minor}",
                        help="release branch of a minor (default: release-{minor})")
    parser.add_argument("--tag-template", default="v{minor}.{patch}",
                        help="tag of a patch release (default: v{minor}.{patch})")
    parser.add_argument("--module", help="Go module path of the upstream")
    _common.add_format(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ksp._yaml import load_yaml
    from ksp.ci import github
    from ksp.repo import config
    from ksp.repo.scaffold import InitOptions, create, files

    _common.require("{minor}" in args.branch_template, "--branch-template must contain {minor}")
    _common.require(not args.dir.exists() or args.dir.is_dir(),
                    f"{args.dir} exists and is not a folder", hint="give a new or empty folder")
    options = InitOptions(args.project, args.upstream, args.branch_template, args.tag_template,
                          args.module)
    profile = files(options)["ksp.yaml"]
    cfg = config.parse(load_yaml(args.dir / "ksp.yaml", text=profile), args.dir / "ksp.yaml")
    workflow = {".github/workflows/ksp.yml": github.render(cfg)}
    written = create(args.dir, options, extra=workflow)
    if args.format == "json":
        _common.emit_json({"repo": str(args.dir.resolve()), "files": written})
    else:
        _common.emit(f"created patches repo {args.dir}: " + ", ".join(written))
        _common.log("next: `ksp lint` in it, then `ksp new` or `ksp backport` to add patches")
    return 0
