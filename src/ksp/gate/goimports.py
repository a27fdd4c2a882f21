"""From changed files to what the gate builds and tests, through the Go import graph.

changed files -> Go packages (module path + folder; `vendor/<path>` is the package `<path>`;
`staging/src/k8s.io/<repo>` is its own module, found by its go.mod) -> the binaries of the
component map that import them, transitively. go.mod, go.sum and vendor/modules.txt belong to no
package: a change there affects every package of that module (the root module: everything).

The graph is the base commit's (`go list -deps` of the root module, offline, vendor mode where
the tree vendors), cached as JSON keyed by that commit, so every series on a minor shares it.
A package the series creates is not in it; it is still tested, and it reaches the binaries
through the existing package whose files the series changed to import it.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from ksp._files import atomic_write
from ksp.errors import CannotRun
from ksp.git._run import git, split_z

GRAPH_FORMAT = 1
_MODULE_RE = re.compile(r"^\s*module\s+\"?([^\s\"]+)\"?", re.MULTILINE)
_MODULE_FILES = ("go.mod", "go.sum", "go.work", "go.work.sum")
_LIST_FORMAT = ("{{.ImportPath}}\t{{.Dir}}\t{{.Name}}\t{{.Standard}}\t{{.DepOnly}}\t"
                "{{with .Module}}{{.Path}}{{end}}\t{{join .Imports \" \"}}\t"
                "{{join .TestImports \" \"}} {{join .XTestImports \" \"}}")


@dataclass(frozen=True)
class Package:
    path: str  # import path
    dir: str  # folder relative to the tree ("." for the root), as go list reports it
    name: str
    module: str
    imports: tuple[str, ...]
    test_imports: tuple[str, ...]
    dep_only: bool


@dataclass
class Graph:
    modules: dict[str, str]  # module root folder ("." = tree root) -> module path
    packages: dict[str, Package] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"format": GRAPH_FORMAT, "modules": self.modules,
                           "packages": [asdict(p) for p in self.packages.values()]})

    @classmethod
    def from_json(cls, text: str) -> Graph | None:
        data = json.loads(text)
        if data.get("format") != GRAPH_FORMAT:
            return None
        pkgs = [Package(**{**p, "imports": tuple(p["imports"]),
                           "test_imports": tuple(p["test_imports"])}) for p in data["packages"]]
        return cls(dict(data["modules"]), {p.path: p for p in pkgs})

    def importers(self) -> dict[str, set[str]]:
        users: dict[str, set[str]] = {}
        for pkg in self.packages.values():
            for imp in pkg.imports:
                users.setdefault(imp, set()).add(pkg.path)
        return users


def find_modules(tree: Path, fallback: str = "") -> dict[str, str]:
    """Every go.mod tracked outside vendor/ and testdata/: folder -> module path."""
    out = git(tree, "ls-files", "-z", "--", "go.mod", "*/go.mod").stdout
    modules: dict[str, str] = {}
    for rel in split_z(out):
        parts = PurePosixPath(rel).parts
        if "vendor" in parts or "testdata" in parts:
            continue
        match = _MODULE_RE.search((tree / rel).read_text(errors="replace"))
        if match:
            modules[str(PurePosixPath(rel).parent)] = match.group(1)
    if "." not in modules and fallback:
        modules["."] = fallback  # a GOPATH-era tree: the profile's module is the import root
    return modules


def go_list(cwd: Path, go: Path, env: Mapping[str, str], *, vendor: bool,
            timeout: float = 1800, tree: Path | None = None) -> list[Package]:
    """`go list -e -deps` of the tree's root module, standard library left out. `cwd` is where
    Go runs (in a GOPATH: the tree's link there); folders are made relative to either."""
    cmd = [str(go), "list", "-e", "-deps", *(["-mod=vendor"] if vendor else []),
           "-f", _LIST_FORMAT, "./..."]
    proc = subprocess.run(cmd, cwd=cwd, env=dict(env), capture_output=True, text=True,
                          timeout=timeout, check=False)
    if proc.returncode != 0:
        from ksp.gate.diagnose import cause  # lazy: 1.2 ms of start-up

        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        raise CannotRun("go list failed on the base tree: "
                        f"{cause(proc.stderr, tree or cwd) or last}")
    pkgs = []
    for line in proc.stdout.splitlines():
        cols = line.split("\t")
        if len(cols) != 8 or cols[3] == "true":
            continue
        rel = _relative(cols[1], cwd, tree or cwd)
        pkgs.append(Package(cols[0], rel, cols[2], cols[5], tuple(cols[6].split()),
                            tuple(sorted(set(cols[7].split()))), cols[4] == "true"))
    return pkgs


def _relative(folder: str, *roots: Path) -> str:
    for root in roots:
        try:
            return str(PurePosixPath(Path(folder).relative_to(root)))
        except ValueError:
            continue
    return folder  # outside the tree (module cache): kept absolute


def load_graph(cache: Path, base: str, mode: str = "") -> Graph | None:
    path = cache / f"{base}{'.' + mode if mode else ''}.json"
    try:
        return Graph.from_json(path.read_text()) if path.is_file() else None
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None  # a corrupt cache entry is recomputed


def save_graph(cache: Path, base: str, graph: Graph, mode: str = "") -> None:
    cache.mkdir(parents=True, exist_ok=True)
    atomic_write(cache / f"{base}{'.' + mode if mode else ''}.json", graph.to_json())


@dataclass(frozen=True)
class Change:
    """What a series changes, in Go terms."""

    source: frozenset[str]  # import paths of packages whose own source changed
    vendored: frozenset[str]  # import paths of packages changed under a vendor/ folder
    modules: frozenset[str]  # module roots whose go.mod/go.sum/modules.txt changed
    new: dict[str, tuple[str, str]]  # unknown to the base graph: path -> (module root, folder)

    @property
    def packages(self) -> frozenset[str]:
        return self.source | self.vendored


def _module_of(rel_dir: PurePosixPath, modules: Mapping[str, str]) -> str | None:
    for candidate in (rel_dir, *rel_dir.parents):
        if str(candidate) in modules:
            return str(candidate)
    return None


def _vendored(parts: tuple[str, ...]) -> tuple[str, PurePosixPath]:
    """(module root holding the vendor folder, path inside vendor/)."""
    at = len(parts) - 1 - parts[::-1].index("vendor")
    return (str(PurePosixPath(*parts[:at])) if at else "."), PurePosixPath(*parts[at + 1:])


def classify(changed: Iterable[str], graph: Graph, head: Path) -> Change:
    source: set[str] = set()
    vendored: set[str] = set()
    whole: set[str] = set()
    new: dict[str, tuple[str, str]] = {}
    for rel in changed:
        path = PurePosixPath(rel)
        if "vendor" in path.parts[:-1]:
            holder, inside = _vendored(path.parts)
            if str(inside) == "modules.txt":
                whole.add(holder)
            elif str(inside.parent) in graph.packages:
                vendored.add(str(inside.parent))
            continue
        found = _module_of(path.parent, graph.modules)
        if found is None:
            continue
        root = found
        if str(path.parent) == root and path.name in _MODULE_FILES:
            whole.add(root)
            continue
        sub = path.parent.relative_to(root) if root != "." else path.parent
        imp = graph.modules[root] + ("" if str(sub) == "." else f"/{sub}")
        if imp in graph.packages:
            source.add(imp)
        elif path.suffix == ".go" and any((head / path.parent).glob("*.go")):
            new[imp] = (root, str(path.parent))
    return Change(frozenset(source), frozenset(vendored), frozenset(whole), new)


def binaries(graph: Graph, components: Mapping[str, str]) -> dict[str, str]:
    """Binary folder -> import path: the component map's, else every main package of the tree
    (root, `cmd/…`, tool folders: wherever `go list` says `package main`)."""
    out: dict[str, str] = {}
    if components:
        for target in components.values():
            rel = target.removeprefix("./").rstrip("/")
            for pkg in graph.packages.values():
                if pkg.dir == rel and not pkg.dep_only:
                    out[rel] = pkg.path
        return out
    for pkg in graph.packages.values():
        if pkg.name == "main" and _in_tree(pkg) and "testdata" not in PurePosixPath(pkg.dir).parts:
            out[pkg.dir] = pkg.path
    return out


def affected(graph: Graph, change: Change) -> set[str]:
    """The changed packages and everything that imports them, transitively."""
    seeds = set(change.packages)
    for root in change.modules:
        module = graph.modules.get(root)
        seeds |= {p.path for p in graph.packages.values() if root == "." or p.module == module}
    users = graph.importers()
    seen, todo = set(seeds), list(seeds)
    while todo:
        for user in users.get(todo.pop(), ()):
            if user not in seen:
                seen.add(user)
                todo.append(user)
    return seen


def targets(graph: Graph, change: Change, components: Mapping[str, str]) -> tuple[str, ...]:
    hit = affected(graph, change)
    return tuple(sorted(rel for rel, imp in binaries(graph, components).items() if imp in hit))


@dataclass(frozen=True)
class TestPackage:
    path: str  # import path
    module_root: str = "."  # "." : `go test <path>` from the tree root
    dir: str = ""  # folder, for packages run from a nested module root as ./<rel>

    @property
    def arg(self) -> str:
        if self.module_root == ".":
            return self.path
        return "./" + str(PurePosixPath(self.dir).relative_to(self.module_root))


def test_packages(graph: Graph, change: Change) -> tuple[TestPackage, ...]:
    """Packages whose source changed; for a changed vendored package, its direct users in the
    tree; for a module-level change alone, every package of that module in the tree."""
    chosen = set(change.source)
    for pkg in graph.packages.values():
        if _in_tree(pkg) and change.vendored & set(pkg.imports + pkg.test_imports):
            chosen.add(pkg.path)
    if not chosen and not change.new:
        for root in change.modules:
            module = graph.modules.get(root, "")
            chosen |= {p.path for p in graph.packages.values()
                       if _in_tree(p) and (p.module == module or (root == "." and not p.module))}
    out = [TestPackage(p) for p in chosen]
    out += [TestPackage(p, root, rel) for p, (root, rel) in change.new.items()]
    return tuple(sorted(out, key=lambda t: t.path))


def _in_tree(pkg: Package) -> bool:
    """Source of this tree's main module, not vendored code."""
    parts = PurePosixPath(pkg.dir).parts
    return not pkg.dep_only and "vendor" not in parts and not PurePosixPath(pkg.dir).is_absolute()
