"""ksp advisories import: the official CVE feed and OSV records into index.yaml."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from ksp.cli import _common
from ksp.model import Minor

if TYPE_CHECKING:
    from ksp.advisories.importer import ImportReport
    from ksp.repo import PatchesRepo


def register(sub: _common.Subcommands) -> None:
    parser = _common.add_command(
        sub, "advisories", "advisories from the official CVE feed and OSV records",
        "ksp advisories import --feed official-cve-feed.json --osv vulns/ --date 2026-11-22",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    imp = _common.add_command(
        actions, "import",
        "add new advisories and derive the status of each extended-window minor",
        "ksp advisories import --feed https://kubernetes.io/docs/reference/issues-security/"
        "official-cve-feed/index.json --osv cve-feed-osv/vulns",
        description=(
            "Add new advisories (title, issue, published, CVSS, components, upstream fixes,\n"
            "aliases) and derive a status for each minor in the extended window from the\n"
            "affected ranges. Derived states carry `source: import`; a state set by a person\n"
            "is never overwritten: a disagreement is reported instead. Advisories whose affected\n"
            "packages are all outside ksp.yaml's `scope:` are kept as `kind: other-project` or\n"
            "`kind: dependency` with the package named, and get no status. Running it twice on\n"
            "the same input changes nothing."),
    )
    imp.add_argument("--feed", metavar="FILE|URL",
                     help="the official Kubernetes CVE feed (JSON Feed 1.1)")
    imp.add_argument("--osv", metavar="FILE|DIR", action="append", default=[],
                     help="an OSV record, a file of records or a folder of *.json (repeatable)")
    imp.add_argument("--go-vulndb", metavar="DIR|URL",
                     help="the Go vulnerability database (its ID/ folder of GO-*.json, a record "
                          "or a URL): dependency and toolchain advisories, matched against each "
                          "extended-window minor's modules and Go at base + series")
    imp.add_argument("--upstream", type=Path, default=None,
                     help="with --go-vulndb: clone of the upstream project, only read (default: "
                          "$KSP_UPSTREAM, else ../<upstream name> next to the patches repo)")
    imp.add_argument("--dry-run", action="store_true", help="report, write nothing")
    _common.add_format(imp)
    _common.add_repo(imp)
    _common.add_date(imp)
    imp.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ksp.advisories import importer  # lazy: 95.2 ms of start-up

    repo = _common.repo_required(args)
    if args.go_vulndb:
        return _go(args, repo)
    records = importer.load_records(repo, args.feed, args.osv)
    report = importer.run(repo, records, _common.today(args), dry_run=args.dry_run)
    if args.format == "json":
        _common.emit_json(report)
    else:
        _common.emit(_text(report) + _by_minor(repo, report.minors))
    for warning in report.warnings:
        _common.log(f"ksp: warning: {warning}")
    return 0


def _go(args: argparse.Namespace, repo: PatchesRepo) -> int:
    """The Go lane; with --feed/--osv too, those are imported first (nothing written on error)."""
    from ksp.deps import importer as go_importer  # lazy: 129.4 ms of start-up
    from ksp.report import deps_import  # lazy: 148.5 ms of start-up

    if args.feed or args.osv:
        from ksp.advisories import importer  # lazy: 98.8 ms of start-up

        records = importer.load_records(repo, args.feed, args.osv)
        first = importer.run(repo, records, _common.today(args), dry_run=args.dry_run)
        if args.format != "json":
            _common.emit(_text(first))
    upstream = _common.upstream_dir(args, repo)
    report = go_importer.run(repo, upstream, args.go_vulndb, _common.today(args),
                             dry_run=args.dry_run, log=_common.log)
    if args.format == "json":
        _common.emit_json(report)
    else:
        _common.emit(deps_import.text(report, repo))
    for warning in report.warnings:
        _common.log(f"ksp: warning: {warning}")
    return 0


def _by_minor(repo: PatchesRepo, minors: list[str]) -> str:
    """What the index now says of each extended-window minor, status by status."""

    advisories = [a for a in repo.advisories().values() if a.in_scope]
    lines = []
    for name in minors:
        minor = Minor.parse(name)
        counts = Counter(a.minors[minor].status.value for a in advisories if minor in a.minors)
        summary = ", ".join(f"{n} {status}" for status, n in counts.most_common())
        lines.append(f"  {name}: {summary or 'no advisory'}")
    return ("\nstatus per minor in index.yaml (the project's own advisories):\n"
            + "\n".join(lines)) if lines else ""


def _text(report: ImportReport) -> str:
    from ksp.report import _import_text  # lazy: 1.1 ms of start-up

    lines = _import_text.opening(report, "records", "advisories")
    lines += [f"  {u.advisory}: {', '.join(u.changes)}" for u in report.updated]
    kinds = ", ".join(f"{n} {kind}" for kind, n in report.kinds.items() if n)
    lines.append(f"by kind: {kinds or '-'}")
    lines += [f"  {o.advisory}: {o.kind} ({o.project or 'package not named'}), not counted as a gap"
              for o in report.others]
    lines += [f"  {k.advisory}: kind {k.kind} set by a person kept; the sources say {k.derived}"
              for k in report.kept_kinds]
    lines += _import_text.disagreements(report.disagreements,
                                        [d.reason or "" for d in report.disagreements])
    if not report.dry_run and not report.written:
        lines.append("index.yaml unchanged")
    return "\n".join(lines)
