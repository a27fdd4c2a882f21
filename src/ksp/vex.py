"""The statements of an OpenVEX document for one minor: what a consumer's build is exposed to.

Products are identifiers that scanners really produce, so that the statements suppress findings:
by default the sha256 of each built binary (`--artifact`) and each image digest (`--image`), each
with the Go module at the base release as subcomponent. The broad forms (the Go module and the
cluster-inventory `pkg:k8s` names) also match an unpatched upstream build, so they are opt-in and
go in a separate document that says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ksp.buildid import base_version, ksp_build
from ksp.errors import KspError, UsageError
from ksp.model import Advisory, AdvisoryKind, Minor, MinorState, PatchKind, Status
from ksp.purl import purl
from ksp.repo import PatchesRepo
from ksp.review.provenance import Provenance, of_repo

_IMAGE_RE = re.compile(r"^(?P<ref>[^@\s]+)@sha256:(?P<digest>[0-9a-f]{64})$")


@dataclass(frozen=True)
class Product:
    id: str
    sha256: str | None = None
    subcomponents: tuple[str, ...] = ()
    binary: str | None = None  # the binary's name (an artifact's file name), for per-binary reach


@dataclass(frozen=True)
class Statement:
    advisory: str
    aliases: tuple[str, ...]
    status: str  # OpenVEX status
    product: Product
    justification: str | None = None
    impact_statement: str | None = None
    action_statement: str | None = None
    status_notes: str | None = None


@dataclass(frozen=True)
class VexResult:
    minor: str
    base: str
    build: str
    broad: bool
    author: str
    issued: dt.date  # the newest date in the input, so that unchanged input gives the same bytes
    statements: list[Statement] = field(default_factory=list)


def artifact_product(path: Path, subcomponents: tuple[str, ...]) -> Product:
    if not path.is_file():
        raise UsageError(f"--artifact {path}: not a file")
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    hexdigest = digest.hexdigest()
    return Product(purl("generic", path.name, f"sha256:{hexdigest}", one_segment=True),
                   hexdigest, subcomponents, path.name)


def image_product(ref: str, subcomponents: tuple[str, ...]) -> Product:
    match = _IMAGE_RE.match(ref.strip())
    if not match:
        raise UsageError(f"--image {ref!r} is not pinned by digest",
                         hint="pass REF@sha256:<64 hex>, e.g. "
                              "registry.k8s.io/kube-apiserver:v1.30.14@sha256:…")
    name = match["ref"].rsplit("/", 1)[-1].split(":", 1)[0].lower()
    return Product(purl("oci", name, f"sha256:{match['digest']}", one_segment=True),
                   None, subcomponents, name)


def build(repo: PatchesRepo, minor: Minor, *, base: str | None = None,
          artifacts: tuple[Path, ...] = (), images: tuple[str, ...] = (), broad: bool = False,
          author: str = "ksp community security patches", today: dt.date | None = None
          ) -> VexResult:
    if broad and (artifacts or images):
        raise UsageError("--broad makes a separate document; leave out --artifact and --image",
                         hint="run ksp vex twice: once pinned, once with --broad")
    if not broad and not artifacts and not images:
        raise UsageError("name the build: --artifact FILE or --image REF@sha256:…",
                         hint="or --broad for module-level products that also match unpatched "
                              "upstream builds")
    config = repo.config
    base_v = base_version(repo.lifecycle(), minor, base, config)
    ident = ksp_build(base_v, len(repo.series(minor)))
    module_path = config.module_for(minor)
    module = (purl("golang", module_path, base_v),) if module_path else ()
    # Other projects' advisories (a CSI driver's) say nothing of this project's builds.
    advisories = [a for a in repo.advisories().values()
                  if a.kind is PatchKind.SECURITY and a.scope is not AdvisoryKind.OTHER_PROJECT
                  and minor in a.minors]
    if not advisories:
        raise KspError(f"no advisory in index.yaml has a status for {minor}",
                       hint="run `ksp advisories import`, or set statuses in index.yaml")
    pinned = [artifact_product(p, module) for p in artifacts]
    pinned += [image_product(r, module) for r in images]
    statements = []
    provenance = of_repo(repo)
    for adv in sorted(advisories, key=lambda a: a.id):
        products = _broad(adv, config.components, module_path, config.project, base_v) \
            if broad else pinned
        state = adv.minors[minor]
        made = provenance.get(state.patch) if state.patch else None
        statements += [_statement(adv, minor, state, p, ident=ident, base=base_v,
                                  broad=broad, provenance=made)
                       for p in products]
    # The newest date of the input keeps the document stable; with no date at all, today.
    issued = _newest(advisories) or today or dt.date.today()
    return VexResult(str(minor), base_v, ident, broad, author, issued, statements)


def _broad(adv: Advisory, components: dict[str, str], module: str, project: str,
           base: str) -> list[Product]:
    products = [Product(purl("golang", module, base))] if module else []
    if project == "kubernetes":
        names = [c for c in adv.components if c in components] or sorted(components)
        for name in names:
            products += [Product(purl("k8s", f"k8s.io/{name}", v, one_segment=True))
                         for v in (base, base.lstrip("v"))]
    return products


def _newest(advisories: list[Advisory]) -> dt.date | None:
    days = [d for a in advisories for d in (a.published, *(s.patched_on for s in a.minors.values()),
                                            *(h.date for h in a.history))
            if d]
    return max(days) if days else None


def _fixed_upstream(adv: Advisory) -> str:
    return f" (fixed upstream in {', '.join(adv.fixed_in)})" if adv.fixed_in else ""


def _decision(adv: Advisory, minor: Minor, state: MinorState) -> str | None:
    """Who decided the minor's current status, when and why (the last `ksp triage` for it)."""
    last = next((d for d in reversed(adv.history)
                 if d.minor == minor and d.after == state.status.value), None)
    if last is None:
        return None
    why = f": {last.why.rstrip('.')}" if last.why else ""
    return f"Triaged {last.after} by {last.by} on {last.date.isoformat()}{why}."


