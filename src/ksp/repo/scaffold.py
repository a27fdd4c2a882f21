"""`ksp init`: a patches repo that passes `ksp lint` as soon as it is created."""

from __future__ import annotations

import string
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ksp._files import atomic_write
from ksp.errors import UsageError
from ksp.repo import presets, profile_text
from ksp.repo.index import EMPTY

# Phrases lint looks for: each of the KEP's five disclaimers must be present in README.md.
DISCLAIMERS = {
    "community": "not officially supported",
    "warranty": "without warranty",
    "upgrade": "upgrading to a supported version is strongly recommended",
    "vendors": "may not apply to or work with vendor distributions",
    "retention": "months after a version's end of life",
}


@dataclass(frozen=True)
class InitOptions:
    project: str = "kubernetes"
    upstream: str | None = None
    branch: str | None = None  # None: the preset's
    tag: str | None = None
    module: str | None = None


def _template(name: str) -> str:
    return (resources.files("ksp") / "data" / "scaffold" / name).read_text("utf-8")


def files(options: InitOptions) -> dict[str, str]:
    upstream = options.upstream or str(presets.get(options.project)["upstream"])
    if not upstream:
        raise UsageError(f"--upstream URL is required with --project {options.project}",
                         hint="e.g. --upstream https://github.com/kubernetes/apiserver"
                         if options.project == "k8s-staging" else
                         "e.g. --upstream https://github.com/example/project")
    name = presets.repo_name(upstream) or "upstream"
    title = {"kubernetes": "Kubernetes", "k8s-staging": f"k8s.io/{name}"}.get(options.project,
                                                                            name)
    values = {"project": title, "name": name, "extended_months": "12"}
    return {
        "ksp.yaml": profile_text.render(options.project, upstream, options.branch, options.tag,
                                        options.module),
        "index.yaml": EMPTY,
        "README.md": string.Template(_template("README.md")).substitute(values),
        "CONTRIBUTING.md": string.Template(_template("CONTRIBUTING.md")).substitute(values),
        "OWNERS": _template("OWNERS"),
        "ALLOWED_SIGNERS": _template("ALLOWED_SIGNERS"),
        ".gitignore": _template("gitignore"),
        ".github/pull_request_template.md": _template("pull_request_template.md"),
    }


def create(root: Path, options: InitOptions, extra: dict[str, str] | None = None) -> list[str]:
    """Write the scaffold (plus `extra` files); refuses to overwrite any existing file, and then
    writes nothing."""
    planned = {**files(options), **(extra or {})}
    clash = [name for name in planned if (root / name).exists()]
    if clash:
        raise UsageError(f"{root / clash[0]} already exists; nothing was written",
                         hint="choose an empty folder")
    for name, text in planned.items():
        atomic_write(root / name, text)
    return list(planned)
