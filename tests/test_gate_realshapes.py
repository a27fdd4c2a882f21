"""The shapes real release branches have, each found on a real upstream (runc, etcd,
containerd, kubernetes/apiserver), as small fixtures on real git and real Go:
a root `package main`; a base that is not gofmt-clean or has vet findings; a GOPATH-era tree
without go.mod; a module tree without vendor/ served by a `file://` proxy; tests that cannot
start; a cgo file behind a build tag whose C header is missing.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from _gatekit import steps_on
from factories.goupstream import Upstream, make_go_upstream
from ksp.gate import diagnose
from ksp.gate.types import StepName, StepOutcome, StepResult, StepsOutcome
from ksp.model import Minor
from ksp.repo.config import Config, MinorSettings, default_commands

pytestmark = [pytest.mark.go, pytest.mark.usefixtures("shared_ksp_cache")]
MODULE = "example.com/demo"


def config(module: str = MODULE, minors: dict[str, MinorSettings] | None = None) -> Config:
    return Config(project="go", module=module, components={}, commands=default_commands("go"),
                  minors={Minor.parse(k): v for k, v in (minors or {}).items()})


def gate(up: Upstream, minor: str, patch: str, tmp_path: Path, cfg: Config | None = None,
         **kw: object) -> StepsOutcome:
    return steps_on(up.path, up.branch(minor), minor, [patch], tmp_path / "logs", cfg or config(),
                    retries=1, **kw)


def steps(out: StepsOutcome) -> dict[StepName, StepResult]:
    return {s.name: s for s in out.steps}


def results(out: StepsOutcome) -> dict[str, str]:
    return {s.name.value: s.result.value for s in out.steps}


def touch(up: Upstream, minor: str, path: str = "pkg/util/util.go", line: str = "// Reviewed.",
          ) -> str:
    text = up.read(up.branch(minor), path)
    return up.make_patch(up.branch(minor), {path: text + f"\n{line}\n"})


ROOT_MAIN = f"""package main

import (
\t"fmt"

\t"{MODULE}/pkg/util"
)

