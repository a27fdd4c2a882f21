"""What a minor builds with, at its base plus its patch series: the Go version and every module.

Files are read from the commit that the gate's series engine writes (git/series.py) in the
shadow repository, so a patch that bumps a module in go.mod or vendor/modules.txt changes the
inventory exactly as it changes the build. Nothing is checked out and nothing is downloaded.

Version precedence: a module vendored in `vendor/modules.txt` is built at that version (the root
module's, which the build uses in vendor mode); otherwise at the highest version any go.mod of
the tree (root and staging modules) requires. The Go version is `.go-version`, else go.mod's
`toolchain`, else its `go` line read as `x.y.0` (the oldest release it allows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ksp import gomod, versions
from ksp.errors import KspError
from ksp.git._run import split_z
from ksp.git.series import Outcome, PatchInput, apply_series
from ksp.git.shadow import ObjectReader, Shadow
from ksp.model import Minor
from ksp.repo.layout import PatchesRepo
from ksp.versions import semver_of


@dataclass(frozen=True)
class ModuleUse:
    path: str
    version: str  # as Go writes it: v0.23.0, v0.0.0-2021…-abcdef, v2.1.0+incompatible
    source: str  # the file it was read from: vendor/modules.txt or a go.mod
    indirect: bool = False
    replaced_by: str | None = None  # a fork (`path version`) or local folder built instead


@dataclass(frozen=True)
class GoVersion:
    version: str  # normalised, e.g. 1.22.12
    source: str  # .go-version, go.mod toolchain, go.mod go


@dataclass(frozen=True)
class Point:
    """Where an inventory is read: a minor's base and the commit of base + its series."""

    minor: Minor
    base_ref: str
    base: str
    head: str  # base + series (the base itself when there is no series)
    patches: int = 0

    @property
    def at_base(self) -> Point:
        return Point(self.minor, self.base_ref, self.base, self.base, 0)


@dataclass(frozen=True)
class Inventory:
    point: Point
    go: GoVersion | None
    modules: dict[str, ModuleUse] = field(default_factory=dict)
    main_modules: tuple[str, ...] = ()  # the tree's own modules (root and staging)
    vendored: bool = False


ReadFile = Callable[[str], str | None]


def series_head(repo: PatchesRepo, shadow: Shadow, minor: Minor, base: str) -> tuple[str, int]:
    """The commit of base + the minor's series, as the gate writes it."""
    from ksp.gate.select import read_patch  # lazy: 1.8 ms of start-up

    inputs = []
    for ref in repo.series(minor):
        planned = read_patch(repo.path_of(ref), ref.path, new=False)
        inputs.append(PatchInput(ref.path, planned.diff, f"ksp: {ref.path}"))
    if not inputs:
        return base, 0
    result = apply_series(shadow, base, inputs, allow_drift=True)
    if result.head is None:
        failed = next(p for p in result.patches if p.result is Outcome.FAILED)
        raise KspError(f"{minor}: the series does not apply: {failed.name}: {failed.detail}",
                       hint="run `ksp gate --minor " + str(minor) + "` to see the failure")
    return result.head, len(inputs)


def read_inventory(shadow: Shadow, point: Point) -> Inventory:
    head = point.head
    names = split_z(shadow.git("ls-tree", "-r", "-z", "--name-only", head).stdout)
    with ObjectReader(shadow.path) as reader:
        def read(path: str) -> str | None:
            got = reader.read(f"{head}:{path}")
            return got[1].decode("utf-8", "replace") if got and got[0] == "blob" else None

        return inventory_from(read, names, point)


def inventory_from(read: ReadFile, names: list[str], point: Point) -> Inventory:
    mods = [n for n in names if n == "go.mod" or (n.endswith("/go.mod") and _own(n))]
    parsed = {n: gomod.parse_go_mod(read(n) or "") for n in sorted(mods, key=_depth)}
    modules: dict[str, ModuleUse] = {}
    main = tuple(m.module for m in parsed.values() if m.module)
    for name, mod in parsed.items():
        for req in mod.requires:
            if req.path in main:
                continue
            old = modules.get(req.path)
            if old is None or _newer(req.version, old.version):
                modules[req.path] = ModuleUse(req.path, req.version, name, req.indirect)
    vendored = "vendor/modules.txt" in names
    if vendored:
        for path, got in gomod.parse_modules_txt(read("vendor/modules.txt") or "").items():
            if path not in main:
                indirect = modules[path].indirect if path in modules else False
                modules[path] = ModuleUse(path, got.version, "vendor/modules.txt", indirect,
                                          got.replacement)
    go = _go_version(read, names, parsed.get("go.mod"))
    return Inventory(point, go, dict(sorted(modules.items())), main, vendored)


def _own(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return "vendor" not in parts and "testdata" not in parts and not parts[0].startswith(".")


def _depth(path: str) -> tuple[int, str]:
    return path.count("/"), path


def _go_version(read: ReadFile, names: list[str], root: gomod.GoMod | None) -> GoVersion | None:
    if ".go-version" in names:
        found = versions.go_release((read(".go-version") or "").strip())
        if found:
            return GoVersion(found, ".go-version")
    if root and root.toolchain and (found := versions.go_release(root.toolchain)):
        return GoVersion(found, "go.mod toolchain")
    if root and root.go and (found := versions.go_release(root.go)):
        return GoVersion(found, "go.mod go")
    return None


def _newer(candidate: str, current: str) -> bool:
    new, old = semver_of(candidate), semver_of(current)
    return bool(new and old and new > old)
