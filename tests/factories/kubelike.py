"""kubernetes/kubernetes in miniature: staging modules, vendor symlinks, a Makefile.

The gate and the component map must cope with what makes Kubernetes unusual
among Go projects: code under ``staging/src/k8s.io/*`` is separate modules,
reached through ``replace`` directives and ``vendor/k8s.io/*`` symlinks; builds
run as ``make WHAT=cmd/...`` in vendor mode.  The import graph is chosen so that
a change maps to a known set of binaries:

===========================================  ======================================
changed package                              binaries
===========================================  ======================================
``staging/.../apimachinery/pkg/util/sets``   kubectl
``staging/.../api/core/v1`` (and meta/v1)    kube-apiserver, kubelet
``plugin/pkg/admission/noderestriction``     kube-apiserver
``pkg/kubelet``                              kubelet
``pkg/version``                              all three
===========================================  ======================================
"""

from __future__ import annotations

from pathlib import Path

from .gitenv import Executable, FastImport, FileValue, Symlink
from .goupstream import Upstream, VersionFile, cut_releases, hotspot_source, hotspot_test_source

MODULE = "k8s.io/kubernetes"
GO_DIRECTIVE = "1.22.0"
STAGING = ("api", "apimachinery")
#: Packages of each staging module that the main module imports; vendor/modules.txt lists them.
STAGING_PACKAGES = {
    "api": ("k8s.io/api/core/v1",),
    "apimachinery": ("k8s.io/apimachinery/pkg/apis/meta/v1", "k8s.io/apimachinery/pkg/util/sets"),
}
BINARIES = ("cmd/kube-apiserver", "cmd/kubectl", "cmd/kubelet")
HOTSPOT = "plugin/pkg/admission/noderestriction/admission.go"


def make_kube_like_upstream(
    path: Path, minors: tuple[str, ...] = ("1.31", "1.32"), *, home: Path | None = None
) -> Upstream:
    """Build the Kubernetes-like upstream at ``path`` (git HOME defaults to ``path.home``).

    Builds offline with ``make WHAT=cmd/kubectl`` or ``go build -mod=vendor``
    and ``GOTOOLCHAIN=local GOPROXY=off``.
    """
    up = Upstream(
        path=path,
        module=MODULE,
        minors=tuple(minors),
        home=home or path.with_name(path.name + ".home"),
        binaries=BINARIES,
        hotspot=HOTSPOT,
        hotspot_test=HOTSPOT.replace("admission.go", "admission_test.go"),
        vendor=True,
    )
    stream = FastImport()
    stream.commit(up.main, kube_tree(), "Initial import of kube-like")
    cut_releases(stream, up, KUBE_VERSION_FILE)
    stream.run(path, up.env)
    return up


def kube_tree() -> dict[str, FileValue]:
    """The first commit: root module, staging modules, vendor, Makefile."""
    files: dict[str, FileValue] = {
        "README.md": "# kube-like\n\nkubernetes/kubernetes in miniature, for ksp's tests.\n",
        ".gitignore": "/_output/\n",
        ".go-version": "1.22.12\n",
        "go.mod": root_go_mod(),
        "Makefile": MAKEFILE,
        "hack/verify-gofmt.sh": Executable(VERIFY_GOFMT),
        "pkg/version/base.go": _version_go("v0.0.0-master+$Format:%H$"),
        "pkg/kubelet/kubelet.go": KUBELET_PKG,
        "pkg/kubelet/kubelet_test.go": KUBELET_TEST,
        HOTSPOT: hotspot_source(
            "noderestriction",
            authors="Kubernetes",
            imports=('corev1 "k8s.io/api/core/v1"',),
            blank='strings.TrimSpace(r.User) == ""',
            extra=NODE_USER,
        ),
        HOTSPOT.replace(".go", "_test.go"): hotspot_test_source(
            "noderestriction", authors="Kubernetes"
        ),
        "vendor/modules.txt": modules_txt(),
        **{
            f"cmd/{name}/{name.removeprefix('kube-')}.go": _main_go(name, imp)
            for name, imp in _COMMANDS.items()
        },
        **_staging_files(),
    }
    for name in STAGING:
        # What hack/update-vendor.sh leaves: a relative link into staging, not a copy.
        files[f"vendor/k8s.io/{name}"] = Symlink(f"../../staging/src/k8s.io/{name}")
    return files


def root_go_mod() -> str:
    """``require`` + ``replace`` of every staging module, as in Kubernetes' go.mod."""
    req = "".join(f"\tk8s.io/{name} v0.0.0\n" for name in STAGING)
    rep = "".join(f"\tk8s.io/{name} => ./staging/src/k8s.io/{name}\n" for name in STAGING)
    return f"module {MODULE}\n\ngo {GO_DIRECTIVE}\n\nrequire (\n{req})\n\nreplace (\n{rep})\n"


def modules_txt() -> str:
    """``vendor/modules.txt`` byte for byte as ``go mod vendor`` (Go 1.22+) writes it."""
    out = []
    for name in STAGING:
        out.append(f"# k8s.io/{name} v0.0.0 => ./staging/src/k8s.io/{name}\n")
        out.append(f"## explicit; go {GO_DIRECTIVE}\n")
        out.extend(f"{pkg}\n" for pkg in STAGING_PACKAGES[name])
    out.extend(f"# k8s.io/{name} => ./staging/src/k8s.io/{name}\n" for name in STAGING)
    return "".join(out)