func main() {{ fmt.Println(util.IsBlank(" ")) }}
"""


def test_a_main_package_at_the_root_is_a_binary(tmp_path: Path) -> None:
    up = make_go_upstream(tmp_path / "up")
    up.commit(up.branch("1.30"), {"main.go": ROOT_MAIN}, "A root main, as runc has")
    out = gate(up, "1.30", touch(up, "1.30"), tmp_path)
    assert "." in out.targets and "cmd/demo-cli" in out.targets
    build = steps(out)[StepName.BUILD]
    assert build.result is StepOutcome.PASS
    assert build.command.split()[-len(out.targets):] == [
        t if t == "." else f"./{t}" for t in out.targets]


def test_the_component_map_names_the_binaries_instead(tmp_path: Path) -> None:
    up = make_go_upstream(tmp_path / "up")
    up.commit(up.branch("1.30"), {"main.go": ROOT_MAIN}, "A root main")
    cfg = Config(project="go", module=MODULE, components={"server": "cmd/demo-server"},
                 commands=default_commands("go"))
    out = gate(up, "1.30", touch(up, "1.30"), tmp_path, cfg)
    assert out.targets == ("cmd/demo-server",)


DIRTY = "\nvar   dirtyOnTheBase = 1\n"


def test_gofmt_judges_only_the_lines_the_series_writes(tmp_path: Path) -> None:
    up = make_go_upstream(tmp_path / "up")
    up.commit(up.branch("1.30"), {"pkg/util/util.go": up.read(up.branch("1.30"),
                                                              "pkg/util/util.go") + DIRTY},
              "A file that is not gofmt-clean on the base")
    clean = gate(up, "1.30", touch(up, "1.30"), tmp_path / "a")
    check = steps(clean)[StepName.TYPECHECK]
    assert check.result is StepOutcome.PASS
    assert "already not gofmt-clean on the base" in check.detail
    dirty = gate(up, "1.30", touch(up, "1.30", line="var  addedBadly=2"), tmp_path / "b")
    check = steps(dirty)[StepName.TYPECHECK]
    assert check.result is StepOutcome.FAIL
    assert "not gofmt-clean where the series changes it: pkg/util/util.go (line" in check.detail


def test_gofmt_can_be_switched_off_per_minor(tmp_path: Path) -> None:
    up = make_go_upstream(tmp_path / "up")
    cfg = config(minors={"1.30": MinorSettings(gofmt=False)})
    out = gate(up, "1.30", touch(up, "1.30", line="var  addedBadly=2"), tmp_path, cfg)
    check = steps(out)[StepName.TYPECHECK]
    assert check.result is StepOutcome.PASS and "gofmt" not in check.command


VET_BAD = 'package util\n\nimport "fmt"\n\nfunc Shout() string { return fmt.Sprintf("%d", "x") }\n'


def test_vet_findings_of_the_base_are_pre_existing_new_ones_fail(tmp_path: Path) -> None:
    up = make_go_upstream(tmp_path / "up")
    up.commit(up.branch("1.30"), {"pkg/util/shout.go": VET_BAD}, "A vet finding on the base")
    old = gate(up, "1.30", touch(up, "1.30"), tmp_path / "a")
    check = steps(old)[StepName.TYPECHECK]
    assert check.result is StepOutcome.PASS
    assert "1 pre-existing vet finding" in check.detail
    worse = up.make_patch(up.branch("1.30"), {"pkg/util/shout.go": VET_BAD + (
        'func Whisper() string { return fmt.Sprintf("%s", 1) }\n')})
    new = steps(gate(up, "1.30", worse, tmp_path / "b"))[StepName.TYPECHECK]
    assert new.result is StepOutcome.FAIL
    assert "1 new vet finding: pkg/util/shout.go: fmt.Sprintf format %s" in new.detail


def gopath_upstream(tmp_path: Path, module: str) -> Upstream:
    """A tree of the GOPATH era: no go.mod; packages import each other by `module`."""
    up = make_go_upstream(tmp_path / "old", module=module)
    up.commit(up.branch("1.30"), {"go.mod": None}, "Before Go modules")
    return up


def test_a_gopath_era_tree_builds_in_a_gopath_laid_out_by_ksp(tmp_path: Path) -> None:
    up = gopath_upstream(tmp_path, "example.org/old")
    cfg = config("", {"1.30": MinorSettings(import_path="example.org/old")})
    out = gate(up, "1.30", touch(up, "1.30"), tmp_path, cfg)
    assert results(out) == {"build": "pass", "typecheck": "pass", "test": "pass"}
    assert out.setup.startswith("GOPATH mode: example.org/old at ")
    link = Path(out.setup.rsplit(" at ", 1)[1])
    assert link.is_symlink() and link.parts[-3:] == ("src", "example.org", "old")


def test_a_gopath_tree_import_path_comes_from_its_import_comments(tmp_path: Path) -> None:
    up = gopath_upstream(tmp_path, "example.org/old")
    util = up.read(up.branch("1.30"), "pkg/util/util.go").replace(
        "package util", 'package util // import "example.org/old/pkg/util"', 1)
    up.commit(up.branch("1.30"), {"pkg/util/util.go": util}, "Canonical import comment")
    out = gate(up, "1.30", touch(up, "1.30"), tmp_path, config("example.com/wrong"))
    assert results(out) == {"build": "pass", "typecheck": "pass", "test": "pass"}
    assert "example.org/old" in out.setup


def test_a_gopath_tree_import_path_comes_from_its_own_imports(tmp_path: Path) -> None:
    """No setting, no import comment, a profile `module` of a later era (etcd 3.3 imports
    github.com/coreos/etcd, the profile says go.etcd.io/etcd): the tree's imports decide."""
    up = gopath_upstream(tmp_path, "example.org/old")
    out = gate(up, "1.30", touch(up, "1.30"), tmp_path, config("example.com/later"))
    assert results(out) == {"build": "pass", "typecheck": "pass", "test": "pass"}
    assert out.setup.startswith("GOPATH mode: example.org/old at ")


