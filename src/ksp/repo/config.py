"""ksp.yaml: reading and validating the project profile and policy (the types: repo/settings.py).

Every value is checked at this edge, with the file and line of a bad one; the rest of ksp sees
only the typed `Config`.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from ksp._files import read_text
from ksp._yaml import load_yaml
from ksp.errors import FormatError
from ksp.model import Minor
from ksp.repo import presets, templates
from ksp.repo.settings import (
    DEFAULT_FORBIDDEN,
    KUBERNETES_COMPONENTS,
    MINOR_KEYS,
    Commands,
    Config,
    KnownFailure,
    MinorSettings,
    Mirror,
    Policy,
    Review,
    ReviewRule,
    default_commands,
)

__all__ = ["DEFAULT_FORBIDDEN", "KUBERNETES_COMPONENTS", "Commands", "Config", "KnownFailure",
           "MinorSettings", "Mirror", "Policy", "Review", "ReviewRule", "default_commands",
           "key_line", "load", "parse"]


_TOP_KEYS = {
    "schema", "project", "upstream", "branch", "tag", "base", "module", "lifecycle",
    "extended_months", "components", "build", "test", "typecheck", "env", "timeout",
    "toolchains", "known_failures", "policy", "review", "scope", "build_tags", "tag_aliases",
    "module_by_minor", "mirror_of", "minors",
}


# Settings with a range: a value outside it is refused (10**21 months would overflow a date).
RANGES: dict[str, tuple[int, int]] = {"extended_months": (0, 600), "timeout": (1, 7 * 24 * 3600),
          "policy.max_patch_bytes": (1, 1024**3), "policy.max_files": (0, 100_000)}


def _expect(value: Any, kind: type | tuple[type, ...], key: str, path: Path) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise _error(f"ksp.yaml: '{key}' must be {names}, got {type(value).__name__}", key, path)
    if key in RANGES and isinstance(value, int) and not RANGES[key][0] <= value <= RANGES[key][1]:
        low, high = RANGES[key]
        shown = str(value) if value.bit_length() < 64 else "a huge number"
        raise _error(f"ksp.yaml: '{key}' must be between {low} and {high:,}, got {shown}", key,
                     path)
    return value


def _template(data: dict[str, Any], key: str, default: str, allowed: frozenset[str],
              path: Path) -> str:
    value = str(_expect(data.get(key, default), str, key, path))
    try:
        templates.check(value, allowed, key)
    except FormatError as exc:
        exc.path = str(path)
        raise
    return value


def _strings(value: Any, key: str, path: Path) -> tuple[str, ...]:
    return tuple(str(v) for v in _expect(value, list, key, path))


def _error(message: str, key: str, path: Path, hint: str | None = None) -> FormatError:
    exc = FormatError(message, path=path, hint=hint)
    exc.key = key
    return exc


def parse(data: Any, path: Path) -> Config:
    if not isinstance(data, dict):
        raise FormatError("ksp.yaml must be a mapping", path=path, line=1)
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise FormatError(f"ksp.yaml: unknown key '{unknown[0]}'", path=path,
                          hint=f"known keys: {', '.join(sorted(_TOP_KEYS))}")
    schema = data.get("schema", "ksp/v1")
    if schema != "ksp/v1":
        raise FormatError(f"ksp.yaml: unsupported schema {schema!r}", path=path,
                          hint="this ksp reads schema ksp/v1")
    project = str(_expect(data.get("project", presets.DEFAULT), str, "project", path))
    if project not in presets.names():
        raise FormatError(f"ksp.yaml: project must be one of {', '.join(presets.names())}, "
                          f"got {project!r}", path=path)
    preset = presets.get(project)

    def get(key: str, kind: type | tuple[type, ...] = str) -> Any:
        return _expect(data.get(key, preset.get(key)), kind, key, path)

    def template(key: str, allowed: frozenset[str]) -> str:
        return _template(data, key, str(preset[key]), allowed, path)

    base = _expect(data.get("base", "branch"), str, "base", path)
    if base not in ("branch", "tag"):
        raise FormatError("ksp.yaml: base must be 'branch' or 'tag'", path=path)
    branch = template("branch", templates.BRANCH_FIELDS)
    if "minor" not in templates.fields(branch):
        raise _error("ksp.yaml: branch template must contain {minor}", "branch", path)
    upstream = str(get("upstream"))
    rule = presets.expand(str(get("module")), upstream)
    build_tags = _strings(data.get("build_tags", preset.get("build_tags", [])), "build_tags",
                          path)
    return Config(
        project=project, upstream=upstream, branch=branch,
        tag=template("tag", templates.TAG_FIELDS), base=base,
        module=rule.replace("{go_major}", ""), module_rule=rule if "{go_major}" in rule else "",
        lifecycle=_optional_str(data.get("lifecycle"), "lifecycle", path),
        extended_months=_expect(data.get("extended_months", 12), int, "extended_months", path),
        components={str(k): _component_target(v, str(k), path)
                    for k, v in get("components", dict).items()},
        commands=Commands(
            build=template("build", templates.COMMAND_FIELDS["build"]),
            test=template("test", templates.COMMAND_FIELDS["test"]),
            typecheck=template("typecheck", templates.COMMAND_FIELDS["typecheck"]),
            env=_env(_expect(data.get("env", {}), dict, "env", path), build_tags),
            timeout=_expect(data.get("timeout", 3600), int, "timeout", path),
        ),
        toolchains=_strings(data.get("toolchains", []), "toolchains", path),
        known_failures=_known_failures(data.get("known_failures", {}), path),
        policy=_policy(data.get("policy", {}), path),
        review=_review(data.get("review", {}), path),
        scope=_scope(data.get("scope", [presets.expand(s, upstream)
                                        for s in preset.get("scope") or []] or None), path),
        build_tags=build_tags,
        tag_aliases=_tag_aliases(data.get("tag_aliases", preset.get("tag_aliases", [])), path),
        module_by_minor={str(k): str(v) for k, v in _expect(
            data.get("module_by_minor", preset.get("module_by_minor", {})), dict,
            "module_by_minor", path).items()},
        mirror_of=_mirror(data.get("mirror_of", preset.get("mirror_of")), path),
        lifecycle_data=_strings(preset.get("lifecycle_data", []), "lifecycle_data", path),
        minors=_minors(data.get("minors", {}), path),
    )


def _tag_aliases(value: Any, path: Path) -> tuple[str, ...]:
    aliases = _strings(value, "tag_aliases", path)
    for alias in aliases:
        try:
            templates.check(alias, templates.TAG_FIELDS, "tag_aliases")
        except FormatError as exc:
            exc.path = str(path)
            raise
    return aliases


def _env(env: dict[Any, Any], build_tags: tuple[str, ...]) -> dict[str, str]:
    """ksp.yaml `env`, with the build tags added to GOFLAGS (build, test, vet and go list)."""
    out = {str(k): str(v) for k, v in env.items()}
    if build_tags:
        flag = "-tags=" + ",".join(build_tags)
        out["GOFLAGS"] = f"{out['GOFLAGS']} {flag}" if out.get("GOFLAGS") else flag
    return out


def _mirror(value: Any, path: Path) -> Mirror | None:
    if value is None:
        return None
    data = _expect(value, dict, "mirror_of", path)
    if not data.get("upstream") or not data.get("trailer"):
        raise FormatError("ksp.yaml: mirror_of needs upstream and trailer", path=path,
                          hint="e.g. {upstream: https://github.com/kubernetes/kubernetes, "
                               "trailer: Kubernetes-commit}")
    return Mirror(str(data["upstream"]).rstrip("/"), str(data["trailer"]))


def _minors(data: Any, path: Path) -> dict[Minor, MinorSettings]:
    """`minors: {"3.3": {import_path: github.com/coreos/etcd, gofmt: false, tags: [no_btrfs]}}`"""
    out: dict[Minor, MinorSettings] = {}
    for key, raw in _expect(data, dict, "minors", path).items():
        try:
            minor = Minor.parse(str(key))
        except ValueError as exc:
            raise FormatError(f"ksp.yaml: minors: {exc}", path=path) from None
        entry = _expect(raw or {}, dict, f"minors.{key}", path)
        unknown = sorted(set(entry) - MINOR_KEYS)
        if unknown:
            raise FormatError(f"ksp.yaml: minors.{key}: unknown key '{unknown[0]}'", path=path,
                              hint=f"known keys: {', '.join(sorted(MINOR_KEYS))}")
        values: dict[str, Any] = {}
        for name, value in entry.items():
            where = f"minors.{key}.{name}"
            if name in ("gofmt", "vet"):
                values[name] = _expect(value, bool, where, path)
            elif name == "tags":
                values[name] = tuple(str(t) for t in _expect(value, list, where, path))
            elif name == "env":
                values[name] = {str(k): str(v) for k, v in _expect(value, dict, where,
                                                                   path).items()}
            elif name in templates.COMMAND_FIELDS:
                values[name] = _template(entry, name, "", templates.COMMAND_FIELDS[name], path)
            else:
                values[name] = str(_expect(value, str, where, path))
        out[minor] = MinorSettings(**values)
    return out


def _scope(value: Any, path: Path) -> tuple[str, ...] | None:
    """Go module path prefixes and component names that are this repository's own."""
    if value is None:
        return None
    items = _expect(value, list, "scope", path)
    bad = [i for i in items if not isinstance(i, str) or not i.strip() or any(
        c.isspace() for c in i)]
    if bad or not items:
        raise FormatError(f"ksp.yaml: scope must be a non-empty list of module paths or names"
                          f"{f', got {bad[0]!r}' if bad else ''}", path=path,
                          hint="e.g. scope: [k8s.io/kubernetes, k8s.io/client-go, kubelet]")
    return tuple(i.strip().rstrip("/") for i in items)