def _staging_files() -> dict[str, FileValue]:
    root = "staging/src/k8s.io"
    api_mod = (
        f"module k8s.io/api\n\ngo {GO_DIRECTIVE}\n\nrequire k8s.io/apimachinery v0.0.0\n\n"
        "replace k8s.io/apimachinery => ../apimachinery\n"
    )
    return {
        f"{root}/apimachinery/go.mod": f"module k8s.io/apimachinery\n\ngo {GO_DIRECTIVE}\n",
        f"{root}/apimachinery/pkg/apis/meta/v1/types.go": META_TYPES,
        f"{root}/apimachinery/pkg/util/sets/string.go": SETS,
        f"{root}/apimachinery/pkg/util/sets/string_test.go": SETS_TEST,
        f"{root}/api/go.mod": api_mod,
        f"{root}/api/core/v1/types.go": CORE_TYPES,
    }


def _version_go(version: str) -> str:
    return (
        "// Package version carries the version that release commits stamp.\n"
        f'package version\n\nvar gitVersion = "{version}"\n\n'
        "// Get returns the build's version.\nfunc Get() string { return gitVersion }\n"
    )


KUBE_VERSION_FILE: VersionFile = ("pkg/version/base.go", _version_go)

#: Each binary's own import besides pkg/version.
_COMMANDS = {
    "kube-apiserver": ("noderestriction", f"{MODULE}/plugin/pkg/admission/noderestriction"),
    "kubelet": ("kubelet", f"{MODULE}/pkg/kubelet"),
    "kubectl": ("sets", "k8s.io/apimachinery/pkg/util/sets"),
}

_CALLS = {
    "kube-apiserver": 'noderestriction.Admit(noderestriction.Request{User: "admin", Verb: "get"})',
    "kubelet": 'kubelet.NodeName(nil, "node-1")',
    "kubectl": 'sets.NewString("get", "list").Has("get")',
}


def _main_go(name: str, imp: tuple[str, str]) -> str:
    pkgs = "".join(f'\t"{p}"\n' for p in sorted((imp[1], f"{MODULE}/pkg/version")))
    return (
        f'package main\n\nimport (\n\t"fmt"\n\n{pkgs})\n\n'
        f'func main() {{\n\tfmt.Println("{name}", version.Get(), {_CALLS[name]})\n}}\n'
    )


NODE_USER = """
// NodeUser is the user name a node authenticates as.
func NodeUser(node *corev1.Node) string {
	return "system:node:" + node.Name
}
"""

KUBELET_PKG = """// Package kubelet runs pods on a node.
package kubelet

import corev1 "k8s.io/api/core/v1"

// NodeName returns the node's name, or fallback when there is no node yet.
func NodeName(node *corev1.Node, fallback string) string {
	if node == nil || node.Name == "" {
		return fallback
	}
	return node.Name
}
"""

KUBELET_TEST = """package kubelet

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestNodeName(t *testing.T) {
	node := &corev1.Node{}
	node.Name = "n1"
	if got := NodeName(node, "x"); got != "n1" {
		t.Errorf("NodeName = %q", got)
	}
	if got := NodeName(nil, "x"); got != "x" {
		t.Errorf("NodeName(nil) = %q", got)
	}
}
"""

META_TYPES = """// Package v1 holds object metadata shared by all API types.
package v1

// ObjectMeta is the metadata every object has.
type ObjectMeta struct {
	Name            string
	Namespace       string
	OwnerReferences []OwnerReference
}

// OwnerReference points at an object's owner.
type OwnerReference struct {
	Kind string
	Name string
}
"""

CORE_TYPES = """// Package v1 is the core API group.
package v1

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// Node is a worker machine.
type Node struct {
	metav1.ObjectMeta
	Unschedulable bool
}

// Pod is a group of containers.
type Pod struct {
	metav1.ObjectMeta
	NodeName string
}
"""

SETS = """// Package sets has set types.
package sets

// String is a set of strings.
type String map[string]struct{}

// NewString returns a set holding items.
func NewString(items ...string) String {
	s := String{}
	for _, item := range items {
		s[item] = struct{}{}
	}
	return s
}

// Has reports whether item is in the set.
func (s String) Has(item string) bool {
	_, ok := s[item]
	return ok
}
"""

SETS_TEST = """package sets

import "testing"

func TestHas(t *testing.T) {
	s := NewString("a", "b")
	if !s.Has("a") || s.Has("c") {
		t.Errorf("unexpected membership in %v", s)
	}
}
"""

# Kubernetes' Makefile hands WHAT to hack/make-rules/build.sh, which accepts
# "cmd/x", "./cmd/x" and "k8s.io/kubernetes/cmd/x" and writes _output/bin/x.
MAKEFILE = """# A miniature of Kubernetes' build entry points.
GO ?= go
OUT_DIR ?= _output
ALL_WHAT := cmd/kube-apiserver cmd/kubelet cmd/kubectl

.PHONY: all test clean

all:
\t@mkdir -p $(OUT_DIR)/bin
\t@for t in $(if $(WHAT),$(WHAT),$(ALL_WHAT)); do \\
\t\tt=$${t#./}; t=$${t#k8s.io/kubernetes/}; \\
\t\techo "+++ Building $$t"; \\
\t\t$(GO) build -mod=vendor -o $(OUT_DIR)/bin/$${t##*/} ./$$t || exit 1; \\
\tdone

test:
\t$(GO) test -mod=vendor $(if $(WHAT),$(WHAT),./...)

clean:
\trm -rf $(OUT_DIR)
"""

VERIFY_GOFMT = """#!/usr/bin/env bash
# Fails when a Go file is not gofmt-clean.
set -o errexit -o nounset -o pipefail
cd "$(dirname "$0")/.."
gofmt=$(command -v gofmt || echo "$(go env GOROOT)/bin/gofmt")
bad=$("$gofmt" -l cmd pkg plugin staging)
if [[ -n "$bad" ]]; then echo "not gofmt-clean: $bad"; exit 1; fi
"""
