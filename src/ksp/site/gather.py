"""Gather everything the site shows from a patches repo: windows, coverage, patches, VEX.

Nothing here writes; `ksp.site.output` writes the rendered pages and the copied files at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import replace

from ksp import coverage
from ksp.deps.summary import in_lane, lanes
from ksp.errors import KspError
from ksp.lifecycle import Lifecycle
from ksp.model import Advisory, AdvisoryKind, Minor, MinorState, PatchRef, Window
from ksp.repo import PatchesRepo, patchfile
from ksp.site import timeline
from ksp.site.model import AdvisoryPage, MinorPage, PatchInfo, SiteData, StatusLine

# (document bytes, note): the document, or None and a note that says why there is none.
VexProvider = Callable[[Minor], tuple[bytes | None, str | None]]

SHOWN_FIELDS = (
    "Original patch", "Upstream reference", "Reason", "CVE issue", "Severity", "Backport", "Tests",
    "Drop when", "Testing", "CVE Fixer", "Fixer", "SRC Reviewer",
)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def slug(text: str) -> str:
    """A file name for an id; ids are already safe, but feeds are not to be trusted."""
    return _UNSAFE.sub("_", text) or "_"


def no_vex(_minor: Minor) -> tuple[bytes | None, str | None]:
    return None, "no OpenVEX generator available in this ksp"


def gather(repo: PatchesRepo, today: dt.date, vex: VexProvider = no_vex) -> SiteData:
    config = repo.config
    lifecycle = repo.lifecycle()
    advisories = sorted(repo.advisories().values(), key=lambda a: a.id)
    matrix = coverage.compute(advisories, lifecycle, today, project=config.project)
    minors = _page_minors(repo, advisories, matrix.minors)
    patches = {m: [_patch_info(repo, ref, advisories) for ref in repo.series(m)] for m in minors}
    by_path = {p.ref.path: p for infos in patches.values() for p in infos}
    files = {p.download: repo.path_of(p.ref).read_bytes() for p in by_path.values()
             if p.download}
    adv_pages = [_advisory_page(a, minors, lifecycle, today, by_path) for a in advisories]
    minor_pages = []
    for minor in minors:
        page = _minor_page(repo, minor, lifecycle.window(minor, today), lifecycle, advisories,
                           patches[minor], by_path)
        document, note = vex(minor)
        if document is not None:
            files[f"minors/{minor.folder}.openvex.json"] = document
            page = _with_vex(page, f"minors/{minor.folder}.openvex.json", None)
        else:
            page = _with_vex(page, None, note)
        minor_pages.append(page)
    pages = {str(m) for m in minors}
    shown = timeline.shown_minors(lifecycle, today, minors)
    return SiteData(
        project=config.project, name=_name(config.project, config.upstream),
        upstream=config.upstream, date=today.isoformat(),
        extended_months=lifecycle.extended_months,
        timeline=timeline.build(lifecycle, today, shown, pages),
        coverage=matrix, advisories=adv_pages, minors=minor_pages, files=files,
    )


def _page_minors(repo: PatchesRepo, advisories: list[Advisory], shown: list[str]) -> list[Minor]:
    """A page for every minor the matrix shows, the repo has a folder for, or the index names."""
    minors = {Minor.parse(m) for m in shown} | set(repo.minors())
    for adv in advisories:
        minors.update(adv.minors)
    return sorted(minors, reverse=True)


def _patch_info(repo: PatchesRepo, ref: PatchRef, advisories: list[Advisory]) -> PatchInfo:
    path = repo.path_of(ref)
    if path.is_symlink() or path.stat().st_size > patchfile.MAX_PATCH_BYTES:
        # Never publish what a link points at (it may be outside the repo), nor huge files.
        return PatchInfo(ref, ref.kind.value, "", 0, "", problem="not published: a symlink or "
                         "larger than the patch size limit")
    data = path.read_bytes()
    recorded = None
    for adv in advisories:
        state = adv.minors.get(ref.minor)
        if adv.id == ref.advisory and state and state.patch == ref.path:
            recorded = state.sha256
    fields: dict[str, str] = {}
    problem = None
    try:
        header = patchfile.load(path).header
        fields = {k: v for k in SHOWN_FIELDS if (v := header.get(k) or "")}
    except KspError as exc:
        problem = exc.message
    return PatchInfo(ref, ref.kind.value, hashlib.sha256(data).hexdigest(), len(data),
                     f"patches/{ref.path}", recorded, fields, problem)


def _status_line(adv: Advisory, minor: Minor, window: Window,
                 by_path: dict[str, PatchInfo]) -> StatusLine:
    state: MinorState | None = adv.minors.get(minor)
    upstream = adv.fixed_upstream_in(minor)
    if state is None:
        status = "upstream" if upstream else "none"
        return StatusLine(adv.id, adv.title, str(minor), window, status,
                          fixed_upstream_in=upstream)
    detail = state.reason
    if state.justification:
        detail = f"{state.justification.value}" + (f": {state.reason}" if state.reason else "")
    patch = by_path.get(state.patch or "")
    return StatusLine(adv.id, adv.title, str(minor), window, state.status.value, detail, patch,
                      upstream, None if patch else state.patch)


def _advisory_page(adv: Advisory, minors: list[Minor], lifecycle: Lifecycle, today: dt.date,
                   by_path: dict[str, PatchInfo]) -> AdvisoryPage:
    shown = [m for m in minors if m in adv.minors or (
        adv.scope is AdvisoryKind.PROJECT
        and lifecycle.window(m, today) in (Window.SUPPORTED, Window.EXTENDED))]
    statuses = [_status_line(adv, m, lifecycle.window(m, today), by_path) for m in shown]
    patches = [p for p in by_path.values() if p.ref.advisory == adv.id]
    patches.sort(key=lambda p: (p.ref.minor, p.ref.number), reverse=True)
    return AdvisoryPage(adv, slug(adv.id), statuses, patches)


def _minor_page(repo: PatchesRepo, minor: Minor, window: Window, lifecycle: Lifecycle,  # noqa: PLR0917
                advisories: list[Advisory], series: list[PatchInfo],
                by_path: dict[str, PatchInfo]) -> MinorPage:
    statuses = [_status_line(a, minor, window, by_path) for a in advisories
                if a.in_scope and (minor in a.minors or a.fixed_upstream_in(minor))]
    lane = [a for a in advisories if in_lane(a) and minor in a.minors]
    dependencies = sorted((_status_line(a, minor, window, by_path) for a in lane),
                          key=lambda s: (s.status != "needed", s.advisory))
    release = lifecycle.release(minor)
    until = lifecycle.extended_until(minor)
    return MinorPage(
        minor=str(minor), slug=minor.folder, window=window,
        released=release.released.isoformat() if release and release.released else None,
        eol=eol.isoformat() if (eol := lifecycle.eol(minor)) else None,
        extended_until=until.isoformat() if until else None,
        branch=repo.config.branch_for(minor), series=series,
        gaps=[s for s in statuses if s.status in ("needed", "needs-triage")],
        statuses=statuses, dependencies=dependencies, lane=lanes(lane, [minor]),
    )


def _with_vex(page: MinorPage, path: str | None, note: str | None) -> MinorPage:
    return replace(page, vex_file=path, vex_note=note)


def _name(project: str, upstream: str) -> str:
    if project == "kubernetes":
        return "Kubernetes"
    return upstream.rstrip("/").rsplit("/", 1)[-1] or project
