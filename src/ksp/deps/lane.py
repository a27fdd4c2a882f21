"""Per minor: the inventory at base + series, the Go records that hit it, and each binary's reach.

This is the workflow behind `ksp deps` and `ksp advisories import --go-vulndb`: it resolves each
minor's base in the upstream clone (read only), writes base + series in the shadow repository
with the gate's series engine, reads the inventory there, matches the joined records, and asks
the import graph of that commit which binaries link the vulnerable packages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ksp.deps import graph as graph_mod
from ksp.deps import reach
from ksp.deps.inventory import Inventory, Point, read_inventory, series_head
from ksp.deps.match import Finding, match
from ksp.deps.vulndb import GoRecord
from ksp.errors import KspError
from ksp.gate import goimports
from ksp.gate.run import _base_ref
from ksp.git._run import split_z
from ksp.git.shadow import ObjectReader, Shadow
from ksp.model import BinaryState, Minor
from ksp.repo.layout import PatchesRepo

Progress = Callable[[str], None]


@dataclass
class MinorLane:
    """One minor's dependency lane: inventories, findings and reachability."""

    inventory: Inventory  # base + series
    base_inventory: Inventory
    findings: dict[str, list[Finding]] = field(default_factory=dict)  # at base + series
    base_findings: dict[str, list[Finding]] = field(default_factory=dict)
    reach: dict[str, tuple[BinaryState, ...]] = field(default_factory=dict)
    binaries: tuple[str, ...] = ()
    note: str | None = None  # why reachability is unknown, when it is

    @property
    def minor(self) -> Minor:
        return self.inventory.point.minor


def point(repo: PatchesRepo, shadow: Shadow, minor: Minor, base_mode: str | None = None
          ) -> Point:
    base_ref = _base_ref(shadow, repo.config, minor, base_mode or repo.config.base)
    base = shadow.resolve(base_ref)
    head, count = series_head(repo, shadow, minor, base)
    return Point(minor, base_ref, base, head, count)


def inventories(repo: PatchesRepo, shadow: Shadow, minor: Minor, base_mode: str | None = None
                ) -> tuple[Inventory, Inventory]:
    """(base + series, base) inventories of one minor."""
    where = point(repo, shadow, minor, base_mode)
    head = read_inventory(shadow, where)
    base = head if where.head == where.base else read_inventory(shadow, where.at_base)
    return head, base


def assess(repo: PatchesRepo, shadow: Shadow, minor: Minor, groups: dict[str, list[GoRecord]],
           *, base_mode: str | None = None, with_reach: bool = True) -> MinorLane:
    head, base = inventories(repo, shadow, minor, base_mode)
    lane = MinorLane(head, base)
    for ident, records in groups.items():
        if found := match(ident, records, head):
            lane.findings[ident] = found
        if base is not head and (old := match(ident, records, base)):
            lane.base_findings[ident] = old
    if base is head:
        lane.base_findings = dict(lane.findings)
    if with_reach and lane.findings:
        _reach(repo, shadow, lane)
    return lane


def _reach(repo: PatchesRepo, shadow: Shadow, lane: MinorLane) -> None:
    config = repo.config
    try:
        graph = graph_mod.tree_graph(shadow, config, lane.minor, lane.inventory.point.head)
        std = graph_mod.std_graph()
    except KspError as exc:
        lane.note = f"import graph unknown ({exc}); every binary counted as affected"
        return
    mains = _binaries(graph, config.components)
    lane.binaries = tuple(sorted(mains))
    closures = {name: reach.closure(graph, std, imp) for name, imp in mains.items()}
    modules = {name: reach.modules_of(graph, linked) for name, linked in closures.items()}
    users = graph.importers()
    with _Sources(shadow, lane.inventory.point.head) as sources:
        for ident, findings in lane.findings.items():
            states = []
            for name in sorted(mains):
                per = [reach.decide(f, name, closures[name], graph, sources.read,
                                    modules=modules[name], users=users) for f in findings]
                states.append(_strongest(name, per))
            lane.reach[ident] = tuple(states)


def _strongest(name: str, per: list[BinaryState]) -> BinaryState:
    order = {"imported": 0, "symbols-unreferenced": 1, "not-imported": 2}
    best = min(per, key=lambda s: order[s.reach.value])
    return BinaryState(name, best.reach, "; ".join(dict.fromkeys(s.evidence for s in per)))


def _binaries(graph: goimports.Graph, components: dict[str, str]) -> dict[str, str]:
    """Binary name -> its main package: the component map's names, else cmd/<name>."""
    by_dir = goimports.binaries(graph, components)
    if components:
        names = {t.removeprefix("./").rstrip("/"): n for n, t in components.items()}
        return {names[d]: imp for d, imp in by_dir.items() if d in names}
    return {PurePosixPath(d).name: imp for d, imp in by_dir.items()}


class _Sources:
    """The non-test Go files of a package folder at one commit, read through one cat-file."""

    def __init__(self, shadow: Shadow, commit: str) -> None:
        self.shadow, self.commit = shadow, commit
        self.reader = ObjectReader(shadow.path)
        self.cache: dict[str, list[str]] = {}

    def __enter__(self) -> _Sources:
        return self

    def __exit__(self, *exc: object) -> None:
        self.reader.close()

    def read(self, folder: str) -> list[str]:
        if folder not in self.cache:
            names = split_z(self.shadow.git("ls-tree", "-z", "--name-only", self.commit, "--",
                                            f"{folder}/").stdout)
            texts = []
            for name in names:
                if name.endswith(".go") and not name.endswith("_test.go"):
                    got = self.reader.read(f"{self.commit}:{name}")
                    if got:
                        texts.append(got[1].decode("utf-8", "replace"))
            self.cache[folder] = texts
        return self.cache[folder]
