"""Go toolchains for the gate: which `go` builds a minor, and how `--go X` finds another.

A toolchain is a GOROOT. `--go` takes a path (to a `go` binary or a GOROOT) or a version
(`1.22`, `1.22.12`, `go1.22.12`) looked up among the `go`, `go1.22`, `go1.22.12` binaries on
PATH and the GOROOTs configured in ksp.yaml `toolchains:` or `$KSP_GO_TOOLCHAINS` (path list).
The default is the minor's own Go, read from the tree (`.go-version`, else go.mod's `toolchain`
or `go` line). Builds run with GOTOOLCHAIN=local, so a `toolchain` line in go.mod can never
trigger a download, and nothing here ever rewrites go.mod.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ksp.errors import CannotRun, KspError
from ksp.versions import go_release_parts

_GO_MOD_RE = re.compile(r"^\s*(toolchain|go)\s+(\S+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Toolchain:
    goroot: Path
    version: str  # as `go version` says, e.g. "go1.22.12"

    @property
    def go(self) -> Path:
        return self.goroot / "bin" / "go"

    @property
    def gofmt(self) -> Path:
        return self.goroot / "bin" / "gofmt"


def matches(wanted: str, have: str) -> bool:
    """`1.22` matches any go1.22.x; `1.22.12` only go1.22.12 (`1.22` also matches go1.22)."""
    w, h = go_release_parts(wanted), go_release_parts(have)
    if w is None or h is None or w[:2] != h[:2]:
        return False
    return w[2] is None or w[2] == (h[2] or 0)


def probe(go: Path) -> Toolchain:
    """Ask a `go` binary for its GOROOT and version (GOTOOLCHAIN=local: no switching)."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/"),
           "GOTOOLCHAIN": "local", "GOWORK": "off", "GOFLAGS": "", "GOPROXY": "off"}
    try:
        proc = subprocess.run([str(go), "env", "GOROOT", "GOVERSION"], capture_output=True,
                              text=True, env=env, cwd=Path(go).parent, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CannotRun(f"cannot run {go}: {exc}") from None
    lines = proc.stdout.split()
    if proc.returncode != 0 or len(lines) < 2:
        raise CannotRun(f"{go} is not a working go binary", hint=proc.stderr.strip()[-200:] or None)
    return Toolchain(Path(lines[0]).resolve(), lines[1])


def from_path(path: Path) -> Toolchain:
    """A `go` binary, or a GOROOT (a folder with bin/go)."""
    if path.is_dir():
        if not (path / "bin" / "go").is_file():
            raise KspError(f"{path} is not a GOROOT (no bin/go)",
                           hint="pass a go binary, a GOROOT, or a version such as 1.22")
        path = path / "bin" / "go"
    elif not path.is_file():
        raise KspError(f"go toolchain {path} not found")
    return probe(path)


def search_roots(configured: Iterable[str] = ()) -> list[Path]:
    """GOROOTs from ksp.yaml and $KSP_GO_TOOLCHAINS; a folder holding GOROOTs counts too."""
    roots: list[Path] = []
    entries = [*configured, *filter(None, os.environ.get("KSP_GO_TOOLCHAINS", "").split(
        os.pathsep))]
    for entry in entries:
        base = Path(entry).expanduser()
        if (base / "bin" / "go").is_file():
            roots.append(base)
        elif base.is_dir():
            roots.extend(sorted(p for p in base.iterdir() if (p / "bin" / "go").is_file()))
    return roots


def available(configured: Iterable[str] = ()) -> list[Toolchain]:
    """Every toolchain we can find: `go`/`goX.Y[.Z]` on PATH, then configured GOROOTs."""
    found: dict[Path, Toolchain] = {}
    candidates: list[Path] = []
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or not Path(folder).is_dir():
            continue
        candidates.extend(sorted(p for p in Path(folder).glob("go*")
                                 if p.name == "go" or go_release_parts(p.name)))
    candidates.extend(root / "bin" / "go" for root in search_roots(configured))
    for go in candidates:
        try:
            tc = probe(go)
        except KspError:
            continue
        found.setdefault(tc.goroot, tc)
    return list(found.values())


def resolve(spec: str, configured: Iterable[str] = ()) -> Toolchain:
    """`--go X`: a path, or a version among the available toolchains (newest patch wins)."""
    if os.sep in spec or spec.startswith("."):
        return from_path(Path(spec).expanduser())
    if go_release_parts(spec) is None:
        raise KspError(f"--go {spec!r} is neither a path nor a Go version",
                       hint="e.g. --go 1.22, --go go1.22.12 or --go /usr/local/go1.22")
    hits = [tc for tc in available(configured) if matches(spec, tc.version)]
    if not hits:
        raise CannotRun(f"no Go toolchain {spec} found on PATH or in the configured folders",
                       hint="install it (e.g. `go install golang.org/dl/go1.22.12@latest`) or "
                            "list its GOROOT in ksp.yaml toolchains / $KSP_GO_TOOLCHAINS")
    return max(hits, key=lambda tc: go_release_parts(tc.version) or (0, 0, 0))


def wanted_version(tree: Path) -> str | None:
    """The Go a tree asks for: `.go-version` (Kubernetes), else go.mod `toolchain`, else `go`."""
    go_version = tree / ".go-version"
    if go_version.is_file():
        text = go_version.read_text(errors="replace").strip()
        if go_release_parts(text):
            return text.removeprefix("go")
    go_mod = tree / "go.mod"
    if go_mod.is_file():
        text = go_mod.read_text(errors="replace")
        found: dict[str, str] = {m.group(1): m.group(2) for m in _GO_MOD_RE.finditer(text)}
        for key in ("toolchain", "go"):
            if key in found and go_release_parts(found[key]):
                return found[key].removeprefix("go")
    return None


def default(tree: Path, configured: Iterable[str] = (), wanted: str | None = None
            ) -> tuple[Toolchain, str]:
    """The minor's own Go (ksp.yaml's `go` for the minor, else the tree's), else its minor
    line, else the oldest available Go newer than it (closest to what the tree was written
    for), else `go` on PATH; every fallback is said, with the versions there are."""
    wanted = wanted or wanted_version(tree)
    tools = available(configured)
    if wanted:
        for want in (wanted, ".".join(wanted.split(".")[:2])):
            hits = [tc for tc in tools if matches(want, tc.version)]
            if hits:
                best = max(hits, key=lambda tc: go_release_parts(tc.version) or (0, 0, 0))
                note = "" if want == wanted else f"tree wants go{wanted}; using {best.version}"
                return best, note
        newer = [tc for tc in tools if _key(tc.version) > _key(wanted)]
        go_on_path = shutil.which("go")
        if newer and len(tools) > 1:
            best = min(newer, key=lambda tc: _key(tc.version))
            if go_on_path is None or probe(Path(go_on_path)).goroot != best.goroot:
                return best, (f"warning: tree wants go{wanted}, not found; using {best.version},"
                              f" the closest newer one ({_listing(tools)})")
    go = shutil.which("go")
    if go is None:
        raise CannotRun("no Go toolchain found", hint="put go on PATH or pass --go")
    tc = probe(Path(go))
    why = f"tree wants go{wanted}, not found" if wanted else "tree names no Go version"
    others = f" ({_listing(tools)})" if len(tools) > 1 else ""
    return tc, f"warning: {why}; using {tc.version} from PATH{others}"


def _key(version: str) -> tuple[int, int, int]:
    parsed = go_release_parts(version) or (0, 0, 0)
    return parsed[0], parsed[1], parsed[2] or 0


def _listing(tools: list[Toolchain]) -> str:
    names = sorted((tc.version for tc in tools), key=_key)
    return "available: " + ", ".join(names)
