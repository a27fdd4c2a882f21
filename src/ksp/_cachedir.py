"""Where ksp keeps its cache: one rule, cheap enough for the first lines of the `ksp` script."""

from __future__ import annotations

import os


def cache_root() -> str:
    """KSP_CACHE_DIR, else $XDG_CACHE_HOME/ksp, else ~/.cache/ksp."""
    if os.environ.get("KSP_CACHE_DIR"):
        return os.environ["KSP_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "ksp")
