"""One site over several patches repos: each repo's own site in a subfolder named after the
repo, and an index page with the fleet's table (the same rows as `ksp status --fleet`)."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources

from ksp.fleet import FleetStatus
from ksp.report.fleet import shown
from ksp.report.site import STATIC, environment
from ksp.site.gather import slug


def render(fleet: FleetStatus, sites: Mapping[str, Mapping[str, str | bytes]],
           extended_months: int) -> dict[str, str | bytes]:
    """`sites`: each repo's rendered files, by repo name (in the fleet's order)."""
    files: dict[str, str | bytes] = {}
    for name, site_files in sites.items():
        files.update({f"{slug(name)}/{path}": content for path, content in site_files.items()})
    pages = {name: {path.removeprefix("minors/v").removesuffix(".html")
                    for path in site_files if path.startswith("minors/v")
                    and path.endswith(".html")}
             for name, site_files in sites.items()}
    files["index.html"] = environment().get_template("fleet.html").render(
        fleet=fleet, pages=pages, shown=shown, site={"extended_months": extended_months},
        root="")
    static = resources.files("ksp.report.site") / "static"
    for name in STATIC:
        files[f"static/{name}"] = (static / name).read_text("utf-8")
    return files
