"""Benchmark: the dependency lane on a tree the size of kubernetes/kubernetes.

Builds (one `git fast-import`, formula contents, as bench/_synth.py does) an upstream with three
release branches whose vendor/ holds ~1,000 modules (one in twenty at an old version): real
module and package paths taken from the Go vulnerability database's records (so ranges and
packages match), plus synthetic ones; ~1,500 packages of its own under pkg/, 20 binaries
under cmd/, and filler files up to ~25,000 files in all. The branches vendor different
versions of some modules. Then, in the same run, it times:
  (a) ksp: `ksp advisories import --go-vulndb DB` (inventory at base + series, matching of every
      record, reachability per binary from one `go list -deps ./...` per minor), cold cache,
      then again warm (the import graph cached by commit);
  (b) baseline: what a person does by hand for reachability alone: a checked-out tree per
      minor, then `go list -deps ./cmd/<binary>` for every binary of every minor.
Prints the times, the ratio against the warm run and, last, `ratio: <baseline/ksp cold>`.
Usage: python bench/deps_scale.py [path to the Go vulnerability database] [modules]
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _synth import _data, _git, bench_env

MINORS = ("1.31", "1.32", "1.33")
BINARIES = 20
OWN_PACKAGES = 1500
FILLER = 18000
DB = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "advisories" / "go-vulndb"
KSP_YAML = """schema: ksp/v1
project: go
upstream: https://example.invalid/synth/synth
module: example.com/synth
branch: 'release-{minor}'
base: branch
lifecycle: lifecycle.yaml
"""
LIFECYCLE = """schema: ksp-lifecycle/v1
project: synth
releases:
  - {minor: '1.31', eol_planned: '2026-03-01'}
  - {minor: '1.32', eol_planned: '2026-05-01'}
  - {minor: '1.33', eol_planned: '2026-07-01'}
