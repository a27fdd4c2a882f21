"""A patch header's values, shared by `ksp new` and `ksp backport` so both write the same header.

Each value comes from the command line first, then from the advisory's index.yaml entry, then
from what ksp knows of the diff (its upstream commits and changed paths); a required value that is
still missing is one usage error naming every flag that would supply one, before anything is
written.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ksp import severity as sev
from ksp.errors import UsageError
from ksp.git._run import git
from ksp.model import Advisory, AdvisoryId, PatchKind, Rating, Severity
from ksp.repo.config import Config
from ksp.repo.patchfile import SEVERITY_RE, TESTING_PENDING, check_value, new_header

__all__ = ["TESTING_PENDING", "HeaderValues", "Origin", "build", "default_fixer", "fields"]



@dataclass(frozen=True)
class HeaderValues:
    """What the person gave on the command line; None or () means not given."""

    title: str | None = None
    original_patch: str | None = None
    cve_issue: str | None = None
    severity: str | None = None
    cvss_vector: str | None = None
    components: tuple[str, ...] = ()
    fixer: str | None = None
    reviewer: str | None = None
    testing: str | None = None
    backport: str | None = None
    tests: str | None = None
    reason: str | None = None
    upstream_ref: str | None = None

    def over(self, other: HeaderValues) -> HeaderValues:
        """These values where given, else `other`'s (flags over a saved state)."""
        return replace(other, **{f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                                 if getattr(self, f.name)})

    def to_json(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items() if v}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HeaderValues:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["components"] = tuple(values.get("components", ()))
        return cls(**values)


@dataclass(frozen=True)
class Origin:
    """What ksp knows of where the diff came from."""

    commits: tuple[str, ...] = ()  # upstream commits, oldest first
    paths: tuple[str, ...] = ()  # files the diff changes
    subject: str | None = None  # the first commit's (or the mail's) subject
    note: str | None = None
    published_from: tuple[str, ...] = ()  # k8s.io staging: kubernetes/kubernetes commits


def default_fixer(repo_root: Path) -> str | None:
    """The person running ksp, as git configures it for the patches repo (read only): the
    `@handle` of `github.user` when set (the KEP's headers name people by handle), else
    `user.name`."""
    for key, prefix in (("github.user", "@"), ("user.name", "")):
        proc = git(repo_root, "config", "--get", key, check=False)
        value = proc.stdout.strip() if proc.returncode == 0 else ""
        if value:
            return value if value.startswith("@") or not prefix else prefix + value
    return None


def build(advisory: str, values: HeaderValues, origin: Origin, existing: Advisory | None,
          config: Config) -> tuple[str, Advisory]:
    """The rendered header and the index entry to upsert; raises UsageError if values miss."""
    kind = PatchKind.of(advisory)
    _one_line(advisory, values)
    values_ = fields(advisory, values, origin, existing, config)
    entry = _advisory(advisory, values, origin, values_, kind)
    if existing is None and not entry.title:
        raise UsageError(f"{advisory} is not in index.yaml yet: --title is required")
    return new_header(kind, advisory, values_).render(), entry


def _one_line(advisory: str, values: HeaderValues) -> None:
    """Every value given is one line of text (the title too: it reaches index.yaml and pages)."""
    check_value("advisory id", advisory)
    for item in dataclasses.fields(values):
        given = getattr(values, item.name)
        for value in given if isinstance(given, tuple) else (given,):
            if value:
                check_value("--" + item.name.replace("_", "-"), value)


