"""Acceptance run: real backports gated on their real release branches, as a new user would.

For each case of bench/realworld/gate.yaml: a fresh patches repo (`ksp init`), the patch written
by `ksp backport --write` (or, for a case with `only:`, `ksp new --diff` from that part of the
upstream commit: a backport that is really broken), then `ksp gate --format json`. Prints one line
per case with each step's result and time, and `gate: N/M as expected` last (exit 1 otherwise).

Clones are read from /work/real/<repo> (or --real DIR) and never written. KSP_CACHE_DIR must be
set (the shadows and worktrees of ksp live there). A case whose modules are not vendored
(`modules_from`) expects `expect_offline` unless the module cache already holds them, or
`--goproxy URL` is given.

Usage: python bench/realworld_gate.py [--real DIR] [--only NAME] [--goproxy URL] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ksp._yaml import load_yaml

HERE = Path(__file__).resolve().parent
HEADER = ["--severity", "MEDIUM (CVSS 5.0)", "--components", "all", "--fixer", "@ksp-bench",
          "--original-patch", "https://example.invalid/upstream/pull/1",
          "--cve-issue", "https://example.invalid/upstream/issues/1"]
INFRA = ["--reason", "a real upstream fix, gated as a benchmark case",
         "--upstream-ref", "https://example.invalid/upstream/pull/1"]


def ksp(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("ksp")
    argv = [exe, *args] if exe else [sys.executable, "-m", "ksp", *args]
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if check and proc.returncode not in (0, 1):
        raise SystemExit(f"ksp {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def make_repo(root: Path, project: dict[str, str], extra: dict[str, Any],
              toolchains: list[str]) -> Path:
    repo = root / "patches"
    ksp("init", str(repo), "--project", "go", "--upstream", project["upstream"], "--module",
        project["module"], "--branch-template", project["branch"], cwd=root)
    config = repo / "ksp.yaml"
    extra = {"toolchains": toolchains, **extra}
    lines = [line for line in config.read_text().splitlines()
             if line.split(":", 1)[0] not in extra]
    lines += [f"{key}: {json.dumps(value, default=str)}" for key, value in extra.items()]
    config.write_text("\n".join(lines) + "\n")
    return repo


def write_patch(repo: Path, clone: Path, case: dict[str, Any]) -> Path:
    adv, minor, commit = case["advisory"], str(case["minor"]), case["commit"]
    flags = HEADER + (INFRA if adv.startswith("INFRA-") else [])
    proc = ksp("backport", adv, "--upstream", str(clone), "--commit", commit, "--to", minor,
               "--write", *flags, cwd=repo)
    found = sorted((repo / f"v{minor}").glob("*.patch")) if (repo / f"v{minor}").is_dir() else []
    if not found:
        raise SystemExit(f"{case['name']}: no patch written:\n{proc.stdout}\n{proc.stderr}")
    if case.get("only"):
        keep_only(found[-1], case["only"])
    return found[-1]


def keep_only(patch: Path, paths: list[str]) -> None:
    """Drop every file of the backport but `paths`: e.g. the test without the fix."""
    text = patch.read_text()
    head, _, diff = text.partition("diff --git ")
    blocks = ("diff --git " + diff).split("\ndiff --git ")
    kept = [b if b.startswith("diff --git ") else "diff --git " + b for b in blocks
            if any(f" b/{p}\n" in b.split("\n", 1)[0] + "\n" for p in paths)]
    patch.write_text(head + "\n".join(k.rstrip("\n") for k in kept) + "\n")


def cached(clone: Path, case: dict[str, Any]) -> bool:
    """Whether the module cache holds the module `modules_from` names, at the branch's version."""
    module = case.get("modules_from")
    if not module:
        return True
    branch = case["branch"]
    go_mod = subprocess.run(["git", "-C", str(clone), "show", f"{branch}:go.mod"],
                            capture_output=True, text=True, check=False).stdout
    match = re.search(rf"^\s*{re.escape(module)}\s+(\S+)", go_mod, re.MULTILINE)
    gomodcache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True,
                                check=False).stdout.strip()
    return bool(match) and (Path(gomodcache) / "cache" / "download" / module / "@v" /
                            f"{match.group(1)}.zip").is_file()


def run_case(case: dict[str, Any], config: dict[str, Any], real: Path, goproxy: str,
             keep: bool) -> bool:
    project = config["projects"][case["repo"]]
    clone = real / case["repo"]
    case["branch"] = project["branch"].format(minor=case["minor"])
    online = bool(goproxy) or cached(clone, case)
    expect = case["expect"] if online or "expect_offline" not in case else case["expect_offline"]
    detail = case.get("detail") if online or "detail_offline" not in case else \
        case["detail_offline"]
    root = Path(tempfile.mkdtemp(prefix=f"ksp-gate-{case['name']}-"))
    try:
        repo = make_repo(root, project, case.get("ksp_yaml", {}), config.get("toolchains", []))
        patch = write_patch(repo, clone, case)
        started = time.monotonic()
        argv = ["gate", "--upstream", str(clone), "--patch", str(patch), "--format", "json",
                "--jobs", "1", *(["--goproxy", goproxy] if goproxy else [])]
        proc = ksp(*argv, cwd=repo)
        took = time.monotonic() - started
        result = json.loads(proc.stdout)
        return report(case, result, expect, detail, took)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def report(case: dict[str, Any], result: dict[str, Any], expect: dict[str, str],
           detail: str | None, took: float) -> bool:
    [minor] = result["minors"]
    steps = {s["name"]: s for s in minor["steps"]}
    got = {name: steps[name]["result"] if name in steps else "absent" for name in expect}
    shown = " ".join(f"{s['name']}={s['result']}({s['duration']:.1f}s)" for s in minor["steps"])
    texts = " ".join([*(s["detail"] for s in minor["steps"]),
                      *(f"{f['package']} {f['test']}" for s in minor["steps"]
                        for f in s["failures"]), minor.get("error") or ""])
    ok = got == expect and (not detail or detail in texts)
    verdict = "as expected" if ok else f"UNEXPECTED (wanted {expect}" + (
        f", detail {detail!r})" if detail else ")")
    cause = next((s["detail"] for s in minor["steps"] if s["result"] in ("fail", "error")), "")
    for warning in minor.get("warnings") or ():
        cause = cause.replace(warning, "").strip("; ")
    print(f"{case['name']}: {shown} total {took:.0f}s  {verdict}"
          + (f"\n    cause: {cause[:300]}" if cause else ""), flush=True)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", type=Path, default=Path("/work/real"))
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--goproxy", default=os.environ.get("KSP_GOPROXY", ""))
    parser.add_argument("--keep", action="store_true", help="keep the temporary patches repos")
    args = parser.parse_args()
    if not os.environ.get("KSP_CACHE_DIR"):
        raise SystemExit("set KSP_CACHE_DIR: the shadows and worktrees of the real clones live "
                         "there")
    config = load_yaml(HERE / "realworld" / "gate.yaml")
    cases = [c for c in config["cases"] if not args.only or c["name"] in args.only]
    good = sum(run_case(c, config, args.real, args.goproxy, args.keep) for c in cases)
    print(f"gate: {good}/{len(cases)} as expected")
    return 0 if good == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main())