def test_a_gopath_tree_under_the_wrong_import_path_says_why(tmp_path: Path) -> None:
    up = gopath_upstream(tmp_path, "example.org/old")
    patch = touch(up, "1.30", "cmd/demo-cli/main.go")
    wrong = config(minors={"1.30": MinorSettings(import_path="example.com/wrong")})
    out = gate(up, "1.30", patch, tmp_path, wrong)
    build = steps(out)[StepName.BUILD]
    assert build.result is StepOutcome.ERROR  # the base cannot build there either
    assert "fails on the base too" in build.detail


def file_proxy(root: Path) -> str:
    """A GOPROXY folder serving example.org/textutil v1.2.3, as Go reads it offline."""
    at = root / "example.org" / "textutil" / "@v"
    at.mkdir(parents=True)
    (at / "list").write_text("v1.2.3\n")
    (at / "v1.2.3.info").write_text(json.dumps({"Version": "v1.2.3",
                                                "Time": "2024-01-01T00:00:00Z"}))
    mod = "module example.org/textutil\n\ngo 1.21\n"
    (at / "v1.2.3.mod").write_text(mod)
    with zipfile.ZipFile(at / "v1.2.3.zip", "w") as zf:
        prefix = "example.org/textutil@v1.2.3/"
        zf.writestr(prefix + "go.mod", mod)
        zf.writestr(prefix + "textutil.go", "package textutil\n\nimport \"strings\"\n\n"
                    "func TrimSpace(s string) string { return strings.TrimSpace(s) }\n")
    return root.as_uri()


@pytest.fixture
def unvendored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Upstream:
    """A module tree that needs example.org/textutil and has no vendor/ (like k8s.io/*)."""
    up = make_go_upstream(tmp_path / "mods", vendor=True)
    up.commit(up.branch("1.30"), {"vendor/modules.txt": None,
                                  "vendor/example.org/textutil/textutil.go": None},
              "Published without vendor/")
    monkeypatch.setenv("GOMODCACHE", str(tmp_path / "modcache"))  # empty: nothing cached
    return up


def test_missing_modules_are_one_line_and_every_step_is_error(unvendored: Upstream,
                                                              tmp_path: Path) -> None:
    out = gate(unvendored, "1.30", touch(unvendored, "1.30"), tmp_path)
    assert results(out) == {"build": "error", "typecheck": "error", "test": "error"}
    detail = steps(out)[StepName.BUILD].detail
    assert detail.startswith("1 module missing from the module cache: run `go mod download` in ")
    assert "or pass --goproxy URL" in detail and "example.org/textutil@v1.2.3" in detail
    assert not any(s.failures for s in out.steps)
    assert out.setup == "modules from the local module cache (GOPROXY=off)"


def test_a_file_proxy_serves_them_and_the_evidence_says_so(unvendored: Upstream,
                                                           tmp_path: Path) -> None:
    proxy = file_proxy(tmp_path / "proxy")
    out = gate(unvendored, "1.30", touch(unvendored, "1.30"), tmp_path / "a", goproxy=proxy)
    assert results(out) == {"build": "pass", "typecheck": "pass", "test": "pass"}
    assert out.setup == f"modules fetched through GOPROXY={proxy}"
    # The module cache now holds them: offline works.
    again = gate(unvendored, "1.30", touch(unvendored, "1.30", line="// Again."), tmp_path / "b")
    assert results(again) == {"build": "pass", "typecheck": "pass", "test": "pass"}
    assert again.setup == "modules from the local module cache (GOPROXY=off)"


INIT_PANIC = 'package util\n\nfunc init() { panic("cannot start: no /dev/kvm") }\n'


