"""Helpers for the review tests: real SSH keys (ssh-keygen), OWNERS, ALLOWED_SIGNERS, a patches
repo with a gated series next to a factory upstream."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from _gatekit import add_patch, commit_all, make_patches_repo
from factories.goupstream import Upstream, good_patch, good_patch_stacked
from ksp.cli.main import main
from ksp.model import PatchKind
from ksp.repo.patchfile import new_header


@dataclass(frozen=True)
class Key:
    handle: str
    private: Path
    public: str  # "ssh-ed25519 AAAA…"


def keygen(folder: Path, handle: str) -> Key:
    path = folder / f"id_{handle}"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", handle, "-f",
                    str(path)], check=True, capture_output=True)
    public = " ".join(path.with_suffix(".pub").read_text().split()[:2])
    return Key(handle, path, public)


def write_owners(root: Path, approvers: list[str], reviewers: list[str] | None = None) -> None:
    lines = ["approvers:", *(f"  - {a}" for a in approvers)] if approvers else ["approvers: []"]
    lines += ["reviewers:", *(f"  - {r}" for r in reviewers or ["fixer"])]
    (root / "OWNERS").write_text("\n".join(lines) + "\n")


def write_signers(root: Path, keys: list[Key], options: dict[str, str] | None = None) -> None:
    lines = ["# principals are OWNERS handles without @"]
    for key in keys:
        extra = (options or {}).get(key.handle)
        lines.append(" ".join(x for x in (key.handle, extra, key.public) if x))
    (root / "ALLOWED_SIGNERS").write_text("\n".join(lines) + "\n")


def header(advisory: str, *, backport: str = "clean", fixer: str = "@fixer") -> str:
    kind = PatchKind.of(advisory)
    if kind is PatchKind.INFRASTRUCTURE:
        fields = {"Reason": "keeps the minor building", "Upstream reference":
                  "https://example.com/demo/pull/9", "Affected components": "demo-server",
                  "Testing": "pending", "Fixer": fixer, "SRC Reviewer": ""}
    else:
        fields = {"Original patch": "https://example.com/demo/pull/1",
                  "CVE issue": "https://example.com/demo/issues/1",
                  "Severity": "MEDIUM (CVSS 6.5)", "Affected components": "demo-server",
                  "Backport": backport, "Testing": "pending", "CVE Fixer": fixer,
                  "SRC Reviewer": ""}
    return new_header(kind, advisory, fields).render()


@dataclass
class Scene:
    """A patches repo (git, one commit per step) with two patches on 1.30, three approvers'
    keys, and OWNERS / ALLOWED_SIGNERS naming alice, bob and carol (fixer is a reviewer)."""

    root: Path
    up: Upstream
    keys: dict[str, Key]
    capsys: pytest.CaptureFixture[str]

    @property
    def patches(self) -> list[Path]:
        return sorted((self.root / "v1.30").glob("*.patch"))

    def ksp(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        rc = main([*args[:1], "--repo", str(self.root), *args[1:]])
        out = self.capsys.readouterr()
        return rc, out.out, out.err

    def sign(self, who: str, *patches: Path, key: str | None = None) -> tuple[int, str, str]:
        return self.ksp("sign", *map(str, patches or tuple(self.patches)), "--reviewer",
                        f"@{who}", "--key", str(self.keys[key or who].private))

    def sign_attestation(self, who: str) -> tuple[int, str, str]:
        local = self.root / ".ksp" / "evidence" / "1.30" / "attestation.intoto.json"
        return self.ksp("sign", "--attestation", str(local), "--reviewer", f"@{who}", "--key",
                        str(self.keys[who].private))

    def gate(self) -> None:
        rc, _, err = self.ksp("gate", "--upstream", str(self.up.path), "--minor", "1.30",
                              "--no-build", "--no-test", "--format", "json")
        assert rc == 0, err

    def findings(self, *flags: str) -> list[tuple[str, str, str]]:
        """(code, file, message) of every error."""
        rc, out, _ = self.ksp("lint", "--format", "json", *flags)
        found = json.loads(out)["findings"]
        errors = [(f["code"], f["file"], f["message"]) for f in found
                  if f["severity"] == "error"]
        assert (rc == 1) == bool(errors)
        return errors

    def warnings(self, *flags: str) -> list[tuple[str, str, str]]:
        _, out, _ = self.ksp("lint", "--format", "json", *flags)
        return [(f["code"], f["file"], f["message"]) for f in json.loads(out)["findings"]
                if f["severity"] == "warning" and f["code"].startswith("KSP6")]

    def commit(self, message: str) -> str:
        return commit_all(self.root, message)


def make_scene(tmp_path: Path, up: Upstream, capsys: pytest.CaptureFixture[str], *,
               backport: str = "clean") -> Scene:
    root = make_patches_repo(tmp_path / "patches")
    first = add_patch(root, "1.30", 1, good_patch(up, "1.30"), index=True)
    second = add_patch(root, "1.30", 2, good_patch_stacked(up, "1.30"), index=True)
    for path in (first, second):
        diff = path.read_text().split("diff --git ", 1)[1]
        path.write_text(header(path.stem.split("_", 1)[1], backport=backport)
                        + "diff --git " + diff)
    _reindex(root)
    folder = tmp_path / "keys"
    folder.mkdir()
    keys = {h: keygen(folder, h) for h in ("alice", "bob", "carol", "fixer", "mallory")}
    from ksp.repo import scaffold

    (root / "README.md").write_text(scaffold.files(scaffold.InitOptions(
        project="go", upstream="https://example.com/demo/demo"))["README.md"])
    write_owners(root, ["alice", "bob", "carol", "fixer"])
    write_signers(root, [keys[h] for h in ("alice", "bob", "carol", "fixer")])
    commit_all(root, "two patches, OWNERS, ALLOWED_SIGNERS")
    return Scene(root, up, keys, capsys)


def _reindex(root: Path) -> None:
    import hashlib
    import re

    text = (root / "index.yaml").read_text()
    for path in sorted((root / "v1.30").glob("*.patch")):
        rel = path.relative_to(root).as_posix()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        text = re.sub(rf'(patch: {re.escape(rel)}, sha256: ")[0-9a-f]+', rf"\g<1>{digest}", text)
    (root / "index.yaml").write_text(text)