def _statement(adv: Advisory, minor: Minor, state: MinorState, product: Product, *,
               ident: str, base: str, broad: bool,
               provenance: Provenance | None = None) -> Statement:
    notes = f"Build {ident}: {base} with the ksp community patch series for {minor}."
    if state.source is None and (decided := _decision(adv, minor, state)):
        notes = f"{decided} {notes}"
    if broad:
        notes += (f" Broad product: this identifier also matches an unpatched upstream {base};"
                  f" use this statement only for builds that carry the series.")
    if adv.scope.is_go:
        from ksp.deps.vex import statement  # lazy: 1.6 ms of start-up

        said = statement(adv, state, product.subcomponents, product.binary, notes)
        return Statement(adv.id, adv.aliases, said.status,
                         replace(product, subcomponents=said.subcomponents),
                         said.justification, said.impact_statement, said.action_statement,
                         said.status_notes)
    common = Statement(adv.id, adv.aliases, "", product)
    status = state.status
    if status is Status.PATCHED:
        fixed = replace(common, status="fixed", status_notes=(
            f"Fixed by {state.patch} (sha256 {state.sha256}). {notes}"))
        if provenance is None or not state.patch:
            return fixed
        return replace(fixed, impact_statement=provenance.sentence(state.patch),
                       action_statement=f"Build {minor} with the ksp community patch series "
                       f"applied as signed: `ksp apply --minor {minor} --to DIR "
                       "--require-signed`.")
    if status is Status.NOT_AFFECTED:
        return replace(common, status="not_affected",
                         justification=state.justification.value if state.justification else None,
                         impact_statement=state.reason or (
                             None if state.justification else "not affected"),
                         status_notes=notes)
    if status is Status.NEEDS_TRIAGE:
        why = f" {state.reason}." if state.reason else ""
        return replace(common, status="under_investigation", status_notes=(
            f"Not yet known whether {minor} is affected.{why} {notes}"))
    upgrade = f"upgrade to a supported Kubernetes minor{_fixed_upstream(adv)}"
    where = f", or apply the mitigations in {adv.issue}" if adv.issue else ""
    action = {
        Status.NEEDED: f"No community patch for {minor} yet: {upgrade}{where}.",
        Status.IN_PROGRESS: f"A community patch for {minor} is in preparation"
                            f"{f' ({state.link})' if state.link else ''}; until it is released, "
                            f"{upgrade}{where}.",
        Status.WONT_FIX: f"No patch will be provided for {minor}"
                         f"{f': {state.reason}' if state.reason else ''}. Upgrade to a supported "
                         f"Kubernetes minor{_fixed_upstream(adv)}.",
    }[status]
    return replace(common, status="affected", action_statement=action, status_notes=notes)