def test_tests_that_cannot_start_are_an_error_not_a_pass(tmp_path: Path) -> None:
    up = make_go_upstream(tmp_path / "up")
    up.commit(up.branch("1.30"), {"pkg/util/start_test.go": INIT_PANIC}, "Tests need a device")
    test = steps(gate(up, "1.30", touch(up, "1.30"), tmp_path, build=False))[StepName.TEST]
    assert test.result is StepOutcome.ERROR
    assert "cannot be tested on the base either: panic: cannot start: no /dev/kvm" in test.detail


def test_a_package_without_tests_is_an_error_not_a_pass(tmp_path: Path) -> None:
    up = make_go_upstream(tmp_path / "up")
    up.commit(up.branch("1.30"), {"pkg/util/util_test.go": None}, "No tests")
    test = steps(gate(up, "1.30", touch(up, "1.30"), tmp_path, build=False))[StepName.TEST]
    assert test.result is StepOutcome.ERROR
    assert test.detail.startswith("no test ran")


NATIVE_CGO = """//go:build !no_native
// +build !no_native

package native

/*
#include <ksp-missing/native.h>
*/
import "C"

func Name() string { return "native" }
"""
NATIVE_STUB = """//go:build no_native
// +build no_native

package native

func Name() string { return "stub" }
"""
NATIVE_TOOL = f"""package main

import (
\t"fmt"

\t"{MODULE}/pkg/native"
\t"{MODULE}/pkg/util"
)

func main() {{ fmt.Println(native.Name(), util.IsBlank("")) }}
"""


def test_a_missing_c_header_names_the_tag_that_avoids_it(tmp_path: Path) -> None:
    up = make_go_upstream(tmp_path / "up")
    up.commit(up.branch("1.30"), {"pkg/native/native_cgo.go": NATIVE_CGO,
                                  "pkg/native/native_stub.go": NATIVE_STUB,
                                  "cmd/native-tool/main.go": NATIVE_TOOL}, "A cgo tool")
    out = gate(up, "1.30", touch(up, "1.30"), tmp_path / "a", test=False)
    build = steps(out)[StepName.BUILD]
    assert build.result is StepOutcome.ERROR
    assert "missing C header ksp-missing/native.h" in build.detail
    assert "-tags no_native" in build.detail
    tagged = config(minors={"1.30": MinorSettings(tags=("no_native",))})
    again = gate(up, "1.30", touch(up, "1.30"), tmp_path / "b", tagged, test=False)
    assert steps(again)[StepName.BUILD].result is StepOutcome.PASS


@pytest.mark.parametrize(("log", "cause"), [
    ("go: go.mod requires go >= 1.30 (running go 1.27.3; GOTOOLCHAIN=local)",
     "GOTOOLCHAIN=local refused: the tree needs go 1.30, this is go 1.27.3"),
    ("write /tmp/go-build1/b001/exe/a.out: no space left on device", "out of disk space"),
    ("link: github.com/x/y: invalid reference to runtime.nanotime1",
     "toolchain too new for this tree"),
    ("note: module requires Go 1.29", "toolchain too old for this tree (module requires Go 1.29)"),
    ("package x: build constraints exclude all Go files in /w/pkg/x",
     "build constraints exclude every Go file of /w/pkg/x"),
    ("FAIL\texample.com/x [setup failed]", "the tests of example.com/x could not start"),
    ('x_test.go:21:2: cannot find package "github.com/stretchr/testify/assert" in any of:',
     "package github.com/stretchr/testify/assert is neither vendored nor in the GOPATH"),
    ("go: example.org/a@v1.0.0: module lookup disabled by GOPROXY=off\n"
     "go: example.org/b@v2.0.0: module lookup disabled by GOPROXY=off",
     "2 modules missing from the module cache"),
])
def test_root_causes_are_one_line(log: str, cause: str) -> None:
    found = diagnose.cause(log)
    assert found.startswith(cause) and "\n" not in found


