"""Project presets: the defaults of ksp.yaml per project, one YAML file each in ksp/data/presets.

A preset is data, not code: branch and tag templates, the module path rule, components, build
tags, the embedded lifecycle files and the `scope:` module prefixes. ksp.yaml keys override it.
`{name}` in `module` and `scope` is the upstream repository's name (k8s-staging: apiserver).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from ksp._yaml import load_yaml
from ksp.errors import FormatError

DEFAULT = "kubernetes"
# The package's own data files (a wheel installs them as files): importlib.resources would pull
# tempfile, random and shutil into every command's start-up for the same path.
FOLDER = Path(__file__).resolve().parent.parent / "data" / "presets"


@cache
def names() -> tuple[str, ...]:
    return tuple(sorted(p.name.removesuffix(".yaml") for p in FOLDER.iterdir()
                        if p.name.endswith(".yaml")))


@cache
def _raw(name: str) -> dict[str, Any]:
    path = FOLDER / f"{name}.yaml"
    data = load_yaml(path, cache=True)
    if not isinstance(data, dict):
        raise FormatError(f"preset {name}: expected a mapping", path=path)
    return data


def get(name: str) -> dict[str, Any]:
    """A copy of the preset's settings; FormatError for an unknown project."""
    if name not in names():
        raise FormatError(f"ksp.yaml: unknown project {name!r}",
                          hint=f"projects: {', '.join(names())}")
    return dict(_raw(name))


def repo_name(upstream: str) -> str:
    return upstream.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")


def expand(value: str, upstream: str) -> str:
    """`k8s.io/{name}` → `k8s.io/apiserver` for https://github.com/kubernetes/apiserver."""
    return value.replace("{name}", repo_name(upstream)) if "{name}" in value else value


def description(name: str) -> str:
    return str(_raw(name).get("description", name))
