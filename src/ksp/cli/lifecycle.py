"""ksp lifecycle: show the support-window data in use, or import an official file into it."""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import TYPE_CHECKING

from ksp.cli import _common
from ksp.errors import FormatError, LifecycleError

if TYPE_CHECKING:
    import datetime as dt

    from ksp.lifecycle import Lifecycle
    from ksp.model import Minor
    from ksp.repo import PatchesRepo

DEFAULT_FILE = "lifecycle.yaml"


def register(sub: _common.Subcommands) -> None:
    parser = _common.add_command(
        sub, "lifecycle", "show or import release lifecycle data (support windows)",
        "ksp lifecycle import schedule.yaml  # inside a patches repo: writes lifecycle.yaml")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                    parser_class=type(parser))
    show = _common.add_command(actions, "show", "the lifecycle data in use, with windows",
                               "ksp lifecycle show --format json")
    _common.add_format(show)
    _common.add_repo(show)
    _common.add_date(show)
    show.set_defaults(func=run)
    imp = _common.add_command(
        actions, "import", "merge schedule.yaml / eol.yaml / an endoflife.date file into "
        "ksp's lifecycle format", "ksp lifecycle import eol.yaml --out lifecycle.yaml")
    imp.add_argument("file", type=Path, help="schedule.yaml, eol.yaml or endoflife.date .md")
    imp.add_argument("--out", type=Path, help="write here (default inside a patches repo: its "
                     "lifecycle file, set in ksp.yaml)")
    _common.add_format(imp)
    _common.add_repo(imp)
    imp.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return _import(args) if args.action == "import" else _show(args)


def _show(args: argparse.Namespace) -> int:
    from ksp import lifecycle  # lazy: 8.7 ms of start-up

    repo = _common.repo_or_none(args)
    lc = repo.lifecycle() if repo else lifecycle.embedded()
    day = _common.today(args)
    rows = [_row(lc, minor, day) for minor in lc.minors()]
    if args.format == "json":
        _common.emit_json({"project": lc.project, "date": day.isoformat(),
                           "extended_months": lc.extended_months, "releases": rows,
                           "sources": list(lc.sources),
                           "supported_minors": lc.supported_minors})
    else:
        _common.emit(_table(lc, day, rows))
    return 0


def _row(lc: Lifecycle, minor: Minor, day: dt.date) -> dict[str, object]:
    r = lc.releases[minor]
    return {"minor": str(minor), "window": lc.window(minor, day), "released": r.released,
            "eol_planned": r.eol_planned, "eol_actual": r.eol_actual, "eol": lc.eol(minor),
            "extended_until": lc.extended_until(minor), "final_patch": r.final_patch,
            "latest_patch": r.latest_patch}


def _table(lc: Lifecycle, day: dt.date, rows: list[dict[str, object]]) -> str:
    from rich.console import Console  # lazy: 17.7 ms of start-up
    from rich.table import Table  # lazy: 15.7 ms of start-up

    table = Table(title=f"{lc.project} lifecycle on {day} (extended: EOL + "
                        f"{lc.extended_months} months)", title_justify="left",
                  caption="sources: " + "; ".join(lc.sources) if lc.sources else None,
                  caption_justify="left")
    keys = ("minor", "window", "released", "eol_planned", "eol_actual", "eol", "extended_until",
            "latest_patch")
    for key in keys:
        table.add_column(key.replace("_", " "))
    for row in rows:
        table.add_row(*(str(row[k]) if row[k] is not None else "-" for k in keys))
    buf = io.StringIO()
    Console(file=buf, width=140, no_color=True).print(table)
    return buf.getvalue()


def _import(args: argparse.Namespace) -> int:
    from ksp import lifecycle  # lazy: 8.6 ms of start-up
    from ksp._files import atomic_write, repo_lock  # lazy: 1.2 ms of start-up
    from ksp._yaml import load_yaml  # lazy: 6.1 ms of start-up

    project, releases = lifecycle.read_releases(args.file)
    if not releases:
        raise LifecycleError("lifecycle file lists no releases", path=args.file)
    repo = _common.repo_or_none(args)
    _common.require(args.out is not None or repo is not None,
                    "not inside a patches repo: give --out FILE",
                    hint="or pass --repo DIR to update that repo's lifecycle file")
    merged = _base(repo, project).merged(releases)
    text = lifecycle.render(merged)
    if args.out is not None:
        target = args.out
    else:
        assert repo is not None  # required above when there is no --out
        target = _target(repo)
    lifecycle.parse_releases(load_yaml(target, text=text), target)  # what we write reads back
    if args.out is not None:
        from ksp.repo.outputs import check_out  # lazy: 14.0 ms of start-up

        check_out(args.out, repo.root if repo else None,
                  allowed=_target(repo) if repo and repo.config.lifecycle else None)
        atomic_write(args.out, text)
        config_updated = False
    else:
        assert repo is not None
        with repo_lock(repo.root):
            atomic_write(target, text)
            config_updated = _point_config_at(repo, target)
    result = {"path": str(target), "project": merged.project, "imported": len(releases),
              "minors": len(merged.releases), "config_updated": config_updated}
    if args.format == "json":
        _common.emit_json(result)
    else:
        _common.emit(f"wrote {target}: {len(merged.releases)} minors "
                     f"({len(releases)} from {args.file})")
    return 0


def _target(repo: PatchesRepo) -> Path:
    from ksp.repo.layout import CONFIG  # lazy: 13.3 ms of start-up

    target = (repo.root / (repo.config.lifecycle or DEFAULT_FILE)).resolve()
    if not target.is_relative_to(repo.root.resolve()):
        raise FormatError("ksp.yaml: lifecycle file must be inside the repo",
                          path=repo.root / CONFIG)
    return target


def _base(repo: PatchesRepo | None, project: str) -> Lifecycle:
    """The data the import is merged over: the repo's own, else the embedded Kubernetes data
    for a Kubernetes file, else nothing."""
    from ksp import lifecycle  # lazy: 8.6 ms of start-up

    if repo is not None:
        configured = repo.config.lifecycle
        if configured is None or (repo.root / configured).is_file():
            return repo.lifecycle()
    if project == "kubernetes":
        return lifecycle.embedded()
    return lifecycle.Lifecycle(project, {})


def _point_config_at(repo: PatchesRepo, target: Path) -> bool:
    """Set `lifecycle:` in ksp.yaml by a round-trip edit (comments and order kept)."""
    from ksp._files import atomic_write  # lazy: 1.1 ms of start-up
    from ksp._yaml import dump_yaml, load_yaml  # lazy: 5.8 ms of start-up
    from ksp.repo import config  # lazy: 13.3 ms of start-up
    from ksp.repo.layout import CONFIG  # lazy: 13.3 ms of start-up

    rel = target.relative_to(repo.root.resolve()).as_posix()
    path = repo.root / CONFIG
    doc = load_yaml(path, roundtrip=True)
    if doc.get("lifecycle") == rel:
        return False
    doc["lifecycle"] = rel
    text = dump_yaml(doc)
    config.parse(load_yaml(path, text=text), path)
    atomic_write(path, text)
    return True
