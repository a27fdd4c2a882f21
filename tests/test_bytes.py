"""Bytes, not text: upstream content that is not UTF-8 goes through backport, new, gate and apply
byte for byte (real runc and containerd fixes touch vendored files and test data in Latin-1,
invalid UTF-8 and binary; they ended in `internal error: UnicodeEncodeError`).

A hand-built table of byte strings stands in for a property test: each kind of content is put
in the context and in the change of a fix, and must come out of every command unchanged.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from _backportkit import Upstream, base_upstream, edit
from ksp.cli.main import main
from test_backport_cli import HEADER_FLAGS, patches_repo

CONTENTS = {
    "latin-1": b"caf\xe9 cr\xe8me br\xfbl\xe9e\n",
    "invalid-utf-8": b"\xff\xfe\xc3( \x80\x80 cut \xe2\x82\n",
    "surrogate-bytes": b"\xed\xa0\x80 lone surrogate, encoded\n",
    "crlf-latin-1": b"na\xefve\r\nline\r\n",
    "binary": b"\x00\x01\x02\xff\x00binary\x00\n",
}
DATA = "pkg/auth/testdata/sample.dat"


def upstream_with(tmp_path: Path, content: bytes) -> tuple[Upstream, str, bytes]:
    """An upstream whose fix changes check.go and a data file holding `content` (before and
    after the fix, so that both context and change carry it)."""
    up = base_upstream(tmp_path / "up")
    before = content * 3
    for branch in ("main", "release-1.32"):
        up.checkout(branch)
        (up.path / DATA).parent.mkdir(parents=True, exist_ok=True)
        (up.path / DATA).write_bytes(before)
        up.git("add", "-A")
        up.git("commit", "-q", "-m", "Add test data")
    up.checkout("main")
    after = before + content.replace(b"\n", b" (fixed)\n", 1)
    text = up.read("main", "pkg/auth/check.go")
    (up.path / "pkg/auth/check.go").write_text(edit(text, "\tline 15\n", "\tline 15 checked\n"))
    (up.path / DATA).write_bytes(after)
    up.git("add", "-A")
    up.git("commit", "-q", "-m", "Fix the check, with test data")
    return up, up.rev("HEAD"), after


def waive(repo: Path) -> None:
    """A reviewer's waiver for the advisory: binary changes are refused by the policy else."""
    config = repo / "ksp.yaml"
    config.write_text(config.read_text().replace("waivers: []", "waivers: [CVE-2099-0001]"))


def gate_passes(repo: Path, up: Upstream, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["gate", "--repo", str(repo), "--upstream", str(up.path), "--minor", "1.32",
               "--no-build", "--no-test"])
    out = capsys.readouterr()
    assert rc == 0, out
    assert "internal error" not in out.err


def applied_content(repo: Path, up: Upstream, tmp_path: Path,
                    capsys: pytest.CaptureFixture[str]) -> bytes:
    consumer = tmp_path / "consumer"
    subprocess.run(["git", "clone", "-q", "-b", "release-1.32", str(up.path), str(consumer)],
                   check=True, env=up.env)
    rc = main(["apply", "--repo", str(repo), "--minor", "1.32", "--to", str(consumer)])
    assert rc == 0, capsys.readouterr()
    capsys.readouterr()
    return (consumer / DATA).read_bytes()


@pytest.mark.parametrize("kind", sorted(CONTENTS))
def test_backport_write_gate_apply_keep_the_bytes(
        kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    up, fix, after = upstream_with(tmp_path, CONTENTS[kind])
    repo = patches_repo(tmp_path, capsys)
    argv = ["backport", "CVE-2099-0001", "--upstream", str(up.path), "--commit", fix,
            "--to", "1.32", "--repo", str(repo), "--write", "--date", "2026-11-22",
            *HEADER_FLAGS]
    if kind == "binary":  # policy allow_binary: false: refused before writing, until waived
        assert main(argv) == 1
        assert "policy: binary change to" in capsys.readouterr().err
        assert not (repo / "v1.32").exists() or not any((repo / "v1.32").iterdir())
        waive(repo)
    rc = main(argv)
    out = capsys.readouterr()
    assert rc == 0 and "internal error" not in out.err, out
    patch = (repo / "v1.32" / "0001_CVE-2099-0001.patch").read_bytes()
    if kind != "binary":  # a binary file is a `GIT binary patch`: encoded, not raw
        assert all(line in patch for line in CONTENTS[kind].split(b"\n"))
    gate_passes(repo, up, capsys)
    assert applied_content(repo, up, tmp_path, capsys) == after
    rc = main(["lint", "--repo", str(repo), "--pre-review", "--date", "2026-11-22"])
    out = capsys.readouterr()
    assert rc == 0, out


@pytest.mark.parametrize("kind", sorted(CONTENTS))
def test_new_from_a_commit_keeps_the_bytes(
        kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    up, fix, after = upstream_with(tmp_path, CONTENTS[kind])
    repo = patches_repo(tmp_path, capsys)
    if kind == "binary":
        waive(repo)
    rc = main(["new", "CVE-2099-0001", "--minor", "1.32", "--upstream", str(up.path),
               "--commit", fix, "--repo", str(repo), *HEADER_FLAGS, "--fixer", "@fixer",
               "--date", "2026-11-22"])
    out = capsys.readouterr()
    assert rc == 0 and "internal error" not in out.err, out
    gate_passes(repo, up, capsys)
    assert applied_content(repo, up, tmp_path, capsys) == after


def test_a_path_that_is_not_utf8_is_shown_with_a_replacement_character(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A conflict in `pkg/auth/caf\\xe9.txt` (a Latin-1 file name): the report names it, and
    stdout (text and JSON) is valid UTF-8."""
    up = base_upstream(tmp_path / "up")
    name = b"pkg/auth/caf\xe9.txt"
    path = Path(os.fsdecode(os.fsencode(up.path) + b"/" + name))
    for branch, content in (("main", b"a\nb\nc\n"), ("release-1.32", b"a\nb branch\nc\n")):
        up.checkout(branch)
        path.write_bytes(content)
        up.git("add", "-A")
        up.git("commit", "-q", "-m", f"data on {branch}")
    up.checkout("main")
    path.write_bytes(b"a\nb fixed\nc\n")
    up.git("add", "-A")
    up.git("commit", "-q", "-m", "Fix the data")
    argv = ["backport", "CVE-2099-0001", "--upstream", str(up.path), "--commit", up.rev("HEAD"),
            "--to", "1.32", "--date", "2026-11-22"]
    assert main(argv) == 1
    text = capsys.readouterr().out
    assert "content conflict in pkg/auth/caf\ufffd.txt" in text
    assert main([*argv, "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["targets"][0]["commits"][0]["conflicts"][0]["path"] == "pkg/auth/caf\ufffd.txt"
