"""The identifier of a patched build: the upstream release plus semver build metadata.

`v1.30.14+ksp.3` is 1.30.14 with the 3 patches of the minor's series. Build metadata does not
change semver precedence, so scanners compare it as 1.30.14; a pre-release form (`-ksp.3`) would
sort *before* 1.30.14 and make them report more, not less. `ksp vex` and `ksp apply --commit` use
the same identifier.
"""

from __future__ import annotations

import re

from ksp.errors import UsageError
from ksp.lifecycle import Lifecycle
from ksp.model import Minor
from ksp.repo.config import Config

_RELEASE_RE = re.compile(r"^v?(?P<major>\d+)\.(?P<minor>\d+)\.(?P<patch>\d+)$")


def base_version(lifecycle: Lifecycle, minor: Minor, override: str | None = None,
                 config: Config | None = None) -> str:
    """`v1.30.14`: the given base, else the minor's final (or latest) patch release, written in
    the module's own version scheme (a k8s.io staging module's 1.32.13 is `v0.32.13`)."""
    release = lifecycle.release(minor)
    text = (override or (release and (release.final_patch or release.latest_patch)) or "").strip()
    patch = config.release_patch(minor, text) if config and text else None
    if patch is not None and config is not None:
        return config.tag_for(minor, patch)
    match = _RELEASE_RE.match(text)
    if not match:
        example = config.tag_for(minor, 14) if config else f"v{minor}.14"
        if override:
            raise UsageError(f"--base {override!r} is not a release like {example}")
        raise UsageError(f"no patch release of {minor} is known to the lifecycle data",
                         hint=f"pass --base {example.removesuffix('14')}N")
    if Minor(int(match["major"]), int(match["minor"])) != minor:
        raise UsageError(f"--base {override} is not a release of {minor}")
    if config is not None:
        return config.tag_for(minor, int(match["patch"]))
    return f"v{match['major']}.{match['minor']}.{match['patch']}"


def ksp_build(base: str, patches: int) -> str:
    """`v1.30.14+ksp.3`; never `v1.30.14-ksp.3`."""
    return f"{base}+ksp.{patches}"