def _optional_str(value: Any, key: str, path: Path) -> str | None:
    if value in (None, "embedded"):
        return None
    return str(_expect(value, str, key, path))


def _component_target(value: Any, name: str, path: Path) -> str:
    if isinstance(value, dict):
        value = value.get("target")
    return str(_expect(value, str, f"components.{name}", path))


def _known_failures(data: Any, path: Path) -> dict[Minor, tuple[KnownFailure, ...]]:
    _expect(data, dict, "known_failures", path)
    result: dict[Minor, tuple[KnownFailure, ...]] = {}
    for minor, entries in data.items():
        try:
            parsed_minor = Minor.parse(str(minor))
        except ValueError as exc:
            raise FormatError(f"ksp.yaml: known_failures: {exc}", path=path) from None
        items = []
        for raw in _expect(entries, list, f"known_failures.{minor}", path):
            entry = _expect(raw, dict, f"known_failures.{minor}[]", path)
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


def _policy(data: Any, path: Path) -> Policy:
    _expect(data, dict, "policy", path)
    base = Policy()
    return Policy(
        forbidden_paths=tuple(str(p) for p in _expect(
            data.get("forbidden_paths", list(base.forbidden_paths)), list,
            "policy.forbidden_paths", path)),
        waivers=tuple(str(p) for p in _expect(data.get("waivers", []), list, "policy.waivers",
                                              path)),
        allow_binary=_expect(data.get("allow_binary", False), bool, "policy.allow_binary", path),
        allow_mode_changes=_expect(data.get("allow_mode_changes", False), bool,
                                   "policy.allow_mode_changes", path),
        allow_symlinks=_expect(data.get("allow_symlinks", False), bool, "policy.allow_symlinks",
                               path),
        max_patch_bytes=_expect(data.get("max_patch_bytes", base.max_patch_bytes), int,
                                "policy.max_patch_bytes", path),
        max_files=_expect(data.get("max_files", base.max_files), int, "policy.max_files", path),
    )


