"""A patch's provenance as consumers see it: its backport class and who reviewed it.

One home for the words: `ksp coverage` (JSON field and text), the site's minor page and the VEX
statements all say it the same way. Read from the header (`Backport:`, `Tests:`,
`SRC Reviewer:`); `ksp lint` and `ksp apply --require-signed` check that the named reviewers
really signed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ksp.errors import KspError
from ksp.model import PatchKind
from ksp.repo import PatchesRepo, patchfile
from ksp.review.owners import handles

DESCRIBED = {
    "clean": "a clean upstream backport",
    "adjusted": "an upstream backport adjusted to apply to this minor",
    "rewritten": "a rewrite of the upstream fix for this minor",
    "original-mitigation": "a community-authored mitigation, not an upstream fix",
    "infrastructure": "an infrastructure patch (keeps the minor building and testing)",
    "unstated": "a patch whose backport class is not stated",
}


@dataclass(frozen=True)
class Provenance:
    backport: str  # clean | adjusted | rewritten | original-mitigation | infrastructure | unstated
    tests: str | None
    reviewers: tuple[str, ...]  # @handles from SRC Reviewer

    def label(self) -> str:
        """Short: `rewritten; @alice, @bob`."""
        who = ", ".join(self.reviewers) or "not reviewed"
        return f"{self.backport}; {who}"

    def sentence(self, patch: str) -> str:
        """Long, for VEX: `Fixed by v1.30/0001_….patch, a clean upstream backport, reviewed by
        @alice.`"""
        who = " and ".join(self.reviewers) if len(self.reviewers) < 3 else \
            ", ".join(self.reviewers)
        tests = f", upstream tests {self.tests}" if self.tests else ""
        review = f", reviewed by {who}" if who else ", not yet reviewed"
        return f"Fixed by {patch}: {DESCRIBED[self.backport]}{tests}{review}."


def from_fields(fields: Mapping[str, str], kind: PatchKind) -> Provenance:
    backport = fields.get("Backport") or ""
    if kind is PatchKind.INFRASTRUCTURE:
        backport = "infrastructure"
    elif backport not in DESCRIBED:
        backport = "unstated"
    return Provenance(backport, fields.get("Tests") or None,
                      tuple(f"@{h}" for h in handles(fields.get("SRC Reviewer"))))


def of_repo(repo: PatchesRepo) -> dict[str, Provenance]:
    """Every readable patch's provenance, by its path in the repo (`v1.30/0001_….patch`)."""
    out = {}
    for minor in repo.minors():
        for ref in repo.series(minor):
            try:
                header = patchfile.load(repo.path_of(ref)).header
            except KspError:
                continue  # lint reports it
            values = {k: header.get(k) or "" for k in ("Backport", "Tests", "SRC Reviewer")}
            out[ref.path] = from_fields(values, header.kind)
    return out
