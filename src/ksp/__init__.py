"""ksp: community security patches for out-of-support Kubernetes minors."""

from __future__ import annotations

__version__ = "0.1.0"
