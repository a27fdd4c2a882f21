"""Run ksp as a separate process (so that it can die, or be signalled), and check that a patches
repo is consistent: one patch per advisory and minor, index and files in agreement, no journal
or temporary file left behind."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from ksp.model import PATCH_NAME_RE
from ksp.repo.index import IndexDocument

FAULT_EXIT = 86  # what ksp exits with at KSP_FAULT_AT (ksp._files.fault)


def env(tmp: Path, **extra: str) -> dict[str, str]:
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    out = {k: os.environ[k] for k in ("PATH", "TMPDIR", "LANG") if k in os.environ}
    out.update(HOME=str(home), KSP_CACHE_DIR=str(tmp / "cache"), GIT_CONFIG_NOSYSTEM="1",
               GIT_CONFIG_GLOBAL=os.devnull, GIT_AUTHOR_NAME="Con Sumer",
               GIT_AUTHOR_EMAIL="c@example.invalid", GIT_COMMITTER_NAME="Con Sumer",
               GIT_COMMITTER_EMAIL="c@example.invalid", LC_ALL="C")
    out.update(extra)
    return out


def ksp(tmp: Path, *args: str, fault: str | None = None) -> subprocess.CompletedProcess[str]:
    return run(tmp, ["-m", "ksp", *args], fault=fault)


def run(tmp: Path, argv: list[str], *, fault: str | None = None
        ) -> subprocess.CompletedProcess[str]:
    """`python ARGV…`: a ksp command (`-m ksp …`) or a script (`-c …`) in its own process."""
    if argv[0] not in ("-m", "-c"):
        argv = ["-m", "ksp", *argv]
    extra = {"KSP_FAULT_AT": fault} if fault else {}
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True,
                          env=env(tmp, **extra), timeout=120, check=False)


def leftovers(root: Path) -> list[str]:
    found = [p for p in (root / ".ksp" / "journal.json",) if p.exists()]
    for folder in (root, *(p for p in root.glob("v*") if p.is_dir())):
        found += folder.glob(".*.tmp")
    return sorted(str(p.relative_to(root)) for p in found)


def problems(root: Path) -> list[str]:
    """What is inconsistent in the repo (empty when it is consistent)."""
    out = [f"left behind: {p}" for p in leftovers(root)]
    states = {}
    for ident, advisory in IndexDocument.load(root / "index.yaml").advisories().items():
        for minor, state in advisory.minors.items():
            if state.patch:
                states[state.patch] = (ident, minor, state.sha256)
    seen: dict[tuple[str, str], str] = {}
    for path in sorted(root.glob("v*/*.patch")):
        rel = path.relative_to(root).as_posix()
        match = PATCH_NAME_RE.fullmatch(path.name)
        assert match
        key = (path.parent.name, match["id"])
        if key in seen:
            out.append(f"two patches for {key}: {seen[key]} and {rel}")
        seen[key] = rel
        if rel not in states:
            out.append(f"{rel} is not in index.yaml")
        elif states[rel][2] != hashlib.sha256(path.read_bytes()).hexdigest():
            out.append(f"{rel}: sha256 differs from index.yaml")
    out += [f"index names missing {p}" for p in states if not (root / p).is_file()]
    return out
