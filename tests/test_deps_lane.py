"""The dependency lane end to end on a factory upstream that vendors golang.org/x/net:
`ksp deps`, `ksp advisories import --go-vulndb`, reachability per binary, the series, the fix,
VEX, status, coverage. Real git, real Go (for the import graph)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from _gatekit import header, make_patches_repo
from factories.depsupstream import BRANCHES, bump_patch, make_deps_upstream
from factories.goupstream import Upstream
from ksp.cli.main import main
from ksp.model import Advisory, Minor
from ksp.repo.layout import open_repo

pytestmark = pytest.mark.go
DATA = Path(__file__).parent / "data" / "advisories" / "go-vulndb"
SCHEMA = json.loads((Path(__file__).parent / "data" / "schemas" /
                     "openvex-0.2.0.schema.json").read_text())
DAY = "2026-11-22"


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Upstream:
    return make_deps_upstream(tmp_path_factory.mktemp("deps") / "demo")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = make_patches_repo(tmp_path / "patches")
    releases = "".join(f"  - {{minor: '{m}', eol_planned: '2026-0{6 + i}-01'}}\n"
                       for i, (m, _v, _g) in enumerate(BRANCHES))
    (root / "lifecycle.yaml").write_text(
        f"schema: ksp-lifecycle/v1\nproject: demo\nreleases:\n{releases}")
    config = root / "ksp.yaml"
    config.write_text(config.read_text().replace("lifecycle: embedded",
                                                 "lifecycle: lifecycle.yaml"))
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def imported(capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream) -> str:
    code, out, err = run(capsys, "advisories", "import", "--repo", str(repo), "--go-vulndb",
                         str(DATA), "--upstream", str(up.path), "--date", DAY)
    assert code == 0, err
    return out


def index(repo: Path) -> dict[str, Advisory]:
    return dict(open_repo(repo).advisories())


def test_deps_reads_go_and_modules_per_minor(capsys: pytest.CaptureFixture[str], repo: Path,
                                            up: Upstream) -> None:
    code, out, _ = run(capsys, "deps", "--repo", str(repo), "--upstream", str(up.path),
                       "--date", DAY, "--format", "json")
    assert code == 0
    got = {m["minor"]: m for m in json.loads(out)["minors"]}
    for minor, net, go in BRANCHES:
        row = got[minor]
        assert (row["go"], row["go_source"]) == (go, ".go-version")
        assert row["modules"] == [{"path": "golang.org/x/net", "version": net,
                                   "source": "vendor/modules.txt", "indirect": False,
                                   "replaced_by": None}]
        assert row["base"] == up.rev(up.branch(minor)) and row["patches"] == 0


def test_a_series_that_bumps_a_module_changes_the_inventory(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream) -> None:
    folder = repo / "v1.32"
    folder.mkdir()
    (folder / "0001_INFRA-x-net-v0.33.0.patch").write_text(bump_patch(up, "1.32", "v0.33.0"))
    code, out, _ = run(capsys, "deps", "--repo", str(repo), "--upstream", str(up.path),
                       "--minor", "1.32", "--date", DAY)
    assert code == 0
    assert "changed by the series: golang.org/x/net v0.23.0 -> v0.33.0" in out
    assert "+ 1 patch:" in out


def test_import_matches_ranges_and_decides_reach_per_binary(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream) -> None:
    out = imported(capsys, repo, up)
    assert "7 Go records" in out
    advisories = index(repo)
    http2 = advisories["CVE-2023-45288"]
    assert (http2.scope.value, http2.project) == ("dependency", "golang.org/x/net")
    assert {"GO-2024-2687", "GHSA-4v7x-pqxf-cx7m"} <= set(http2.aliases)
    old = http2.minors[_m("1.31")]
    assert (old.status.value, old.version, old.fixed_version) == ("needed", "v0.22.0", "v0.23.0")
    assert [(m.module, m.version, m.fixed_version) for m in old.also] == \
        [("stdlib", "1.22.1", "1.22.2")]
    reach = {b.binary: b.reach.value for b in old.binaries}
    assert reach == {"demo-server": "imported", "demo-cli": "not-imported"}
    new = http2.minors[_m("1.33")]
    assert (new.status.value, new.justification.value) == (
        "not-affected", "vulnerable_code_not_present")
    html = advisories["CVE-2024-45338"].minors[_m("1.32")]
    assert (html.status.value, html.justification.value) == (
        "not-affected", "vulnerable_code_not_in_execute_path")
    assert html.binaries == ()  # every binary says the same: the reason keeps the evidence
    assert "no package of the binary names Parse, ParseFragment" in (html.reason or "")
    assert "does not import golang.org/x/net/html" in (html.reason or "")
    zipped = advisories["CVE-2024-24789"]
    assert zipped.scope.value == "toolchain"
    assert zipped.minors[_m("1.31")].status.value == "not-affected"
    dns = advisories["CVE-2024-24788"].minors[_m("1.31")]
    assert (dns.status.value, dns.fixed_version) == ("needed", "1.22.3")
    assert "GO-2020-0001" not in advisories and "CVE-2020-36567" not in advisories


def test_import_twice_changes_nothing_and_keeps_a_persons_status(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream) -> None:
    imported(capsys, repo, up)
    path = repo / "index.yaml"
    first = path.read_bytes()
    assert "index.yaml unchanged" in imported(capsys, repo, up)
    assert path.read_bytes() == first
    text = path.read_text()
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("'1.32'")
                and "no package of the binary names" in ln)
    path.write_text(text.replace(line, "      '1.32': {status: needed, reason: checked by hand}"))
    out = imported(capsys, repo, up)
    assert "CVE-2024-45338 1.32: recorded needed, derived not-affected" in out
    assert "checked by hand" in path.read_text()


def test_needed_items_name_their_fix(capsys: pytest.CaptureFixture[str], repo: Path,
                                     up: Upstream) -> None:
    imported(capsys, repo, up)
    code, out, _ = run(capsys, "deps", "--repo", str(repo), "--upstream", str(up.path),
                       "--minor", "1.31", "--date", DAY, "--format", "json")
    assert code == 0
    rows = {a["id"]: a for a in json.loads(out)["minors"][0]["advisories"]}
    bump = up.git("log", "--format=%H", "--grep", "vendor: golang.org/x/net v0.23.0",
                  up.branch("1.32")).strip()
    fix = rows["CVE-2023-45288"]["fix"]
    assert (fix["branch"], fix["commit"], fix["bumped_to"]) == ("release-1.32", bump, "v0.23.0")
    assert fix["command"] == f"ksp backport CVE-2023-45288 --commit {bump[:12]} --to 1.31"
    go = rows["CVE-2024-24788"]["fix"]
    assert (go["infra"], go["command"]) == ("INFRA-go-1.22.3", "ksp gate --minor 1.31 --go 1.22.3")
    assert go["policy"] == "Go 1.22 unsupported since 2025-02-11"
    far = rows["CVE-2026-39821"]["fix"]
    assert far["commit"] is None and "no newer release branch moved golang.org/x/net" in far["note"]


def test_a_proposed_bump_leaves_every_range_when_the_records_are_given(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream, tmp_path: Path) -> None:
    """Like logrus on runc release-1.1: the first newer version past the fix (v0.23.0 here) is
    affected again by a later range; only the record's ranges tell."""
    record = json.loads((DATA / "GO-2024-3333.json").read_text())
    record["id"], record["aliases"] = "GO-2099-0001", ["CVE-2099-0001"]
    record["affected"][0]["ranges"][0]["events"] = [
        {"introduced": "0"}, {"fixed": "0.22.1"}, {"introduced": "0.23.0"}, {"fixed": "0.33.0"}]
    record["affected"][0]["ecosystem_specific"]["imports"][0]["symbols"] = []
    db = tmp_path / "db"
    db.mkdir()
    (db / "GO-2099-0001.json").write_text(json.dumps(record))
    code, _, err = run(capsys, "advisories", "import", "--repo", str(repo), "--go-vulndb",
                       str(db), "--upstream", str(up.path), "--date", DAY)
    assert code == 0, err
    fixes = {}
    for extra in ((), ("--go-vulndb", str(db))):
        code, out, _ = run(capsys, "deps", "--repo", str(repo), "--upstream", str(up.path),
                           "--minor", "1.31", "--date", DAY, "--format", "json", *extra)
        row = json.loads(out)["minors"][0]["advisories"][0]
        fixes[bool(extra)] = (row["fixed_version"], row["fix"]["bumped_to"])
    assert fixes == {False: ("v0.22.1", "v0.23.0"), True: ("v0.22.1", "v0.33.0")}


