"""The fixture factories keep their promises: with real git, and real go where marked.

Every other test builds on these upstreams, so a factory that silently builds
the wrong shape would make those tests pass or fail for the wrong reason.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from factories import (
    Executable,
    Symlink,
    Upstream,
    git,
    git_env,
    go_env,
    good_patch,
    good_patch_stacked,
    make_go_upstream,
    make_kube_like_upstream,
    patch_that_breaks_build,
    patch_that_breaks_test,
    patch_that_drifts,
    patch_that_fails_to_apply,
)

MINORS = ("1.30", "1.31", "1.32", "1.33")


# --- fixtures and helpers ------------------------------------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Upstream:
    """Shared and read-only: tests that commit build their own."""
    return make_go_upstream(tmp_path_factory.mktemp("demo") / "up")


@pytest.fixture(scope="module")
def kube(tmp_path_factory: pytest.TempPathFactory) -> Upstream:
    return make_kube_like_upstream(tmp_path_factory.mktemp("kube") / "up")


@pytest.fixture
def fresh(tmp_path: Path) -> Upstream:
    return make_go_upstream(tmp_path / "up")


def apply_cached(
    up: Upstream, ref: str, patch: str, *flags: str
) -> subprocess.CompletedProcess[str]:
    """``git apply --cached`` on ``ref``'s tree in a throwaway index, as the gate does."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**up.env, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git(up.path, "read-tree", ref, env=env)
        return subprocess.run(
            ["git", "-C", str(up.path), "apply", "--cached", *flags],
            input=patch, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip


def checkout_with(up: Upstream, ref: str, dest: Path, *patches: str) -> Path:
    """An export of ``ref`` with ``patches`` applied: a build dir outside the repo."""
    up.export(ref, dest)
    for patch in patches:
        git(dest, "apply", env=up.env, input=patch)
    return dest


def run_go(up: Upstream, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["go", *args], cwd=cwd, env=go_env(up.env), capture_output=True, text=True, check=False
    )


def run_ok(up: Upstream, cwd: Path, *args: str) -> str:
    proc = run_go(up, cwd, *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def run_make(up: Upstream, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", *args], cwd=cwd, env=go_env(up.env), capture_output=True, text=True, check=False
    )


def state(up: Upstream) -> tuple[str, str, str]:
    """What a user would notice changing in their clone: HEAD, status, refs."""
    return (up.git("symbolic-ref", "HEAD"), up.git("status", "--porcelain"), up.git("show-ref"))


# --- gitenv --------------------------------------------------------------------


def test_git_env_is_isolated_from_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_DIR", "/nonexistent")
    monkeypatch.setenv("GIT_INDEX_FILE", "/nonexistent/index")
    env = git_env(tmp_path / "home")
    assert "GIT_DIR" not in env and "GIT_INDEX_FILE" not in env
    assert env["HOME"] == str(tmp_path / "home") and env["GIT_CONFIG_NOSYSTEM"] == "1"
    git(tmp_path, "init", "-q", "repo", env=env)
    origins = git(tmp_path / "repo", "config", "--list", "--show-scope", env=env)
    assert {line.split("\t")[0] for line in origins.splitlines()} == {"local", "command"}


def test_same_factory_same_shas(tmp_path: Path) -> None:
    first = make_go_upstream(tmp_path / "a")
    second = make_go_upstream(tmp_path / "b")
    assert first.git("show-ref") == second.git("show-ref")
    first_kube = make_kube_like_upstream(tmp_path / "c")
    assert first_kube.git("show-ref") == make_kube_like_upstream(tmp_path / "d").git("show-ref")


# --- goupstream: shape ---------------------------------------------------------


def test_branches_and_annotated_tags(demo: Upstream) -> None:
    assert demo.minors == MINORS
    for minor in MINORS:
        tip = demo.rev(demo.branch(minor))
        assert demo.rev(demo.tag(minor, 1)) == tip
        assert demo.rev(demo.tag(minor, 0)) == demo.rev(f"{tip}^")
        assert demo.git("cat-file", "-t", demo.tag(minor, 0)).strip() == "tag"
        assert demo.read(demo.tag(minor, 1), "pkg/util/version.go").count(f"v{minor}.1") == 1


def test_older_branches_lack_newer_main_commits(demo: Upstream) -> None:
    steps = demo.git("log", "--format=%H %s", "main").splitlines()
    step_sha = {subject: sha for sha, subject in (line.split(" ", 1) for line in steps)}
    for i, minor in enumerate(MINORS):
        files = demo.git("ls-tree", "-r", "--name-only", demo.branch(minor)).split()
        assert f"pkg/features/step{i}.go" in files or i == 0
        assert f"pkg/features/step{i + 1}.go" not in files
        later = step_sha[f"main: step {i + 1}"]
        merge_base = subprocess.run(
            ["git", "-C", str(demo.path), "merge-base", "--is-ancestor", later, demo.branch(minor)],
            env=demo.env, check=False,
        )  # fmt: skip
        assert merge_base.returncode == 1
    assert "pkg/features/step4.go" in demo.git("ls-tree", "-r", "--name-only", "main")


def test_checkout_is_clean_on_main(demo: Upstream) -> None:
    assert demo.git("symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert demo.git("status", "--porcelain") == ""
    assert (demo.path / "cmd/demo-server/main.go").is_file()


def test_go_version_moves_with_the_minors(demo: Upstream) -> None:
    versions = [demo.go_version(minor) for minor in MINORS]
    assert versions == ["1.22.12", "1.23.12", "1.24.13", "1.25.7"]
    assert "\ngo 1.22\n" in demo.read("main", "go.mod")


def test_templates_are_honoured(tmp_path: Path) -> None:
    up = make_go_upstream(
        tmp_path / "c",
        minors=("1.7",),
        branch_template="release/{minor}",
        tag_template="v{minor}.{patch}-x",
    )
    assert up.rev("release/1.7") == up.rev("v1.7.1-x")


# --- goupstream: helpers -------------------------------------------------------


def test_commit_on_other_branch_leaves_the_clone_alone(fresh: Upstream) -> None:
    before, parent = state(fresh), fresh.rev("release-1.30")
    sha = fresh.commit("release-1.30", {"NEW.md": "new\n", "README.md": None}, "Edit")
    assert fresh.rev("release-1.30") == sha and fresh.rev(f"{sha}^") == parent
    assert fresh.read(sha, "NEW.md") == "new\n"
    assert "README.md" not in fresh.git("ls-tree", "--name-only", sha)
    after = state(fresh)
    assert after[:2] == before[:2] and after[2] != before[2]


def test_commit_on_checked_out_branch_keeps_status_clean(fresh: Upstream) -> None:
    fresh.commit(
        "main", {"bin/run.sh": Executable("#!/bin/sh\n"), "link": Symlink("README.md")}, "Add"
    )
    assert fresh.git("status", "--porcelain") == ""
    assert (fresh.path / "link").is_symlink() and (fresh.path / "bin/run.sh").stat().st_mode & 0o111
    assert "120000" in fresh.git("ls-tree", "main", "link")


def test_commit_sha_depends_only_on_history(tmp_path: Path) -> None:
    a, b = make_go_upstream(tmp_path / "a"), make_go_upstream(tmp_path / "b")
    assert a.commit("release-1.31", {"x": "1\n"}, "m") == b.commit(
        "release-1.31", {"x": "1\n"}, "m"
    )


def test_diff_is_a_plain_full_index_diff_of_one_commit(fresh: Upstream) -> None:
    sha = fresh.commit("release-1.32", {"pkg/util/util.go": "package util\n"}, "Shrink")
    diff = fresh.diff(sha)
    assert diff.startswith("diff --git a/pkg/util/util.go b/pkg/util/util.go\n")
    assert re.search(r"^index [0-9a-f]{40}\.\.[0-9a-f]{40} 100644$", diff, re.M)
    assert apply_cached(fresh, f"{sha}^", diff).returncode == 0


def test_make_patch_commits_and_stores_nothing(fresh: Upstream) -> None:
    before = (state(fresh), fresh.git("count-objects", "-v"))
    patch = fresh.make_patch("release-1.31", {"pkg/util/extra.go": "package util\n"})
    assert (state(fresh), fresh.git("count-objects", "-v")) == before
    assert patch.startswith(
        "diff --git a/pkg/util/extra.go b/pkg/util/extra.go\nnew file mode 100644\n"
    )
    assert apply_cached(fresh, "release-1.31", patch, "--check").returncode == 0


# --- patch kinds (git only) ----------------------------------------------------


@pytest.mark.parametrize("minor", MINORS)
def test_good_patch_applies_exactly(demo: Upstream, minor: str) -> None:
    proc = apply_cached(demo, demo.branch(minor), good_patch(demo, minor), "-v")
    assert proc.returncode == 0, proc.stderr
    assert "offset" not in proc.stderr and "pkg/auth/auth_test.go" in proc.stderr


def test_stacked_patch_needs_the_first(demo: Upstream) -> None:
    first, second = good_patch(demo, "1.31"), good_patch_stacked(demo, "1.31")
    assert apply_cached(demo, "release-1.31", second, "--check").returncode != 0
    assert apply_cached(demo, "release-1.31", first + second, "--check").returncode == 0


@pytest.mark.parametrize("minor", MINORS)
def test_patch_that_fails_to_apply_fails_even_with_3way(demo: Upstream, minor: str) -> None:
    patch = patch_that_fails_to_apply(demo, minor)
    assert apply_cached(demo, demo.branch(minor), patch, "--check").returncode != 0
    three_way = apply_cached(demo, demo.branch(minor), patch, "--3way")
    assert three_way.returncode != 0
    assert "repository lacks the necessary blob" in three_way.stderr


@pytest.mark.parametrize("minor", MINORS)
def test_patch_that_drifts_applies_only_with_an_offset(demo: Upstream, minor: str) -> None:
    proc = apply_cached(demo, demo.branch(minor), patch_that_drifts(demo, minor), "-v")
    assert proc.returncode == 0, proc.stderr
    assert "(offset 3 lines)" in proc.stderr


def test_breaking_patches_apply_cleanly(demo: Upstream) -> None:
    for patch in (patch_that_breaks_build(demo, "1.30"), patch_that_breaks_test(demo, "1.30")):
        proc = apply_cached(demo, "release-1.30", patch, "-v")
        assert proc.returncode == 0 and "offset" not in proc.stderr, proc.stderr


# --- kubelike (git only) -------------------------------------------------------


def test_kube_like_shape(kube: Upstream) -> None:
    assert kube.module == "k8s.io/kubernetes" and kube.minors == ("1.31", "1.32")
    tree = kube.git("ls-tree", "-r", "release-1.31")
    assert "120000 blob" in _line(tree, "vendor/k8s.io/api")
    assert kube.read("release-1.31", "vendor/k8s.io/api") == "../../staging/src/k8s.io/api"
    assert "100755 blob" in _line(tree, "hack/verify-gofmt.sh")
    go_mod = kube.read("release-1.31", "go.mod")
    assert (
        "\tk8s.io/api v0.0.0\n" in go_mod and "\tk8s.io/api => ./staging/src/k8s.io/api\n" in go_mod
    )
    for path in (
        "staging/src/k8s.io/api/go.mod",
        "staging/src/k8s.io/apimachinery/go.mod",
        "Makefile",
        ".go-version",
    ):
        assert f"\t{path}\n" in tree + "\n"
    assert (kube.path / "vendor/k8s.io/api/core/v1/types.go").is_file()


def test_kube_patch_kinds_target_the_admission_plugin(kube: Upstream) -> None:
    patch = good_patch(kube, "1.32")
    assert "plugin/pkg/admission/noderestriction/admission.go" in patch
    assert apply_cached(kube, "release-1.32", patch, "--check").returncode == 0
    drift = apply_cached(kube, "release-1.32", patch_that_drifts(kube, "1.32"), "-v")
    assert "(offset 3 lines)" in drift.stderr


def _line(tree: str, path: str) -> str:
    return next(line for line in tree.splitlines() if line.endswith(f"\t{path}"))


# --- real go -------------------------------------------------------------------


@pytest.mark.go
@pytest.mark.parametrize("ref", ["release-1.30", "main"])
def test_demo_builds_vets_and_tests(demo: Upstream, tmp_path: Path, ref: str) -> None:
    tree = demo.export(ref, tmp_path / "src")
    run_ok(demo, tree, "build", "./...")
    run_ok(demo, tree, "vet", "./...")
    assert "ok  \texample.com/demo/pkg/auth" in run_ok(demo, tree, "test", "./...")


@pytest.mark.go
def test_demo_import_graph_tells_binaries_apart(demo: Upstream) -> None:
    cli = run_ok(demo, demo.path, "list", "-deps", "./cmd/demo-cli").split()
    server = run_ok(demo, demo.path, "list", "-deps", "./cmd/demo-server").split()
    assert "example.com/demo/pkg/util" in cli and "example.com/demo/pkg/auth" not in cli
    assert {"example.com/demo/pkg/util", "example.com/demo/pkg/auth"} <= set(server)


@pytest.mark.go
def test_good_patch_builds_and_passes(demo: Upstream, tmp_path: Path) -> None:
    tree = checkout_with(demo, "release-1.33", tmp_path / "src", good_patch(demo, "1.33"))
    out = run_ok(demo, tree, "test", "-run", "TestAdmit", "-v", "./pkg/auth")
    assert "--- PASS: TestAdmitRejectsAnonymous" in out


@pytest.mark.go
def test_patch_that_breaks_build_breaks_only_the_server(demo: Upstream, tmp_path: Path) -> None:
    tree = checkout_with(
        demo, "release-1.30", tmp_path / "src", patch_that_breaks_build(demo, "1.30")
    )
    run_ok(demo, tree, "build", "./cmd/demo-cli")
    proc = run_go(demo, tree, "build", "./cmd/demo-server")
    assert proc.returncode != 0 and "too many arguments" in proc.stderr


@pytest.mark.go
def test_patch_that_breaks_test_builds_but_fails_go_test(demo: Upstream, tmp_path: Path) -> None:
    tree = checkout_with(
        demo, "release-1.31", tmp_path / "src", patch_that_breaks_test(demo, "1.31")
    )
    run_ok(demo, tree, "build", "./...")
    proc = run_go(demo, tree, "test", "./pkg/auth")
    assert proc.returncode != 0 and "user watches" in proc.stdout


@pytest.mark.go
def test_vendored_demo_builds_only_in_vendor_mode(tmp_path: Path) -> None:
    up = make_go_upstream(tmp_path / "up", vendor=True)
    tree = up.export("release-1.30", tmp_path / "src")
    run_ok(up, tree, "build", "./...")
    assert run_go(up, tree, "build", "-mod=mod", "./...").returncode != 0


@pytest.mark.go
def test_kube_like_make_what_builds_one_binary(kube: Upstream, tmp_path: Path) -> None:
    tree = kube.export("release-1.31", tmp_path / "src")
    proc = run_make(kube, tree, "WHAT=cmd/kubectl")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in (tree / "_output/bin").iterdir()) == ["kubectl"]


@pytest.mark.go
def test_kube_like_vendor_is_what_go_mod_vendor_writes(kube: Upstream, tmp_path: Path) -> None:
    tree = kube.export("release-1.32", tmp_path / "src")
    assert "ok  \tk8s.io/kubernetes/plugin/pkg/admission/noderestriction" in run_ok(
        kube, tree, "test", "-mod=vendor", "./..."
    )
    run_ok(kube, tree, "mod", "vendor", "-o", str(tmp_path / "vendor"))
    assert (tmp_path / "vendor/modules.txt").read_text() == (
        tree / "vendor/modules.txt"
    ).read_text()
    gofmt = Path(run_ok(kube, tree, "env", "GOROOT").strip()) / "bin" / "gofmt"
    assert subprocess.run([str(gofmt), "-l", "cmd", "pkg", "plugin", "staging"], cwd=tree,
                          capture_output=True, text=True, check=True).stdout == ""  # fmt: skip


@pytest.mark.go
@pytest.mark.parametrize(
    ("binary", "inside", "outside"),
    [
        ("kubectl", "k8s.io/apimachinery/pkg/util/sets", "k8s.io/api/core/v1"),
        (
            "kube-apiserver",
            "k8s.io/kubernetes/plugin/pkg/admission/noderestriction",
            "k8s.io/apimachinery/pkg/util/sets",
        ),
        ("kubelet", "k8s.io/api/core/v1", "k8s.io/kubernetes/plugin/pkg/admission/noderestriction"),
    ],
)
def test_kube_like_import_graph(kube: Upstream, binary: str, inside: str, outside: str) -> None:
    deps = run_ok(kube, kube.path, "list", "-mod=vendor", "-deps", f"./cmd/{binary}").split()
    assert inside in deps and outside not in deps


@pytest.mark.go
def test_kube_like_breaking_patch_fails_only_the_apiserver(kube: Upstream, tmp_path: Path) -> None:
    tree = checkout_with(
        kube, "release-1.31", tmp_path / "src", patch_that_breaks_build(kube, "1.31")
    )
    ok = run_make(kube, tree, "WHAT=./cmd/kubelet k8s.io/kubernetes/cmd/kubectl")
    bad = run_make(kube, tree, "WHAT=cmd/kube-apiserver")
    assert ok.returncode == 0, ok.stderr
    assert bad.returncode != 0 and "too many arguments" in bad.stderr


# --- bench/_synth --------------------------------------------------------------


@pytest.fixture(scope="module")
def synth_mod() -> Iterator[ModuleType]:
    """bench/ is not a package: load _synth.py by path."""
    path = Path(__file__).resolve().parents[1] / "bench" / "_synth.py"
    spec = importlib.util.spec_from_file_location("_ksp_bench_synth", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def test_synthetic_series_is_cumulative_and_fix_lands_as_promised(
    synth_mod: ModuleType, tmp_path: Path
) -> None:
    synth = synth_mod.make_synthetic_upstream(tmp_path / "up", files=1500, series=6)
    up = Upstream(path=synth.path, module="k8s.io/kubernetes", minors=synth.minors, home=synth.home)
    assert [name for name, _ in synth.patches][:2] == [
        "0001_CVE-2025-0001.patch",
        "0002_CVE-2025-0002.patch",
    ]
    assert len(up.git("ls-tree", "-r", "--name-only", "release-1.30").split()) > 1500
    first = synth.patches[0][1]
    assert apply_cached(up, "release-1.30", first, "--reverse", "--check").returncode != 0
    applied = ""
    for k, (_, text) in enumerate(synth.patches):
        if k:
            assert apply_cached(up, "release-1.30", text, "--check").returncode != 0
        applied += text
        proc = apply_cached(up, "release-1.30", applied, "-v")
        assert proc.returncode == 0 and "offset" not in proc.stderr, proc.stderr
    new_name, new_text = synth.new_patch()
    assert new_name == "0007_CVE-2025-0007.patch"
    assert apply_cached(up, "release-1.30", applied + new_text, "--check").returncode == 0
    assert apply_cached(up, "release-1.30", new_text, "--check").returncode != 0
    fix = synth_mod.make_fix_commit_on_main(synth)
    diff = up.diff(fix.sha)
    for minor, outcome in fix.outcome.items():
        plain = apply_cached(up, f"release-{minor}", diff, "--check").returncode == 0
        merged = apply_cached(up, f"release-{minor}", diff, "--3way").returncode == 0
        assert (plain, merged) == {
            "clean": (True, True),
            "3way": (False, True),
            "conflict": (False, False),
        }[outcome]
