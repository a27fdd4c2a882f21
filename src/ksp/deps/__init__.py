"""The dependency and Go toolchain lane: what a minor builds with, and the Go advisories on it.

inventory (go.mod, vendor/modules.txt, .go-version at base + series) -> vulndb (Go OSV records)
-> match (SEMVER ranges) -> reach (the import graph per binary, symbols by name) -> lane (the
index.yaml entries of kind dependency/toolchain) -> fix (the bump to backport, the Go release).
"""
