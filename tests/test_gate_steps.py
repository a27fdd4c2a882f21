"""The gate's build/test/typecheck steps on real git and real Go.

Upstreams are built once per module; the shadow, the worktrees and the import-graph cache live
in one module-wide KSP_CACHE_DIR, and Go's build cache is the developer's (warm), so a step
costs a few hundred milliseconds.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import TypedDict, Unpack

import pytest

from _gatekit import steps_on
from factories.goupstream import (
    Upstream,
    good_patch,
    make_go_upstream,
    patch_that_breaks_build,
    patch_that_breaks_test,
)
from ksp import versions
from ksp.errors import KspError
from ksp.gate import toolchains
from ksp.gate.types import FailureKind, StepName, StepOutcome, StepsOutcome
from ksp.model import Minor
from ksp.repo.config import Commands, Config, KnownFailure, default_commands

pytestmark = [pytest.mark.go, pytest.mark.usefixtures("shared_ksp_cache")]
# Found now, at collection, while HOME is still the developer's: tests then share a warm cache.

MODULE = "example.com/demo"
GO_CONFIG = Config(project="go", module=MODULE, components={},
                   commands=default_commands("go"))

BROKEN_TEST = """package util

import "testing"

func TestBrokenOnBase(t *testing.T) { t.Error("this branch has always failed here") }
"""

FLAKY_TEST = """package util

import (
	"os"
	"path/filepath"
	"testing"
)

// Fails on the first run only: a counter file in $KSP_FLAKY_DIR remembers.
func TestFlaky(t *testing.T) {
	mark := filepath.Join(os.Getenv("KSP_FLAKY_DIR"), "ran")
	if _, err := os.Stat(mark); err != nil {
		_ = os.WriteFile(mark, nil, 0o644)
		t.Fatal("first run fails")
	}
}
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Upstream:
    """The demo upstream; release-1.31 has a test that always fails, 1.32 a flaky one."""
    up = make_go_upstream(tmp_path_factory.mktemp("demo") / "demo")
    up.commit(up.branch("1.31"), {"pkg/util/broken_test.go": BROKEN_TEST}, "A broken test")
    up.commit(up.branch("1.32"), {"pkg/util/flaky_test.go": FLAKY_TEST}, "A flaky test")
    return up


def touch_util(up: Upstream, minor: str) -> str:
    """A harmless change to pkg/util (whose tests then run)."""
    text = up.read(up.branch(minor), "pkg/util/util.go")
    return up.make_patch(up.branch(minor), {"pkg/util/util.go": text + "\n// Reviewed.\n"})


class StepsOptions(TypedDict, total=False):
    """The `StepsRequest` fields a test may set beyond what the series gives."""

    build: bool
    test: bool
    toolchains: tuple[str, ...]
    timeout: int
    retries: int


def gate(up: Upstream, minor: str, patches: list[str], tmp_path: Path, *,
         config: Config = GO_CONFIG, **kw: Unpack[StepsOptions]) -> StepsOutcome:
    return steps_on(up.path, up.branch(minor), minor, patches, tmp_path / "logs", config, **kw)


def step(outcome: StepsOutcome, name: StepName) -> StepOutcome:
    [found] = [s for s in outcome.steps if s.name is name]
    return found.result


def go_version() -> str:
    return toolchains.probe(Path(shutil.which("go") or "go")).version


def test_good_series_passes_every_step(demo: Upstream, tmp_path: Path) -> None:
    out = gate(demo, "1.30", [good_patch(demo, "1.30")], tmp_path)
    assert [(s.name, s.result) for s in out.steps] == [
        (StepName.BUILD, StepOutcome.PASS), (StepName.TYPECHECK, StepOutcome.PASS),
        (StepName.TEST, StepOutcome.PASS)]
    assert out.targets == ("cmd/demo-server",)  # demo-cli does not import pkg/auth
    assert out.packages == (f"{MODULE}/pkg/auth",)
    assert out.worktree is None
    build = out.steps[0]
    assert build.command.endswith("build ./cmd/demo-server")
    assert build.toolchain == go_version()
    assert build.log and Path(build.log).is_file()


def test_patch_that_breaks_the_build_fails_build(demo: Upstream, tmp_path: Path) -> None:
    out = gate(demo, "1.30", [patch_that_breaks_build(demo, "1.30")], tmp_path)
    assert step(out, StepName.BUILD) is StepOutcome.FAIL
    assert step(out, StepName.TYPECHECK) is StepOutcome.FAIL
    log = Path(out.steps[0].log or "").read_text()
    assert "too many arguments" in log
    assert out.worktree is not None and (out.worktree / "pkg/auth/auth.go").is_file()