"""


NEWEST: dict[str, tuple[int, int]] = {}  # module -> highest (major, minor) its records name


def real_modules(db: Path, limit: int) -> dict[str, list[str]]:
    """Module -> up to three package paths it has in the records (most-named modules first)."""
    packages: dict[str, list[str]] = {}
    for path in sorted(db.glob("GO-*.json")):
        for affected in json.loads(path.read_text()).get("affected", []):
            module = affected["package"]["name"]
            if module in ("stdlib", "toolchain") or "/" not in module:
                continue
            for rng in affected.get("ranges", []):
                for event in rng["events"]:
                    parts = [int(p) for p in re.findall(r"\d+", next(iter(event.values())))[:2]]
                    if len(parts) == 2:
                        NEWEST[module] = max(NEWEST.get(module, (0, 0)), (parts[0], parts[1]))
            imports = (affected.get("ecosystem_specific") or {}).get("imports") or []
            paths = packages.setdefault(module, [])
            for imp in imports:
                if imp["path"].startswith(module + "/") and imp["path"] not in paths:
                    paths.append(imp["path"])
    nested = {m for m in packages for o in packages if m != o and m.startswith(o + "/")}
    chosen = [m for m in sorted(packages) if m not in nested]
    chosen = chosen[::max(1, len(chosen) // limit)]  # spread over the alphabet
    return {m: (packages[m][:3] or [m]) for m in chosen[:limit]}


def tree(modules: dict[str, list[str]], step: int) -> dict[str, str]:
    """One branch's files; `step` raises the versions of every fifth module."""
    files: dict[str, str] = {".go-version": f"1.2{2 + step}.1\n"}
    names = list(modules)
    requires, listed = [], []
    for i, module in enumerate(names):
        # One module in twenty at an old version (likely a finding), the rest past the newest
        # version their records name (as a maintained tree is); every branch moves the tenth
        # ones forward.
        suffix, newest = _major(module), NEWEST.get(module, (0, 0))
        old = i % 20 == 0
        major = suffix or (0 if old else newest[0])
        minor = 1 if old or newest[0] != major else newest[1] + 1
        minor += step * 7 if i % 10 == 0 else 0
        incompatible = "+incompatible" if not suffix and major >= 2 else ""
        version = f"v{major}.{minor}.{i % 9}{incompatible}"
        requires.append(f"\t{module} {version}\n")
        listed.append(f"# {module} {version}\n## explicit; go 1.20\n")
        for pkg in modules[module]:
            listed.append(f"{pkg}\n")
            name = pkg.rsplit("/", 1)[-1].replace("-", "").replace(".", "") or "p"
            files[f"vendor/{pkg}/{name}.go"] = f"package {_ident(name)}\n\nfunc Use() {{}}\n"
    files["go.mod"] = ("module example.com/synth\n\ngo 1.22\n\nrequire (\n" + "".join(requires)
                       + ")\n")
    files["vendor/modules.txt"] = "".join(listed)
    flat = [p for m in names for p in modules[m]]
    for i in range(OWN_PACKAGES):
        imports = {f"example.com/synth/pkg/p{j}" for j in (i // 2, i // 3) if j < i}
        imports |= {flat[(i * 7 + k) % len(flat)] for k in range(2)}
        body = "".join(f'\t_ "{imp}"\n' for imp in sorted(imports))
        files[f"pkg/p{i}/p{i}.go"] = f"package p{i}\n\nimport (\n{body})\n\nfunc F() {{}}\n"
    for b in range(BINARIES):
        top = OWN_PACKAGES - 1 - b * 37
        files[f"cmd/bin{b}/main.go"] = (f'package main\n\nimport _ "example.com/synth/pkg/p{top}"'
                                        "\n\nfunc main() {}\n")
    return files


def _major(module: str) -> int:
    """The major version a module path implies: `/v2` or gopkg.in's `.v2`, else 0."""
    match = re.search(r"[/.]v(\d+)$", module)
    return int(match.group(1)) if match else 0


def _ident(name: str) -> str:
    out = "".join(c for c in name if c.isalnum() or c == "_")
    return out if out and not out[0].isdigit() else f"p{out}"


def build(root: Path, modules: dict[str, list[str]]) -> Path:
    repo = root / "synth"
    env = bench_env(root / "home")
    repo.mkdir(parents=True)
    _git(repo, env, "init", "-q", "-b", "main")
    chunks: list[bytes] = []
    filler = {f"docs/d{i // 500}/f{i}.md": "filler\n" for i in range(FILLER)}
    for n, minor in enumerate(MINORS):
        files = tree(modules, n) | (filler if n == 0 else {})
        when = f"KSP Bench <ksp-bench@example.invalid> {1735689600 + 60 * n} +0000"
        chunks.append(f"commit refs/heads/release-{minor}\nmark :{n + 1}\nauthor {when}\n"
                      f"committer {when}\n".encode() + _data(f"release {minor}".encode()))
        if n:
            chunks.append(f"from :{n}\n".encode())
        for path, text in files.items():
            chunks.append(f"M 100644 inline {path}\n".encode() + _data(text.encode()))
        chunks.append(b"\n")
    _git(repo, env, "fast-import", "--quiet", "--done", input=b"".join([*chunks, b"done\n"]))
    return repo


def patches_repo(root: Path) -> Path:
    repo = root / "patches"
    repo.mkdir()
    (repo / "ksp.yaml").write_text(KSP_YAML)
    (repo / "lifecycle.yaml").write_text(LIFECYCLE)
    (repo / "index.yaml").write_text("schema: ksp/v1\nadvisories: {}\n")
    return repo


def ksp_import(repo: Path, upstream: Path, db: Path, env: dict[str, str]) -> float:
    ksp = shutil.which("ksp") or shutil.which("ksp", path=str(Path(sys.executable).parent))
    cmd = [ksp] if ksp else [sys.executable, "-m", "ksp"]
    start = time.perf_counter()
    subprocess.run([*cmd, "advisories", "import", "--repo", str(repo), "--go-vulndb", str(db),
                    "--upstream", str(upstream), "--date", "2026-11-22", "--format", "json"],
                   env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def by_hand(upstream: Path, root: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """A checked-out tree per minor (`git archive | tar`), then `go list -deps ./cmd/<binary>`
    per binary and minor: (checkout seconds, go list seconds, runs)."""
    begin = time.perf_counter()
    trees = []
    for minor in MINORS:
        folder = root / f"tree-{minor}"
        folder.mkdir()
        archive = subprocess.run(["git", "-C", str(upstream), "archive", f"release-{minor}"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
        trees.append(folder)
    go_env = {**env, "GOFLAGS": "-mod=vendor", "GOTOOLCHAIN": "local", "GOPROXY": "off",
              "GOWORK": "off"}
    checkout = time.perf_counter() - begin
    go = shutil.which("go") or str(Path(sys.executable).parent / "go")
    start, runs = time.perf_counter(), 0
    for folder in trees:
        for b in range(BINARIES):
            subprocess.run([go, "list", "-e", "-deps", f"./cmd/bin{b}"], cwd=folder,
                           env=go_env, check=True, capture_output=True)
            runs += 1
    return checkout, time.perf_counter() - start, runs


def main(argv: list[str]) -> int:
    db = Path(argv[1]) if len(argv) > 1 else DB
    count = int(argv[2]) if len(argv) > 2 else 1000
    records = len(list(db.glob("GO-*.json")))
    with tempfile.TemporaryDirectory(prefix="ksp-bench-deps-") as tmp:
        root = Path(tmp)
        real = real_modules(db, count * 3 // 10)  # ~30% of the modules are in the records
        synthetic = {f"example.org/synth{i}/lib": [f"example.org/synth{i}/lib/a"]
                     for i in range(count - len(real))}
        modules = real | synthetic
        t0 = time.perf_counter()
        upstream = build(root, modules)
        files = int(subprocess.run(["git", "-C", str(upstream), "ls-tree", "-r", "--name-only",
                                    f"release-{MINORS[0]}"], capture_output=True, text=True,
                                   check=True).stdout.count("\n"))
        print(f"tree: {files} files, {len(modules)} vendored modules ({len(real)} named in the "
              f"records), {BINARIES} binaries, {len(MINORS)} minors; built in "
              f"{time.perf_counter() - t0:.1f} s")
        env = {**os.environ, "KSP_CACHE_DIR": str(root / "cache")}
        repo = patches_repo(root)
        cold = ksp_import(repo, upstream, db, env)
        index = (repo / "index.yaml").read_text()
        print(f"ksp advisories import --go-vulndb ({records} records), cold: {cold:.2f} s; "
              f"{index.count(chr(10) + '  CVE-') + index.count(chr(10) + '  GO-')} advisories "
              "stored")
        (repo / "index.yaml").write_text("schema: ksp/v1\nadvisories: {}\n")
        warm = ksp_import(repo, upstream, db, env)
        print(f"ksp advisories import, warm (import graphs cached): {warm:.2f} s")
        checkout, listing, runs = by_hand(upstream, root, env)
        hand = checkout + listing
        print(f"by hand: {len(MINORS)} checkouts {checkout:.2f} s + go list -deps per binary "
              f"({runs} runs) {listing:.2f} s = {hand:.2f} s (reachability only: no matching)")
        print(f"ratio warm: {hand / warm:.2f}")
        print(f"ratio: {hand / cold:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
