"""`ksp sign`: an approver's sign-off, in the patch header and as an SSH signature of the series.

1. The reviewer must be an approver in OWNERS and, unless the rule set allows it, not the patch's
   fixer; a refusal names the rule and who may sign.
2. Their handle is added to the patch's `SRC Reviewer:` line (several approvers: `@a, @b`); only
   that line changes, and index.yaml's sha256 follows the file.
3. The minor's manifest (`vX.Y/SERIES`) is written for the series as it now stands, and signed
   with the approver's SSH key (`ssh-keygen -Y sign -n ksp-series`) into `SERIES.@handle.sig`.
   The fresh signature is checked against ALLOWED_SIGNERS before anything is written.

`--attestation FILE` signs a gate attestation instead (kept as `vX.Y/GATE.intoto.json`).
Everything is computed first; the patches, index.yaml, manifests and signatures are then written
as one journalled operation under the repo lock (repo/journal.py), so a refusal, a failed
signature or a crash leaves the repo as it was, or the next command finishes the operation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from ksp.errors import KspError, UsageError
from ksp.model import Minor
from ksp.repo import PatchesRepo, index_edit, patchfile
from ksp.repo.journal import transaction
from ksp.review import attest, manifest, rules, sshsig
from ksp.review import trust as trust_mod
from ksp.review.base import resolve_base
from ksp.review.owners import handle, handles


class ReviewRefused(KspError):
    """The reviewer may not sign this (not an approver, the fixer, or their key is not listed)."""


@dataclass(frozen=True)
class Signed:
    """One signed patch: its file as the index names it, the reviewer and the new sha256."""

    patch: str
    reviewer: str
    sha256: str
    index_entries: int


@dataclass(frozen=True)
class SignedFile:
    """A manifest or attestation and the signature file written for it."""

    file: str
    signature: str
    sha256: str
    base: str = ""


@dataclass(frozen=True)
class SignOptions:
    key: Path | None = None  # default: git's user.signingkey
    upstream: Path | None = None  # a clone to resolve the base from
    now: dt.datetime | None = None


def sign(repo: PatchesRepo, paths: list[Path], reviewer: str,
         options: SignOptions | None = None) -> tuple[list[Signed], list[SignedFile]]:
    opts = options or SignOptions()
    who = _reviewer(reviewer)
    trust = trust_mod.load(repo.root)
    if who not in trust.owners.approvers:
        raise ReviewRefused(f"@{who} is not an approver in OWNERS", path=repo.root / "OWNERS",
                            hint="may sign: " + (", ".join(
                                f"@{h}" for h in sorted(trust.owners.approvers))
                                or "nobody yet; add the SRC's handles under approvers:"))
    planned = [_plan(repo, path, who, trust) for path in paths]  # all checked first
    key = opts.key or sshsig.default_key(repo.root)
    now = opts.now or dt.datetime.now(dt.UTC)
    texts = {path: text for _, path, text, _ in planned}
    minors = sorted({minor for *_, minor in planned}, key=str)
    out, files = [], []
    with index_edit.edit(repo.index_path) as document:
        for rel, _, text, _ in planned:
            digest = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
            out.append(Signed(rel, f"@{who}", digest, document.set_patch_sha(rel, digest)))
        signer = _Signer(who, key, now, trust)
        signed = [_sign_series(repo, minor, signer, texts, opts.upstream) for minor in minors]
        for path, text in texts.items():
            document.stage(path, text)
        for series_path, text, sig_path, envelope, base in signed:
            document.stage(series_path, text)
            document.stage(sig_path, envelope.render())
            files.append(SignedFile(_rel(repo, series_path), _rel(repo, sig_path),
                                    envelope.sha256, base))
    return out, files


def sign_attestation(repo: PatchesRepo, source: Path, reviewer: str,
                     options: SignOptions | None = None) -> SignedFile:
    opts = options or SignOptions()
    who = _reviewer(reviewer)
    trust = trust_mod.load(repo.root)
    if who not in trust.owners.approvers:
        raise ReviewRefused(f"@{who} is not an approver in OWNERS", path=repo.root / "OWNERS")
    data = source.read_bytes()
    attested = attest.read(data, source)
    if not attested.passed:
        raise ReviewRefused("the attested gate run did not pass; it is not signed", path=source)
    target = repo.root / attested.minor.folder / attest.COMMITTED
    envelope = sshsig.Envelope(attest.COMMITTED, hashlib.sha256(data).hexdigest(), who,
                               opts.now or dt.datetime.now(dt.UTC))
    envelope = _signed(envelope, opts.key or sshsig.default_key(repo.root), trust)
    sig = target.parent / f"{target.name}.@{who}.sig"
    with transaction(repo.root) as txn:
        if target.resolve() != source.resolve():
            txn.write(target, data)
        txn.write(sig, envelope.render())
    return SignedFile(_rel(repo, target), _rel(repo, sig), envelope.sha256)


def _reviewer(reviewer: str) -> str:
    text = reviewer.strip()
    if not text or any(c.isspace() or c == "," or not c.isprintable() for c in text):
        raise UsageError(f"--reviewer {reviewer!r}: expected one handle such as @src-member")
    return handle(text)


def _plan(repo: PatchesRepo, path: Path, who: str, trust: trust_mod.Trust
          ) -> tuple[str, Path, str, Minor]:
    resolved = path.resolve()
    if not resolved.is_relative_to(repo.root):
        raise UsageError(f"{path} is not inside the patches repo {repo.root}")
    rel = resolved.relative_to(repo.root).as_posix()
    try:
        minor = Minor.parse(rel.split("/", 1)[0])
    except ValueError:
        raise UsageError(f"{path} is not in a minor's folder (vX.Y/)") from None
    parsed = patchfile.load(resolved)
    for violation in rules.check(parsed.header.set("SRC Reviewer", f"@{who}"), trust.review,
                                 trust.owners.approvers):
        if violation.code == "KSP602":
            raise ReviewRefused(f"{rel}: {violation.message}", hint=violation.hint().replace(
                "may sign", "may sign instead"))
    existing = parsed.header.get("SRC Reviewer") or ""
    # Already named: the line keeps its bytes; else the handle is appended (`@a, @b`).
    value = existing if who in handles(existing) else \
        (f"{existing}, @{who}" if existing else f"@{who}")
    text = parsed.header.set("SRC Reviewer", value).render() + parsed.diff
    return rel, resolved, text, minor


@dataclass(frozen=True)
class _Signer:
    who: str
    key: Path
    now: dt.datetime
    trust: trust_mod.Trust


def _sign_series(repo: PatchesRepo, minor: Minor, signer: _Signer, texts: dict[Path, str],
                 upstream: Path | None) -> tuple[Path, str, Path, sshsig.Envelope, str]:
    entries = []
    for found in manifest.entries(repo, minor):
        data = texts.get(repo.root / minor.folder / found.name, "").encode()
        entries.append(manifest.Entry(found.name, hashlib.sha256(data).hexdigest(),
                                      manifest.diff_sha256(data)) if data else found)
    ref, commit = resolve_base(repo, minor, tuple(entries), upstream)
    text = manifest.Manifest(minor, ref, commit, tuple(entries)).render()
    series_path = manifest.path(repo, minor)
    envelope = sshsig.Envelope(manifest.SERIES, hashlib.sha256(text.encode()).hexdigest(),
                               signer.who, signer.now)
    sig_path = series_path.parent / f"{manifest.SERIES}.@{signer.who}.sig"
    return (series_path, text, sig_path, _signed(envelope, signer.key, signer.trust),
            f"{ref} {commit[:12]}")


def _signed(envelope: sshsig.Envelope, key: Path, trust: trust_mod.Trust) -> sshsig.Envelope:
    signed = sshsig.sign(envelope, key)
    verdict = sshsig.verify(signed, trust.allowed_signers)
    if not verdict.ok:
        raise ReviewRefused(f"the signature made with {key} does not verify as @{envelope.signer}"
                            f": {verdict.detail}", path="ALLOWED_SIGNERS",
                            hint=f"ALLOWED_SIGNERS must list @{envelope.signer}'s public key "
                                 "(principal without @)")
    return signed


def _rel(repo: PatchesRepo, path: Path) -> str:
    return path.relative_to(repo.root).as_posix()