def test_patch_that_builds_but_breaks_a_test_fails_the_gate(demo: Upstream,
                                                            tmp_path: Path) -> None:
    out = gate(demo, "1.30", [patch_that_breaks_test(demo, "1.30")], tmp_path, retries=1)
    assert step(out, StepName.BUILD) is StepOutcome.PASS
    assert step(out, StepName.TEST) is StepOutcome.FAIL
    [failure] = out.steps[-1].failures
    assert (failure.package, failure.test, failure.kind) == (
        f"{MODULE}/pkg/auth", "TestAdmit", FailureKind.NEW)


def test_failure_on_the_base_too_is_pre_existing(demo: Upstream, tmp_path: Path) -> None:
    out = gate(demo, "1.31", [touch_util(demo, "1.31")], tmp_path, build=False, retries=1)
    test = out.steps[-1]
    assert test.result is StepOutcome.PASS
    assert [(f.test, f.kind) for f in test.failures] == [
        ("TestBrokenOnBase", FailureKind.PRE_EXISTING)]
    assert "on the base" in Path(test.log or "").read_text()


def test_failure_that_passes_on_retry_is_flaky(demo: Upstream, tmp_path: Path) -> None:
    flag = tmp_path / "flaky"
    flag.mkdir()
    commands = Commands(build="go build {targets}", test="go test {packages}",
                        typecheck="go vet {packages}", env={"KSP_FLAKY_DIR": str(flag)})
    config = Config(project="go", module=MODULE, components={}, commands=commands)
    out = gate(demo, "1.32", [touch_util(demo, "1.32")], tmp_path, config=config, build=False)
    test = out.steps[-1]
    assert test.result is StepOutcome.PASS
    assert [(f.test, f.kind) for f in test.failures] == [("TestFlaky", FailureKind.FLAKY)]
    assert (flag / "ran").exists()  # the variable went through the scrubbed environment


@pytest.mark.parametrize(("expires", "kind", "result"), [
    (dt.date(2020, 1, 1), FailureKind.NEW, StepOutcome.FAIL),
    (dt.date(2999, 1, 1), FailureKind.KNOWN, StepOutcome.PASS),
])
def test_known_failures_count_only_until_they_expire(
        demo: Upstream, tmp_path: Path, expires: dt.date, kind: FailureKind,
        result: StepOutcome) -> None:
    entry = KnownFailure(f"{MODULE}/pkg/auth.TestAdmit", "upstream bug 123", expires)
    config = Config(project="go", module=MODULE, components={}, commands=GO_CONFIG.commands,
                    known_failures={Minor.parse("1.30"): (entry,)})
    out = gate(demo, "1.30", [patch_that_breaks_test(demo, "1.30")], tmp_path, config=config,
               build=False, retries=0)
    assert out.steps[-1].result is result
    assert [f.kind for f in out.steps[-1].failures] == [kind]


def test_worktree_is_reused_in_the_cache_and_not_in_the_clone(
        demo: Upstream, tmp_path: Path, shared_ksp_cache: Path) -> None:
    before = demo.git("worktree", "list", "--porcelain"), demo.git("status", "--porcelain")
    first = gate(demo, "1.33", [touch_util(demo, "1.33")], tmp_path / "a", build=False)
    [wt] = [p for p in (shared_ksp_cache / "worktrees").glob("*/1.33") if p.is_dir()]
    readme = (wt / "README.md").stat()
    (wt / "stray.txt").write_text("left by a build\n")
    second = gate(demo, "1.33", [good_patch(demo, "1.33")], tmp_path / "b", build=False)
    assert first.steps[-1].result is second.steps[-1].result is StepOutcome.PASS
    again = (wt / "README.md").stat()
    assert (again.st_ino, again.st_mtime_ns) == (readme.st_ino, readme.st_mtime_ns)
    assert "system:anonymous" in (wt / "pkg/auth/auth.go").read_text()
    assert "Reviewed" not in (wt / "pkg/util/util.go").read_text()
    assert not (wt / "stray.txt").exists()
    after = demo.git("worktree", "list", "--porcelain"), demo.git("status", "--porcelain")
    assert after == before
    assert after[0].count("worktree ") == 1  # the clone has no linked worktree


def test_each_toolchain_runs_every_step(demo: Upstream, tmp_path: Path) -> None:
    go = Path(shutil.which("go") or "go")
    goroot = toolchains.probe(go).goroot
    out = gate(demo, "1.30", [good_patch(demo, "1.30")], tmp_path,
               toolchains=(str(go), str(goroot)))
    assert len(out.steps) == 6
    assert all(s.result is StepOutcome.PASS and s.toolchain == go_version() for s in out.steps)
    logs = {s.log for s in out.steps}
    assert len(logs) == 6 and all(Path(p or "").is_file() for p in logs)


