"""ksp.yaml's checked values and its larger sections (known failures, policy, review).

`expect` refuses a value of the wrong type or out of its range with the key, so that the loader
can name the line; the sections are parsed here into their typed settings (repo/settings.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ksp.errors import FormatError
from ksp.model import Minor
from ksp.repo.settings import KnownFailure, Policy, Review, ReviewRule

# Settings with a range: a value outside it is refused (10**21 months would overflow a date).
RANGES: dict[str, tuple[int, int]] = {"extended_months": (0, 600), "timeout": (1, 7 * 24 * 3600),
          "policy.max_patch_bytes": (1, 1024**3), "policy.max_files": (0, 100_000)}


def expect(value: Any, kind: type | tuple[type, ...], key: str, path: Path) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise error(f"ksp.yaml: '{key}' must be {names}, got {type(value).__name__}", key, path)
    if key in RANGES and isinstance(value, int) and not RANGES[key][0] <= value <= RANGES[key][1]:
        low, high = RANGES[key]
        shown = str(value) if value.bit_length() < 64 else "a huge number"
        raise error(f"ksp.yaml: '{key}' must be between {low} and {high:,}, got {shown}", key,
                     path)
    return value


def error(message: str, key: str, path: Path, hint: str | None = None) -> FormatError:
    exc = FormatError(message, path=path, hint=hint)
    exc.key = key
    return exc


def known_failures(data: Any, path: Path) -> dict[Minor, tuple[KnownFailure, ...]]:
    expect(data, dict, "known_failures", path)
    result: dict[Minor, tuple[KnownFailure, ...]] = {}
    for minor, entries in data.items():
        try:
            parsed_minor = Minor.parse(str(minor))
        except ValueError as exc:
            raise FormatError(f"ksp.yaml: known_failures: {exc}", path=path) from None
        items = []
        for raw in expect(entries, list, f"known_failures.{minor}", path):
            entry = expect(raw, dict, f"known_failures.{minor}[]", path)
            missing = [k for k in ("test", "reason", "expires") if not entry.get(k)]
            if missing:
                raise FormatError(f"ksp.yaml: known failure for {minor} lacks '{missing[0]}'",
                                  path=path, hint="each entry needs test, reason and expires")
            expires = entry["expires"]
            if not isinstance(expires, dt.date):
                try:
                    expires = dt.date.fromisoformat(str(expires))
                except ValueError:
                    raise FormatError(f"ksp.yaml: expires {expires!r} is not a date",
                                      path=path) from None
            items.append(KnownFailure(str(entry["test"]), str(entry["reason"]), expires))
        result[parsed_minor] = tuple(items)
    return result


def policy(data: Any, path: Path) -> Policy:
    expect(data, dict, "policy", path)
    base = Policy()
    return Policy(
        forbidden_paths=tuple(str(p) for p in expect(
            data.get("forbidden_paths", list(base.forbidden_paths)), list,
            "policy.forbidden_paths", path)),
        waivers=tuple(str(p) for p in expect(data.get("waivers", []), list, "policy.waivers",
                                              path)),
        allow_binary=expect(data.get("allow_binary", False), bool, "policy.allow_binary", path),
        allow_mode_changes=expect(data.get("allow_mode_changes", False), bool,
                                   "policy.allow_mode_changes", path),
        allow_symlinks=expect(data.get("allow_symlinks", False), bool, "policy.allow_symlinks",
                               path),
        max_patch_bytes=expect(data.get("max_patch_bytes", base.max_patch_bytes), int,
                                "policy.max_patch_bytes", path),
        max_files=expect(data.get("max_files", base.max_files), int, "policy.max_files", path),
    )


def review(data: Any, path: Path) -> Review:
    expect(data, dict, "review", path)
    unknown = sorted(set(data) - {"security", "rewritten", "infra", "require_signed"})
    if unknown:
        raise FormatError(f"ksp.yaml: unknown key 'review.{unknown[0]}'", path=path,
                          hint="review: {security, rewritten, infra: {approvers, "
                               "fixer_may_sign}, require_signed}")
    base = Review()

    def rule(key: str, default: ReviewRule) -> ReviewRule:
        raw = expect(data.get(key, {}), dict, f"review.{key}", path)
        count = expect(raw.get("approvers", default.approvers), int, f"review.{key}.approvers",
                        path)
        if count < 1:
            raise FormatError(f"ksp.yaml: review.{key}.approvers must be at least 1", path=path)
        return ReviewRule(count, expect(raw.get("fixer_may_sign", default.fixer_may_sign), bool,
                                         f"review.{key}.fixer_may_sign", path))

    return Review(rule("security", base.security), rule("rewritten", base.rewritten),
                  rule("infra", base.infra),
                  expect(data.get("require_signed", False), bool, "review.require_signed", path))
