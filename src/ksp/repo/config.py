"""ksp.yaml: the project profile (upstream, branches, components, commands) and the policy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ksp._yaml import load_yaml
from ksp.errors import FormatError
from ksp.model import Minor

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
class Commands:
    """The build, test and typecheck templates, and the environment they run in."""

    build: str
    test: str
    typecheck: str
    env: dict[str, str] = field(default_factory=dict)  # e.g. GO111MODULE: "off" for GOPATH trees
    timeout: int = 3600


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

    def branch_for(self, minor: Minor) -> str:
        return self.branch.format(minor=minor, major=minor.major, minor_number=minor.minor)

    def tag_for(self, minor: Minor, patch: int | str) -> str:
        return self.tag.format(minor=minor, patch=patch)


def default_commands(project: str) -> Commands:
    if project == "kubernetes":
        return Commands(
            build='make WHAT="{targets}"',
            test="go test {packages}",
            typecheck="go vet {packages}",
        )
    return Commands(
        build="go build {targets}",
        test="go test {packages}",
        typecheck="go vet {packages}",
    )


_TOP_KEYS = {
    "schema", "project", "upstream", "branch", "tag", "base", "module", "lifecycle",
    "extended_months", "components", "build", "test", "typecheck", "env", "timeout",
    "toolchains", "known_failures", "policy", "review", "scope",
}


def _expect(value: Any, kind: type | tuple[type, ...], key: str, path: Path) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise FormatError(f"ksp.yaml: '{key}' must be {names}, got {type(value).__name__}",
                          path=path)
    return value


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
    project = str(_expect(data.get("project", "kubernetes"), str, "project", path))
    if project not in ("kubernetes", "go"):
        raise FormatError(f"ksp.yaml: project must be kubernetes or go, got {project!r}",
                          path=path)
    defaults = default_commands(project)
    base = _expect(data.get("base", "branch"), str, "base", path)
    if base not in ("branch", "tag"):
        raise FormatError("ksp.yaml: base must be 'branch' or 'tag'", path=path)
    branch = _expect(data.get("branch", "release-{minor}"), str, "branch", path)
    if "{minor}" not in branch:
        raise FormatError("ksp.yaml: branch template must contain {minor}", path=path)
    components = _expect(data.get("components", KUBERNETES_COMPONENTS if project == "kubernetes"
                                   else {}), dict, "components", path)
    return Config(
        project=project,
        upstream=str(_expect(data.get("upstream", Config.upstream), str, "upstream", path)),
        branch=branch,
        tag=str(_expect(data.get("tag", Config.tag), str, "tag", path)),
        base=base,
        module=str(_expect(data.get("module", Config.module if project == "kubernetes" else ""),
                           str, "module", path)),
        lifecycle=_optional_str(data.get("lifecycle"), "lifecycle", path),
        extended_months=_expect(data.get("extended_months", 12), int, "extended_months", path),
        components={str(k): _component_target(v, str(k), path) for k, v in components.items()},
        commands=Commands(
            build=str(_expect(data.get("build", defaults.build), str, "build", path)),
            test=str(_expect(data.get("test", defaults.test), str, "test", path)),
            typecheck=str(_expect(data.get("typecheck", defaults.typecheck), str, "typecheck",
                                  path)),
            env={str(k): str(v)
                 for k, v in _expect(data.get("env", {}), dict, "env", path).items()},
            timeout=_expect(data.get("timeout", 3600), int, "timeout", path),
        ),
        toolchains=tuple(str(t) for t in _expect(data.get("toolchains", []), list, "toolchains",
                                                 path)),
        known_failures=_known_failures(data.get("known_failures", {}), path),
        policy=_policy(data.get("policy", {}), path),
        review=_review(data.get("review", {}), path),
        scope=_scope(data.get("scope"), path),
    )


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


def load(path: Path) -> Config:
    return parse(load_yaml(path, cache=True), path)


def render(project: str, upstream: str, branch: str, tag: str, module: str) -> str:
    """The ksp.yaml that `ksp init` writes: every setting visible, with a comment."""
    defaults = default_commands(project)
    lines = [
        "# ksp project profile and policy. See the ksp README, section 'ksp.yaml'.",
        "schema: ksp/v1",
        f"project: {project}",
        f"upstream: {upstream}",
        f"module: {module}" if module else "module: ''",
        f"branch: '{branch}'      # release branch of a minor",
        f"tag: '{tag}'",
        "base: branch             # branch: release branch tip (the KEP); tag: final release",
        "lifecycle: embedded      # or a file made by `ksp lifecycle import`",
        "extended_months: 12      # patches are kept this long after a minor's end of life",
        f"build: '{defaults.build}'",
        f"test: '{defaults.test}'",
        f"typecheck: '{defaults.typecheck}'",
        "env: {}                  # extra build environment, e.g. {GO111MODULE: 'off'}",
        "known_failures: {}       # minor: [{test, reason, expires}]",
        "# scope: [k8s.io/kubernetes, kubelet, …]  # own packages; default: the profile's",
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
