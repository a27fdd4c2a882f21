"""Which affected packages are versioned like the project, and which component each one is.

Kubernetes advisories name the component's module (k8s.io/apiserver, k8s.io/kubelet) with
Kubernetes versions; OSV's Go records name the same staging modules as v0.30.2 for 1.30.2. Other
products of the community (ingress-nginx, CSI drivers) have their own versions and say nothing
about a Kubernetes minor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ksp.advisories.scope import Scope
from ksp.repo.config import Config

# The binary a module's advisory is about, where the name alone does not say it.
MODULE_COMPONENT = {
    "k8s.io/apiserver": "kube-apiserver",
    "k8s.io/controller-manager": "kube-controller-manager",
}
_SEMVER_ECOSYSTEMS = frozenset({"kubernetes", "go"})


@dataclass(frozen=True)
class Profile:
    project: str = "kubernetes"
    module: str = "k8s.io/kubernetes"
    upstream: str = "https://github.com/kubernetes/kubernetes"
    components: frozenset[str] = field(default_factory=frozenset)
    scope: Scope = field(default_factory=lambda: Scope.of(Config()))

    @classmethod
    def of(cls, config: Config) -> Profile:
        return cls(config.project, config.module, config.upstream.rstrip("/"),
                   frozenset(config.components), Scope.of(config))

    def is_project(self, name: str) -> bool:
        """Versioned like the project: a package of its scope."""
        return self.scope.contains(name)

    def is_project_word(self, word: str) -> bool:
        """A feed line's prefix: 'kube-apiserver', 'Kubernetes', or nothing at all."""
        return self.scope.is_word(word) or word.strip().lower() in self.components

    def semver_ecosystem(self, ecosystem: str) -> bool:
        return ecosystem.split(":", 1)[0].lower() in _SEMVER_ECOSYSTEMS

    def normalise(self, version: str, name: str, ecosystem: str) -> str:
        """Go staging modules are tagged v0.N.P for Kubernetes 1.N.P."""
        if (self.project == "kubernetes" and ecosystem.lower() == "go"
                and name != self.module and version.lstrip("v").startswith("0.")):
            return "1." + version.lstrip("v")[2:]
        return version

    def component_of(self, name: str) -> str | None:
        if name in MODULE_COMPONENT:
            return MODULE_COMPONENT[name]
        if name == self.module:
            return None
        return name.rstrip("/").rsplit("/", 1)[-1] or None
