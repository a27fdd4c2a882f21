"""A new user's journey per project on real clones: init, status, backport, gate, lint, sign,
apply, vex, coverage, site; then the fleet view over all of them. One line per step.

    KSP_CACHE_DIR=... python bench/journeys.py [--real /work/real] [--work /tmp/ksp-journeys]

The clones (runc, containerd, etcd, apiserver under --real) are only read; `ksp apply` works on
a fresh `git clone` of the release tag. Every step is the plain `ksp` command a user would type;
the only hand work is the one a CVE fixer does anyway: resolving a conflict in the backport
worktree (keeping the target's version of the conflicting test file) before `--continue`.
A step that fails is printed as FAIL with its last stderr line; the script exits 1 if any did.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DATE = "2026-12-02"
SCHEMA = Path(__file__).resolve().parent.parent / "src/ksp/data/openvex-0.2.0.schema.json"


@dataclass(frozen=True)
class Journey:
    project: str
    clone: str  # folder under --real
    minor: str
    advisory: str
    title: str
    fix: tuple[str, ...]  # backport arguments naming the fix
    header: tuple[str, ...]
    gate: tuple[str, ...] = ("--no-test",)
    init: tuple[str, ...] = ()
    resolve: str | None = None  # a conflicting file to keep at the target's version
    triage: tuple[str, ...] = ()  # a first look at the whole fix, before the part written


JOURNEYS = (
    Journey("runc", "runc", "1.2", "CVE-2026-41579",
            "runc: container escape through /dev and mount paths (fd-based rootfs setup)",
            # The triage step shows the whole 13-commit fix: it conflicts on release-1.2 and needs
            # a rewrite. Written here: its regression tests (bind mounts through dangling
            # symlinks), which apply cleanly. (Its clean code commit 083e21ed alone fails the
            # gate's build: it needs 42cfcbe4, which conflicts.)
            ("--commit", "3661a9d4"),
            ("--cve-issue", "https://www.cve.org/CVERecord?id=CVE-2026-41579",
             "--severity", "HIGH", "--components", "runc"),
            triage=("--merge", "d934454b2")),
    Journey("containerd", "containerd", "2.1", "CVE-2026-34986",
            "go-jose/v4: update to v4.1.4 (CVE-2026-34986)", ("--commit", "80311db63"),
            ("--cve-issue", "https://www.cve.org/CVERecord?id=CVE-2026-34986",
             "--severity", "MEDIUM", "--components", "containerd")),
    Journey("etcd", "etcd", "3.4", "GHSA-xg4h-6gfc-h4m8",
            "a user with read permission on one key receives watch events for every key after it",
            ("--commit", "6643f8060"),
            ("--cve-issue", "https://github.com/etcd-io/etcd/security/advisories/"
             "GHSA-xg4h-6gfc-h4m8", "--severity", "MEDIUM", "--components", "etcd",
             "--tests", "dropped"),
            gate=("--no-build", "--no-test"), resolve="tests/e2e/watch_test.go"),
    Journey("k8s-staging", "apiserver", "1.32", "CVE-2026-35469",
            "moby/spdystream: uncontrolled resource consumption parsing SPDY frames",
            ("--commit", "7e9c2c8eef26"),  # the kubernetes/kubernetes commit
            ("--cve-issue", "https://www.cve.org/CVERecord?id=CVE-2026-35469",
             "--severity", "MEDIUM", "--components", "k8s.io/apiserver"),
            gate=("--no-build", "--no-test"),
            init=("--upstream", "https://github.com/kubernetes/apiserver"),
            resolve="go.mod go.sum"),
)


@dataclass
class Runner:
    work: Path
    failures: int = 0
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))

    def ksp(self, project: str, step: str, args: list[str], cwd: Path,
            ok: Callable[[subprocess.CompletedProcess[str]], str | None] | None = None,
            codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        start = time.perf_counter()
        proc = subprocess.run(["ksp", *args], cwd=cwd, capture_output=True, text=True,
                              env=self.env, check=False)
        took = time.perf_counter() - start
        problem = None if proc.returncode in codes else (
            f"exit {proc.returncode}: {_last(proc.stderr) or _last(proc.stdout)}")
        summary = ok(proc) if ok and problem is None else None
        if summary and summary.startswith("FAIL"):
            problem, summary = summary, None
        self.report(project, step, problem, summary or _last(proc.stdout), took,
                    " ".join(["ksp", *args]))
        return proc

    def report(self, project: str, step: str, problem: str | None, summary: str,
               took: float, command: str) -> None:
        if problem:
            self.failures += 1
        state = "FAIL" if problem else "ok"
        print(f"{project:<11} {step:<9} {state:<4} {took:6.1f}s  {problem or summary}"
              f"   [{command}]", flush=True)


def _last(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:150] if lines else ""


def _first(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")[:150]


def _json(proc: subprocess.CompletedProcess[str]) -> object:
    return json.loads(proc.stdout)


def status_summary(proc: subprocess.CompletedProcess[str]) -> str:
    data = _json(proc)
    assert isinstance(data, dict)
    windows: dict[str, list[str]] = {}
    for row in data["minors"]:
        windows.setdefault(row["window"], []).append(row["minor"])
    if "unknown" in windows:
        return f"FAIL: no window for {windows['unknown']}"
    return "; ".join(f"{w}: {', '.join(m[:6])}" for w, m in windows.items() if w != "expired")


def backport_summary(proc: subprocess.CompletedProcess[str]) -> str:
    data = _json(proc)
    assert isinstance(data, dict)
    commits = ", ".join(c["sha"][:10] + (f" (from kubernetes/kubernetes {c['published_from'][:10]})"
                                         if c.get("published_from") else "")
                        for c in data["commits"][:2])
    targets = "; ".join(f"{t['minor']}: {t['result']}"
                        + (f" -> {t['patch']}" if t.get("patch") else "")
                        + (" (worktree)" if t.get("worktree") else "")
                        for t in data["targets"])
    more = f" +{len(data['commits']) - 2} more" if len(data["commits"]) > 2 else ""
    return f"{commits}{more}: {targets}"


def vex_check(path: Path, clone: Path) -> Callable[[subprocess.CompletedProcess[str]], str]:
    def check(_proc: subprocess.CompletedProcess[str]) -> str:
        import jsonschema

        doc = json.loads(path.read_text())
        jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
        tags = set(subprocess.run(["git", "-C", str(clone), "tag"], capture_output=True,
                                  text=True, check=True).stdout.split())
        ids = sorted({p["@id"] for s in doc["statements"] for p in s["products"]})
        versions = {i.rsplit("@", 1)[1] for i in ids if i.startswith("pkg:golang/")}
        missing = sorted(v for v in versions if v not in tags and not any(
            t.endswith("/" + v) for t in tags))
        if missing:
            return f"FAIL: versions not in the upstream's tags: {missing}"
        return f"valid OpenVEX, {len(doc['statements'])} statements, products {ids}"
    return check


def journey(run: Runner, j: Journey, real: Path) -> Path:
    clone = real / j.clone
    root = run.work / f"{j.clone}-patches"
    name = root.name
    run.ksp(j.project, "init", ["init", str(root), "--project", j.project, *j.init], run.work)
    subprocess.run(["git", "-C", str(root), "config", "user.name", "Journey Fixer"], check=True)
    approver(run, j, root)
    run.ksp(j.project, "status", ["status", "--date", DATE, "--format", "json"], root,
            ok=status_summary)
    run.ksp(j.project, "lifecycle", ["lifecycle", "show", "--format", "json"], root,
            ok=lambda p: "sources: " + "; ".join(json.loads(p.stdout)["sources"]))
    common = ["backport", j.advisory, "--upstream", str(clone), "--date", DATE, "--to", j.minor,
              "--format", "json"]
    if j.triage:
        run.ksp(j.project, "triage", [*common, *j.triage], root, ok=backport_summary,
                codes=(0, 1))
    proc = run.ksp(j.project, "backport",
                   [*common, *j.fix, "--write", "--title", j.title, "--fixer", "@journey-fixer",
                    *j.header], root, ok=backport_summary, codes=(0, 1))
    if j.resolve:
        resolve(run, j, root, proc)
    minor_folder = root / f"v{j.minor}"
    patches = sorted(str(p.relative_to(root)) for p in minor_folder.glob("*.patch"))
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(root), "commit", "-qm", f"{j.advisory} for {j.minor}"],
                   check=True)
    record = [] if "--no-build" in j.gate else ["--record", "--patch", patches[-1]]
    run.ksp(j.project, "gate", ["gate", "--upstream", str(clone), "--minor", j.minor, *j.gate,
                                *record], root)
    attestation = root / ".ksp" / "evidence" / j.minor / "attestation.intoto.json"
    run.ksp(j.project, "sign", ["sign", *patches, "--reviewer", "@journey-src", "--key",
                                str(run.work / "journey-src"), "--attestation", str(attestation)],
            root)
    run.ksp(j.project, "lint", ["lint", "--upstream", str(clone), "--date", DATE], root)
    apply(run, j, root, clone)
    out = run.work / f"{name}.openvex.json"
    run.ksp(j.project, "vex", ["vex", "--minor", j.minor, "--broad", "--out", str(out), "--date",
                               DATE], root, ok=vex_check(out, clone))
    run.ksp(j.project, "coverage", ["coverage", "--date", DATE], root,
            ok=lambda p: _first(p.stdout))
    run.ksp(j.project, "site", ["site", "build", "--out", str(run.work / f"{name}-site"),
                                "--date", DATE], root)
    return root


def approver(run: Runner, j: Journey, root: Path) -> None:
    """What the SRC does once: name its approver in OWNERS and list their SSH key."""
    start = time.perf_counter()
    key = run.work / "journey-src"
    if not key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "journey-src", "-f",
                        str(key)], check=True)
    owners = root / "OWNERS"
    owners.write_text(owners.read_text().replace("approvers: []", "approvers: [journey-src]"))
    public = (run.work / "journey-src.pub").read_text().split()
    with (root / "ALLOWED_SIGNERS").open("a") as fh:
        fh.write(f'journey-src namespaces="ksp-series" {public[0]} {public[1]}\n')
    subprocess.run(["git", "-C", str(root), "commit", "-qam", "SRC: journey-src approves"],
                   check=True)
    run.report(j.project, "approver", None, "OWNERS approvers: [journey-src], its key in "
               "ALLOWED_SIGNERS", time.perf_counter() - start, "edit OWNERS, ALLOWED_SIGNERS")


def resolve(run: Runner, j: Journey, root: Path, proc: subprocess.CompletedProcess[str]) -> None:
    """The fixer's hand work: keep the target's version of the conflicting files (etcd: its own
    e2e test; apiserver: its go.mod/go.sum, with spdystream moved to the fixed v0.5.1 and its
    go.sum lines taken from the newer branch), then `ksp backport --continue`."""
    data = json.loads(proc.stdout)
    worktree = next((Path(t["worktree"]) for t in data["targets"] if t.get("worktree")), None)
    start = time.perf_counter()
    if worktree is None:
        run.report(j.project, "resolve", "no worktree to resolve", "", 0.0, "")
        return
    files = j.resolve.split() if j.resolve else []
    subprocess.run(["git", "-C", str(worktree), "checkout", "HEAD", "--", *files], check=True)
    if "go.mod" in files:
        bump_spdystream(worktree, real_clone=Path(data["upstream"]))
    what = " (spdystream moved to v0.5.1)" if "go.mod" in files else ""
    run.report(j.project, "resolve", None, f"kept the target's {', '.join(files)}{what}",
               time.perf_counter() - start, "git checkout HEAD -- " + " ".join(files))
    run.ksp(j.project, "continue", ["backport", "--continue", "--minor", j.minor, "--format",
                                    "json"], root, ok=lambda p: "wrote " + ", ".join(
                                        t.get("patch") or "" for t in json.loads(p.stdout)
                                        .get("targets", [json.loads(p.stdout)])))


def bump_spdystream(worktree: Path, real_clone: Path) -> None:
    gomod = worktree / "go.mod"
    gomod.write_text(gomod.read_text().replace("github.com/moby/spdystream v0.5.0",
                                               "github.com/moby/spdystream v0.5.1"))
    newer = subprocess.run(["git", "-C", str(real_clone), "show", "release-1.33:go.sum"],
                           capture_output=True, text=True, check=True).stdout
    fixed = [line for line in newer.splitlines() if line.startswith("github.com/moby/spdystream "
                                                                     "v0.5.1")]
    gosum = worktree / "go.sum"
    lines = gosum.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("github.com/moby/spdystream "))
    kept = [line for line in lines if not line.startswith("github.com/moby/spdystream v0.5.0")]
    gosum.write_text("\n".join([*kept[:at], *fixed, *kept[at:]]) + "\n")


def apply(run: Runner, j: Journey, root: Path, clone: Path) -> None:
    config = json.loads(subprocess.run(["ksp", "lifecycle", "show", "--format", "json"],
                                       cwd=root, capture_output=True, text=True, env=run.env,
                                       check=True).stdout)
    release = next(r for r in config["releases"] if r["minor"] == j.minor)
    patch = (release["final_patch"] or release["latest_patch"]).split(".")[-1]
    tag = {"k8s-staging": f"v0.{j.minor.split('.')[1]}.{patch}"}.get(j.project,
                                                                     f"v{j.minor}.{patch}")
    tree = run.work / f"{j.clone}-tree"
    shutil.rmtree(tree, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(clone), str(tree)], check=True)
    subprocess.run(["git", "-C", str(tree), "checkout", "-q", "-b", "patched", tag], check=True)
    run.ksp(j.project, "apply", ["apply", "--minor", j.minor, "--to", str(tree), "--commit",
                                 "--format", "json"], root,
            ok=lambda p: f"{tag} -> build {json.loads(p.stdout)['build']}, "
                         f"{len(json.loads(p.stdout)['applied'])} applied")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", type=Path, default=Path("/work/real"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/ksp-journeys"))
    parser.add_argument("--only", action="append", default=[], help="a project (repeat)")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    run = Runner(args.work)
    run.env["GIT_AUTHOR_NAME"] = run.env["GIT_COMMITTER_NAME"] = "Journey Fixer"
    run.env["GIT_AUTHOR_EMAIL"] = run.env["GIT_COMMITTER_EMAIL"] = "fixer@example.invalid"
    roots = [journey(run, j, args.real) for j in JOURNEYS
             if not args.only or j.project in args.only]
    names = [str(r) for r in roots]
    run.ksp("fleet", "status", ["status", "--fleet", *names, "--date", DATE], args.work,
            ok=lambda p: f"{len(re.findall(r'extended', p.stdout))} extended minors in one table")
    run.ksp("fleet", "site", ["site", "build", "--fleet", *names, "--out",
                              str(args.work / "fleet-site"), "--date", DATE], args.work)
    print(f"{run.failures} failed step(s)")
    return 1 if run.failures else 0


if __name__ == "__main__":
    sys.exit(main())
