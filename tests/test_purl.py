"""ksp.purl: every URL it builds reads back, through packageurl-python, to what was given."""

from __future__ import annotations

import pytest
from packageurl import PackageURL

from ksp.purl import purl

CASES = [
    ("golang", "k8s.io/kubernetes", "v1.30.14", False, "pkg:golang/k8s.io/kubernetes@v1.30.14"),
    ("golang", "github.com/opencontainers/runc", "v1.1.0+ksp.1", False,
     "pkg:golang/github.com/opencontainers/runc@v1.1.0%2Bksp.1"),
    ("golang", "stdlib", "1.22.12", False, "pkg:golang/stdlib@1.22.12"),
    ("k8s", "k8s.io/api", "v0.30.2", True, "pkg:k8s/k8s.io%2Fapi@v0.30.2"),
    ("generic", "ksp demo", "sha256:ab12", True, "pkg:generic/ksp%20demo@sha256:ab12"),
    ("oci", "ghcr.io/x/y", "sha256:ab", True, "pkg:oci/ghcr.io%2Fx%2Fy@sha256:ab"),
]


@pytest.mark.parametrize(("kind", "name", "version", "one", "want"), CASES)
def test_the_url_and_what_it_reads_back_as(kind: str, name: str, version: str, one: bool,
                                           want: str) -> None:
    url = purl(kind, name, version, one_segment=one)
    assert url == want
    back = PackageURL.from_string(url)
    assert back.type == kind and back.version == version
    assert (back.name if one else "/".join(p for p in (back.namespace, back.name) if p)) == name
