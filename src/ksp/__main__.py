"""`python -m ksp`: the same entry point as the `ksp` script (a running `ksp daemon`, else here)."""

from __future__ import annotations

from ksp.cli._client import entry

if __name__ == "__main__":
    entry()
