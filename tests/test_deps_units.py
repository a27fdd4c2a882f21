"""The dependency lane's parts on their own: go.mod and modules.txt, Go records, ranges, symbols,
the Go release policy."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import semver

from ksp import gomod, versions
from ksp.deps import gopolicy, reach, vulndb
from ksp.deps.match import vulnerable
from ksp.errors import FormatError

DATA = Path(__file__).parent / "data" / "advisories" / "go-vulndb"


def test_go_mod_directives_blocks_comments_and_replacements() -> None:
    text = """module example.com/demo // the root

go 1.22.0
toolchain go1.22.5

require (
	golang.org/x/net v0.23.0
	github.com/pkg/errors v0.9.1 // indirect
)
require k8s.io/api v0.0.0
replace k8s.io/api => ./staging/src/k8s.io/api
replace (
	github.com/old/x v1.0.0 => github.com/new/x v1.2.0
)
"""
    mod = gomod.parse_go_mod(text)
    assert (mod.module, mod.go, mod.toolchain) == ("example.com/demo", "1.22.0", "1.22.5")
    assert [(r.path, r.version, r.indirect) for r in mod.requires] == [
        ("golang.org/x/net", "v0.23.0", False), ("github.com/pkg/errors", "v0.9.1", True),
        ("k8s.io/api", "v0.0.0", False)]
    assert mod.replaces == {"k8s.io/api": gomod.Requirement("./staging/src/k8s.io/api", ""),
                            "github.com/old/x": gomod.Requirement("github.com/new/x", "v1.2.0")}


def test_modules_txt_versions_and_replacements() -> None:
    text = ("# golang.org/x/net v0.23.0\n## explicit; go 1.18\ngolang.org/x/net/http2\n"
            "# github.com/old/x v1.0.0 => github.com/new/x v1.2.0\n## explicit\n"
            "# k8s.io/api v0.0.0 => ./staging/src/k8s.io/api\n")
    V = gomod.Vendored
    assert gomod.parse_modules_txt(text) == {
        "golang.org/x/net": V("v0.23.0"),
        "github.com/old/x": V("v1.0.0", "github.com/new/x v1.2.0"),
        "k8s.io/api": V("v0.0.0", "./staging/src/k8s.io/api")}
    # runc release-1.2 once built a patched copy of a module (a version and a local folder):
    forked = "# github.com/opencontainers/selinux v1.12.0 => ./internal/third_party/selinux\n"
    assert gomod.parse_modules_txt(forked)["github.com/opencontainers/selinux"] == V(
        "v1.12.0", "./internal/third_party/selinux")


@pytest.mark.parametrize(("text", "want"), [
    ("go1.22.5", "1.22.5"), ("1.22", "1.22.0"), ("1.23rc1", "1.23.0-rc.1"), ("banana", None)])
def test_go_versions_are_normalised(text: str, want: str | None) -> None:
    assert versions.go_release(text) == want


def _ranges(record: str, module: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    rec = vulndb.load(str(DATA / f"{record}.json"))[0]
    return next(a.ranges for a in rec.affected if a.module == module)


@pytest.mark.parametrize(("version", "hit", "fixed"), [
    ("1.21.8", True, "1.21.9"), ("1.21.9", False, None), ("1.22.0-rc.1", True, "1.22.2"),
    ("1.22.1", True, "1.22.2"), ("1.22.2", False, None), ("1.23.0", False, None)])
def test_stdlib_ranges_follow_osv_evaluation(version: str, hit: bool, fixed: str | None) -> None:
    got = vulnerable(_ranges("GO-2024-2687", "stdlib"), semver.Version.parse(version))
    assert (got[0], str(got[1]) if got[1] else None) == (hit, fixed)


def test_module_ranges_with_pseudo_versions() -> None:
    ranges = ((("introduced", "0.0.0-20220524220425-1d687d428aca"),
               ("fixed", "0.1.1-0.20221104162952-702349b0e862")),)
    inside = semver.Version.parse("0.1.0")
    before = semver.Version.parse("0.0.0-20210101000000-aaaaaaaaaaaa")
    assert vulnerable(ranges, inside)[0] is True
    assert vulnerable(ranges, before)[0] is False
    # Found on runc release-1.2: GO-2022-0493 fixes x/sys at a 0.0.0 pseudo-version, which
    # semver sorts before `introduced: "0"`; v0.28.0 is not affected.
    fixed_early = ((("introduced", "0"), ("fixed", "0.0.0-20220412211240-33da011f77ad")),)
    assert vulnerable(fixed_early, semver.Version.parse("0.28.0")) == (False, None)
    assert vulnerable(fixed_early, before)[0] is True
    assert vulnerable(((("introduced", "0"), ("last_affected", "1.2.0")),),
                      semver.Version.parse("1.2.0"))[0] is True
    # Found on runc release-1.2: GO-2022-0493 fixes x/sys at a 0.0.0 pseudo-version, which
    # semver sorts before `introduced: "0"`; v0.28.0 is not affected.
    fixed_early = ((("introduced", "0"), ("fixed", "0.0.0-20220412211240-33da011f77ad")),)
    assert vulnerable(fixed_early, semver.Version.parse("0.28.0")) == (False, None)
    assert vulnerable(fixed_early, before)[0] is True
    assert vulnerable(((("introduced", "0"), ("last_affected", "1.2.0")),),
                      semver.Version.parse("1.2.1"))[0] is False


def test_aliases_join_records_and_the_id_is_the_cve_else_the_go_id() -> None:
    base = vulndb.load(str(DATA / "GO-2024-3333.json"))[0]
    twin = vulndb.GoRecord("GO-2099-0001", "x", "same flaw", ("GHSA-w32m-9786-jp63",), None, (),
                           ())
    alone = vulndb.GoRecord("GO-2099-0002", "x", "no cve", ("GHSA-aaaa-bbbb-cccc",), None, (), ())
    groups = vulndb.join([base, twin, alone])
    assert sorted(groups) == ["CVE-2024-45338", "GO-2099-0002"]
    assert [r.id for r in groups["CVE-2024-45338"]] == ["GO-2024-3333", "GO-2099-0001"]


def test_the_database_folder_its_id_subfolder_and_bad_records(tmp_path: Path) -> None:
    assert len(vulndb.load(str(DATA))) == 7
    (tmp_path / "ID").mkdir()
    (tmp_path / "ID" / "GO-2024-3333.json").write_text((DATA / "GO-2024-3333.json").read_text())
    assert [r.id for r in vulndb.load(str(tmp_path))] == ["GO-2024-3333"]
    (tmp_path / "ID" / "GO-2024-9999.json").write_text('{"id": "GO-2024-9999", "affected": 3')
    with pytest.raises(FormatError) as truncated:
        vulndb.load(str(tmp_path))
    assert "GO-2024-9999.json" in str(truncated.value)
    assert "not valid JSON" in truncated.value.message
    record = json.loads((DATA / "GO-2024-3333.json").read_text())
    record["affected"] = "everything"
    (tmp_path / "ID" / "GO-2024-9999.json").write_text(json.dumps(record))
    with pytest.raises(FormatError) as invalid:
        vulndb.load(str(tmp_path))
    assert "not an OSV record: affected" in invalid.value.message


def test_symbols_by_name_aliases_and_dot_imports() -> None:
    pkg = "golang.org/x/net/html"
    assert reach._named(['import h "golang.org/x/net/html"\nvar _ = h.Parse'], pkg,
                        {"Parse"}) == "Parse"
    assert reach._named(["html.ParseWithOptionsX()"], pkg, {"Parse"}) is None
    assert reach._named(['import . "golang.org/x/net/html"'], pkg, {"Parse"}) == \
        "everything (dot-import)"
    assert reach._exported_method("Profile.ToASCII") and not reach._exported_method("p.process")
    assert reach._exported_function("Parse") and not reach._exported_function("parseDoctype")


def test_go_release_policy() -> None:
    day = dt.date(2026, 11, 22)
    old = gopolicy.support("1.22.12", day)
    assert old is not None and not old.supported and old.until == dt.date(2025, 2, 11)
    assert old.describe() == "Go 1.22 unsupported since 2025-02-11"
    new = gopolicy.support("1.26.1", day)
    assert new is not None and new.supported and new.estimated
    assert new.describe().startswith("Go 1.26 supported until ~2027-")


def test_a_module_replaced_by_a_copy_is_left_to_triage() -> None:
    """runc release-1.2 once built a patched copy of go-selinux from a local folder: the version
    it names is vulnerable, the code may not be."""
    from ksp.deps.derive import state
    from ksp.deps.inventory import Point, inventory_from
    from ksp.deps.lane import MinorLane
    from ksp.deps.match import match
    from ksp.model import Minor

    files = {"go.mod": "module example.com/demo\n\ngo 1.22\n\nrequire golang.org/x/net v0.22.0\n",
             "vendor/modules.txt": "# golang.org/x/net v0.22.0 => ./third_party/net\n"}
    point = Point(Minor(1, 31), "release-1.31", "a" * 40, "a" * 40)
    inv = inventory_from(files.get, list(files), point)
    assert inv.modules["golang.org/x/net"].replaced_by == "./third_party/net"
    records = vulndb.load(str(DATA / "GO-2024-3333.json"))
    found = match("CVE-2024-45338", records, inv)
    assert [(f.module, f.version, f.fixed, f.replaced_by) for f in found] == [
        ("golang.org/x/net", "v0.22.0", "v0.33.0", "./third_party/net")]
    lane = MinorLane(inv, inv, {"CVE-2024-45338": found}, {"CVE-2024-45338": found})
    got = state(None, lane, "CVE-2024-45338", records)  # type: ignore[arg-type]
    assert got.status.value == "needs-triage"
    assert "replaced by ./third_party/net" in (got.reason or "")
