"""Package URLs for VEX products and subcomponents: the one builder.

Built with packageurl-python, which percent-encodes each part as the purl spec says. One form it
cannot write: a name that is one segment although it holds a `/`: the `pkg:k8s/k8s.io%2Fapi@…`
names of Kubernetes cluster inventories (what scanners report for a cluster's components), or an
image reference as an OCI name. packageurl-python writes that `/` as it is, and the URL then reads
back as a namespace and a shorter name (`pkg:k8s/k8s.io/api` is namespace `k8s.io`, name `api`),
so such a name is encoded here, and the test checks that packageurl-python reads every URL built
here back to the same type, name and version.
"""

from __future__ import annotations

from urllib.parse import quote

from packageurl import PackageURL


def purl(kind: str, name: str, version: str, *, one_segment: bool = False) -> str:
    """`pkg:<kind>/<namespace>/<name>@<version>`; `one_segment`: `name` is one name, `/` and all
    (`k8s.io/api` for pkg:k8s, an image reference for pkg:oci)."""
    if one_segment and "/" in name:
        return f"pkg:{kind}/{quote(name, safe='')}@{quote(version, safe=':')}"
    namespace, _, last = ("", "", name) if one_segment else name.rpartition("/")
    return PackageURL(type=kind, namespace=namespace or None, name=last,
                      version=version).to_string()