def test_every_report_names_the_cause_and_the_evidence_the_setup(
        unvendored: Upstream, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The one-line cause in text, Markdown and JUnit; `--goproxy` recorded in the evidence."""
    from _gatekit import add_patch, make_patches_repo
    from ksp.cli.main import main

    repo = make_patches_repo(tmp_path / "patches")
    add_patch(repo, "1.30", 1, touch(unvendored, "1.30"))
    base = ["gate", "--repo", str(repo), "--upstream", str(unvendored.path), "--minor", "1.30"]
    reports = {}
    for fmt in ("text", "markdown", "junit"):
        assert main([*base, "--format", fmt]) == 1
        reports[fmt] = capsys.readouterr().out
    cause = "1 module missing from the module cache: run `go mod download` in "
    [line] = [x for x in reports["text"].splitlines() if x.startswith("  error           build")]
    assert cause in line
    assert f"⛔ error | {cause}" in reports["markdown"]
    suite = ET.fromstring(reports["junit"]).find("testsuite")
    assert suite is not None and suite.get("errors") == "3"
    messages = [e.get("message", "") for e in suite.iter("error")]
    assert messages[0].startswith(cause) and messages[1:] == ["not run: see build"] * 2
    proxy = file_proxy(tmp_path / "proxy")
    assert main([*base, "--goproxy", proxy, "--format", "json"]) == 0
    capsys.readouterr()
    record = json.loads((repo / ".ksp" / "evidence" / "1.30" / "evidence.json").read_text())
    assert record["go_setup"] == f"modules fetched through GOPROXY={proxy}"
    assert record["result"] == "pass"
    # The demo tree wants a Go that is not installed: the fallback is in the evidence too.
    assert record["warnings"] and "tree wants go" in record["warnings"][0]


def test_per_minor_settings_parse_and_bad_ones_are_one_line_errors(tmp_path: Path) -> None:
    from ksp.errors import FormatError
    from ksp.repo.config import parse

    good = parse({"project": "go", "minors": {"3.3": {
        "import_path": "github.com/coreos/etcd", "gofmt": False, "tags": ["no_btrfs"],
        "env": {"CGO_ENABLED": 0}, "test": "go test -short {packages}"}}}, tmp_path / "ksp.yaml")
    settings = good.settings(Minor.parse("3.3"))
    assert (settings.import_path, settings.gofmt, settings.vet, settings.tags) == (
        "github.com/coreos/etcd", False, True, ("no_btrfs",))
    commands = good.commands_for(Minor.parse("3.3"))
    assert commands.test == "go test -short {packages}" and commands.env == {"CGO_ENABLED": "0"}
    assert good.commands_for(Minor.parse("3.4")).test == "go test {packages}"
    for bad, message in [({"3.3": {"gofmt": "no"}}, "'minors.3.3.gofmt' must be bool"),
                         ({"3.3": {"colour": 1}}, "minors.3.3: unknown key 'colour'"),
                         ({"three": {}}, "minors:")]:
        with pytest.raises(FormatError) as info:
            parse({"project": "go", "minors": bad}, tmp_path / "ksp.yaml")
        assert message in str(info.value) and "\n" not in str(info.value)


def test_a_goproxy_that_is_not_a_url_is_a_one_line_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from _gatekit import make_patches_repo
    from ksp.cli.main import main

    repo = make_patches_repo(tmp_path / "patches")
    assert main(["gate", "--repo", str(repo), "--upstream", str(tmp_path), "--goproxy",
                 "proxy.local"]) == 2
    err = capsys.readouterr().err
    assert "--goproxy 'proxy.local' is not a proxy URL" in err
    assert not (repo / ".ksp").exists()


def test_goflags_of_the_layout_and_of_ksp_yaml_are_merged() -> None:
    from ksp.gate._exec import merge_goflags

    assert merge_goflags("-mod=mod -tags=no_native", "-tags=no_btrfs") == \
        "-mod=mod -tags=no_native,no_btrfs"
    assert merge_goflags("", "") == ""
