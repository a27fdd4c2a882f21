"""Backport: an upstream fix -> classified, sourced, and written per target minor."""
