"""ksp ci: CI definitions (GitHub Actions, Prow), the job matrix, and the scanners' VEX check."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ksp.cli import _common
from ksp.errors import UsageError

if TYPE_CHECKING:
    from ksp.ci.source import Source


def register(sub: _common.Subcommands) -> None:
    parser = _common.add_command(
        sub, "ci", "CI definitions and the per-minor job matrix for the gate on a CI engine",
        "ksp ci github --out .github/workflows/ksp.yml",
    )
    actions = parser.add_subparsers(dest="ci_command", metavar="ACTION",
                                    parser_class=type(parser))
    github = _common.add_command(
        actions, "github", "write the GitHub Actions workflow (lint, gate matrix, tip, VEX scan)",
        "ksp ci github --out .github/workflows/ksp.yml")
    _common.add_repo(github)
    github.add_argument("--out", type=Path, help="write here instead of stdout")
    github.add_argument("--install", help="pip requirement that installs ksp in CI, as given "
                        "(default: kube-security-patches at --ksp-source/--ksp-commit)")
    _add_source(github)
    github.add_argument("--cron", default="23 4 * * *", help="schedule of the tip gate and scan")
    github.set_defaults(func=run_github)
    prow = _common.add_command(
        actions, "prow", "write Prow presubmits: lint, and a gate job per minor of the window",
        "ksp ci prow --repo-slug org/security-patches --out prow/ksp-presubmits.yaml")
    _common.add_repo(prow)
    _common.add_date(prow)
    prow.add_argument("--out", type=Path, help="write here instead of stdout")
    prow.add_argument("--repo-slug", help="org/repo of the patches repo "
                      "(default: from the git remote 'origin')")
    prow.add_argument("--image", default="python:3.12-bookworm", help="container image")
    _add_source(prow)
    prow.set_defaults(func=run_prow)
    matrix = _common.add_command(
        actions, "matrix", 'print the job matrix as JSON: {"include": [{"minor", "branch"}]}',
        "ksp ci matrix --since origin/main")
    _common.add_repo(matrix)
    _common.add_date(matrix)
    which = matrix.add_mutually_exclusive_group(required=True)
    which.add_argument("--since", metavar="REF", help="minors whose patches changed since REF")
    which.add_argument("--all", action="store_true", help="every minor in the extended window")
    matrix.set_defaults(func=run_matrix)
    check = _common.add_command(
        actions, "vex-check", "fail if a scan made with the VEX document still reports a CVE "
        "that index.yaml marks patched", "ksp ci vex-check --minor 1.32 --report trivy.json")
    _common.add_repo(check)
    _common.add_format(check)
    check.add_argument("--minor", required=True, type=_common.parse_minor)
    check.add_argument("--report", action="append", required=True, type=Path,
                       help="Trivy (--format json) or Grype (-o json) report; repeatable")
    check.set_defaults(func=run_vex_check)
    parser.set_defaults(func=_missing_action)


def _add_source(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ksp-source", metavar="URL",
                        help="git URL of ksp's source that CI installs from (default: where "
                             "this ksp was installed from, when pip recorded it)")
    parser.add_argument("--ksp-commit", metavar="SHA",
                        help="the full 40-hex commit of --ksp-source that CI installs")


def _source(args: argparse.Namespace) -> Source | None:
    from ksp.ci import source  # lazy: 1.2 ms of start-up

    if args.ksp_source is None and args.ksp_commit is None:
        return None
    _common.require(bool(args.ksp_source and args.ksp_commit),
                    "--ksp-source and --ksp-commit go together")
    return source.checked(args.ksp_source, args.ksp_commit)


def _missing_action(_args: argparse.Namespace) -> int:
    raise UsageError("ksp ci needs an action: github, prow, matrix or vex-check",
                     hint="ksp ci --help")


def _write(out: Path | None, text: str, root: Path | None = None) -> None:
    if out is None:
        _common.emit(text)
        return
    from ksp._files import atomic_write  # lazy: 1.2 ms of start-up
    from ksp.repo.outputs import check_out  # lazy: 14.4 ms of start-up

    check_out(out, root)
    atomic_write(out, text)
    _common.log(f"wrote {out}")


def run_github(args: argparse.Namespace) -> int:
    from ksp.ci import github  # lazy: 27.3 ms of start-up

    repo = _common.repo_required(args)
    options = github.Options(install=args.install or "", cron=args.cron, source=_source(args))
    _write(args.out, github.render(repo.config, options), repo.root)
    return 0


def _origin_slug(root: Path) -> str | None:
    from ksp.git._run import git  # lazy: 3.7 ms of start-up

    url = git(root, "remote", "get-url", "origin", check=False).stdout.strip()
    match = re.search(r"github\.com[:/]([^/]+/[^/]+?)(?:\.git)?/?$", url)
    return match[1] if match else None


def run_prow(args: argparse.Namespace) -> int:
    from ksp.ci import matrix, prow  # lazy: 31.4 ms of start-up

    repo = _common.repo_required(args)
    slug = args.repo_slug or _origin_slug(repo.root)
    _common.require(slug is not None, "cannot tell the patches repo's org/repo",
                    hint="pass --repo-slug ORG/REPO")
    minors = matrix.window_minors(repo, _common.today(args))
    pinned = _source(args)
    _write(args.out, prow.render(repo.config, str(slug), minors, image=args.image,
                                 install=pinned.requirement if pinned else None), repo.root)
    return 0


def run_matrix(args: argparse.Namespace) -> int:
    from ksp.ci import matrix  # lazy: 19.4 ms of start-up

    repo = _common.repo_required(args)
    if args.since:  # a pull request: branch templates and lifecycle from the base commit
        repo = repo.at_base(args.since)
    today = _common.today(args)
    minors = matrix.window_minors(repo, today) if args.all else \
        matrix.changed_minors(repo, args.since, today)
    _common.emit(matrix.to_json(matrix.entries(repo, minors)))
    return 0


def run_vex_check(args: argparse.Namespace) -> int:
    from ksp.ci import vexcheck  # lazy: 3.4 ms of start-up

    repo = _common.repo_required(args)
    advisories = list(repo.advisories().values())
    problems = vexcheck.check(advisories, args.minor, args.report)
    if args.format == "json":
        _common.emit_json({"minor": str(args.minor), "reports": [str(r) for r in args.report],
                           "unsuppressed": problems})
    elif problems:
        lines = [f"{len(problems)} finding(s) of advisories patched on {args.minor} are still "
                 "reported with the VEX document:"]
        lines += [f"  {p.advisory} ({p.finding.ids[0]}) {p.finding.scanner}: {p.finding.package} "
                  f"{p.finding.version} in {p.finding.target or '?'} [{p.report}]"
                  for p in problems]
        _common.emit("\n".join(lines))
    else:
        patched = len(vexcheck.patched_ids(advisories, args.minor))
        _common.emit(f"ok: no finding of the advisories patched on {args.minor} "
                     f"({patched} ids) in {len(args.report)} report(s)")
    return 1 if problems else 0
