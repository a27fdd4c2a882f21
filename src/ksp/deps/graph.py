"""The Go import graph of a minor's build (base + series), and the standard library's.

The tree's graph is the one the gate builds (gate/goimports.py: `go list -deps` of the root
module, offline, vendor mode), computed in the (upstream, minor) worktree and cached by commit.
The standard library's own imports are left out of that graph; they come from `go list -deps
std` of the Go toolchain found here, cached by its version. That is the installed Go's standard
library, not necessarily the minor's (its import structure changes little between releases).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from ksp._files import atomic_write, cache_dir
from ksp.errors import KspError
from ksp.gate import _exec, goimports, toolchains
from ksp.gate.worktree import worktree
from ksp.git.shadow import Shadow
from ksp.model import Minor
from ksp.repo.config import Config


def tree_graph(shadow: Shadow, config: Config, minor: Minor, commit: str) -> goimports.Graph:
    folder = cache_dir() / "graphs" / shadow.path.name
    graph = goimports.load_graph(folder, commit)
    if graph is not None:
        return graph
    with worktree(shadow, minor, commit) as tree:
        tc, _note = toolchains.default(tree.path, config.toolchains)
        env = _exec.environment(tc, tree.path, config.commands.env)
        graph = goimports.Graph(goimports.find_modules(tree.path, config.module))
        vendor = (tree.path / "vendor" / "modules.txt").is_file()
        pkgs = goimports.go_list(tree.path, tc.go, env, vendor=vendor,
                                 timeout=config.commands.timeout)
        graph.packages = {p.path: p for p in pkgs}
    goimports.save_graph(folder, commit, graph)
    return graph


def std_graph() -> dict[str, tuple[str, ...]]:
    """Standard-library package -> its imports, from the Go on PATH (cached by version)."""

    go = shutil.which("go")
    if go is None:
        raise KspError("no Go toolchain found", hint="put go on PATH")
    tc = toolchains.probe(Path(go))
    path = cache_dir() / "stdlib" / f"{tc.version}.json"
    if path.is_file():
        data: dict[str, list[str]] = json.loads(path.read_text())
        return {k: tuple(v) for k, v in data.items()}
    env = _exec.environment(tc, Path.cwd(), {})
    proc = subprocess.run([str(tc.go), "list", "-e", "-deps", "-f",
                           '{{.ImportPath}}\t{{join .Imports " "}}', "std"],
                          env=env, capture_output=True, text=True, check=False, timeout=600)
    if proc.returncode != 0:
        raise KspError("go list std failed", hint=(proc.stderr.strip().splitlines() or ["?"])[-1])
    out = {}
    for line in proc.stdout.splitlines():
        name, _, imports = line.partition("\t")
        out[name] = tuple(imports.split())
    atomic_write(path, json.dumps(out))
    return out
