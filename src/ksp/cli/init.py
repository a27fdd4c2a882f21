"""ksp init: scaffold a patches repo."""

from __future__ import annotations

import argparse
from pathlib import Path

from ksp.cli import _common


def register(sub: _common.Subcommands) -> None:
    parser = _common.add_command(
        sub, "init", "scaffold a patches repo that passes `ksp lint` at once",
        "ksp init containerd-patches --project containerd",
    )
    from ksp.repo import presets  # lazy: 14.7 ms of start-up

    parser.add_argument("dir", type=Path, help="folder to create (may exist if empty)")
    parser.add_argument("--project", choices=presets.names(), default=presets.DEFAULT,
                        help="preset (branch/tag templates, module, components, build tags, "
                             "lifecycle): kubernetes, k8s-staging (a k8s.io/* repo: give "
                             "--upstream), containerd, etcd, runc, or go (any other: give "
                             "--upstream)")
    parser.add_argument("--upstream", help="upstream repository URL (default: the preset's)")
    parser.add_argument("--branch-template",
                        help="release branch of a minor (default: the preset's, release-{minor})")
    parser.add_argument("--tag-template",
                        help="tag of a patch release (default: the preset's, v{minor}.{patch})")
    parser.add_argument("--module", help="Go module path of the upstream (default: the preset's)")
    parser.add_argument("--no-commit", action="store_true",
                        help="git init the folder but make no first commit")
    _common.add_format(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ksp._yaml import load_yaml  # lazy: 6.2 ms of start-up
    from ksp.ci import github  # lazy: 27.9 ms of start-up
    from ksp.git.initrepo import make_repo  # lazy: 4.6 ms of start-up
    from ksp.repo import config  # lazy: 14.4 ms of start-up
    from ksp.repo.scaffold import InitOptions, create, files  # lazy: 21.5 ms of start-up

    _common.require(args.branch_template is None or "{minor}" in args.branch_template,
                    "--branch-template must contain {minor}")
    _common.require(not args.dir.exists() or args.dir.is_dir(),
                    f"{args.dir} exists and is not a folder", hint="give a new or empty folder")
    options = InitOptions(args.project, args.upstream, args.branch_template, args.tag_template,
                          args.module)
    profile = files(options)["ksp.yaml"]
    cfg = config.parse(load_yaml(args.dir / "ksp.yaml", text=profile), args.dir / "ksp.yaml")
    workflow = {".github/workflows/ksp.yml": github.render(cfg)}
    written = create(args.dir, options, extra=workflow)
    made = make_repo(args.dir, written, commit=not args.no_commit)
    if args.format == "json":
        _common.emit_json({"repo": str(args.dir.resolve()), "files": written,
                           "project": cfg.project, "git_init": made.initialised,
                           "commit": made.commit})
    else:
        _common.emit(f"created {cfg.project} patches repo {args.dir}: " + ", ".join(written))
        if made.commit:
            _common.log(f"git: initialised, first commit {made.commit[:12]}")
        if made.note:
            _common.log(f"git: {made.note}")
        _common.log("next: `ksp lint` in it, then `ksp new` or `ksp backport` to add patches")
    return 0
