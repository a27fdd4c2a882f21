"""How Go sees a minor's tree: vendored modules, the module cache, or a GOPATH.

Three shapes of release branch, each built as it really is:
- `vendor`: go.mod and vendor/modules.txt; `-mod=vendor`, nothing leaves the tree.
- `modules`: go.mod without vendor/ (the staging-published `k8s.io/*` repos). Offline, the
  user's module cache (GOMODCACHE) serves the modules with GOPROXY=off and `-mod=mod`; with
  `--goproxy URL` (or $KSP_GOPROXY) Go may fetch them. A preflight `go mod download -json`
  counts what is missing, so the report says that in one line instead of listing a failure
  per package.
- `gopath`: no go.mod (etcd before 3.4, Kubernetes before 1.15). Go needs the tree at
  `$GOPATH/src/<import path>`: ksp keeps a GOPATH per (upstream, minor) in its cache whose
  `src/<import path>` is a symlink to the worktree, and runs Go there with GO111MODULE=off
  (and PWD set, so Go keeps the link's path). The import path is the minor's `import_path` in
  ksp.yaml, else the tree's canonical import comments, else the profile's `module`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ksp.errors import KspError
from ksp.git._run import git, split_z

_IMPORT_COMMENT = re.compile(rb'^package\s+\w+\s*//\s*import\s+"([^"]+)"', re.MULTILINE)


@dataclass(frozen=True)
class GoLayout:
    mode: str  # vendor | modules | gopath
    tree: Path  # the worktree
    root: Path  # where Go runs: the worktree, or its path inside the GOPATH
    import_path: str = ""  # gopath: the tree root's import path
    gopath: Path | None = None
    goproxy: str = ""  # modules: "" = offline, the module cache only
    tags: tuple[str, ...] = ()

    def env(self) -> dict[str, str]:
        """What this shape adds to the scrubbed environment (before ksp.yaml's `env`)."""
        flags = [f"-tags={','.join(self.tags)}"] if self.tags else []
        if self.mode == "gopath":
            assert self.gopath is not None
            return {"GO111MODULE": "off", "GOPATH": str(self.gopath), "PWD": str(self.root),
                    "GOFLAGS": " ".join(flags)}
        if self.mode == "modules":
            flags.insert(0, "-mod=mod")
        return {"GOFLAGS": " ".join(flags)}

    @property
    def proxy(self) -> str:
        return self.goproxy if self.mode == "modules" and self.goproxy else "off"

    def describe(self) -> str:
        """For the evidence: where the code Go compiled came from."""
        if self.mode == "gopath":
            return f"GOPATH mode: {self.import_path} at {self.root}"
        if self.mode == "modules":
            return (f"modules fetched through GOPROXY={self.goproxy}" if self.goproxy
                    else "modules from the local module cache (GOPROXY=off)")
        return "vendored modules (-mod=vendor)"


def layout(tree: Path, gopath: Path, *, import_path: str = "", fallback: str = "",
           goproxy: str = "", tags: tuple[str, ...] = ()) -> GoLayout:
    """The tree's shape; for a GOPATH tree, the GOPATH (in ksp's cache) is laid out too."""
    if (tree / "go.mod").is_file():
        vendored = (tree / "vendor" / "modules.txt").is_file()
        return GoLayout("vendor" if vendored else "modules", tree, tree,
                        goproxy="" if vendored else goproxy, tags=tags)
    path = import_path or from_import_comments(tree) or from_own_imports(tree) or fallback
    if not path:
        raise KspError(f"{tree} has no go.mod and its import path is unknown",
                       hint="set the minor's import_path in ksp.yaml `minors:` (e.g. "
                            "github.com/coreos/etcd), or the profile's `module`")
    link = gopath / "src" / PurePosixPath(path)
    if not (link.is_symlink() and link.readlink() == tree):
        link.parent.mkdir(parents=True, exist_ok=True)
        tmp = link.with_name(link.name + ".ksp-tmp")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(tree, target_is_directory=True)
        tmp.replace(link)  # atomic: a concurrent reader sees the old link or the new one
    return GoLayout("gopath", tree, link, path, gopath, tags=tags)


def from_import_comments(tree: Path, limit: int = 200) -> str:
    """The root import path that most canonical import comments (`package x // import "p"`)
    agree on, or ""."""
    files = [f for f in split_z(git(tree, "ls-files", "-z", "--", "*.go").stdout)
             if "vendor" not in PurePosixPath(f).parts][:limit]
    votes: Counter[str] = Counter()
    for rel in files:
        try:
            head = (tree / rel).read_bytes()[:4096]
        except OSError:
            continue
        match = _IMPORT_COMMENT.search(head)
        if not match:
            continue
        declared, folder = match.group(1).decode(errors="replace"), str(PurePosixPath(rel).parent)
        if folder == ".":
            votes[declared] += 1
        elif declared.endswith("/" + folder):
            votes[declared[: -len(folder) - 1]] += 1
    return votes.most_common(1)[0][0] if votes else ""


_IMPORT = re.compile(rb'^\s*(?:import\s+)?(?:[\w.]+\s+)?"([^"\s]+)"\s*$', re.MULTILINE)


def from_own_imports(tree: Path, limit: int = 300) -> str:
    """The root import path the tree's packages use to import each other: an import that ends
    in one of the tree's folders (`.../etcdserver/api`) names the root as what precedes it."""
    listed = split_z(git(tree, "ls-files", "-z", "--", "*.go").stdout)
    files = [f for f in listed if "vendor" not in PurePosixPath(f).parts]
    folders = {str(PurePosixPath(f).parent) for f in files} - {"."}
    votes: Counter[str] = Counter()
    for rel in files[:limit]:
        try:
            text = (tree / rel).read_bytes()[:8192]
        except OSError:
            continue
        for match in _IMPORT.finditer(text.split(b"\n)", 1)[0]):
            imported = match.group(1).decode(errors="replace")
            parts = imported.split("/")
            for cut in range(1, len(parts)):
                if "/".join(parts[cut:]) in folders:
                    votes["/".join(parts[:cut])] += 1
                    break
    return votes.most_common(1)[0][0] if votes else ""


@dataclass(frozen=True)
class Missing:
    """Modules the build list needs that the module cache (or proxy) could not give."""

    modules: tuple[str, ...]
    first_error: str


def missing_modules(go: Path, where: GoLayout, env: Mapping[str, str], timeout: float
                    ) -> Missing | None:
    """Which required modules cannot be had, or None. Offline: go.mod's requirements (all of
    them since Go 1.17's pruned graphs) looked up in the module cache, since Go itself stops at
    the first one; with a proxy, `go mod download -json` fetches them and reports failures."""
    if where.mode != "modules":
        return None
    if not where.goproxy:
        cache = module_cache(env)
        gone = [f"{path}@{version}" for path, version in requirements(where.tree / "go.mod")
                if not (cache / "cache" / "download" / _escape(path) / "@v" /
                        f"{version}.zip").is_file()]
        return Missing(tuple(gone), "not in the module cache, and GOPROXY=off") if gone else None
    try:
        proc = subprocess.run([str(go), "mod", "download", "-json"], cwd=where.root,
                              env=dict(env), capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        return None  # the steps will time out themselves and say so
    if proc.returncode == 0:
        return None
    missing = {f"{c.get('Path')}@{c.get('Version')}": str(c["Error"])
               for c in _json_objects(proc.stdout) if c.get("Error")}
    if not missing:
        lines = proc.stderr.strip().splitlines() or ["go mod download failed"]
        return Missing(("?",), lines[-1])
    return Missing(tuple(missing), next(iter(missing.values())))


_REQUIRE = re.compile(r"^\s*(?:require\s+)?([\w.~/-]+\.[\w.~/-]+)\s+(v\S+)", re.MULTILINE)
_REPLACE = re.compile(r"^\s*(?:replace\s+)?([\w.~/-]+)(?:\s+v\S+)?\s+=>\s+(\S+)(?:\s+(v\S+))?",
                      re.MULTILINE)


def requirements(go_mod: Path) -> list[tuple[str, str]]:
    """(module, version) of every requirement, replacements applied (local ones dropped)."""
    text = go_mod.read_text(errors="replace")
    replaced = {m.group(1): (m.group(2), m.group(3)) for m in _REPLACE.finditer(text)}
    out = []
    for match in _REQUIRE.finditer(text):
        path, version = match.group(1), match.group(2)
        if path in replaced:
            target, target_version = replaced[path]
            if not target_version:
                continue  # a local folder
            path, version = target, target_version
        out.append((path, version))
    return list(dict.fromkeys(out))


def module_cache(env: Mapping[str, str]) -> Path:
    if env.get("GOMODCACHE"):
        return Path(env["GOMODCACHE"])
    gopath = env.get("GOPATH") or str(Path.home() / "go")
    return Path(gopath.split(os.pathsep)[0]) / "pkg" / "mod"


def _escape(path: str) -> str:
    """The module cache's case encoding: `Azure` -> `!azure`."""
    return "".join(f"!{c.lower()}" if c.isupper() else c for c in path)


def _json_objects(text: str) -> list[dict[str, object]]:
    decoder, at = json.JSONDecoder(), 0
    out: list[dict[str, object]] = []
    while True:
        at = text.find("{", at)
        if at < 0:
            return out
        try:
            value, at = decoder.raw_decode(text, at)
        except ValueError:
            return out
        if isinstance(value, dict):
            out.append(value)


def missing_message(missing: Missing, tree: Path) -> str:
    count = len(missing.modules)
    return (f"{count} module{'' if count == 1 else 's'} missing from the module cache: run "
            f"`go mod download` in {tree} or pass --goproxy URL "
            f"(first: {missing.modules[0]}: {missing.first_error.splitlines()[0][:160]})")
