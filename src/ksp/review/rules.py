"""Who must sign a patch: ksp.yaml's `review:` rule sets against OWNERS and the header.

A patch's rule set follows its kind and provenance: `infra` for INFRA- patches, `rewritten` for
`Backport: rewritten` or `original-mitigation` (a community-authored fix, not an upstream
backport), `security` otherwise. Each set says how many distinct approvers sign and whether the
patch's fixer may be one of them. A violation names the rule and who may still sign.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ksp.model import BackportClass, PatchKind
from ksp.repo.config import Review, ReviewRule
from ksp.repo.patchfile import PatchHeader
from ksp.review.owners import handles

COMMUNITY = (BackportClass.REWRITTEN.value, BackportClass.ORIGINAL_MITIGATION.value)


@dataclass(frozen=True)
class Requirement:
    rule: str  # review.security | review.rewritten | review.infra
    approvers: int
    fixer_may_sign: bool
    fixer: str | None


@dataclass(frozen=True)
class Violation:
    code: str  # KSP601 not an approver, KSP602 the fixer, KSP603 too few approvers
    rule: str
    message: str
    may_sign: tuple[str, ...]

    def hint(self) -> str:
        if not self.may_sign:
            return "no approver in OWNERS may sign it; add approvers to OWNERS"
        return "may sign: " + ", ".join(f"@{h}" for h in self.may_sign)


def requirement(header: PatchHeader, review: Review) -> Requirement:
    fixer = next(iter(handles(header.get("CVE Fixer") or header.get("Fixer"))), None)
    if header.kind is PatchKind.INFRASTRUCTURE:
        name, rule = "review.infra", review.infra
    elif (header.get("Backport") or "") in COMMUNITY:
        name, rule = "review.rewritten", review.rewritten
    else:
        name, rule = "review.security", review.security
    return _req(name, rule, fixer)


def _req(name: str, rule: ReviewRule, fixer: str | None) -> Requirement:
    return Requirement(name, rule.approvers, rule.fixer_may_sign, fixer)


def check(header: PatchHeader, review: Review, approvers: Iterable[str]) -> list[Violation]:
    """The header's `SRC Reviewer:` handles against the rule set and `approvers` (OWNERS, plus
    former approvers whose signatures stay valid)."""
    req = requirement(header, review)
    allowed = frozenset(approvers)
    named = handles(header.get("SRC Reviewer"))
    may = tuple(sorted(h for h in allowed - set(named)
                       if req.fixer_may_sign or h != req.fixer))
    out = []
    for who in named:
        if who not in allowed:
            why = f"is not an approver in OWNERS ({req.rule})"
            out.append(Violation("KSP601", req.rule, f"SRC Reviewer @{who} {why}", may))
        elif who == req.fixer and not req.fixer_may_sign:
            why = f"is the patch's fixer ({req.rule})"
            out.append(Violation("KSP602", req.rule, f"SRC Reviewer @{who} {why}", may))
    valid = [h for h in named if h in allowed and (req.fixer_may_sign or h != req.fixer)]
    if named and len(valid) < req.approvers:
        why = f"needs {req.approvers} distinct approvers, has {len(valid)}"
        out.append(Violation("KSP603", req.rule, f"{req.rule} {why}", may))
    return out


def may_sign(header: PatchHeader, review: Review, approvers: Iterable[str]) -> tuple[str, ...]:
    req = requirement(header, review)
    return tuple(sorted(h for h in set(approvers) if req.fixer_may_sign or h != req.fixer))