def _review(data: Any, path: Path) -> Review:
    _expect(data, dict, "review", path)
    unknown = sorted(set(data) - {"security", "rewritten", "infra", "require_signed"})
    if unknown:
        raise FormatError(f"ksp.yaml: unknown key 'review.{unknown[0]}'", path=path,
                          hint="review: {security, rewritten, infra: {approvers, "
                               "fixer_may_sign}, require_signed}")
    base = Review()

    def rule(key: str, default: ReviewRule) -> ReviewRule:
        raw = _expect(data.get(key, {}), dict, f"review.{key}", path)
        count = _expect(raw.get("approvers", default.approvers), int, f"review.{key}.approvers",
                        path)
        if count < 1:
            raise FormatError(f"ksp.yaml: review.{key}.approvers must be at least 1", path=path)
        return ReviewRule(count, _expect(raw.get("fixer_may_sign", default.fixer_may_sign), bool,
                                         f"review.{key}.fixer_may_sign", path))

    return Review(rule("security", base.security), rule("rewritten", base.rewritten),
                  rule("infra", base.infra),
                  _expect(data.get("require_signed", False), bool, "review.require_signed", path))


def load(path: Path, *, text: str | None = None) -> Config:
    """ksp.yaml at `path`, or `text` (the trusted copy from a base commit) named as `path`."""
    if text is None:
        text = read_text(path, what="ksp.yaml")
    try:
        return parse(load_yaml(path, text=text, cache=True), path)
    except FormatError as exc:
        if exc.line is None and exc.key:
            exc.line = key_line(text, exc.key)
        raise


def key_line(text: str, key: str) -> int | None:
    """The line of a (dotted) key in a YAML text: the first `name:` after its parents."""
    line, start = None, 0
    lines = text.splitlines()
    for raw in re.split(r"[.\[]", key):
        pattern = re.compile(rf"^\s*(?:-\s+)?['\"]?{re.escape(raw.rstrip(']'))}['\"]?\s*:")
        found = next((i for i in range(start, len(lines)) if pattern.match(lines[i])), None)
        if found is None:
            return line
        line, start = found + 1, found + 1
    return line
