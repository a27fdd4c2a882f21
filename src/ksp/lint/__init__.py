"""`ksp lint`: every rule of the repository format, as findings with file, line, message, hint.

Checks live in small modules and are listed in `registry.CHECKS`; `run` loads the repo once into a
`LintContext`, runs every check, and sorts what they found.

Codes (stable; scripts may match on them):
  KSP001-006  repo files: ksp.yaml / index.yaml / lifecycle do not load, README disclaimers
              (004) or README (005) missing, expired known_failures entry (006), a --since
              change to the trusted ksp.yaml or lifecycle file (007: an approver reviews it)
  KSP101-106  layout: file name, duplicate number, numbering gap (warning), minor folder that
              does not parse, patch for an expired minor, minor unknown to lifecycle (warning)
  KSP201-212  headers: does not parse, required field missing or empty, SRC Reviewer empty,
              unknown key (warning), Backport / Tests value, id differs from the file name,
              Severity form, CVSS vector, severity vs vector, kind vs id, Testing pending
              (warning after review, allowed with --pre-review)
  KSP301-306  index agreement: advisory missing, state missing or naming another file, status
              not patched / in-progress, sha256, `patch:` to a missing file, severity differs
  KSP401-408  policy: `..`, absolute path, symlink, binary, mode change, forbidden path without
              a waiver, max_patch_bytes, max_files
  KSP501      --upstream: a referenced commit is not in the clone
  KSP601-604  review rules (OWNERS, ksp.yaml review:): SRC Reviewer not an approver (601), the
              patch's fixer (602), too few distinct approvers for the rule set (603), OWNERS /
              OWNERS_ALIASES / ALLOWED_SIGNERS do not load (604)
  KSP610-617  signed series: a patch changed, added, removed or reordered since vX.Y/SERIES was
              signed, or SERIES is malformed (610); a signature does not verify against
              ALLOWED_SIGNERS (611); a signature of an earlier version, needs a new one
              (612, warning); a patch lacks its approvers' signatures (613); the series is not
              signed (614, warning; error with review.require_signed); signed by a former
              approver, needs a new signature (615, warning); --since: a signature added after
              its key's valid-before (616), a review file removed (617)
  KSP620-621  attestation: a signed series without a passing gate attestation of exactly that
              series (620); no approver signed the attestation (621, warning)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ksp.lint.context import LintContext, LintOptions
from ksp.lint.findings import Finding, Level
from ksp.lint.registry import CHECKS, Check
from ksp.repo import PatchesRepo


@dataclass(frozen=True)
class LintResult:
    result: str  # "pass" or "fail"
    errors: int
    warnings: int
    findings: list[Finding]


def run(repo: PatchesRepo, today: dt.date, options: LintOptions | None = None,
        checks: Sequence[Check] | None = None) -> LintResult:
    """Lint the repo (or, with `options.since`, the patches changed since a ref)."""
    ctx = LintContext.build(repo, today, options or LintOptions())
    ctx.parsed()  # load every patch in scope once, so that parse errors are known
    found: list[Finding] = []
    for check in checks if checks is not None else CHECKS:
        found.extend(check(ctx))
    found.extend(ctx.problems)
    return summarize(found)


def summarize(findings: list[Finding]) -> LintResult:
    unique = sorted(dict.fromkeys(findings), key=Finding.sort_key)
    errors = sum(1 for f in unique if f.severity is Level.ERROR)
    warnings = len(unique) - errors
    return LintResult("fail" if errors else "pass", errors, warnings, unique)


__all__ = ["CHECKS", "Check", "Finding", "Level", "LintContext", "LintOptions", "LintResult",
           "run", "summarize"]