def test_a_bump_is_in_progress_until_the_gate_passes_then_patched_and_fixed_in_vex(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream, tmp_path: Path) -> None:
    folder = repo / "v1.32"
    folder.mkdir()
    patch = folder / "0001_INFRA-x-net-v0.33.0.patch"
    patch.write_text(header("INFRA-x-net-v0.33.0") + bump_patch(up, "1.32", "v0.33.0"))
    imported(capsys, repo, up)
    state = index(repo)["CVE-2024-45338"].minors[_m("1.32")]
    assert (state.status.value, state.patch) == ("in-progress",
                                                 "v1.32/0001_INFRA-x-net-v0.33.0.patch")
    code, _, err = run(capsys, "gate", "--repo", str(repo), "--upstream", str(up.path),
                       "--patch", str(patch), "--minor", "1.32", "--record")
    assert code == 0, err
    imported(capsys, repo, up)
    state = index(repo)["CVE-2024-45338"].minors[_m("1.32")]
    assert (state.status.value, state.version, state.fixed_version) == (
        "patched", "v0.33.0", "v0.33.0")
    binary = tmp_path / "demo-server"
    binary.write_bytes(b"\x7fELF demo")
    code, out, _ = run(capsys, "vex", "--repo", str(repo), "--minor", "1.32", "--base",
                       "v1.32.0", "--artifact", str(binary), "--date", DAY)
    assert code == 0
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    stmt = next(s for s in doc["statements"] if s["vulnerability"]["name"] == "CVE-2024-45338")
    assert stmt["status"] == "fixed"
    assert stmt["products"][0]["subcomponents"][0]["@id"] == "pkg:golang/golang.org/x/net@v0.33.0"


