"""One minor's review, checked: the signed manifest against the files, every signature with
ssh-keygen, each patch's rule set against who signed, and the gate attestation.

Lint reports every problem; `ksp apply --require-signed` refuses on the first error; `ksp sign`
reports what is still missing. A problem names the file (the patch itself when it changed).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ksp._files import read_text
from ksp.errors import KspError
from ksp.model import Minor
from ksp.repo import PatchesRepo, patchfile
from ksp.review import attest, manifest, rules, sshsig
from ksp.review import trust as trust_mod
from ksp.review.manifest import SERIES, Manifest
from ksp.review.owners import handles
from ksp.review.trust import Trust

REVIEW_FILE_LIMIT = 1024 * 1024  # a manifest, signature or attestation; PRs are untrusted


@dataclass(frozen=True)
class Problem:
    code: str
    file: str  # relative to the patches repo
    message: str
    hint: str | None = None
    error: bool = True
    line: int | None = None


@dataclass(frozen=True)
class SignatureCheck:
    file: str
    signer: str
    signed_on: str
    status: str  # valid | stale (signed an earlier version) | invalid
    detail: str


@dataclass(frozen=True)
class PatchReview:
    patch: str
    provenance: str  # Backport: class, or "infrastructure"
    rule: str
    required: int
    signed_by: tuple[str, ...]  # approvers whose valid signature counts for this patch


@dataclass
class MinorReview:
    minor: Minor
    signed: Manifest | None = None
    signatures: list[SignatureCheck] = field(default_factory=list)
    attestation: list[SignatureCheck] = field(default_factory=list)
    patches: list[PatchReview] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.error for p in self.problems)


def review_minor(repo: PatchesRepo, minor: Minor, trust: Trust) -> MinorReview:
    result = MinorReview(minor)
    folder = repo.root / minor.folder
    current = manifest.entries(repo, minor)
    series_path = folder / SERIES
    valid: set[str] = set()
    if series_path.is_file():
        data = b""
        try:
            data = read_text(series_path, limit=REVIEW_FILE_LIMIT, what="series manifest"
                             ).encode()
            result.signed = manifest.parse(data.decode(), series_path)
        except KspError as exc:
            result.problems.append(Problem("KSP610", _rel(repo, series_path), exc.message,
                                           exc.hint, line=exc.line))
        result.signatures = _signatures(repo, series_path, data, trust)
        valid = {s.signer for s in result.signatures if s.status == "valid"}
        _signature_problems(result, result.signatures, trust)
    if result.signed is not None:
        _changes(repo, result, current)
    elif current and not series_path.exists():
        result.problems.append(Problem(
            "KSP614", minor.folder, f"the series of {minor} is not signed",
            "an approver runs `ksp sign PATCH --reviewer @handle`", error=True))
    # Signatures cover the patches only while the files are what was signed (else KSP610
    # already says which changed, and per-patch signature counts would only repeat it).
    changed = any(p.code == "KSP610" for p in result.problems)
    _patch_rules(repo, result, trust, set() if changed else valid, count=not changed)
    if result.signed is not None and valid:
        _attestation(repo, result, folder, trust)
    return result


def _rel(repo: PatchesRepo, path: Path) -> str:
    return path.relative_to(repo.root).as_posix()


def _signatures(repo: PatchesRepo, target: Path, data: bytes, trust: Trust
                ) -> list[SignatureCheck]:
    digest = hashlib.sha256(data).hexdigest()
    out = []
    for sig in sorted(target.parent.glob(f"{target.name}.@*.sig")):
        rel = _rel(repo, sig)
        try:
            env = sshsig.parse(read_text(sig, limit=REVIEW_FILE_LIMIT, what="signature"
                                         ).encode(), sig)
        except KspError as exc:
            out.append(SignatureCheck(rel, "?", "", "invalid", exc.message))
            continue
        when = env.signed_on.date().isoformat()
        if sig.name != f"{target.name}.@{env.signer}.sig" or env.file != target.name:
            out.append(SignatureCheck(rel, env.signer, when, "invalid",
                                      f"signs {env.file} as @{env.signer}; the file name says "
                                      "otherwise"))
        elif env.sha256 != digest:
            out.append(SignatureCheck(rel, env.signer, when, "stale",
                                      f"signed an earlier {target.name}"))
        else:
            verdict = sshsig.verify(env, trust.allowed_signers)
            out.append(SignatureCheck(rel, env.signer, when,
                                      "valid" if verdict.ok else "invalid", verdict.detail))
    return out


def _signature_problems(result: MinorReview, checks: list[SignatureCheck], trust: Trust
                        ) -> None:
    for s in checks:
        if s.status == "invalid":
            result.problems.append(Problem(
                "KSP611", s.file, f"signature of @{s.signer} does not verify against "
                f"ALLOWED_SIGNERS ({trust.source}): {s.detail}",
                f"the series needs a new signature; @{s.signer}'s key may be revoked or "
                "unknown"))
        elif s.status == "stale":
            result.problems.append(Problem(
                "KSP612", s.file, f"@{s.signer} signed an earlier version: needs a new "
                "signature", f"@{s.signer} runs `ksp sign` again, or the file is removed",
                error=False))
        elif s.signer not in trust.owners.approvers:
            left = trust.expiry(s.signer)
            note = f"whose key is valid before {left.date()}" if left else \
                "who is not an approver in OWNERS"
            result.problems.append(Problem(
                "KSP615", s.file, f"signed by @{s.signer}, {note}: this manifest needs a new "
                "signature from a current approver", error=False))


def _changes(repo: PatchesRepo, result: MinorReview, current: tuple[manifest.Entry, ...]
             ) -> None:
    assert result.signed is not None
    folder = result.minor.folder
    for change in manifest.changes(result.signed.entries, current):
        name, _, what = change.partition(" ")
        target = f"{folder}/{name}" if not what.startswith("removed") else f"{folder}/{SERIES}"
        result.problems.append(Problem(
            "KSP610", target, f"{what if target.endswith(name) else change} since the "
            f"series was signed ({folder}/{SERIES})",
            "approvers sign the series again: `ksp sign PATCH --reviewer @handle`"))


def _attestation(repo: PatchesRepo, result: MinorReview, folder: Path, trust: Trust) -> None:
    assert result.signed is not None
    path = folder / attest.COMMITTED
    rel = _rel(repo, path)
    if not path.is_file():
        result.problems.append(Problem(
            "KSP620", rel, f"the signed series of {result.minor} has no gate attestation",
            "run `ksp gate`, then `ksp sign --attestation "
            f".ksp/evidence/{result.minor}/{attest.LOCAL} --reviewer @handle`"))
        return
    try:
        data = read_text(path, limit=REVIEW_FILE_LIMIT, what="attestation").encode()
        attested = attest.read(data, path)
    except KspError as exc:
        result.problems.append(Problem("KSP620", rel, exc.message, exc.hint))
        return
    if attested.tested != result.signed.tested():
        result.problems.append(Problem(
            "KSP620", rel, "the attestation is for another series than "
            f"{result.minor.folder}/{SERIES} (base or a patch's diff differs)",
            "gate the series as signed and sign its attestation"))
    elif not attested.passed:
        result.problems.append(Problem("KSP620", rel, "the attested gate run did not pass"))
    result.attestation = _signatures(repo, path, data, trust)
    _signature_problems(result, result.attestation, trust)
    if not any(s.status == "valid" and s.signer in trust.owners.approvers
               for s in result.attestation):
        result.problems.append(Problem(
            "KSP621", rel, "no approver has signed the gate attestation",
            f"`ksp sign --attestation {rel} --reviewer @handle`", error=False))


def _patch_rules(repo: PatchesRepo, result: MinorReview, trust: Trust, valid: set[str], *,
                 count: bool) -> None:
    review = trust.review
    former = {s for s in valid if s not in trust.owners.approvers and trust.expiry(s)}
    approvers = trust.owners.approvers | former
    for ref in repo.series(result.minor):
        try:
            header = patchfile.load(repo.path_of(ref)).header
        except KspError:
            continue  # lint reports it as KSP201
        req = rules.requirement(header, review)
        named = handles(header.get("SRC Reviewer"))
        violations = rules.check(header, review, approvers)
        for v in violations:
            result.problems.append(Problem(v.code, ref.path, v.message, v.hint()))
        ok = tuple(h for h in named if h in valid and h in approvers
                   and (req.fixer_may_sign or h != req.fixer))
        result.patches.append(PatchReview(ref.path, header.get("Backport") or (
            "infrastructure" if req.rule == "review.infra" else "unstated"), req.rule,
            req.approvers, ok))
        if count and result.signed is not None and named and not violations \
                and len(ok) < req.approvers:
            unsigned = [f"@{h}" for h in named if h not in valid]
            may = [h for h in rules.may_sign(header, review, approvers) if h not in ok]
            result.problems.append(Problem(
                "KSP613", ref.path, f"{req.rule} needs {req.approvers} approvers' signatures "
                f"on {result.minor.folder}/{SERIES}, has {len(ok)}"
                + (f" ({', '.join(unsigned)} named but not signed)" if unsigned else ""),
                "may sign: " + (", ".join(f"@{h}" for h in may) or "nobody in OWNERS")))


class UnsignedSeries(KspError):
    """`ksp apply --require-signed`: the series is not what the required approvers signed."""


def require_signed(repo: PatchesRepo, minor: Minor, allowed_signers: Path | None = None
                   ) -> MinorReview:
    """The minor's review, or UnsignedSeries naming the first problem and who signed what.
    Here an unsigned series and an unsigned attestation are errors too."""

    result = review_minor(repo, minor, trust_mod.load(repo.root, None, allowed_signers))
    strict = {"KSP614", "KSP621"}
    errors = [p for p in result.problems if p.error or p.code in strict]
    if errors:
        first = errors[0]
        raise UnsignedSeries(f"{first.file}: {first.message}; nothing was applied",
                             hint=f"{who_signed(result)}. {first.hint or ''}".strip())
    return result


def who_signed(result: MinorReview) -> str:
    def one(s: SignatureCheck) -> str:
        return f"@{s.signer} {s.signed_on}" + ("" if s.status == "valid" else f" ({s.status})")

    series = ", ".join(one(s) for s in result.signatures) or "nobody"
    gate = ", ".join(one(s) for s in result.attestation) or "nobody"
    return f"{result.minor.folder}/{SERIES} signed by {series}; gate attestation by {gate}"
