"""What the generated CI pins: each action by commit, each scanner by version and checksum.

A tag can be moved, a commit cannot; an archive is checked against its sha256 before it is
unpacked. How each value was verified is in docs/decisions.md ("Trust").
"""

from __future__ import annotations

from dataclasses import dataclass

# Actions pinned by commit: a tag can be moved, a commit cannot. Each was checked against the
# action's own repository (`git rev-parse <tag>^{commit}` in a clone of it); see docs/decisions.md.
CHECKOUT = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"  # v4.2.2
SETUP_PYTHON = "actions/setup-python@0b93645e9fea7318ecaed2b359559ac225c90a2b"  # v5.3.0
SETUP_GO = "actions/setup-go@41dfa10bad2bb2ae585af6ee5bb4d7d973ad74ed"  # v5.1.0
CACHE = "actions/cache@1bd1e32a3bdc45362d1e726936510720a7c30a57"  # v4.2.0
UPLOAD = "actions/upload-artifact@b4b15b8c7c6ac21ea08fcf65892d2ee8f75cf882"  # v4.4.3
DOWNLOAD = "actions/download-artifact@fa0a91b85d4f404e444e00e005971372dc801d16"  # v4.1.8
SCRIPT = "actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea"  # v7.0.1
PIN_TAGS = {CHECKOUT: "v4.2.2", SETUP_PYTHON: "v5.3.0", SETUP_GO: "v5.1.0", CACHE: "v4.2.0",
            UPLOAD: "v4.4.3", DOWNLOAD: "v4.1.8", SCRIPT: "v7.0.1"}


@dataclass(frozen=True)
class Scanner:
    """A scanner release archive, pinned by version and the sha256 of its Linux x86-64 asset."""

    name: str
    version: str
    url: str
    sha256: str


# The sha256 values are the release assets' published checksums as pinned by several unrelated
# projects that agree with each other; see docs/decisions.md for how far they were verified.
TRIVY = Scanner("trivy", "0.73.0", "https://github.com/aquasecurity/trivy/releases/download/"
                "v0.73.0/trivy_0.73.0_Linux-64bit.tar.gz",
                "2edd39da482bb4e9831962487b68f68e3928ec3137794757f54d00383d79547b")
GRYPE = Scanner("grype", "0.116.1", "https://github.com/anchore/grype/releases/download/"
                "v0.116.1/grype_0.116.1_linux_amd64.tar.gz",
                "0122df7b655981abe547ad3d2190d65551dac6a2bfc80b4dc2a989b5d0587458")
