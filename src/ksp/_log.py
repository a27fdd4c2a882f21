"""Debug logging only when something listens, without importing logging to find out.

`ksp -v` (or a library user's own configuration) imports and configures logging; otherwise the
import is not paid (~3 ms of every command's start-up). A module that another thread is still
importing is not "in use": its attributes may not exist yet.
"""

from __future__ import annotations

import sys
from typing import Any


def debug_logger(name: str) -> Any:
    """`logging.getLogger(name)` when logging is imported and that logger logs debug, else None."""
    logging = sys.modules.get("logging")
    if logging is None or getattr(getattr(logging, "__spec__", None), "_initializing", False):
        return None
    log = logging.getLogger(name)
    return log if log.isEnabledFor(logging.DEBUG) else None
