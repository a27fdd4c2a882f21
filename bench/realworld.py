"""Acceptance run on real upstream clones: does ksp agree with a careful person?

    python bench/realworld.py [--suite backport|all] [--runc DIR] [--containerd DIR] [--etcd DIR]
                              [--k8s-repo DIR] [--case ID] [--ksp CMD]

Cases live in bench/realworld/<suite>.yaml, each checked by hand with plain git (see the file's
head, and bench/realworld/hand_check.sh). Clones come from the flags, else $KSP_REAL_RUNC,
$KSP_REAL_CONTAINERD, $KSP_REAL_ETCD, $KSP_REAL_K8S_REPO, else /work/real/<dir>; they are only
read. Each case runs the real `ksp` command line (a subprocess, as a user would) in a patches
repo made by `ksp init` with the repo's branch template, and prints one line: expected, got, time.
The last line is `agree: N/M`; the exit code is 0 only when every case agrees.

Suites are a small registry (SUITES): a suite is a function that takes the loaded YAML and the
clones and yields one Outcome per case. `--suite gate` (bench/realworld/gate.yaml) plugs in the
same way.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent / "realworld"
REPO_FLAGS = ("runc", "containerd", "etcd", "k8s-repo")
DEFAULT_ROOT = Path("/work/real")


@dataclass(frozen=True)
class Outcome:
    case: str
    expected: str
    got: str
    seconds: float
    agree: bool
    note: str = ""


@dataclass(frozen=True)
class Context:
    clones: dict[str, Path]  # repo key -> clone
    ksp: list[str]  # how to run ksp
    work: Path  # scratch folder (patches repos)
    env: dict[str, str]
    only: str | None = None


Suite = Callable[[dict[str, Any], Context], Iterator[Outcome]]
SUITES: dict[str, Suite] = {}


def suite(name: str) -> Callable[[Suite], Suite]:
    def register(fn: Suite) -> Suite:
        SUITES[name] = fn
        return fn
    return register


def load(name: str) -> dict[str, Any]:
    from ruamel.yaml import YAML

    data: dict[str, Any] = YAML(typ="safe").load((HERE / f"{name}.yaml").read_text())
    if data.get("suite") != name:
        raise SystemExit(f"{name}.yaml: expected `suite: {name}`")
    return data


def patches_repo(ctx: Context, key: str, repo: dict[str, Any]) -> Path:
    """One `ksp init` patches repo per upstream (nothing is written to it by triage)."""
    path = ctx.work / f"{key}-patches"
    if not path.exists():
        run(ctx, ["init", str(path), "--project", "go", "--upstream", repo["upstream"],
                  "--branch-template", repo["branch"]], check=True)
    return path


def run(ctx: Context, args: list[str], *, cwd: Path | None = None, check: bool = False
        ) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*ctx.ksp, *args], cwd=cwd, env=ctx.env, capture_output=True,
                          text=True, errors="replace", check=False)
    if check and proc.returncode != 0:
        raise SystemExit(f"ksp {shlex.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc


# --- the backport suite ------------------------------------------------------------------------

@suite("backport")
def backport_suite(data: dict[str, Any], ctx: Context) -> Iterator[Outcome]:
    for case in data["cases"]:
        if ctx.only and case["id"] != ctx.only:
            continue
        key = case["repo"]
        clone = ctx.clones[key]
        repo = patches_repo(ctx, key, data["repos"][key])
        args = ["backport", case["advisory"], "--upstream", str(clone), "--to", case["to"],
                "--format", "json"]
        for sha in case["commits"]:
            args += ["--commit", sha]
        if case.get("from"):
            args += ["--from", case["from"]]
        start = time.perf_counter()
        proc = run(ctx, args, cwd=repo)
        seconds = time.perf_counter() - start
        yield judge_backport(case, proc, seconds)


def judge_backport(case: dict[str, Any], proc: subprocess.CompletedProcess[str],
                   seconds: float) -> Outcome:
    expected = case["expect"]
    if proc.returncode not in (0, 1):
        last = (proc.stderr.strip().splitlines() or ["(no message)"])[-1]
        got = "internal-error" if proc.returncode == 3 else f"exit-{proc.returncode}"
        return Outcome(case["id"], expected, got, seconds, False, last)
    try:
        target = json.loads(proc.stdout)["targets"][0]
    except (ValueError, KeyError, IndexError):
        last = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        return Outcome(case["id"], expected, f"exit-{proc.returncode}", seconds, False, last)
    got, notes = target["result"], []
    agree = got == expected
    want = case.get("evidence")
    if agree and want:
        have = target.get("already_applied") or {}
        if have.get("by") != want["by"]:
            agree = False
        if want.get("commit") and not str(have.get("commit", "")).startswith(want["commit"]):
            agree = False
        notes.append(f"by {have.get('by')} {str(have.get('commit') or '')[:12]}".rstrip())
    if agree and case.get("source") and target.get("source") != case["source"]:
        agree = False
        notes.append(f"source {target.get('source')}")
    if got == "conflict" and target.get("prerequisites"):
        state = "verified" if target.get("prerequisites_verified") else "not verified"
        notes.append(f"{len(target['prerequisites'])} prerequisite(s), {state}")
        for pr in target.get("prerequisite_prs") or []:
            notes.append(f"in PR merge {pr['merge'][:12]} ({len(pr['commits'])} commits)")
    return Outcome(case["id"], expected, got, seconds, agree, ", ".join(notes))


# --- driver ------------------------------------------------------------------------------------

def clones(args: argparse.Namespace, repos: dict[str, Any]) -> dict[str, Path]:
    found = {}
    for key, repo in repos.items():
        flag = getattr(args, key.replace("-", "_"), None)
        env = os.environ.get("KSP_REAL_" + key.upper().replace("-", "_"))
        path = Path(flag or env or DEFAULT_ROOT / repo.get("dir", key))
        if not (path / ".git").exists() and not (path / "HEAD").exists():
            raise SystemExit(f"{key}: no clone at {path} (pass --{key} DIR or set "
                             f"KSP_REAL_{key.upper().replace('-', '_')})")
        found[key] = path
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", default="backport", choices=[*SUITES, "gate", "all"],
                        help="gate: runs bench/realworld_gate.py (its own cases and flags)")
    for key in REPO_FLAGS:
        parser.add_argument(f"--{key}", metavar="DIR", help=f"clone of {key}")
    parser.add_argument("--case", help="run only this case id")
    parser.add_argument("--ksp", default=f"{sys.executable} -m ksp",
                        help="how to run ksp (default: this Python's `-m ksp`)")
    args, rest = parser.parse_known_args(argv)
    gate = 0
    if args.suite in ("gate", "all"):  # the gate's cases build real trees: their own script
        gate = subprocess.run([sys.executable, str(Path(__file__).with_name("realworld_gate.py")),
                               *rest], check=False).returncode
        if args.suite == "gate":
            return gate
    names = list(SUITES) if args.suite == "all" else [args.suite]
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="ksp-realworld-") as tmp:
        env = dict(os.environ)
        env.setdefault("KSP_CACHE_DIR", str(Path(tmp) / "cache"))
        for name in names:
            data = load(name)
            ctx = Context(clones(args, data["repos"]), shlex.split(args.ksp), Path(tmp), env,
                          args.case)
            for outcome in SUITES[name](data, ctx):
                outcomes.append(outcome)
                mark = "ok" if outcome.agree else "DISAGREE"
                print(f"{name:8} {outcome.case:44} expected {outcome.expected:15} got "
                      f"{outcome.got:15} {outcome.seconds:6.2f}s  {mark}"
                      + (f"  ({outcome.note})" if outcome.note else ""), flush=True)
    agree = sum(o.agree for o in outcomes)
    errors = sum(o.got == "internal-error" for o in outcomes)
    if errors:
        print(f"internal errors: {errors}")
    print(f"agree: {agree}/{len(outcomes)}")
    return 0 if outcomes and agree == len(outcomes) and not gate else 1


if __name__ == "__main__":
    raise SystemExit(main())
