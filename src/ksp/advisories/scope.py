"""Whose advisory it is: this repository's own code, another project of the community, or a Go
module the project depends on.

The official Kubernetes feed and the Kubernetes OSV records announce advisories for the whole
community: Kubernetes itself (`k8s.io/kubernetes`, its staging modules such as `k8s.io/apiserver`,
its components such as `kubelet`), but also ingress-nginx, CSI drivers and csi-proxy, which have
their own versions and releases, and flaws of Go modules Kubernetes uses (gogo/protobuf). Only the
first are this patches repo's work. The scope (`scope:` in ksp.yaml, else the profile's default)
says which packages are the repository's own; the rule, per advisory over all its records:

- any affected package in the scope: `project`;
- else any affected package of the community (`k8s.io/…`, `sigs.k8s.io/…`,
  `github.com/kubernetes…/`, or a bare product name in the project's own feed): `other-project`,
  with that package named;
- else (a Go module path from elsewhere): `dependency`, with the module named;
- no affected package at all: the Go module whose release the text links to as the fix (the feed's
  CVE-2021-3121 links gogo/protobuf v1.3.2), classified by the same rules; with no such link, the
  advisory is the project's (CVE-2020-8554: "All Kubernetes versions are affected").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ksp.advisories.records import Record
from ksp.model import AdvisoryKind
from ksp.repo.config import Config

# The modules under kubernetes/kubernetes staging/src/k8s.io (go.work of master, plus
# legacy-cloud-providers, which older minors still carry).
KUBERNETES_STAGING = (
    "api", "apiextensions-apiserver", "apimachinery", "apiserver", "cli-runtime", "client-go",
    "cloud-provider", "cluster-bootstrap", "code-generator", "component-base",
    "component-helpers", "controller-manager", "cri-api", "cri-client", "cri-streaming",
    "csi-translation-lib", "dynamic-resource-allocation", "endpointslice", "externaljwt", "kms",
    "kube-aggregator", "kube-controller-manager", "kube-proxy", "kube-scheduler", "kubectl",
    "kubelet", "legacy-cloud-providers", "metrics", "mount-utils", "pod-security-admission",
    "sample-apiserver", "sample-cli-plugin", "sample-controller", "streaming",
)
KUBERNETES_COMMUNITY = (
    "k8s.io/", "sigs.k8s.io/", "github.com/kubernetes/", "github.com/kubernetes-sigs/",
    "github.com/kubernetes-csi/", "github.com/kubernetes-client/", "registry.k8s.io/",
)
_RELEASE_LINK = re.compile(r"https://github\.com/([\w.-]+)/([\w.-]+)/releases/tag/[\w.+-]+")
_MAJOR_SUFFIX = re.compile(r"^v\d+$")


def default_scope(config: Config) -> tuple[str, ...]:
    """The profile's own packages: for Kubernetes the main module, every staging module and
    every component (as `k8s.io/<name>` and by name); otherwise the module and components."""
    own = [config.module] if config.module else []
    if config.project == "kubernetes":
        own += [f"k8s.io/{name}" for name in KUBERNETES_STAGING]
        own += [f"k8s.io/{name}" for name in config.components if name not in KUBERNETES_STAGING]
    own += list(config.components)
    return tuple(dict.fromkeys(own))


def release_modules(text: str) -> tuple[str, ...]:
    """Go modules whose release a text links to (`github.com/OWNER/REPO/releases/tag/…`)."""
    return tuple(dict.fromkeys(f"github.com/{owner}/{repo}"
                               for owner, repo in _RELEASE_LINK.findall(text)))


@dataclass(frozen=True)
class Scope:
    own: tuple[str, ...]
    community: tuple[str, ...]
    words: frozenset[str]  # feed-line prefixes that mean the project itself

    @classmethod
    def of(cls, config: Config) -> Scope:
        own = list(config.scope or default_scope(config))
        upstream = config.upstream.rstrip("/").removeprefix("https://")
        if upstream.startswith("github.com/"):
            own.append(upstream)  # a link to the upstream repository is the project too
        community: tuple[str, ...] = ()
        if config.project == "kubernetes":
            community = KUBERNETES_COMMUNITY
        else:
            parent = config.module.rsplit("/", 1)[0] if "/" in config.module else ""
            community = (parent + "/",) if parent else community
        words = {"", "kubernetes", config.project}
        words.update(_last(entry).lower() for entry in own)
        return cls(tuple(dict.fromkeys(own)), community, frozenset(words))

    def contains(self, name: str) -> bool:
        name = name.strip().rstrip("/")
        for entry in self.own:
            if _is_path(entry):
                if name == entry or name.startswith(entry + "/"):
                    return True
            elif name.lower() == entry.lower():
                return True
        return False

    def is_word(self, word: str) -> bool:
        return word.strip().lower() in self.words

    def in_community(self, name: str) -> bool:
        """Another project of the same community: its module path, or a bare product name."""
        return not _is_path(name) or any(name.startswith(p) for p in self.community)

    def classify_records(self, records: Iterable[Record]) -> tuple[AdvisoryKind, str | None]:
        """The kind of one advisory from all its records (the feed's and OSV's)."""
        records = list(records)
        packages = [p for r in records for p in r.packages]
        return self.classify([p.name for p in packages], any(p.project for p in packages),
                             [m for r in records for m in r.mentions])

    def classify(self, packages: Iterable[str], in_scope: bool,
                 mentions: Iterable[str] = ()) -> tuple[AdvisoryKind, str | None]:
        """The kind of an advisory from the names of its affected packages (`in_scope`: one of
        them is already known to be the project's), or, with none, the modules it links to."""
        names = list(dict.fromkeys(packages)) or list(dict.fromkeys(mentions))
        if in_scope or not names or any(self.contains(n) for n in names):
            return AdvisoryKind.PROJECT, None
        community = [n for n in names if self.in_community(n)]
        if community:
            return AdvisoryKind.OTHER_PROJECT, _named(community)
        return AdvisoryKind.DEPENDENCY, _named(names)


def _is_path(name: str) -> bool:
    return "/" in name or "." in name


def _last(entry: str) -> str:
    parts = [p for p in entry.split("/") if p and not _MAJOR_SUFFIX.match(p)]
    return parts[-1] if parts else entry


def _named(names: list[str]) -> str:
    """The module path when a source gives one (OSV), else the product name (the feed)."""
    return next((n for n in names if _is_path(n)), names[0])
