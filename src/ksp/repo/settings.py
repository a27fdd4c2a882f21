"""The typed profile and policy of a patches repo, as `ksp.yaml` describes them.

Reading and validating the file is `repo/config.py`; this module is what the rest of ksp sees.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from ksp.model import Minor
from ksp.repo import presets, templates

KUBERNETES_COMPONENTS = {
    "kube-apiserver": "cmd/kube-apiserver",
    "kube-controller-manager": "cmd/kube-controller-manager",
    "kube-scheduler": "cmd/kube-scheduler",
    "kube-proxy": "cmd/kube-proxy",
    "kubelet": "cmd/kubelet",
    "kubectl": "cmd/kubectl",
    "kubeadm": "cmd/kubeadm",
    "cloud-controller-manager": "cmd/cloud-controller-manager",
}
DEFAULT_FORBIDDEN = (".github/", ".ci/", "hack/", "build/", "Makefile", "Dockerfile", ".go-version")


@dataclass(frozen=True)
class Policy:
    """What a patch may touch without a waiver; lint enforces it on every diff."""

    forbidden_paths: tuple[str, ...] = DEFAULT_FORBIDDEN
    waivers: tuple[str, ...] = ()  # patch file names allowed to touch forbidden paths
    allow_binary: bool = False
    allow_mode_changes: bool = False
    allow_symlinks: bool = False
    max_patch_bytes: int = 1024 * 1024
    max_files: int = 200


@dataclass(frozen=True)
class ReviewRule:
    """How many distinct OWNERS approvers sign a kind of patch, and whether its fixer may."""

    approvers: int = 1
    fixer_may_sign: bool = False


@dataclass(frozen=True)
class Review:
    """ksp.yaml `review:`: the rule set per kind of patch, and whether lint demands signatures."""

    security: ReviewRule = ReviewRule()
    rewritten: ReviewRule = ReviewRule(approvers=2)  # Backport: rewritten / original-mitigation
    infra: ReviewRule = ReviewRule()
    require_signed: bool = False  # lint: an unsigned series is an error rather than a warning


@dataclass(frozen=True)
class KnownFailure:
    """A test that fails on a minor's base for a known reason, until `expires`."""

    test: str  # "<package>.<TestName>" or a package path
    reason: str
    expires: dt.date


@dataclass(frozen=True)
class Mirror:
    """The repository this one is published from, and the trailer that names its commits."""

    upstream: str
    trailer: str


@dataclass(frozen=True)
class Commands:
    """The build, test and typecheck templates, and the environment they run in."""

    build: str
    test: str
    typecheck: str
    env: dict[str, str] = field(default_factory=dict)  # e.g. CGO_ENABLED: "0"
    timeout: int = 3600


@dataclass(frozen=True)
class MinorSettings:
    """The gate's per-minor settings (ksp.yaml `minors:`): old branches differ from new ones."""

    gofmt: bool = True  # judge gofmt on the lines the series changes
    vet: bool = True  # run the typecheck template (go vet)
    import_path: str = ""  # GOPATH-era trees: the root's import path ("" = import comments)
    go: str = ""  # the Go version the minor wants, when the tree does not say
    tags: tuple[str, ...] = ()  # build tags for every go command (e.g. no_btrfs)
    env: dict[str, str] = field(default_factory=dict)
    build: str = ""  # templates replacing the profile's for this minor ("" = the profile's)
    test: str = ""
    typecheck: str = ""


MINOR_KEYS = {f for f in MinorSettings.__dataclass_fields__}


@dataclass(frozen=True)
class Config:
    """ksp.yaml: the project profile (upstream, branches, components) and policy."""

    project: str = "kubernetes"
    upstream: str = "https://github.com/kubernetes/kubernetes"
    branch: str = "release-{minor}"
    tag: str = "v{minor}.{patch}"
    base: str = "branch"
    module: str = "k8s.io/kubernetes"
    lifecycle: str | None = None  # None: embedded Kubernetes data
    extended_months: int = 12
    components: dict[str, str] = field(default_factory=lambda: dict(KUBERNETES_COMPONENTS))
    commands: Commands = field(default_factory=lambda: default_commands("kubernetes"))
    toolchains: tuple[str, ...] = ()
    known_failures: dict[Minor, tuple[KnownFailure, ...]] = field(default_factory=dict)
    policy: Policy = field(default_factory=Policy)
    review: Review = field(default_factory=Review)
    scope: tuple[str, ...] | None = None  # this repo's own modules/names; None: the profile's
    build_tags: tuple[str, ...] = ()  # Go build tags of the project's own CI (GOFLAGS=-tags=…)
    tag_aliases: tuple[str, ...] = ()  # other tag templates naming the same releases
    module_by_minor: dict[str, str] = field(default_factory=dict)  # where the module path moved
    mirror_of: Mirror | None = None  # a repo published from another one (k8s.io staging)
    module_rule: str = ""  # the module template (`…/containerd{go_major}`); "" = `module`
    lifecycle_data: tuple[str, ...] = ("kubernetes.yaml",)  # the preset's embedded data
    minors: dict[Minor, MinorSettings] = field(default_factory=dict)

    def settings(self, minor: Minor) -> MinorSettings:
        return self.minors.get(minor) or MinorSettings()

    def commands_for(self, minor: Minor) -> Commands:
        """The profile's commands with the minor's template and env overrides applied."""
        own, base = self.settings(minor), self.commands
        return Commands(own.build or base.build, own.test or base.test,
                        own.typecheck or base.typecheck, {**base.env, **own.env}, base.timeout)

    def branch_for(self, minor: Minor) -> str:
        return templates.render(self.branch, _minor_fields(minor))

    def tag_for(self, minor: Minor, patch: int | str) -> str:
        return templates.render(self.tag, {**_minor_fields(minor), "patch": str(patch)})

    def tag_pattern(self, minor: Minor, template: str | None = None) -> re.Pattern[str]:
        """The tags of `minor`'s releases, the patch number as group 1."""
        text = re.escape(template or self.tag)
        for key, value in _minor_fields(minor).items():
            text = text.replace(re.escape("{" + key + "}"), re.escape(value))
        return re.compile(text.replace(re.escape("{patch}"), r"(\d+)") + "$")

    def release_patch(self, minor: Minor, text: str) -> int | None:
        """The patch number of a release of `minor` named by any of its tag templates
        (`v0.32.13`, `kubernetes-1.32.13`), None if `text` names no release of `minor`."""
        for template in (self.tag, *self.tag_aliases):
            match = self.tag_pattern(minor, template).match(text.strip())
            if match:
                return int(match[1])
        return None

    def module_for(self, minor: Minor) -> str:
        """The Go module path at `minor`: Go's /vN suffix from major 2 on (`{go_major}`)."""
        module = self.module_by_minor.get(str(minor), self.module_rule or self.module)
        return module.replace("{go_major}", f"/v{minor.major}" if minor.major >= 2 else "")


def _minor_fields(minor: Minor) -> dict[str, str]:
    return {"minor": str(minor), "major": str(minor.major), "minor_number": str(minor.minor)}


def default_commands(project: str) -> Commands:
    preset = presets.get(project)
    return Commands(build=str(preset["build"]), test=str(preset["test"]),
                    typecheck=str(preset["typecheck"]))