def fields(advisory: str, values: HeaderValues, origin: Origin, existing: Advisory | None,
           config: Config) -> dict[str, str]:
    severity = _severity(values, existing)
    optional = {
        "Upstream commits": ", ".join(origin.commits) or None,
        "CVSS vector": severity.vector if severity else None,
        "Backport": values.backport,
        "Tests": values.tests,
        "Notes": origin.note,
    }
    out = {k: v for k, v in optional.items() if v}
    out["Affected components"] = ", ".join(_components(values, origin, existing, config))
    out["Testing"] = values.testing or TESTING_PENDING
    out["SRC Reviewer"] = values.reviewer or ""
    original = values.original_patch or (existing.fixes[0] if existing and existing.fixes
                                         else None) or _commit_url(origin, config)
    if PatchKind.of(advisory) is PatchKind.SECURITY:
        out["Original patch"] = original or ""
        out["CVE issue"] = values.cve_issue or (existing.issue if existing else None) or ""
        out["Severity"] = sev.render(severity) if severity else ""
        out["CVE Fixer"] = values.fixer or ""
        needed = {"Original patch": "--original-patch URL", "CVE issue": "--cve-issue URL",
                  "Severity": "--severity or --cvss-vector", "CVE Fixer": "--fixer @handle"}
    else:
        out["Reason"] = values.reason or (
            (existing.reason or existing.title) if existing else None) or ""
        out["Upstream reference"] = values.upstream_ref or original or ""
        out["Fixer"] = values.fixer or ""
        needed = {"Reason": "--reason TEXT", "Upstream reference": "--upstream-ref URL",
                  "Fixer": "--fixer @handle"}
    needed["Affected components"] = "--components a,b"
    missing = [flag for key, flag in needed.items() if not out[key]]
    if missing:
        raise UsageError(f"{advisory}: missing {', '.join(missing)}",
                         hint="ksp asks nothing; give the header's values as flags "
                              "(values already in index.yaml are reused)")
    return out


def _commit_url(origin: Origin, config: Config) -> str | None:
    """The fix where it really comes from: a staging repo's commit names the kubernetes/kubernetes
    commit it was published from (its own sha stays in `Upstream commits`)."""
    if config.mirror_of and origin.published_from:
        return f"{config.mirror_of.upstream}/commit/{origin.published_from[0]}"
    return f"{config.upstream.rstrip('/')}/commit/{origin.commits[0]}" if origin.commits else None


def parse_severity(text: str) -> Severity:
    value = text.strip()
    head, _, rest = value.partition(" ")
    match = SEVERITY_RE.match(f"{head.upper()} {rest}".strip())
    if not match:
        raise UsageError(f"--severity {text!r}: expected RATING or 'RATING (CVSS n.n)'",
                         hint="rating is NONE, LOW, MEDIUM, HIGH or CRITICAL")
    score = float(match["score"]) if match["score"] else None
    return Severity(Rating(match["rating"]), score)


def _severity(values: HeaderValues, existing: Advisory | None) -> Severity | None:
    vector = values.cvss_vector or None
    stated = parse_severity(values.severity) if values.severity else None
    if vector:
        try:
            computed = sev.from_vector(vector)
            why = sev.disagreement(stated, vector) if stated else None
        except sev.BadVector as exc:
            raise UsageError(f"--cvss-vector: {exc}") from None
        if why:
            raise UsageError(f"--severity: {why}")
        return computed
    if stated:
        return stated
    return existing.severity if existing else None


def _components(values: HeaderValues, origin: Origin, existing: Advisory | None,
                config: Config) -> tuple[str, ...]:
    """Flags, else the index entry, else ksp.yaml's components whose folder the diff touches."""
    if values.components:
        return values.components
    if existing and existing.components:
        return existing.components
    return tuple(name for name, folder in config.components.items()
                 if any(p.startswith(folder.rstrip("/") + "/") for p in origin.paths))


def _advisory(advisory: str, values: HeaderValues, origin: Origin, fields_: dict[str, str],
              kind: PatchKind) -> Advisory:
    severity = None
    if fields_.get("Severity"):
        severity = replace(parse_severity(fields_["Severity"]), vector=fields_.get("CVSS vector"))
    fix = fields_.get("Original patch") or fields_.get("Upstream reference")
    return Advisory(
        id=AdvisoryId(advisory),
        title=values.title or origin.subject or values.reason or "",
        kind=kind,
        issue=fields_.get("CVE issue"),
        severity=severity,
        components=tuple(c.strip() for c in fields_["Affected components"].split(",")),
        fixes=(fix,) if fix and fix.startswith("https://") else (),
        reason=values.reason,
    )
