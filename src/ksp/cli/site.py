"""ksp site: build the static HTML site of a patches repo, or preview it locally."""

from __future__ import annotations

import argparse
import functools
from pathlib import Path
from typing import TYPE_CHECKING

from ksp.cli import _common
from ksp.errors import KspError, UsageError

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable

    from ksp.model import Minor
    from ksp.repo import PatchesRepo

DEFAULT_OUT = Path("_site")


def register(sub: _common.Subcommands) -> None:
    parser = _common.add_command(
        sub, "site", "static HTML site: coverage matrix, a page per advisory and per minor",
        "ksp site build --out _site && ksp site serve --out _site",
    )
    actions = parser.add_subparsers(dest="site_command", metavar="ACTION",
                                    parser_class=type(parser))
    build = _common.add_command(
        actions, "build", "write the site into a folder (replaced whole, only on success)",
        "ksp site build --repo security-patches --out _site --date 2026-11-22",
    )
    _common.add_repo(build)
    _common.add_date(build)
    build.add_argument("--out", type=Path, default=DEFAULT_OUT,
                       help=f"output folder (default: {DEFAULT_OUT}); replaced only on success")
    build.add_argument("--format", choices=("text", "json"), default="text",
                       help="summary on stdout (default: text)")
    build.add_argument("--fleet", nargs="+", type=Path, metavar="DIR",
                       help="one site over several patches repos (folders, or a file with "
                            "`fleet: [dir, …]`): each repo's site in a subfolder, and a fleet "
                            "index")
    build.set_defaults(func=run_build)
    serve = _common.add_command(
        actions, "serve", "preview a built site on http://127.0.0.1:PORT (local only)",
        "ksp site serve --out _site --port 8000",
    )
    serve.add_argument("--out", type=Path, default=DEFAULT_OUT,
                       help=f"the built site's folder (default: {DEFAULT_OUT})")
    serve.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000)")
    serve.set_defaults(func=run_serve)
    parser.set_defaults(func=_missing_action)


def _missing_action(_args: argparse.Namespace) -> int:
    raise UsageError("ksp site needs an action: build or serve", hint="ksp site build --help")


def _vex_provider(repo: PatchesRepo, today: dt.date
                  ) -> Callable[[Minor], tuple[bytes | None, str | None]]:
    """The broad OpenVEX document of each minor: the site knows no build digests, so it offers
    the module-level form and says (in the document) that it also matches unpatched builds."""
    from ksp import vex  # lazy: 26.7 ms of start-up
    from ksp.report import openvex  # lazy: 77.1 ms of start-up

    def provide(minor: Minor) -> tuple[bytes | None, str | None]:
        try:
            result = vex.build(repo, minor, broad=True, today=today)
            return openvex.render(result).encode("utf-8"), None
        except KspError as exc:
            return None, f"no OpenVEX document: {exc.message}"

    return provide


def run_build(args: argparse.Namespace) -> int:
    from ksp import site  # lazy: 44.6 ms of start-up
    from ksp.report import site as site_report  # lazy: 61.4 ms of start-up

    if args.fleet:
        return _build_fleet(args)
    repo = _common.repo_required(args)
    data = site.gather(repo, _common.today(args), _vex_provider(repo, _common.today(args)))
    files = site_report.render(data)
    count = site.write(args.out, files, protect=(repo.root,))
    pages = sum(1 for name in files if name.endswith(".html"))
    if args.format == "json":
        _common.emit_json({"out": str(args.out), "files": count, "pages": pages,
                           "advisories": len(data.advisories), "minors": len(data.minors)})
    else:
        _common.emit(f"wrote {pages} pages and {count - pages} other files to {args.out}")
    return 0


def _build_fleet(args: argparse.Namespace) -> int:
    from ksp import fleet, site  # lazy: 46.6 ms of start-up
    from ksp.report import site as site_report  # lazy: 60.2 ms of start-up
    from ksp.report.site import fleet as fleet_site  # lazy: 81.7 ms of start-up

    _common.require(args.repo is None, "--fleet stands alone",
                    hint="leave out --repo; name every repo after --fleet")
    today = _common.today(args)
    members = fleet.members(args.fleet)
    sites = {}
    for member in members:
        _common.log(f"ksp site: {member.name}")
        data = site.gather(member.repo, today, _vex_provider(member.repo, today))
        sites[member.name] = site_report.render(data)
    months = min(m.repo.config.extended_months for m in members)
    files = fleet_site.render(fleet.status(members, today), sites, months)
    count = site.write(args.out, files, protect=tuple(m.repo.root for m in members))
    pages = sum(1 for name in files if name.endswith(".html"))
    if args.format == "json":
        _common.emit_json({"out": str(args.out), "files": count, "pages": pages,
                           "projects": [m.name for m in members]})
    else:
        _common.emit(f"wrote {pages} pages and {count - pages} other files for "
                     f"{len(members)} repos to {args.out}")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    import http.server  # lazy: 21.4 ms of start-up

    if not (args.out / "index.html").is_file():
        raise UsageError(f"no site in {args.out}", hint="run `ksp site build --out DIR` first")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(args.out))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}",
                         hint="choose another --port") from None
    with server:
        _common.log(f"serving {args.out} on http://127.0.0.1:{server.server_port}/ "
                    "(Ctrl-C stops)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            _common.log("stopped")
    return 0
