"""Signatures made and checked by OpenSSH (`ssh-keygen -Y sign|verify`), as git does for commits.

A signature file (`<file>.@<handle>.sig`) is a few signed lines, then the armored SSH signature:

    ksp-signature v1
    file: SERIES
    sha256: <sha256 of the signed file>
    signer: <handle, no @>
    signed-on: 2026-11-22T10:20:30Z
    -----BEGIN SSH SIGNATURE-----
    …
    -----END SSH SIGNATURE-----

The signature covers exactly the lines before the armor (the "statement"), so it binds the file's
digest, the signer and the date. The date is checked against ALLOWED_SIGNERS' `valid-after` /
`valid-before` (`-Overify-time`): a key whose `valid-before` is set keeps its earlier signatures.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ksp.errors import FormatError, KspError, UsageError

NAMESPACE = "ksp-series"
MAGIC = "ksp-signature v1"
ARMOR = "-----BEGIN SSH SIGNATURE-----"
_FIELDS = ("file", "sha256", "signer", "signed-on")
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,38}$")


class SigningError(KspError):
    """ssh-keygen could not sign (no key, wrong passphrase, not the key ALLOWED_SIGNERS lists)."""


@dataclass(frozen=True)
class Envelope:
    file: str  # name of the signed file, in the same folder
    sha256: str
    signer: str
    signed_on: dt.datetime
    signature: str = ""  # the armored block

    def statement(self) -> bytes:
        when = self.signed_on.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (f"{MAGIC}\nfile: {self.file}\nsha256: {self.sha256}\nsigner: {self.signer}\n"
                f"signed-on: {when}\n").encode()

    def render(self) -> bytes:
        return self.statement() + self.signature.encode()


def parse(data: bytes, path: Path) -> Envelope:
    text = data.decode("utf-8", "replace")
    head, sep, armor = text.partition(ARMOR)
    lines = head.splitlines()
    if not sep or not lines or lines[0] != MAGIC or len(lines) != len(_FIELDS) + 1:
        raise FormatError(f"not a ksp signature (expected '{MAGIC}', {', '.join(_FIELDS)}, "
                          "then an SSH signature)", path=path, line=1,
                          hint="signature files are written by `ksp sign`")
    values: dict[str, str] = {}
    for number, (line, key) in enumerate(zip(lines[1:], _FIELDS, strict=True), start=2):
        name, _, value = line.partition(": ")
        if name != key or not value:
            raise FormatError(f"expected '{key}: …'", path=path, line=number)
        values[key] = value
    try:
        when = dt.datetime.strptime(values["signed-on"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=dt.UTC)
    except ValueError:
        raise FormatError("signed-on is not YYYY-MM-DDTHH:MM:SSZ", path=path, line=5) from None
    if not _SHA_RE.match(values["sha256"]) or not _HANDLE_RE.match(values["signer"]):
        raise FormatError("sha256 or signer is malformed", path=path, line=3)
    return Envelope(values["file"], values["sha256"], values["signer"], when, sep + armor)


def default_key(root: Path) -> Path:
    """git's `user.signingkey` for the patches repo (the key git signs commits with)."""
    from ksp.git._run import git  # lazy: 2.5 ms of start-up

    proc = git(root, "config", "--get", "user.signingkey", check=False)
    value = proc.stdout.strip()
    if proc.returncode != 0 or not value:
        raise UsageError("no signing key: git's user.signingkey is not set",
                         hint="pass --key ~/.ssh/id_ed25519 or `git config user.signingkey PATH`")
    if value.startswith("key::"):
        raise UsageError("user.signingkey holds a literal key; ksp needs a key file",
                         hint="pass --key with the private key's (or, with an agent, .pub) path")
    return Path(value).expanduser()


def sign(envelope: Envelope, key: Path) -> Envelope:
    """The envelope with its SSH signature (ssh-keygen reads the statement on stdin)."""
    if not key.is_file():
        raise UsageError(f"--key {key}: no such file", hint="give your SSH private key")
    proc = _ssh_keygen("-Y", "sign", "-q", "-f", str(key), "-n", NAMESPACE,
                       stdin=envelope.statement())
    if proc.returncode != 0 or ARMOR not in proc.stdout:
        raise SigningError(f"ssh-keygen could not sign with {key}: {_last(proc.stderr)}",
                           hint="check the key file and its passphrase (or ssh-agent)")
    return Envelope(envelope.file, envelope.sha256, envelope.signer, envelope.signed_on,
                    proc.stdout)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    detail: str  # what ssh-keygen said, one line


def verify(envelope: Envelope, allowed_signers: bytes) -> Verdict:
    """Check the envelope against an allowed_signers text at its own signing time."""
    with tempfile.TemporaryDirectory(prefix="ksp-sig-") as folder:
        allowed = Path(folder) / "allowed_signers"
        allowed.write_bytes(allowed_signers)
        sig = Path(folder) / "sig"
        sig.write_text(envelope.signature)
        when = envelope.signed_on.astimezone(dt.UTC).strftime("%Y%m%d%H%M%SZ")
        proc = _ssh_keygen("-Y", "verify", "-f", str(allowed), "-I", envelope.signer,
                           "-n", NAMESPACE, "-s", str(sig), f"-Overify-time={when}",
                           stdin=envelope.statement())
    if proc.returncode == 0:
        return Verdict(True, _last(proc.stdout) or "good signature")
    return Verdict(False, _last(proc.stderr) or _last(proc.stdout) or "signature does not verify")


def _ssh_keygen(*args: str, stdin: bytes) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(["ssh-keygen", *args], input=stdin, capture_output=True,
                              check=False, timeout=60)
    except FileNotFoundError:
        raise UsageError("ssh-keygen not found",
                         hint="install OpenSSH's client (Debian: openssh-client)") from None
    return subprocess.CompletedProcess(proc.args, proc.returncode,
                                       proc.stdout.decode("utf-8", "replace"),
                                       proc.stderr.decode("utf-8", "replace"))


def _last(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1] if lines else ""
