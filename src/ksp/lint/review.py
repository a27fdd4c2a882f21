"""Review checks: OWNERS rules per patch, signed series manifests, signatures, attestations.

In `--since REF` mode OWNERS, OWNERS_ALIASES and ALLOWED_SIGNERS come from the commit the change
forked from, so a pull request cannot add its own approver or key. There, a change that removes
a signed manifest or a signature, or adds a signature dated before its key's `valid-before`
after that date has passed, is an error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ksp.errors import KspError
from ksp.git._run import git, split_z
from ksp.lint.context import LintContext
from ksp.lint.findings import Finding, from_error
from ksp.review import sshsig
from ksp.review import trust as trust_mod
from ksp.review.manifest import REVIEW_FILE_RE
from ksp.review.verify import Problem, review_minor

_PATCH_RULES = {"KSP601", "KSP602", "KSP603"}


def check_review(ctx: LintContext) -> Iterator[Finding]:
    base = trust_mod.merge_base(ctx.root, ctx.options.since) if ctx.options.since else None
    try:
        trust = trust_mod.load(ctx.root, base)
    except KspError as exc:
        yield from_error("KSP604", exc, ctx.root, "OWNERS")
        return
    for minor, folder in ctx.minor_folders():
        if not any(p.suffix == ".patch" or REVIEW_FILE_RE.match(p.name)
                   for p in ctx.folder_files(folder)):
            continue
        for problem in review_minor(ctx.repo, minor, trust).problems:
            if problem.code in _PATCH_RULES and not ctx.in_scope(problem.file):
                continue
            if problem.code == "KSP614" and not (ctx.config.review.require_signed
                                                 or trust.signers):
                continue  # nobody can sign yet: ALLOWED_SIGNERS lists no key
            yield _finding(ctx, problem)
    if base is not None:
        yield from _since(ctx, base, trust)


def _finding(ctx: LintContext, p: Problem) -> Finding:
    error = p.error
    if p.code == "KSP614":
        error = ctx.config.review.require_signed
    make = Finding.error if error else Finding.warning
    return make(p.code, p.file, p.message, line=p.line, hint=p.hint)


def _since(ctx: LintContext, base: str, trust: trust_mod.Trust) -> Iterator[Finding]:
    listed = git(ctx.root, "ls-tree", "-r", "-z", "--name-only", base).stdout
    for rel in split_z(listed):
        folder, _, name = rel.rpartition("/")
        if folder.startswith("v") and REVIEW_FILE_RE.match(name) \
                and not (ctx.root / rel).exists():
            yield Finding.error("KSP617", rel, f"this change removes {rel}, a review file of "
                                "the base", hint="signatures are replaced by `ksp sign`, "
                                "never deleted in a change")
    now = dt.datetime.combine(ctx.today, dt.time(), dt.UTC)
    for rel in sorted(ctx.scope or ()):
        name = rel.rpartition("/")[2]
        if not (name.endswith(".sig") and REVIEW_FILE_RE.match(name)):
            continue
        try:
            env = sshsig.parse((ctx.root / rel).read_bytes(), ctx.root / rel)
        except (KspError, OSError):
            continue  # reported by the signature checks
        left = trust.expiry(env.signer)
        if left is not None and left <= now:
            yield Finding.error("KSP616", rel, f"signature by @{env.signer} added after their "
                                f"key's valid-before ({left.date()})",
                                hint="a signature dated before valid-before but added later "
                                     "is refused; a current approver signs instead")