def test_a_step_that_outlives_its_timeout_is_killed(demo: Upstream, tmp_path: Path) -> None:
    commands = Commands(build="sh -c 'sleep 60' {targets}", test="go test {packages}",
                        typecheck="go vet {packages}")
    config = Config(project="go", module=MODULE, components={}, commands=commands)
    out = gate(demo, "1.30", [good_patch(demo, "1.30")], tmp_path, config=config, test=False,
               timeout=1)
    build = out.steps[0]
    assert build.result is StepOutcome.FAIL and "timed out" in build.detail
    assert "killed after 1 s" in Path(build.log or "").read_text()


def test_tree_go_version_is_the_default_and_its_absence_is_reported(
        demo: Upstream, tmp_path: Path) -> None:
    tree = demo.export(demo.branch("1.30"), tmp_path / "tree")
    assert toolchains.wanted_version(tree) == "1.22.12"
    tc, note = toolchains.default(tree)
    assert tc.version == go_version()
    assert note == f"warning: tree wants go1.22.12, not found; using {go_version()} from PATH"
    (tree / ".go-version").unlink()
    parsed = versions.go_release_parts(go_version())
    assert parsed is not None
    major, minor, patch = parsed
    # Another patch release of the same minor line as the Go on PATH: the minor line serves it.
    sibling = f"{major}.{minor}.{(patch or 0) + 1}"
    (tree / "go.mod").write_text(f"module {MODULE}\n\ngo 1.21\n\ntoolchain go{sibling}\n")
    assert toolchains.wanted_version(tree) == sibling
    assert toolchains.default(tree) == (tc, f"tree wants go{sibling}; using {go_version()}")
    exact = go_version().removeprefix("go")
    (tree / "go.mod").write_text(f"module {MODULE}\n\ngo 1.21\n\ntoolchain go{exact}\n")
    assert toolchains.default(tree) == (tc, "")


def test_go_specs_resolve_paths_versions_and_folders(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    go = Path(shutil.which("go") or "go")
    real = toolchains.probe(go)
    assert toolchains.resolve(str(go)) == real
    assert toolchains.resolve(str(real.goroot)) == real
    minor = ".".join(real.version.removeprefix("go").split(".")[:2])
    assert toolchains.resolve(minor).version == real.version
    assert toolchains.resolve(real.version).version == real.version
    with pytest.raises(KspError) as missing:
        toolchains.resolve("1.9")
    assert "no Go toolchain 1.9" in str(missing.value)
    with pytest.raises(KspError) as bogus:
        toolchains.resolve("latest")
    assert "neither a path nor a Go version" in str(bogus.value)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # only the configured folder has Go now
    monkeypatch.setenv("KSP_GO_TOOLCHAINS", str(real.goroot.parent))
    assert toolchains.resolve(minor).goroot == real.goroot


VET_FINDING_TEST = """package util

import (
	"fmt"
	"testing"
)

// A vet finding (printf: %d of a string) that the branch has always had; the test passes.
func TestFormatted(t *testing.T) {
	if fmt.Sprintf("%d", "x") == "" {
		t.Fatal("empty")
	}
}
"""


@pytest.fixture(scope="module")
def vetdemo(tmp_path_factory: pytest.TempPathFactory) -> Upstream:
    """The demo upstream; release-1.30 has a test file with a vet finding."""
    up = make_go_upstream(tmp_path_factory.mktemp("vetdemo") / "demo")
    up.commit(up.branch("1.30"), {"pkg/util/vet_test.go": VET_FINDING_TEST}, "A vet finding")
    return up


def test_go_test_skips_its_vet_when_the_typecheck_step_vetted_the_packages(
        vetdemo: Upstream, tmp_path: Path) -> None:
    """`go test` runs a subset of go vet's analyzers by default. After ksp's own `go vet` of the
    same packages it runs with -vet=off: the analysis is not done twice, and a finding the
    base already had (judged by the typecheck step) does not stop the tests from running."""
    out = gate(vetdemo, "1.30", [touch_util(vetdemo, "1.30")], tmp_path)
    typecheck = next(s for s in out.steps if s.name is StepName.TYPECHECK)
    tests = next(s for s in out.steps if s.name is StepName.TEST)
    assert typecheck.result is StepOutcome.PASS, typecheck.detail
    assert "1 pre-existing vet finding" in typecheck.detail
    assert tests.result is StepOutcome.PASS, tests.detail
    assert "-vet=off" in tests.command
    # Without the build (and so without the typecheck step), go test keeps its own vet, which
    # fails the package on the base as well: the tests could not run.
    alone = gate(vetdemo, "1.30", [touch_util(vetdemo, "1.30")], tmp_path / "alone",
                 build=False)
    [only] = alone.steps
    assert "-vet=off" not in only.command
    assert only.result is StepOutcome.ERROR, only.detail
    assert "cannot be tested on the base either" in only.detail
