"""The list of checks. A check is a function `(LintContext) -> Iterable[Finding]`; to add one,
write it in a module of this package and append it to CHECKS (order is only display order)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ksp.lint import (
    agreement,
    evidence,
    headers,
    names,
    policy,
    readme,
    review,
    scope,
    trusted,
    upstream,
)
from ksp.lint.context import LintContext
from ksp.lint.findings import Finding

Check = Callable[[LintContext], Iterable[Finding]]

CHECKS: list[Check] = [
    names.check_folders,
    names.check_files,
    names.check_numbering,
    names.check_windows,
    headers.check_headers,
    agreement.check_patches_in_index,
    agreement.check_index_references,
    scope.check_scope,
    scope.check_history,
    policy.check_size,
    policy.check_diffs,
    policy.check_known_failures,
    readme.check_disclaimers,
    upstream.check_commits,
    evidence.check_evidence,
    review.check_review,
    trusted.check_trusted_files,
]