def test_vex_states_each_binary_with_the_module_purl(
        capsys: pytest.CaptureFixture[str], repo: Path, up: Upstream, tmp_path: Path) -> None:
    imported(capsys, repo, up)
    server, cli = tmp_path / "demo-server", tmp_path / "demo-cli"
    server.write_bytes(b"server")
    cli.write_bytes(b"cli")
    code, out, _ = run(capsys, "vex", "--repo", str(repo), "--minor", "1.31", "--base",
                       "v1.31.0", "--artifact", str(server), "--artifact", str(cli),
                       "--date", DAY)
    assert code == 0
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    got = {(s["vulnerability"]["name"], s["products"][0]["@id"].split("@")[0]): s
           for s in doc["statements"]}
    on_server = got[("CVE-2023-45288", "pkg:generic/demo-server")]
    on_cli = got[("CVE-2023-45288", "pkg:generic/demo-cli")]
    assert on_server["status"] == "affected"
    assert "golang.org/x/net v0.23.0 or later" in on_server["action_statement"]
    assert [c["@id"] for c in on_server["products"][0]["subcomponents"]] == [
        "pkg:golang/golang.org/x/net@v0.22.0", "pkg:golang/stdlib@1.22.1"]
    assert (on_cli["status"], on_cli["justification"]) == (
        "not_affected", "vulnerable_code_not_in_execute_path")
    assert on_cli["impact_statement"].startswith("demo-cli does not link the vulnerable code "
                                                 "(golang.org/x/net, Go)")
    assert "GO-2024-2687" in on_server["vulnerability"]["aliases"]


def test_status_coverage_and_site_show_the_lane(capsys: pytest.CaptureFixture[str], repo: Path,
                                               up: Upstream, tmp_path: Path) -> None:
    imported(capsys, repo, up)
    code, out, _ = run(capsys, "status", "--repo", str(repo), "--upstream", str(up.path),
                       "--date", DAY, "--format", "json")
    assert code == 0
    rows = {r["minor"]: r for r in json.loads(out)["minors"]}
    assert rows["1.31"]["go"] == "1.22.1" and rows["1.31"]["go_supported"] is False
    assert rows["1.31"]["dependency"]["needed"] == 2 and rows["1.31"]["toolchain"]["needed"] == 1
    assert rows["1.31"]["gaps"] == 0  # the project's own gaps are counted apart
    code, out, _ = run(capsys, "coverage", "--repo", str(repo), "--date", DAY, "--format",
                       "markdown")
    assert "| 1.31 | 2 | 1 | 0 | 1 | 2 | 0 |" in out
    code, out, _ = run(capsys, "site", "build", "--repo", str(repo), "--out",
                       str(tmp_path / "site"), "--date", DAY)
    assert code == 0
    page = (tmp_path / "site" / "minors" / "v1.31.html").read_text()
    assert "Dependencies and Go toolchain" in page and "CVE-2024-24788" in page


def test_bad_input_is_one_line_and_writes_nothing(capsys: pytest.CaptureFixture[str],
                                                  repo: Path, up: Upstream,
                                                  tmp_path: Path) -> None:
    bad = tmp_path / "GO-2024-0001.json"
    bad.write_text("{not json")
    before = (repo / "index.yaml").read_bytes()
    code, _, err = run(capsys, "advisories", "import", "--repo", str(repo), "--go-vulndb",
                       str(bad), "--upstream", str(up.path), "--date", DAY)
    assert code == 1
    assert err.splitlines()[0].startswith(f"ksp: error: {bad}:1:")
    assert (repo / "index.yaml").read_bytes() == before
    code, _, err = run(capsys, "deps", "--repo", str(repo), "--upstream", str(tmp_path),
                       "--date", DAY)
    assert code == 1 and "not a git repository" in err


def _m(text: str) -> Minor:
    return Minor.parse(text)
