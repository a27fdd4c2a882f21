"""The static site as HTML: Jinja2 templates with autoescaping (titles come from feeds).

`render(data)` returns every file of the site (site-relative path -> content): the pages, the
stylesheet and script, and the copied patches and VEX documents the data carries.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import jinja2

from ksp import __version__
from ksp.site.gather import slug
from ksp.site.model import SiteData

STATIC = ("site.css", "filter.js")
STATUS_LABELS = {
    "needs-triage": "needs triage",
    "needed": "needed (gap)",
    "in-progress": "in progress",
    "patched": "patched",
    "not-affected": "not affected",
    "wont-fix": "won't fix",
    "upstream": "fixed upstream",
    "none": "no entry",
}
WINDOW_LABELS = {
    "supported": "supported upstream",
    "extended": "extended (community patches)",
    "expired": "expired (no action)",
    "unknown": "unknown window",
}


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ksp.report.site", "templates"),
        autoescape=True,  # every template, whatever its name: feed text is untrusted
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(status_labels=STATUS_LABELS, window_labels=WINDOW_LABELS,
                       version=__version__, plural=_plural)
    env.filters["short"] = lambda sha: sha[:12] if sha else ""
    env.filters["slug"] = slug
    env.tests["web_url"] = _web_url
    return env


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _web_url(value: object) -> bool:
    """Only http(s) links are made clickable: a feed could carry `javascript:` URLs."""
    return isinstance(value, str) and value.startswith(("https://", "http://"))


def _page(env: jinja2.Environment, name: str, root: str, data: SiteData, **extra: Any) -> str:
    known = {a.advisory.id for a in data.advisories}
    return env.get_template(name).render(site=data, root=root, known=known, **extra)


def render(data: SiteData) -> dict[str, str | bytes]:
    env = environment()
    files: dict[str, str | bytes] = {"index.html": _page(env, "index.html", "", data,
                                                         page_title="Overview")}
    for adv in data.advisories:
        files[f"advisories/{adv.slug}.html"] = _page(
            env, "advisory.html", "../", data, page=adv, page_title=adv.advisory.id)
    for minor in data.minors:
        files[f"minors/{minor.slug}.html"] = _page(
            env, "minor.html", "../", data, page=minor, page_title=f"{data.name} {minor.minor}")
    static = resources.files("ksp.report.site") / "static"
    for name in STATIC:
        files[f"static/{name}"] = (static / name).read_text("utf-8")
    files.update(data.files)
    return files
