"""Does a binary import the vulnerable package, and does its code name the vulnerable symbols?

Package level (a proof about the build): the binary's packages are the closure of its main
package over the import graph (standard-library imports followed through the installed Go's
standard library). A vulnerable package outside that closure is not linked into the binary.

Symbol level (a name scan, weaker): every package of the closure that imports the vulnerable
package has its Go files (tests left out) searched for the listed symbols as selectors (`.F`).
When the record lists only package-level functions and none is named, no code of the binary calls
them directly: a function can be called from another package only by naming it (go:linkname
aside). Methods can also be reached through interfaces, method values, reflection and the
standard library, which a name scan cannot see; a record that lists methods is therefore
decided at package level only. A dot-import counts as naming everything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from ksp.deps.match import Finding
from ksp.deps.vulndb import Symbols
from ksp.gate.goimports import Graph
from ksp.model import BinaryState, Reach

SourceReader = Callable[[str], list[str]]  # package folder -> its non-test Go sources


def closure(graph: Graph, std: Mapping[str, tuple[str, ...]], root: str) -> dict[str, str]:
    """Every package `root` links in -> the package that first imported it (root -> "")."""
    parent = {root: ""}
    todo = [root]
    while todo:
        current = todo.pop()
        pkg = graph.packages.get(current)
        imports = pkg.imports if pkg else std.get(current, ())
        for imp in imports:
            if imp not in parent:
                parent[imp] = current
                todo.append(imp)
    return parent


def chain(parent: Mapping[str, str], leaf: str) -> list[str]:
    out = [leaf]
    while parent.get(out[-1]):
        out.append(parent[out[-1]])
    return out[::-1]


def modules_of(graph: Graph, linked: Mapping[str, str]) -> dict[str, str]:
    """Module -> the first (by name) of its packages that the binary links."""
    out: dict[str, str] = {}
    for path in sorted(linked):
        pkg = graph.packages.get(path)
        if pkg is not None and pkg.module:
            out.setdefault(pkg.module, path)
    return out


def decide(finding: Finding, binary: str, linked: Mapping[str, str], graph: Graph,
           read: SourceReader, *, modules: Mapping[str, str] | None = None,
           users: Mapping[str, set[str]] | None = None) -> BinaryState:
    targets = [s for s in finding.packages if s.package]
    if not targets:  # the record names no package: the whole module (or any Go code) counts
        if finding.toolchain:
            return BinaryState(binary, Reach.IMPORTED, "the record names no package: every Go "
                               "binary is built with the standard library")
        first = (modules if modules is not None else modules_of(graph, linked)).get(
            finding.module)
        if first:
            via = " > ".join(chain(linked, first))
            return BinaryState(binary, Reach.IMPORTED, f"links {via}")
        return BinaryState(binary, Reach.NOT_IMPORTED,
                           f"links no package of {finding.module}")
    present = [s for s in targets if s.package in linked]
    if not present:
        names = ", ".join(s.package for s in targets)
        return BinaryState(binary, Reach.NOT_IMPORTED, f"does not import {names}")
    via = " > ".join(chain(linked, present[0].package))
    return _symbols(binary, present, linked, graph=graph, read=read, via=via,
                    users=users if users is not None else graph.importers())


def _symbols(binary: str, present: list[Symbols], linked: Mapping[str, str], *,
             graph: Graph, read: SourceReader, via: str,
             users: Mapping[str, set[str]]) -> BinaryState:
    if any(not s.symbols for s in present):
        return BinaryState(binary, Reach.IMPORTED, f"imports {via} (whole package vulnerable)")
    entry = {sym for s in present for sym in s.symbols if _exported_function(sym)}
    if not entry or any(_exported_method(sym) for s in present for sym in s.symbols):
        return BinaryState(binary, Reach.IMPORTED, f"imports {via} (the listed symbols include "
                           "exported methods: decided at package level)")
    if any(s.package not in graph.packages for s in present):
        return BinaryState(binary, Reach.IMPORTED, f"imports {via} (a standard-library package:"
                           " its callers inside the standard library are not scanned)")
    for sym_set in present:
        importers = sorted(p for p in users.get(sym_set.package, ()) if p in linked)
        for importer in importers:
            named = _named(read(graph.packages[importer].dir), sym_set.package, entry)
            if named:
                return BinaryState(binary, Reach.IMPORTED,
                                   f"imports {via}; {importer} names {named}")
    return BinaryState(binary, Reach.SYMBOLS_UNREFERENCED,
                       f"imports {via}, but no package of the binary names "
                       f"{', '.join(sorted(entry))} (name scan of its importers)")


def _exported_function(symbol: str) -> bool:
    return "." not in symbol and symbol[:1].isupper()


def _exported_method(symbol: str) -> bool:
    """`T.M` with an exported M: reachable through interfaces, which a name scan cannot see."""
    return "." in symbol and symbol.rsplit(".", 1)[1][:1].isupper()


def _named(sources: list[str], package: str, symbols: set[str]) -> str | None:
    dot = re.compile(r'^\s*(?:import\s+)?\.\s+"' + re.escape(package) + '"', re.MULTILINE)
    pattern = re.compile(r"\.(" + "|".join(re.escape(s) for s in sorted(symbols)) + r")\b")
    for text in sources:
        if dot.search(text):
            return "everything (dot-import)"
        hit = pattern.search(text)
        if hit:
            return hit.group(1)
    return None
