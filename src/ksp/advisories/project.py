"""Which affected packages are versioned like the project, and which component each one is.

Kubernetes advisories name the component's module (k8s.io/apiserver, k8s.io/kubelet) with
Kubernetes versions; OSV's Go records name the same staging modules as v0.30.2 for 1.30.2. Other
products of the community (ingress-nginx, CSI drivers) have their own versions and say nothing
about a Kubernetes minor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ksp.repo.config import Config

# Modules published from kubernetes/staging and the component modules cve-feed-osv uses.
KUBERNETES_MODULES = frozenset({
    "api", "apiextensions-apiserver", "apimachinery", "apiserver", "cli-runtime", "client-go",
    "cloud-provider", "cluster-bootstrap", "code-generator", "component-base", "component-helpers",
    "controller-manager", "cri-api", "cri-client", "csi-translation-lib",
    "dynamic-resource-allocation", "endpointslice", "externaljwt", "kms", "kube-aggregator",
    "kube-controller-manager", "kube-proxy", "kube-scheduler", "kubectl", "kubelet", "metrics",
    "mount-utils", "pod-security-admission", "kube-apiserver", "kubeadm", "kubernetes",
})
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

    @classmethod
    def of(cls, config: Config) -> Profile:
        return cls(config.project, config.module, config.upstream.rstrip("/"),
                   frozenset(config.components))

    def is_project(self, name: str) -> bool:
        if name == self.module or (self.module and name.startswith(self.module + "/v")):
            return True
        if self.project != "kubernetes":
            return False
        prefix, _, rest = name.partition("/")
        return prefix == "k8s.io" and (rest in KUBERNETES_MODULES or rest in self.components)

    def is_project_word(self, word: str) -> bool:
        """A feed line's prefix: 'kube-apiserver', 'Kubernetes', or nothing at all."""
        lowered = word.strip().lower()
        return lowered in ("", "kubernetes", self.project) or lowered in self.components or (
            self.project == "kubernetes" and lowered in KUBERNETES_MODULES)

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
