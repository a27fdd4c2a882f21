"""`python -m ksp`: the same entry point as the `ksp` script."""

from __future__ import annotations

from ksp.cli.main import entry

if __name__ == "__main__":
    entry()
