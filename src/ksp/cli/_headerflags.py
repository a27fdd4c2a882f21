"""The patch header's flags, shared by `ksp new` and `ksp backport` (one set, one meaning)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ksp.headerfields import HeaderValues
    from ksp.repo import PatchesRepo


def add(parser: argparse.ArgumentParser) -> None:
    """Flags for every header value a person states; unset ones come from index.yaml."""
    group = parser.add_argument_group(
        "patch header", "values for the header and a new index entry (default: the advisory's "
        "index.yaml entry)")
    group.add_argument("--title", help="advisory title (for a new index entry)")
    group.add_argument("--original-patch", metavar="URL", help="the upstream fix (PR/commit)")
    group.add_argument("--cve-issue", metavar="URL", help="the CVE's tracking issue")
    group.add_argument("--severity", help="RATING or 'RATING (CVSS n.n)'")
    group.add_argument("--cvss-vector", metavar="V", help="CVSS 3.x or 4.0 vector")
    group.add_argument("--components", type=_csv, default=(), metavar="A,B",
                       help="affected components, e.g. kube-apiserver,kubelet (default: "
                       "ksp.yaml's components whose folders the diff changes)")
    group.add_argument("--fixer", metavar="@HANDLE",
                       help="the CVE fixer (default: git's user.name in the patches repo)")
    group.add_argument("--reviewer", metavar="@HANDLE", help="the SRC reviewer, if known")
    group.add_argument("--tests", choices=("kept", "adapted", "dropped"))
    group.add_argument("--reason", help="why (infrastructure patches)")
    group.add_argument("--upstream-ref", metavar="URL",
                       help="upstream reference (infrastructure patches)")


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def values(args: argparse.Namespace, repo: PatchesRepo | None, **extra: Any) -> HeaderValues:
    """The flags as HeaderValues; the fixer defaults to the patches repo's git user.name."""
    from ksp.headerfields import HeaderValues, default_fixer  # lazy: 42.0 ms of start-up

    fixer = args.fixer or (default_fixer(repo.root) if repo is not None else None)
    return HeaderValues(
        title=args.title, original_patch=args.original_patch, cve_issue=args.cve_issue,
        severity=args.severity, cvss_vector=args.cvss_vector, components=args.components,
        fixer=fixer, reviewer=args.reviewer, tests=args.tests, reason=args.reason,
        upstream_ref=args.upstream_ref, **extra,
    )
