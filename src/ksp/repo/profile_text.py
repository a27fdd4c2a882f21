"""The ksp.yaml that `ksp init` writes: the preset's settings, every one visible, with a comment."""

from __future__ import annotations

import json
from typing import Any

from ksp.repo import presets
from ksp.repo.config import DEFAULT_FORBIDDEN


def _flow(value: Any) -> str:
    """A YAML flow value: strings single-quoted (so that `{minor}` stays a string), lists and
    maps as JSON (which is YAML)."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return json.dumps(value, ensure_ascii=False)


def _plain(value: str) -> str:
    return value if value and value[0] not in "'\"{[&*!|>%@`#" else _flow(value)


def render(project: str, upstream: str, branch: str | None, tag: str | None,
           module: str | None) -> str:
    preset = presets.get(project)
    module = module if module is not None else presets.expand(str(preset["module"]), upstream)
    scope = [presets.expand(str(s), upstream) for s in preset.get("scope", [])]
    lines = [
        f"# ksp project profile and policy ({presets.description(project)}).",
        "# See the ksp README, section 'ksp.yaml'. Keys left out take the preset's value.",
        "schema: ksp/v1",
        f"project: {project}",
        f"upstream: {_plain(upstream)}",
        f"module: {_plain(module) if module else _flow('')}"
        + ("   # {go_major}: /vN from major 2 on" if "{go_major}" in module else ""),
        f"branch: {_flow(branch or preset['branch'])}      # release branch of a minor",
        f"tag: {_flow(tag or preset['tag'])}      # tag of a patch release",
    ]
    optional = {"tag_aliases": "other tags of the same releases",
                "module_by_minor": "minors whose module path differs",
                "mirror_of": "published from this repository; commits named by the trailer"}
    lines += [f"{key}: {_flow(preset[key])}      # {why}"
              for key, why in optional.items() if preset.get(key)]
    lines += [
        "base: branch             # branch: release branch tip (the KEP); tag: final release",
        "lifecycle: embedded      # or a file made by `ksp lifecycle import`",
        "extended_months: 12      # patches are kept this long after a minor's end of life",
        *_components(project, preset),
        f"build: {_flow(preset['build'])}",
        f"test: {_flow(preset['test'])}",
        f"typecheck: {_flow(preset['typecheck'])}",
        f"build_tags: {_flow(preset.get('build_tags') or [])}      # Go build tags of the "
        "project's CI",
        f"scope: {_flow(scope)}      # this repo's own modules and names" if scope else
        "# scope: [k8s.io/kubernetes, kubelet, …]  # own packages; default: the profile's",
        "env: {}                  # every minor's build environment, e.g. {CGO_ENABLED: '0'}",
        "known_failures: {}       # minor: [{test, reason, expires}]",
        "minors: {}               # per minor: {gofmt, vet, import_path, go, tags, env, build, "
        "test, typecheck}",
        "policy:",
        "  forbidden_paths: [" + ", ".join(f"'{p}'" for p in DEFAULT_FORBIDDEN) + "]",
        "  waivers: []",
        "  allow_binary: false",
        "  allow_mode_changes: false",
        "  allow_symlinks: false",
        "  max_patch_bytes: 1048576",
        "  max_files: 200",
        "review:                  # distinct OWNERS approvers who sign each kind of patch",
        "  security: {approvers: 1}",
        "  rewritten: {approvers: 2}   # Backport: rewritten or original-mitigation",
        "  infra: {approvers: 1}       # INFRA- patches",
        "  require_signed: false       # true: lint fails on a minor whose series is not signed",
    ]
    return "\n".join(lines) + "\n"


def _components(project: str, preset: dict[str, Any]) -> list[str]:
    """Shown for the container and etcd presets; Kubernetes' long map stays implicit (as before
    presets), and a library has none (add `components:` to name some)."""
    if project == presets.DEFAULT or not preset.get("components"):
        return []
    return [f"components: {_flow(preset['components'])}"]
