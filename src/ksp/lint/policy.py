"""ksp.yaml's policy on each diff (the one policy function, repo/policy.py, as findings), and
known failures past their expiry."""

from __future__ import annotations

from collections.abc import Iterator

from ksp._yaml import load_yaml
from ksp.errors import KspError
from ksp.lint.context import LintContext
from ksp.lint.findings import Finding
from ksp.repo import policy as policy_mod
from ksp.repo.layout import CONFIG


def check_size(ctx: LintContext) -> Iterator[Finding]:
    limit = ctx.config.policy.max_patch_bytes
    for entry in ctx.entries():
        if entry.path.is_file() and not entry.path.is_symlink():
            size = entry.path.stat().st_size
            if size > limit:
                yield Finding.error("KSP407", entry.rel, f"patch is {size:,} bytes, over "
                                    f"policy.max_patch_bytes ({limit:,}); not read",
                                    hint="split the patch, or raise the limit in ksp.yaml")


def check_diffs(ctx: LintContext) -> Iterator[Finding]:
    for entry, patch in ctx.parsed():
        first = patch.header_lines + 1
        for v in policy_mod.check(patch.files, ctx.config.policy, name=entry.rel):
            hint = v.hint if v.code != "KSP406" else (f"add {entry.rel} to policy.waivers in "
                                                      "ksp.yaml after review")
            yield Finding.error(v.code, entry.rel, v.message, line=v.line + first - 1, hint=hint)


def check_known_failures(ctx: LintContext) -> Iterator[Finding]:
    """Known failures are waivers with an expiry; an expired one fails lint."""
    for minor, failures in ctx.config.known_failures.items():
        for number, failure in enumerate(failures):
            if failure.expires < ctx.today:
                yield Finding.error(
                    "KSP006", CONFIG, f"known failure {failure.test} on {minor} expired on "
                    f"{failure.expires}", line=_known_failure_line(ctx, str(minor), number),
                    hint="fix the test, or renew the entry with a new reason and expiry")


def _known_failure_line(ctx: LintContext, minor: str, number: int) -> int | None:
    try:
        doc = load_yaml(ctx.root / CONFIG, roundtrip=True)
        entries = doc["known_failures"]
        key = next(k for k in entries if str(k) == minor)
        return int(entries[key].lc.item(number)[0]) + 1
    except (KspError, KeyError, StopIteration, AttributeError, TypeError, IndexError):
        return None
