"""Review that means something: OWNERS rules, SSH-signed series (real ssh-keygen, keys made per
test), the gate attestation, apply --require-signed, revocation and the PR trust rule."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from _reviewkit import Scene, make_scene, write_owners, write_signers
from factories.goupstream import Upstream, make_go_upstream


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Upstream:
    return make_go_upstream(tmp_path_factory.mktemp("review") / "demo")


@pytest.fixture
def scene(tmp_path: Path, up: Upstream, capsys: pytest.CaptureFixture[str]) -> Scene:
    return make_scene(tmp_path, up, capsys)


def signed_off(scene: Scene) -> Scene:
    """The gate ran, alice signed both patches and the attestation: a clean sign-off."""
    scene.gate()
    rc, _, err = scene.sign("alice")
    assert rc == 0, err
    rc, _, err = scene.sign_attestation("alice")
    assert rc == 0, err
    return scene


def consumer_tree(scene: Scene, tmp_path: Path) -> Path:
    tree = tmp_path / "consumer"
    subprocess.run(["git", "clone", "-q", "-b", "release-1.30", str(scene.up.path), str(tree)],
                   check=True)
    return tree


def apply_signed(scene: Scene, tree: Path) -> tuple[int, str, str]:
    return scene.ksp("apply", "--minor", "1.30", "--to", str(tree), "--require-signed")


def test_a_good_sign_off_passes_lint_and_apply_and_says_who_signed(
        scene: Scene, tmp_path: Path) -> None:
    signed_off(scene)
    folder = scene.root / "v1.30"
    assert sorted(p.name for p in folder.iterdir() if not p.name.endswith(".patch")) == [
        "GATE.intoto.json", "GATE.intoto.json.@alice.sig", "SERIES", "SERIES.@alice.sig"]
    series = (folder / "SERIES").read_text().splitlines()
    assert series[:2] == ["ksp-series v1", "minor 1.30"]
    assert series[2] == f"base release-1.30 {scene.up.rev('release-1.30')}"
    assert [line.split()[1] for line in series[3:]] == [p.name for p in scene.patches]
    assert scene.findings() == []
    tree = consumer_tree(scene, tmp_path)
    rc, out, err = apply_signed(scene, tree)
    assert rc == 0, err
    assert out.splitlines()[0].startswith("v1.30/SERIES signed by @alice 20")
    assert "gate attestation by @alice" in out
    assert "2 applied" in out


def test_two_approvers_for_a_rewritten_patch(tmp_path: Path, up: Upstream,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    scene = make_scene(tmp_path, up, capsys, backport="rewritten")
    scene.gate()
    assert scene.sign("alice")[0] == 0
    assert scene.sign_attestation("alice")[0] == 0
    errors = scene.findings()
    # The header names one approver (KSP603); the missing signature is not reported again.
    assert {(c, f) for c, f, _ in errors} == {("KSP603", p.relative_to(scene.root).as_posix())
                                               for p in scene.patches}
    assert any("review.rewritten needs 2 distinct approvers, has 1" in m for _, _, m in errors)
    _, out, _ = scene.ksp("lint", "--format", "json")
    hints = {f["hint"] for f in json.loads(out)["findings"] if f["code"] == "KSP603"}
    assert hints == {"may sign: @bob, @carol"}  # not alice again, not the fixer
    assert scene.sign("bob")[0] == 0
    first = scene.patches[0].read_text()
    assert "# SRC Reviewer: @alice, @bob\n" in first
    # bob's sign-off changed the headers, so alice signed an earlier manifest.
    codes = {c for c, _, _ in scene.findings()}
    assert codes == {"KSP613"}
    assert ("KSP612", "v1.30/SERIES.@alice.sig",
            "@alice signed an earlier version: needs a new signature") in scene.warnings()
    assert scene.sign("alice")[0] == 0
    assert scene.patches[0].read_text() == first  # already named: the header keeps its bytes
    assert scene.findings() == []


def test_the_fixer_may_not_sign_their_own_patch(scene: Scene) -> None:
    scene.gate()
    before = {p: p.read_bytes() for p in scene.root.rglob("*") if p.is_file()
              and ".git" not in p.parts}
    rc, _, err = scene.sign("fixer")
    assert rc == 1
    assert "SRC Reviewer @fixer is the patch's fixer (review.security)" in err
    assert "may sign instead: @alice, @bob, @carol" in err
    after = {p: p.read_bytes() for p in scene.root.rglob("*") if p.is_file()
             and ".git" not in p.parts}
    assert after == before, "a refusal writes nothing"
    # The same sign-off written by hand is caught by lint.
    for patch in scene.patches:
        patch.write_text(patch.read_text().replace("# SRC Reviewer:\n",
                                                   "# SRC Reviewer: @fixer\n"))
    assert ("KSP602", "v1.30/0001_CVE-2025-1001.patch",
            "SRC Reviewer @fixer is the patch's fixer (review.security)") in scene.findings()


def test_a_non_approver_is_refused_and_their_signature_counts_for_nothing(
        scene: Scene) -> None:
    scene.gate()
    rc, _, err = scene.sign("mallory")
    assert rc == 1 and "@mallory is not an approver in OWNERS" in err
    assert "may sign: @alice, @bob, @carol, @fixer" in err
    # Mallory has a key but OWNERS does not list her; signing with alice's name and her key:
    rc, _, err = scene.sign("alice", key="mallory")
    assert rc == 1 and "does not verify as @alice" in err
    assert not (scene.root / "v1.30" / "SERIES").exists()
    # By hand: header names mallory, and mallory's key is added to ALLOWED_SIGNERS.
    write_signers(scene.root, [scene.keys[h] for h in ("alice", "mallory")])
    write_owners(scene.root, ["alice", "mallory"])
    assert scene.sign("mallory")[0] == 0
    write_owners(scene.root, ["alice"])  # OWNERS as it really is
    errors = scene.findings()
    assert ("KSP601", "v1.30/0001_CVE-2025-1001.patch",
            "SRC Reviewer @mallory is not an approver in OWNERS (review.security)") in errors
    assert ("KSP603", "v1.30/0001_CVE-2025-1001.patch",
            "review.security needs 1 distinct approvers, has 0") in errors


def test_an_approver_named_by_hand_who_did_not_sign(scene: Scene) -> None:
    scene.gate()
    second = scene.patches[1]
    second.write_text(second.read_text().replace("# SRC Reviewer:\n",
                                                 "# SRC Reviewer: @alice\n"))
    assert scene.sign("bob", scene.patches[0])[0] == 0  # bob signs the series, for 0001
    errors = {(c, f, m) for c, f, m in scene.findings() if c == "KSP613"}
    assert errors == {("KSP613", "v1.30/0002_CVE-2025-1002.patch",
                       "review.security needs 1 approvers' signatures on v1.30/SERIES, has 0 "
                       "(@alice named but not signed)")}


def test_a_patch_edited_after_signing_is_refused_by_lint_and_apply(
        scene: Scene, tmp_path: Path) -> None:
    signed_off(scene)
    patch = scene.patches[1]
    patch.write_text(patch.read_text().replace("+", "+ ", 1).replace("+ ++", "+++", 1))
    text = patch.read_text()
    added = next(ln for ln in text.splitlines() if ln.startswith("+") and ln[1:2] != "+")
    patch.write_text(text.replace(added, added + " // after review", 1))
    errors = scene.findings()
    assert ("KSP610", "v1.30/0002_CVE-2025-1002.patch",
            "changed since the series was signed (v1.30/SERIES)") in errors
    tree = consumer_tree(scene, tmp_path)
    head = subprocess.run(["git", "-C", str(tree), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout
    rc, _, err = apply_signed(scene, tree)
    assert rc == 1
    assert err.startswith("ksp: error: v1.30/0002_CVE-2025-1002.patch: changed since the "
                          "series was signed (v1.30/SERIES); nothing was applied")
    assert "nothing was applied" in err and "signed by @alice" in err
    assert subprocess.run(["git", "-C", str(tree), "status", "--porcelain"],
                          capture_output=True, text=True, check=True).stdout == ""
    assert subprocess.run(["git", "-C", str(tree), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout == head


def test_a_reordered_series_is_refused(scene: Scene, tmp_path: Path) -> None:
    signed_off(scene)
    first, second = scene.patches
    swap = first.with_name("swap")
    first.rename(swap)
    second.rename(first.with_name("0001_CVE-2025-1002.patch"))
    swap.rename(second.with_name("0002_CVE-2025-1001.patch"))
    messages = {m for c, _, m in scene.findings() if c == "KSP610"}
    assert ("reordered (signed as 0002_CVE-2025-1002.patch) since the series was signed "
            "(v1.30/SERIES)") in messages
    rc, _, err = apply_signed(scene, consumer_tree(scene, tmp_path))
    assert rc == 1 and "reordered" in err


def test_a_revoked_key_invalidates_its_signatures(scene: Scene, tmp_path: Path) -> None:
    signed_off(scene)
    # Revocation: alice's key leaves ALLOWED_SIGNERS (OWNERS unchanged).
    write_signers(scene.root, [scene.keys[h] for h in ("bob", "carol")])
    errors = scene.findings()
    assert ("KSP611", "v1.30/SERIES.@alice.sig") in {(c, f) for c, f, _ in errors}
    rc, _, err = apply_signed(scene, consumer_tree(scene, tmp_path))
    assert rc == 1 and "SERIES.@alice.sig" in err and "does not verify" in err
    # A consumer's pinned copy of ALLOWED_SIGNERS is used instead of the repo's.
    pinned = tmp_path / "pinned_signers"
    write_signers(tmp_path, [scene.keys["alice"]])
    shutil.move(tmp_path / "ALLOWED_SIGNERS", pinned)
    rc, _, err = scene.ksp("apply", "--minor", "1.30", "--to", str(tmp_path / "consumer"),
                           "--require-signed", "--allowed-signers", str(pinned), "--dry-run")
    assert rc == 0, err


def test_a_key_valid_before_a_date_keeps_earlier_signatures(scene: Scene) -> None:
    signed_off(scene)
    # alice left OWNERS after signing: her key is valid before tomorrow only.
    write_owners(scene.root, ["bob", "carol"])
    write_signers(scene.root, [scene.keys[h] for h in ("alice", "bob", "carol")],
                  {"alice": 'valid-before="29991231"'})
    assert scene.findings() == []
    warned = scene.warnings()
    assert ("KSP615", "v1.30/SERIES.@alice.sig") in {(c, f) for c, f, _ in warned}
    assert any("needs a new signature from a current approver" in m for _, _, m in warned)
    # A key valid before a date already past at signing: the signature is refused.
    write_signers(scene.root, [scene.keys[h] for h in ("alice", "bob", "carol")],
                  {"alice": 'valid-before="20000101"'})
    assert "KSP611" in {c for c, _, _ in scene.findings()}


def test_a_pull_request_cannot_add_its_own_approver_or_key(scene: Scene) -> None:
    scene.gate()
    base = scene.commit("base: OWNERS and ALLOWED_SIGNERS without mallory")
    # The PR: mallory adds herself to OWNERS and ALLOWED_SIGNERS, then signs.
    write_owners(scene.root, ["alice", "bob", "carol", "fixer", "mallory"])
    write_signers(scene.root, [scene.keys[h] for h in ("alice", "mallory")])
    assert scene.sign("mallory")[0] == 0
    assert scene.sign_attestation("mallory")[0] == 0
    scene.commit("PR: mallory signs")
    assert scene.findings() == [], "the PR's own files would accept it"
    errors = {(c, f) for c, f, _ in scene.findings("--since", base)}
    assert ("KSP611", "v1.30/SERIES.@mallory.sig") in errors
    assert ("KSP601", "v1.30/0001_CVE-2025-1001.patch") in errors


def test_a_pull_request_that_deletes_a_signature_is_refused(scene: Scene) -> None:
    signed_off(scene)
    base = scene.commit("signed")
    (scene.root / "v1.30" / "SERIES.@alice.sig").unlink()
    errors = {(c, f) for c, f, _ in scene.findings("--since", base)}
    assert ("KSP617", "v1.30/SERIES.@alice.sig") in errors


def test_the_attestation_must_match_the_signed_series(scene: Scene) -> None:
    scene.gate()
    assert scene.sign("alice")[0] == 0
    assert ("KSP620", "v1.30/GATE.intoto.json") in {(c, f) for c, f, _ in scene.findings()}
    assert scene.sign_attestation("alice")[0] == 0
    statement = json.loads((scene.root / "v1.30" / "GATE.intoto.json").read_text())
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://in-toto.io/attestation/test-result/v0.1"
    assert [s["name"] for s in statement["subject"]] == [
        "v1.30/SERIES", "v1.30/0001_CVE-2025-1001.patch", "v1.30/0002_CVE-2025-1002.patch"]
    assert statement["predicate"]["result"] == "PASSED"
    assert statement["predicate"]["configuration"][0]["digest"] == {
        "gitCommit": scene.up.rev("release-1.30")}
    assert scene.findings() == []
    # Another series signed on the same base (a patch removed), the old attestation kept:
    scene.patches[1].unlink()
    assert scene.sign("alice", scene.patches[0])[0] == 0
    errors = {(c, f, m) for c, f, m in scene.findings()}
    assert ("KSP620", "v1.30/GATE.intoto.json", "the attestation is for another series than "
            "v1.30/SERIES (base or a patch's diff differs)") in errors


def test_infra_patches_follow_their_own_rule_set(tmp_path: Path, up: Upstream,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    scene = make_scene(tmp_path, up, capsys)
    second = scene.patches[1]
    text = second.read_text()
    diff = text[text.index("diff --git "):]
    from _reviewkit import header

    infra = second.with_name("0002_INFRA-go-bump.patch")
    infra.write_text(header("INFRA-go-bump") + diff)
    second.unlink()
    config = scene.root / "ksp.yaml"
    config.write_text(config.read_text().replace("infra: {approvers: 1}",
                                                 "infra: {approvers: 2}"))
    scene.gate()
    assert scene.sign("alice")[0] == 0
    errors = {(c, f, m) for c, f, m in scene.findings() if c == "KSP603"}
    assert errors == {("KSP603", "v1.30/0002_INFRA-go-bump.patch",
                       "review.infra needs 2 distinct approvers, has 1")}


def test_owners_aliases_and_a_bad_owners_file(scene: Scene) -> None:
    (scene.root / "OWNERS").write_text("approvers:\n  - src-leads\n")
    (scene.root / "OWNERS_ALIASES").write_text("aliases:\n  src-leads:\n    - Alice\n")
    scene.gate()
    rc, _, err = scene.sign("alice")
    assert rc == 0, err
    assert not {c for c, _, _ in scene.findings()} & {"KSP601", "KSP602", "KSP603", "KSP613"}
    (scene.root / "OWNERS").write_text("approvers: alice\n")
    rc, out, _ = scene.ksp("lint", "--format", "json")
    assert rc == 1
    [finding] = [f for f in json.loads(out)["findings"] if f["code"] == "KSP604"]
    assert finding["file"] == "OWNERS" and "must be a list of handles" in finding["message"]


def test_a_signature_file_that_is_not_one_is_a_finding_with_its_line(scene: Scene) -> None:
    signed_off(scene)
    sig = scene.root / "v1.30" / "SERIES.@alice.sig"
    sig.write_text(sig.read_text().replace("signer: alice", "signer alice"))
    errors = scene.findings()
    assert ("KSP611", "v1.30/SERIES.@alice.sig") in {(c, f) for c, f, _ in errors}
    series = scene.root / "v1.30" / "SERIES"
    series.write_text(series.read_text().replace("minor 1.30", "minor: 1.30"))
    _, out, _ = scene.ksp("lint", "--format", "json")
    [finding] = [f for f in json.loads(out)["findings"] if f["code"] == "KSP610"]
    assert finding["file"] == "v1.30/SERIES" and finding["line"] == 2


def test_default_key_is_gits_user_signingkey(scene: Scene) -> None:
    scene.gate()
    rc, _, err = scene.ksp("sign", str(scene.patches[0]), "--reviewer", "@alice")
    assert rc == 2 and "user.signingkey is not set" in err
    subprocess.run(["git", "-C", str(scene.root), "config", "user.signingkey",
                    str(scene.keys["alice"].private)], check=True)
    rc, out, err = scene.ksp("sign", str(scene.patches[0]), "--reviewer", "@alice")
    assert rc == 0, err
    assert "signed v1.30/SERIES (base release-1.30 " in out


def test_provenance_in_coverage_vex_and_the_site(tmp_path: Path, up: Upstream,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    scene = make_scene(tmp_path, up, capsys, backport="rewritten")
    scene.gate()
    assert scene.sign("alice")[0] == 0
    assert scene.sign("bob")[0] == 0
    rc, out, err = scene.ksp("coverage", "--format", "json", "--date", "2026-11-22")
    assert rc == 0, err
    cells = [c for row in json.loads(out)["rows"] for c in row["cells"] if c["patch"]]
    assert {c["patch"]: c["provenance"] for c in cells} == {
        p.relative_to(scene.root).as_posix(): {"backport": "rewritten", "tests": None,
                                               "reviewers": ["@alice", "@bob"]}
        for p in scene.patches}
    _, text, _ = scene.ksp("coverage", "--date", "2026-11-22")
    assert "patched (rewritten)" in text
    assert "Provenance of the patches" in text and "@alice, @bob" in text
    rc, out, err = scene.ksp("vex", "--minor", "1.30", "--base", "v1.30.1", "--broad",
                             "--date", "2026-11-22")
    assert rc == 0, err
    statements = [s for s in json.loads(out)["statements"] if s["status"] == "fixed"]
    assert statements and all(
        "a rewrite of the upstream fix for this minor, reviewed by @alice and @bob" in
        s["impact_statement"] and "--require-signed" in s["action_statement"]
        for s in statements)
    site = tmp_path / "site"
    from ksp.cli.main import main

    assert main(["site", "build", "--repo", str(scene.root), "--out", str(site), "--date",
                 "2026-11-22"]) == 0
    page = (site / "minors" / "v1.30.html").read_text()
    assert '<span class="backport"' in page and "reviewed by @alice, @bob" in page


def test_bad_trust_files_and_review_config_are_one_line_errors(scene: Scene) -> None:
    scene.gate()
    signers = scene.root / "ALLOWED_SIGNERS"
    good = signers.read_text()
    signers.write_text(good + 'bob valid-before="soon" ssh-ed25519 AAAA\n')
    before = scene.patches[0].read_bytes()
    rc, _, err = scene.sign("alice")
    assert rc == 1
    assert err.splitlines()[0].endswith(
        "ALLOWED_SIGNERS:6: valid-before 'soon' is not YYYYMMDD[HHMM[SS]]")
    assert scene.patches[0].read_bytes() == before
    assert not (scene.root / "v1.30" / "SERIES").exists()
    signers.write_text(good)
    config = scene.root / "ksp.yaml"
    config.write_text(config.read_text().replace("infra: {approvers: 1}",
                                                 "infra: {approvers: 0}"))
    rc, _, err = scene.sign("alice")
    assert rc == 1 and "review.infra.approvers must be at least 1" in err


def test_a_failed_gate_run_is_attested_as_failed_and_not_signed(scene: Scene) -> None:
    from factories.goupstream import patch_that_fails_to_apply

    second = scene.patches[1]
    text = second.read_text()
    second.write_text(text[:text.index("diff --git ")] + patch_that_fails_to_apply(scene.up,
                                                                                   "1.30"))
    rc, _, _ = scene.ksp("gate", "--upstream", str(scene.up.path), "--minor", "1.30",
                         "--no-build", "--no-test")
    assert rc == 1
    local = scene.root / ".ksp" / "evidence" / "1.30" / "attestation.intoto.json"
    assert json.loads(local.read_text())["predicate"]["result"] == "FAILED"
    rc, _, err = scene.sign_attestation("alice")
    assert rc == 1 and "the attested gate run did not pass; it is not signed" in err
    assert not (scene.root / "v1.30" / "GATE.intoto.json").exists()


def test_a_pull_request_cannot_lower_its_own_approver_count(
        tmp_path: Path, up: Upstream, capsys: pytest.CaptureFixture[str]) -> None:
    scene = make_scene(tmp_path, up, capsys, backport="rewritten")
    scene.gate()
    base = scene.commit("base: rewritten patches need two approvers")
    config = scene.root / "ksp.yaml"
    config.write_text(config.read_text().replace("rewritten: {approvers: 2}",
                                                 "rewritten: {approvers: 1}"))
    assert scene.sign("alice")[0] == 0
    assert scene.sign_attestation("alice")[0] == 0
    scene.commit("PR: one approver is enough")
    assert scene.findings() == []
    codes = {(c, m) for c, _, m in scene.findings("--since", base)}
    assert ("KSP603", "review.rewritten needs 2 distinct approvers, has 1") in codes
