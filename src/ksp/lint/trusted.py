"""KSP007: a pull request that changes the trusted configuration needs an approver's review.

In `--since` mode the checks run with the base commit's ksp.yaml and lifecycle file (see
`ksp.repo.trusted`), so a PR cannot loosen its own checks. A PR may still propose a change to
them; this check names the keys it changes, as an error an OWNERS approver has to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ksp._yaml import json_types, load_yaml
from ksp.errors import KspError
from ksp.lint.context import LintContext
from ksp.lint.findings import Finding
from ksp.repo.layout import CONFIG
from ksp.repo.trusted import merge_base, read_trusted_text

MAX_KEYS_SHOWN = 12


def check_trusted_files(ctx: LintContext) -> Iterator[Finding]:
    if not ctx.options.since:
        return
    fork = merge_base(ctx.root, ctx.options.since)
    files = [CONFIG]
    if ctx.config.lifecycle:
        files.append(ctx.config.lifecycle.removeprefix("./"))
    yield from _workflow_changes(ctx)
    for rel in files:
        if not ctx.in_scope(rel):
            continue
        old = read_trusted_text(ctx.root, rel, fork) if fork else None
        keys = changed_keys(ctx, rel, old)
        shown = ", ".join(keys[:MAX_KEYS_SHOWN]) + (" …" if len(keys) > MAX_KEYS_SHOWN else "")
        yield Finding.error(
            "KSP007", rel,
            f"this change edits the trusted configuration ({shown or 'formatting only'}); "
            f"it was checked with the base branch's copy",
            hint="an OWNERS approver must review it; it takes effect for pull requests after "
                 "it is merged")


def _workflow_changes(ctx: LintContext) -> Iterator[Finding]:
    """On `pull_request`, GitHub runs the workflow as the pull request has it: a PR that edits
    the CI definition edits its own checks, so an approver looks at that too."""
    for rel in sorted(ctx.scope or ()):
        if rel.startswith(".github/workflows/"):
            yield Finding.error(
                "KSP007", rel, "this change edits a CI workflow, which runs as the pull "
                "request has it", hint="an OWNERS approver must review it; protect .github/ "
                "with CODEOWNERS and a required review")


def changed_keys(ctx: LintContext, rel: str, old: str | None) -> list[str]:
    """Dotted keys whose values differ between the base's copy and the working tree's."""
    path = ctx.root / rel
    try:
        new = json_types(load_yaml(path)) if path.exists() else None
    except KspError as exc:
        return [f"does not parse: {exc.message}"]
    try:
        before = json_types(load_yaml(path, text=old)) if old is not None else None
    except KspError:
        before = None
    if new is None:
        return ["(file deleted)"]
    if before is None:
        return ["(new file)"]
    a, b = dict(_flatten(before)), dict(_flatten(new))
    return sorted(k for k in set(a) | set(b) if a.get(k, _MISSING) != b.get(k, _MISSING))


_MISSING = object()


def _flatten(node: Any, prefix: str = "", depth: int = 0) -> Iterator[tuple[str, Any]]:
    """(dotted key, value) pairs, two levels deep (`policy.allow_symlinks`, `releases[3]`)."""
    if depth < 2 and isinstance(node, dict) and node:
        for key, value in node.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key), depth + 1)
    elif depth < 2 and isinstance(node, list) and node and prefix:
        for i, value in enumerate(node):
            yield from _flatten(value, f"{prefix}[{i}]", depth + 1)
    else:
        yield prefix or "(document)", node
