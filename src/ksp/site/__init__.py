"""The static site workflow: gather a patches repo's data (`gather`), write the pages (`output`).

The HTML itself is `ksp.report.site`'s job; the CLI passes one to the other.
"""

from __future__ import annotations

from ksp.site.gather import VexProvider, gather, no_vex
from ksp.site.model import SiteData
from ksp.site.output import write

__all__ = ["SiteData", "VexProvider", "gather", "no_vex", "write"]
