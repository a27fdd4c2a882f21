"""ksp.yaml: reading and validating the project profile and policy (the types: repo/settings.py).

Every value is checked at this edge, with the file and line of a bad one; the rest of ksp sees
only the typed `Config`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ksp._files import read_text
from ksp._yaml import load_yaml
from ksp.errors import FormatError
from ksp.model import Minor
from ksp.repo import presets, templates
from ksp.repo.config_checks import error, expect, known_failures, policy, review
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


def _template(data: dict[str, Any], key: str, default: str, allowed: frozenset[str],
              path: Path) -> str:
    value = str(expect(data.get(key, default), str, key, path))
    try:
        templates.check(value, allowed, key)
    except FormatError as exc:
        exc.path = str(path)
        raise
    return value


def _strings(value: Any, key: str, path: Path) -> tuple[str, ...]:
    return tuple(str(v) for v in expect(value, list, key, path))


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
    project = str(expect(data.get("project", presets.DEFAULT), str, "project", path))
    if project not in presets.names():
        raise FormatError(f"ksp.yaml: project must be one of {', '.join(presets.names())}, "
                          f"got {project!r}", path=path)
    preset = presets.get(project)

    def get(key: str, kind: type | tuple[type, ...] = str) -> Any:
        return expect(data.get(key, preset.get(key)), kind, key, path)

    def template(key: str, allowed: frozenset[str]) -> str:
        return _template(data, key, str(preset[key]), allowed, path)

    base = expect(data.get("base", "branch"), str, "base", path)
    if base not in ("branch", "tag"):
        raise FormatError("ksp.yaml: base must be 'branch' or 'tag'", path=path)
    branch = template("branch", templates.BRANCH_FIELDS)
    if "minor" not in templates.fields(branch):
        raise error("ksp.yaml: branch template must contain {minor}", "branch", path)
    upstream = str(get("upstream"))
    rule = presets.expand(str(get("module")), upstream)
    build_tags = _strings(data.get("build_tags", preset.get("build_tags", [])), "build_tags",
                          path)
    return Config(
        project=project, upstream=upstream, branch=branch,
        tag=template("tag", templates.TAG_FIELDS), base=base,
        module=rule.replace("{go_major}", ""), module_rule=rule if "{go_major}" in rule else "",
        lifecycle=_optional_str(data.get("lifecycle"), "lifecycle", path),
        extended_months=expect(data.get("extended_months", 12), int, "extended_months", path),
        components={str(k): _component_target(v, str(k), path)
                    for k, v in get("components", dict).items()},
        commands=Commands(
            build=template("build", templates.COMMAND_FIELDS["build"]),
            test=template("test", templates.COMMAND_FIELDS["test"]),
            typecheck=template("typecheck", templates.COMMAND_FIELDS["typecheck"]),
            env=_env(expect(data.get("env", {}), dict, "env", path), build_tags),
            timeout=expect(data.get("timeout", 3600), int, "timeout", path),
        ),
        toolchains=_strings(data.get("toolchains", []), "toolchains", path),
        known_failures=known_failures(data.get("known_failures", {}), path),
        policy=policy(data.get("policy", {}), path),
        review=review(data.get("review", {}), path),
        scope=_scope(data.get("scope", [presets.expand(s, upstream)
                                        for s in preset.get("scope") or []] or None), path),
        build_tags=build_tags,
        tag_aliases=_tag_aliases(data.get("tag_aliases", preset.get("tag_aliases", [])), path),
        module_by_minor={str(k): str(v) for k, v in expect(
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
    data = expect(value, dict, "mirror_of", path)
    if not data.get("upstream") or not data.get("trailer"):
        raise FormatError("ksp.yaml: mirror_of needs upstream and trailer", path=path,
                          hint="e.g. {upstream: https://github.com/kubernetes/kubernetes, "
                               "trailer: Kubernetes-commit}")
    return Mirror(str(data["upstream"]).rstrip("/"), str(data["trailer"]))


def _minors(data: Any, path: Path) -> dict[Minor, MinorSettings]:
    """`minors: {"3.3": {import_path: github.com/coreos/etcd, gofmt: false, tags: [no_btrfs]}}`"""
    out: dict[Minor, MinorSettings] = {}
    for key, raw in expect(data, dict, "minors", path).items():
        try:
            minor = Minor.parse(str(key))
        except ValueError as exc:
            raise FormatError(f"ksp.yaml: minors: {exc}", path=path) from None
        entry = expect(raw or {}, dict, f"minors.{key}", path)
        unknown = sorted(set(entry) - MINOR_KEYS)
        if unknown:
            raise FormatError(f"ksp.yaml: minors.{key}: unknown key '{unknown[0]}'", path=path,
                              hint=f"known keys: {', '.join(sorted(MINOR_KEYS))}")
        values: dict[str, Any] = {}
        for name, value in entry.items():
            where = f"minors.{key}.{name}"
            if name in ("gofmt", "vet"):
                values[name] = expect(value, bool, where, path)
            elif name == "tags":
                values[name] = tuple(str(t) for t in expect(value, list, where, path))
            elif name == "env":
                values[name] = {str(k): str(v) for k, v in expect(value, dict, where,
                                                                   path).items()}
            elif name in templates.COMMAND_FIELDS:
                values[name] = _template(entry, name, "", templates.COMMAND_FIELDS[name], path)
            else:
                values[name] = str(expect(value, str, where, path))
        out[minor] = MinorSettings(**values)
    return out


def _scope(value: Any, path: Path) -> tuple[str, ...] | None:
    """Go module path prefixes and component names that are this repository's own."""
    if value is None:
        return None
    items = expect(value, list, "scope", path)
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
    return str(expect(value, str, key, path))


def _component_target(value: Any, name: str, path: Path) -> str:
    if isinstance(value, dict):
        value = value.get("target")
    return str(expect(value, str, f"components.{name}", path))


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
