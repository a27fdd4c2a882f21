"""Target and test selection on the Kubernetes-shaped fixture, and `make WHAT=` building it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from factories.gitenv import _user_gocache
from factories.goupstream import Upstream
from factories.kubelike import make_kube_like_upstream
from ksp.gate import _exec, goimports, toolchains
from ksp.gate.steps import run_steps
from ksp.gate.types import StepName, StepOutcome, StepsRequest
from ksp.git.series import PatchInput, apply_series
from ksp.git.shadow import Shadow
from ksp.model import Minor
from ksp.repo.config import Config

pytestmark = pytest.mark.go
GOCACHE = _user_gocache()  # at collection, while HOME is the developer's (warm cache)
CORE = "staging/src/k8s.io/api/core/v1/types.go"
SETS = "staging/src/k8s.io/apimachinery/pkg/util/sets/string.go"
NODE = "plugin/pkg/admission/noderestriction/admission.go"


@pytest.fixture(scope="module")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Upstream:
    return make_kube_like_upstream(tmp_path_factory.mktemp("kube") / "kubernetes")


@pytest.fixture(scope="module")
def graph(kube: Upstream) -> goimports.Graph:
    """The graph of the fixture's checkout (go list only reads the tree)."""
    tc = toolchains.probe(Path(shutil.which("go") or "go"))
    env = {**_exec.environment(tc, kube.path, {}), "GOCACHE": GOCACHE}
    found = goimports.Graph(goimports.find_modules(kube.path, "k8s.io/kubernetes"))
    found.packages = {p.path: p for p in goimports.go_list(kube.path, tc.go, env, vendor=True)}
    return found


def select(graph: goimports.Graph, kube: Upstream, *changed: str) -> tuple[tuple[str, ...],
                                                                           list[str]]:
    change = goimports.classify(changed, graph, kube.path)
    components = Config().components  # the Kubernetes profile's component map
    tests = [p.path for p in goimports.test_packages(graph, change)]
    return goimports.targets(graph, change, components), tests


def test_staging_modules_are_found_by_their_go_mod(graph: goimports.Graph) -> None:
    assert graph.modules == {".": "k8s.io/kubernetes",
                             "staging/src/k8s.io/api": "k8s.io/api",
                             "staging/src/k8s.io/apimachinery": "k8s.io/apimachinery"}


def test_admission_plugin_maps_to_the_apiserver_only(graph: goimports.Graph,
                                                    kube: Upstream) -> None:
    targets, tests = select(graph, kube, NODE, NODE.replace(".go", "_test.go"))
    assert targets == ("cmd/kube-apiserver",)
    assert tests == ["k8s.io/kubernetes/plugin/pkg/admission/noderestriction"]


def test_staging_api_maps_to_the_binaries_importing_it(graph: goimports.Graph,
                                                       kube: Upstream) -> None:
    targets, tests = select(graph, kube, CORE)
    assert targets == ("cmd/kube-apiserver", "cmd/kubelet")
    assert tests == ["k8s.io/api/core/v1"]


def test_a_vendored_copy_counts_as_the_package(graph: goimports.Graph, kube: Upstream) -> None:
    targets, tests = select(graph, kube, "vendor/k8s.io/apimachinery/pkg/util/sets/string.go")
    assert targets == ("cmd/kubectl",)
    assert tests == ["k8s.io/kubernetes/cmd/kubectl"]  # the direct users of a vendored package


def test_module_files_affect_the_whole_module(graph: goimports.Graph, kube: Upstream) -> None:
    everything = ("cmd/kube-apiserver", "cmd/kubectl", "cmd/kubelet")
    assert select(graph, kube, "go.mod")[0] == everything
    assert select(graph, kube, "vendor/modules.txt")[0] == everything
    assert select(graph, kube, "staging/src/k8s.io/apimachinery/go.mod")[0] == everything
    assert select(graph, kube, "README.md") == ((), [])


def test_pkg_version_reaches_every_binary(graph: goimports.Graph, kube: Upstream) -> None:
    assert select(graph, kube, "pkg/version/base.go")[0] == (
        "cmd/kube-apiserver", "cmd/kubectl", "cmd/kubelet")


def test_go_profile_without_components_builds_every_cmd(graph: goimports.Graph,
                                                        kube: Upstream) -> None:
    assert sorted(goimports.binaries(graph, {})) == [
        "cmd/kube-apiserver", "cmd/kubectl", "cmd/kubelet"]


def test_graph_round_trips_through_its_cache(graph: goimports.Graph, tmp_path: Path) -> None:
    goimports.save_graph(tmp_path, "abc", graph)
    again = goimports.load_graph(tmp_path, "abc")
    assert again is not None and again.packages == graph.packages
    (tmp_path / "abc.json").write_text("{not json")
    assert goimports.load_graph(tmp_path, "abc") is None


def test_make_what_builds_the_derived_targets(kube: Upstream, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GOCACHE", GOCACHE)
    text = kube.read(kube.branch("1.31"), CORE)
    field = "\tUnschedulable bool\n"
    patch = kube.make_patch(kube.branch("1.31"), {
        CORE: text.replace(field, field + "\tTainted       bool\n")})
    shadow = Shadow.open(kube.path)
    base = shadow.resolve(kube.branch("1.31"))
    series = apply_series(shadow, base, [PatchInput("0001.patch", patch.encode())])
    assert series.ok and series.head
    out = run_steps(StepsRequest(shadow, Minor.parse("1.31"), Config(), base, series.head,
                                 series.changed, tmp_path / "logs"))
    build = out.steps[0]
    assert (build.name, build.result) == (StepName.BUILD, StepOutcome.PASS)
    assert build.command == "make 'WHAT=cmd/kube-apiserver cmd/kubelet'"
    wt = tmp_path / "cache" / "worktrees" / shadow.path.name / "1.31"
    assert sorted(p.name for p in (wt / "_output" / "bin").iterdir()) == [
        "kube-apiserver", "kubelet"]
    # k8s.io/api/core/v1 has no test files here: nothing ran is an error, never a pass.
    assert [s.result for s in out.steps] == [StepOutcome.PASS] * 2 + [StepOutcome.ERROR]
    assert "no test ran" in out.steps[2].detail
    assert (tmp_path / "cache" / "graphs" / shadow.path.name / f"{base}.json").is_file()
    assert "-mod=vendor" in out.steps[2].command
