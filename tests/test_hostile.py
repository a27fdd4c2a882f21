"""A hostile-input corpus across the commands: every case exits 1 or 2 with one error line that
names the file (or the option) at fault, no traceback, and leaves every byte of the patches repo
and of the upstream clone as it was, `.git` included.

Two worlds, each built once and copied per case: the `ksp init` repo of test_bad_input (whose
cases run here too, with the stronger snapshot), and a `go` profile patches repo (a git repo with
one gated patch) next to the factory Go upstream, for gate, apply, backport and ci.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import test_bad_input as bad
from _gatekit import add_patch, commit_all, git
from _samples import DAY, DIFF
from factories.goupstream import good_patch, make_go_upstream
from ksp.cli.main import main


@dataclass(frozen=True)
class World:
    repo: Path
    up: Path
    tmp: Path  # scratch space outside both


Setup = Callable[[World], None]
Argv = Callable[[World], list[str]]


@dataclass(frozen=True)
class Case:
    name: str
    setup: Setup
    argv: Argv
    where: str  # what the error line must name: a file, file:line ("x:" = a line follows)
    world: str = "go"  # "go" or "init"


# --- the worlds ------------------------------------------------------------------------------

LIFECYCLE = """schema: ksp-lifecycle/v1
project: demo
releases:
- minor: '1.31'
  released: 2024-01-01
  eol_planned: 2026-06-01
  latest_patch: '1.31.1'
"""


@pytest.fixture(scope="module")
def go_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """`ksp init --project go` with a lifecycle file and one patch (lint-clean), committed."""
    tmp = tmp_path_factory.mktemp("hostile")
    up = make_go_upstream(tmp / "demo")
    repo = tmp / "patches"
    assert main(["init", str(repo), "--project", "go", "--upstream",
                 "https://example.com/demo/demo", "--module", "example.com/demo"]) == 0
    (repo / "lifecycle.yaml").write_text(LIFECYCLE)
    (repo / "OWNERS").write_text("approvers: [reviewer]\n")  # the patch's SRC Reviewer
    config = (repo / "ksp.yaml").read_text()
    (repo / "ksp.yaml").write_text(config.replace("lifecycle: embedded",
                                                  "lifecycle: lifecycle.yaml"))
    add_patch(repo, "1.31", 1, good_patch(up, "1.31"), index=True)
    commit_all(repo, "a patch")  # `ksp init` made the repository; its branch may be master
    git(repo, "branch", "-M", "main")
    assert main(["lint", "--repo", str(repo), "--date", DAY]) == 0
    return repo, up.path


@pytest.fixture(scope="module")
def init_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """test_bad_input's template repo (`ksp init`, one patch), as a git repository."""
    tmp = tmp_path_factory.mktemp("init-world")
    root = tmp / "patches"
    assert main(["init", str(root)]) == 0
    (root / "OWNERS").write_text("approvers: [src]\n")  # the reviewer must be an approver
    (tmp / "fix.diff").write_text(DIFF)
    assert main(["new", "CVE-2025-5187", "--minor", "1.33", "--diff", str(tmp / "fix.diff"),
                 "--repo", str(root), *bad.NEW_FLAGS]) == 0
    commit_all(root, "init")  # `ksp init` made the repository; its branch may be master
    git(root, "branch", "-M", "main")
    return root


@pytest.fixture
def world(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          go_world: tuple[Path, Path], init_world: Path) -> Callable[[str], World]:
    monkeypatch.setenv("KSP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("KSP_UPSTREAM", raising=False)

    def make(kind: str) -> World:
        repo = tmp_path / "patches"
        shutil.copytree(init_world if kind == "init" else go_world[0], repo, symlinks=True)
        up = tmp_path / "demo"
        shutil.copytree(go_world[1], up, symlinks=True)
        scratch = tmp_path / "scratch"
        scratch.mkdir()
        return World(repo, up, scratch)
    return make


def tree_hash(root: Path) -> str:
    """Every path, mode and content under `root`, `.git` included. The one exception is an empty
    `.ksp.lock` (git-ignored, no content): writers take the repo lock before they validate."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        if path == root / ".ksp.lock" and st.st_size == 0:
            continue
        digest.update(f"{path.relative_to(root)}\0{st.st_mode:o}\0".encode())
        if path.is_symlink():
            digest.update(str(path.readlink()).encode())
        elif path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


# --- building blocks ---------------------------------------------------------------------------

PATCH = "v1.31/0001_CVE-2025-1001.patch"


def nothing(w: World) -> None:
    return None


def edit(rel: str, old: str, new: str, *, count: int = 1) -> Setup:
    def setup(w: World) -> None:
        path = w.repo / rel
        text = path.read_text()
        assert old in text, (rel, old)
        path.write_text(text.replace(old, new, count))
    return setup


def write(rel: str, data: str | bytes) -> Setup:
    def setup(w: World) -> None:
        path = w.repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data)
    return setup


def both(*setups: Setup) -> Setup:
    def setup(w: World) -> None:
        for s in setups:
            s(w)
    return setup


def commit(message: str = "hostile change") -> Setup:
    """Commit what the setup changed on a branch `pr` (for --since main)."""
    def setup(w: World) -> None:
        git(w.repo, "checkout", "-q", "-b", "pr")
        commit_all(w.repo, message)
    return setup


def cmd(*words: str) -> Argv:
    """A command line; {repo}, {up} and {tmp} are replaced by the world's folders."""
    def argv(w: World) -> list[str]:
        values = {"repo": str(w.repo), "up": str(w.up), "tmp": str(w.tmp)}
        return [re.sub(r"\{(repo|up|tmp)\}", lambda m: values[m[1]], x) for x in words]
    return argv


REPO = ("--repo", "{repo}")
LINT = cmd("lint", *REPO, "--date", DAY)
STATUS = cmd("status", *REPO, "--date", DAY)
COVERAGE = cmd("coverage", *REPO, "--date", DAY)
MATRIX = cmd("ci", "matrix", "--all", *REPO, "--date", DAY)
GATE = cmd("gate", *REPO, "--upstream", "{up}", "--no-build", "--no-test", "--minor", "1.31")
GATE_SINCE = cmd("gate", *REPO, "--upstream", "{up}", "--no-build", "--no-test", "--since",
                 "main")
LINT_SINCE = cmd("lint", *REPO, "--since", "main", "--date", DAY)
APPLY = cmd("apply", *REPO, "--minor", "1.31", "--to", "{up}", "--dry-run")
VEX = cmd("vex", *REPO, "--minor", "1.31", "--broad", "--base", "v1.31.1")
SITE = cmd("site", "build", *REPO, "--out", "{tmp}/site")

# --- the cases ---------------------------------------------------------------------------------

HOSTILE_TEMPLATES = {
    "attribute": "release-{minor.__init__.__globals__}",
    "index": "release-{minor[0]}",
    "unknown-field": "release-{minor}-{secret}",
    "conversion": "release-{minor!r}",
    "format-spec": "release-{minor:>99999}",
    "nested-spec": "release-{minor:{minor.__class__}}",
    "positional": "release-{minor}{}",
    "numbered": "release-{minor}{0}",
    "unbalanced": "release-{minor",
    "stray-brace": "release-{minor}}",
}


def template_cases() -> list[Case]:
    cases = []
    for name, value in HOSTILE_TEMPLATES.items():
        for key, quoted in (("branch", "'release-{minor}'"), ("tag", "'v{minor}.{patch}'")):
            fixed = value if key == "branch" else value.replace("release-", "v")
            setup = edit("ksp.yaml", f"{key}: {quoted}", f"{key}: '{fixed}'")
            for label, argv in (("lint", LINT), ("matrix", MATRIX), ("gate", GATE)):
                if key == "tag" and label != "lint":
                    continue
                cases.append(Case(f"template-{key}-{name}-{label}", setup, argv, "ksp.yaml:"))
    for key, old in (("build", "go build {targets}"), ("test", "go test {packages}"),
                     ("typecheck", "go vet {packages}")):
        for name in ("attribute", "unknown-field", "conversion", "numbered"):
            value = HOSTILE_TEMPLATES[name].replace("release-{minor", "go x {targets" if
                                                    key == "build" else "go x {packages")
            cases.append(Case(f"template-{key}-{name}", edit("ksp.yaml", old, value.replace(
                "'", "")), GATE, "ksp.yaml:"))
    return cases


IMPOSSIBLE_DATES = ("2026-02-30", "2025-13-01", "2026-04-31", "2025-00-10")


def date_cases() -> list[Case]:
    cases = []
    for day in IMPOSSIBLE_DATES:
        lifecycle = (f"schema: ksp-lifecycle/v1\nproject: demo\nreleases:\n- minor: '1.31'\n"
                     f"  released: 2024-01-01\n  eol_planned: {day}\n")
        use_file = write("lifecycle.yaml", lifecycle)
        for label, argv in (("lint", LINT), ("status", STATUS), ("matrix", MATRIX),
                            ("coverage", COVERAGE)):
            cases.append(Case(f"lifecycle-date-{day}-{label}", use_file, argv,
                              "lifecycle.yaml:6"))
        expires = edit("ksp.yaml", "known_failures: {}",
                       f"known_failures: {{'1.31': [{{test: x, reason: y, expires: {day}}}]}}")
        cases.append(Case(f"config-date-{day}-lint", expires, LINT, "ksp.yaml:"))
        cases.append(Case(f"config-date-{day}-gate", expires, GATE, "ksp.yaml:"))
        published = edit("index.yaml", "title: A test advisory",
                         f"title: A test advisory\n    published: {day}")
        quoted = edit("index.yaml", "title: A test advisory",
                      f"title: A test advisory\n    published: '{day}'")
        for label, argv in (("lint", LINT), ("coverage", COVERAGE), ("vex", VEX),
                            ("site", SITE)):
            cases.append(Case(f"index-date-{day}-{label}", published, argv, "index.yaml:"))
            cases.append(Case(f"index-quoted-date-{day}-{label}", quoted, argv, "index.yaml:"))
    return cases


OUT_OF_RANGE = {
    "extended_months: 12": ("extended_months: 1000000000000000000000", "extended_months: -1",
                            "extended_months: 601"),
    "max_patch_bytes: 1048576": ("max_patch_bytes: 0", "max_patch_bytes: 10000000000000"),
    "max_files: 200": ("max_files: -5", "max_files: " + "9" * 5000),
}


def range_cases() -> list[Case]:
    cases = []
    for old, values in OUT_OF_RANGE.items():
        for value in values:
            setup = edit("ksp.yaml", old, value)
            short = value.split(":")[0] + "=" + value.split(": ")[1][:8]
            for label, argv in (("lint", LINT), ("status", STATUS), ("gate", GATE),
                                ("apply", APPLY)):
                cases.append(Case(f"range-{short}-{label}", setup, argv, "ksp.yaml:"))
    setup = edit("ksp.yaml", "known_failures: {}", "timeout: 0\nknown_failures: {}")
    cases.append(Case("range-timeout-0-gate", setup, GATE, "ksp.yaml:"))
    return cases


BAD_HUNKS = ("@@ -a,b +c,d @@", "@@ -1,x +1 @@", "@@ @@", "@@ -1,1 +1,1", "@@@ -1 +1 @@@")


def hunk_cases() -> list[Case]:
    cases = []
    for i, header in enumerate(BAD_HUNKS):
        def setup(w: World, header: str = header) -> None:
            text = (w.repo / PATCH).read_text()
            (w.repo / PATCH).write_text(re.sub(r"^@@ [^\n]*", header, text, count=1,
                                               flags=re.MULTILINE))
        cases.append(Case(f"hunk-{i}-gate", setup, GATE, PATCH))
        cases.append(Case(f"hunk-{i}-gate-since", both(setup, commit()), GATE_SINCE, PATCH))
        cases.append(Case(f"hunk-{i}-lint", setup, LINT, PATCH))
        cases.append(Case(f"hunk-{i}-apply", setup, APPLY, PATCH))
    return cases


def huge_patch(w: World) -> None:
    with (w.repo / "v1.31" / "0002_CVE-2025-1002.patch").open("wb") as fh:
        fh.write(b"# Security patch for CVE-2025-1002\ndiff --git a/x b/x\n")
        fh.truncate(60 * 1024 * 1024)


def size_cases() -> list[Case]:
    given = cmd("gate", *REPO, "--upstream", "{up}", "--no-build", "--no-test", "--patch",
                "{repo}/v1.31/0002_CVE-2025-1002.patch")
    return [Case("patch-60mb-gate", huge_patch, GATE, "0002_CVE-2025-1002.patch"),
            Case("patch-60mb-gate-patch", huge_patch, given, "0002_CVE-2025-1002.patch"),
            Case("patch-60mb-apply", huge_patch, APPLY, "0002_CVE-2025-1002.patch"),
            Case("patch-60mb-lint", huge_patch, LINT, "0002_CVE-2025-1002.patch")]


def osv(content: str, name: str = "osv.json") -> Argv:
    def argv(w: World) -> list[str]:
        (w.tmp / name).write_text(content)
        return ["advisories", "import", "--osv", str(w.tmp / name), "--repo", str(w.repo)]
    return argv


def feed(content: str) -> Argv:
    def argv(w: World) -> list[str]:
        (w.tmp / "feed.json").write_text(content)
        return ["advisories", "import", "--feed", str(w.tmp / "feed.json"), "--repo",
                str(w.repo)]
    return argv


DIGITS = "9" * 5000


def number_cases() -> list[Case]:
    record = '{"id": "GHSA-2222-3333-4444", "modified": "2025-01-01T00:00:00Z", '
    return [
        Case("osv-5000-digit-field", nothing, osv(record + f'"x": {DIGITS}}}'), "osv.json"),
        Case("osv-5000-digit-severity", nothing, osv(
            record + f'"severity": [{{"type": "CVSS_V3", "score": {DIGITS}}}]}}'), "osv.json"),
        Case("osv-5000-digit-float", nothing, osv(record + f'"x": 1e{DIGITS}}}'), "osv.json"),
        Case("osv-not-json", nothing, osv("{"), "osv.json"),
        Case("osv-deep", nothing, osv("[" * 5000 + "]" * 5000), "osv.json"),
        Case("osv-impossible-date", nothing, osv(
            '{"id": "CVE-2025-1", "modified": "2026-02-30T00:00:00Z", "aliases": []}'),
            "osv.json"),
        Case("feed-5000-digit", nothing, feed(f'{{"version": {DIGITS}, "items": []}}'),
             "feed.json"),
        Case("feed-not-json", nothing, feed("[1,"), "feed.json:"),
        Case("index-5000-digit", edit("index.yaml", "title: A test advisory",
                                      f"title: A test advisory\n    published: {DIGITS}"),
             LINT, "index.yaml"),
        Case("config-5000-digit-timeout", edit("ksp.yaml", "known_failures: {}",
                                               f"timeout: {DIGITS}\nknown_failures: {{}}"),
             LINT, "ksp.yaml"),
    ]


STATE = "backport/x/CVE-2025-1001_v1.31.json"


def state(content: str) -> Setup:
    def setup(w: World) -> None:
        path = Path(os.environ["KSP_CACHE_DIR"]) / STATE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return setup


CONTINUE = cmd("backport", "CVE-2025-1001", "--continue", *REPO)
ABORT = cmd("backport", "CVE-2025-1001", "--abort", *REPO)


def state_cases() -> list[Case]:
    good = ('{"advisory": "CVE-2025-1001", "minor": "1.31", "branch": "release-1.31", '
            '"upstream": "/x", "repo": "/x", "head": "h", "worktree": "/x", "commits": [], '
            '"remaining": %s}')
    bodies = {"not-json": "{", "truncated": good[:40], "list": "[]", "null": "null",
              "missing-keys": '{"advisory": "CVE-2025-1001"}', "minor-not-a-minor":
              good.replace('"1.31"', '"one"') % "[]", "remaining-strings": good % '["x"]',
              "repo-number": good.replace('"repo": "/x"', '"repo": 7') % "[]",
              "binary": "\x00\xff"}
    cases = []
    for name, body in bodies.items():
        cases.append(Case(f"state-{name}-continue", state(body), CONTINUE,
                          "CVE-2025-1001_v1.31.json"))
        cases.append(Case(f"state-{name}-abort", state(body), ABORT, "CVE-2025-1001_v1.31.json"))
    return cases


def evidence_cases() -> list[Case]:
    cases = []
    for name, target in (("proc", "/proc/ksp-evidence"), ("dev-null", "/dev/null/x"),
                         ("a-file", "{repo}/index.yaml"), ("sys", "/sys/ksp")):
        cases.append(Case(f"evidence-dir-{name}", nothing, cmd(
            "gate", *REPO, "--upstream", "{up}", "--no-build", "--no-test", "--minor", "1.31",
            "--evidence-dir", target), "--evidence-dir"))
    return cases


NEW_FLAGS = bad.NEW_FLAGS


def new_id(advisory: str) -> Argv:
    def argv(w: World) -> list[str]:
        (w.tmp / "fix.diff").write_text(DIFF)
        return ["new", advisory, "--minor", "1.33", "--diff", str(w.tmp / "fix.diff"),
                "--repo", str(w.repo), *NEW_FLAGS]
    return argv


def id_cases() -> list[Case]:
    ids = {"trailing-newline": "CVE-2025-1234\n", "embedded-newline": "CVE-2025-1\n234",
           "escape": "CVE-2025-1234\x1b[2J", "nul-free-slash": "CVE-2025-1234/../x",
           "bidi": "CVE-2025-1234\u202e", "space": "CVE-2025-1234 ", "dots": "INFRA-..",
           "tab": "\tCVE-2025-1234"}
    cases = []
    for name, advisory in ids.items():
        cases.append(Case(f"id-{name}-new", nothing, new_id(advisory), "advisory id",
                          world="init"))
        cases.append(Case(f"id-{name}-backport", nothing, cmd(
            "backport", advisory, "--commit", "HEAD", "--upstream", "{up}", *REPO),
            "advisory id"))
    for name, minor in (("escape", "1.31\x1b[0m"), ("huge", "9" * 5000), ("neg", "-1.31")):
        cases.append(Case(f"minor-{name}-gate", nothing, cmd(
            "gate", *REPO, "--upstream", "{up}", "--minor", minor), "--minor"))
        cases.append(Case(f"minor-{name}-vex", nothing, cmd("vex", *REPO, "--minor", minor),
                          "--minor"))
    return cases


def out_cases() -> list[Case]:
    cases = []
    targets = ("index.yaml", "ksp.yaml", "README.md", PATCH, ".git/config", "v1.31", ".")
    for target in targets:
        name = target.replace("/", "-").strip(".") or "root"
        cases.append(Case(f"out-vex-{name}", nothing, cmd(
            "vex", *REPO, "--minor", "1.31", "--broad", "--base", "v1.31.1", "--out",
            "{repo}/" + target), "--out"))
        cases.append(Case(f"out-github-{name}", nothing, cmd(
            "ci", "github", *REPO, "--out", "{repo}/" + target), "--out"))
    lifecycle = "branches:\n- release: '1.31'\n  endOfLifeDate: '2026-01-01'\n"

    def import_to(target: str) -> Argv:
        def argv(w: World) -> list[str]:
            (w.tmp / "eol.yaml").write_text(lifecycle)
            return ["lifecycle", "import", str(w.tmp / "eol.yaml"), "--repo", str(w.repo),
                    "--out", str(w.repo / target)]
        return argv
    for target in ("index.yaml", "ksp.yaml", PATCH):
        cases.append(Case(f"out-lifecycle-{target.replace('/', '-')}", nothing,
                          import_to(target), "--out"))
    return cases


def escape_path_cases() -> list[Case]:
    """Terminal escapes and bidi controls in a patch's paths: refused by lint, shown escaped.
    (The gate's own policy check is issue 12 part B.)"""
    cases = []
    for name, bad_path in (("csi", "pkg/\x1b[2Jx.go"), ("osc", "pkg/\x1b]0;pwned\x07x.go"),
                           ("bidi", "pkg/x\u202eog.go")):
        setup = edit(PATCH, "pkg/auth/auth.go", bad_path, count=4)
        cases.append(Case(f"escape-path-{name}-lint", setup, LINT, PATCH))
    return cases


def evidence_record(content: bytes) -> Setup:
    """A Testing: line that names (by sha256) a hostile evidence record in .ksp/evidence."""
    def setup(w: World) -> None:
        digest = hashlib.sha256(content).hexdigest()
        folder = w.repo / ".ksp" / "evidence" / "1.31"
        folder.mkdir(parents=True)
        (folder / f"{digest}.json").write_bytes(content)
        path = w.repo / PATCH
        before = hashlib.sha256(path.read_bytes()).hexdigest()
        path.write_text(path.read_text().replace(
            "# Testing: pending", "# Testing: ksp gate pass on 0123456789ab (release-1.31), "
            f"go1.22.0, 2026-11-20, evidence sha256:{digest}"))
        after = hashlib.sha256(path.read_bytes()).hexdigest()
        edit("index.yaml", before, after)(w)
    return setup


def record_cases() -> list[Case]:
    bodies = {"list": b"[1, 2]", "digits": b'{"x": ' + DIGITS.encode() + b"}", "null": b"null",
              "not-json": b"{", "string": b'"pass"', "deep": b"[" * 3000 + b"]" * 3000,
              "wrong-types": b'{"schema": "ksp-evidence/v1", "ksp": 1, "patches": "all"}',
              "other-schema": b'{"schema": "ksp-evidence/v2", "result": "pass"}'}
    return [Case(f"evidence-record-{name}-lint", evidence_record(body), LINT, PATCH)
            for name, body in bodies.items()]


def trust_cases() -> list[Case]:
    """A pull request that changes how it is checked: lint names the keys; nothing changes."""
    weakened = (("test-true", "test: 'go test {packages}'", "test: 'true'"),
                ("no-forbidden", "  forbidden_paths: [", "  forbidden_paths: []\n  x: ["),
                ("symlinks", "allow_symlinks: false", "allow_symlinks: true"),
                ("build-sh", "build: 'go build {targets}'", "build: 'sh -c \"id\"'"))
    return [Case(f"pr-weakens-{name}-lint", both(edit("ksp.yaml", old, new), commit()),
                 LINT_SINCE, "ksp.yaml") for name, old, new in weakened]


def triage_cases() -> list[Case]:
    """`ksp triage` writes index.yaml: hostile ids, notes and a broken index leave it as it was."""
    def triage(*words: str) -> Argv:
        return cmd("triage", *words, "--minor", "1.31", "--status", "wont-fix", "--by", "@src",
                   *REPO)
    return [
        Case("triage-id-newline", nothing, triage("CVE-2025-1001\n", "--note", "x"),
             "CVE-2025-1001"),
        Case("triage-id-escape", nothing, triage("CVE-2025-1001\x1b[2J", "--note", "x"),
             "CVE-2025-1001"),
        Case("triage-note-newline", nothing, triage("CVE-2025-1001", "--note",
                                                    "fine\n# injected: yes"), "--note"),
        Case("triage-index-date", edit("index.yaml", "title: A test advisory",
                                       "title: A test advisory\n    published: 2026-02-30"),
             triage("CVE-2025-1001", "--note", "x"), "index.yaml:"),
        Case("triage-index-digits", edit("index.yaml", "title: A test advisory",
                                         f"title: A test advisory\n    published: {DIGITS}"),
             triage("CVE-2025-1001", "--note", "x"), "index.yaml"),
        Case("triage-config-template", edit("ksp.yaml", "branch: 'release-{minor}'",
                                            "branch: 'release-{minor.__class__}'"),
             triage("CVE-2025-1001", "--note", "x"), "ksp.yaml:"),
    ]


def report(content: str) -> Argv:
    def argv(w: World) -> list[str]:
        (w.tmp / "trivy.json").write_text(content)
        return ["ci", "vex-check", "--repo", str(w.repo), "--minor", "1.31", "--report",
                str(w.tmp / "trivy.json")]
    return argv


def more_command_cases() -> list[Case]:
    """sign, init, ci prow and ci vex-check."""
    return [
        Case("sign-reviewer-newline", nothing, cmd(
            "sign", "--reviewer", "@src\n# Testing: pass", *REPO, "{repo}/" + PATCH),
            "--reviewer"),
        Case("sign-reviewer-escape", nothing, cmd(
            "sign", "--reviewer", "@src\x1b[2J", *REPO, "{repo}/" + PATCH), "--reviewer"),
        Case("sign-reviewer-bidi", nothing, cmd(
            "sign", "--reviewer", "@src\u202e", *REPO, "{repo}/" + PATCH), "--reviewer"),
        Case("sign-outside-repo", nothing, cmd("sign", "--reviewer", "@reviewer", *REPO,
                                               "{up}/go.mod"), "go.mod"),
        Case("init-over-a-repo", nothing, cmd("init", "{repo}"), "patches"),
        Case("init-over-a-file", nothing, cmd("init", "{repo}/index.yaml"), "index.yaml"),
        Case("prow-out-index", nothing, cmd("ci", "prow", *REPO, "--repo-slug", "o/r", "--out",
                                            "{repo}/index.yaml"), "--out"),
        Case("prow-template", edit("ksp.yaml", "branch: 'release-{minor}'",
                                   "branch: 'release-{minor.__dict__}'"),
             cmd("ci", "prow", *REPO, "--repo-slug", "o/r", "--date", DAY), "ksp.yaml:"),
        Case("vex-check-digits", nothing, report('{"SchemaVersion": ' + DIGITS + "}"),
             "trivy.json"),
        Case("vex-check-deep", nothing, report("[" * 5000 + "]" * 5000), "trivy.json"),
        Case("vex-check-not-json", nothing, report("{\n"), "trivy.json:"),
    ]


def init_world_cases() -> list[Case]:
    """test_bad_input's cases, now also hashing .git and the upstream clone."""
    cases = []
    for c in bad.CASES:
        def setup(w: World, c: bad.Case = c) -> None:
            c.setup(w.repo)

        def argv(w: World, c: bad.Case = c) -> list[str]:
            return c.argv(w.repo, w.tmp)
        cases.append(Case(f"bad-input-{c.name}", setup, argv, c.where, world="init"))
    return cases


CASES = [*template_cases(), *date_cases(), *range_cases(), *hunk_cases(), *size_cases(),
         *number_cases(), *state_cases(), *evidence_cases(), *id_cases(), *out_cases(),
         *escape_path_cases(), *record_cases(), *triage_cases(), *more_command_cases(),
         *trust_cases(),
         *init_world_cases()]

ERROR_LINE = ("ksp: error:", "ksp: usage error:", "ksp lint:")


def test_the_corpus_has_at_least_150_distinct_cases() -> None:
    names = [c.name for c in CASES]
    assert len(set(names)) == len(names) >= 150, len(names)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_input(case: Case, world: Callable[[str], World],
                       capsys: pytest.CaptureFixture[str]) -> None:
    w = world(case.world)
    case.setup(w)
    argv = case.argv(w)
    before = tree_hash(w.repo), tree_hash(w.up)
    capsys.readouterr()
    rc = main(argv)
    out, err = capsys.readouterr()
    assert rc in (1, 2), (rc, err)
    assert "Traceback" not in err and "internal error" not in err, err
    lines = [line for line in err.splitlines() if line.startswith(ERROR_LINE)]
    assert len(lines) == 1, err
    assert case.where in lines[0], (case.where, err)
    line_number = r"\d+" if case.where.endswith(":") else ""  # "file:" cases name the line
    assert re.search(re.escape(case.where) + line_number, lines[0]), err
    for text in (out, err):  # nothing from the input reaches the terminal raw
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f\u202e]", text), repr(text[:300])
    assert (tree_hash(w.repo), tree_hash(w.up)) == before


def test_hostile_test_output_is_text_not_a_crash(tmp_path: Path) -> None:
    """`go test -json` output comes from the patched tree's tests: a line of 3,000 brackets, a
    5,000-digit number or a non-object is plain text, never an internal error."""
    from ksp.gate import gotest

    log = tmp_path / "test.log"
    log.write_text("[" * 3000 + "]" * 3000 + "\n" + "9" * 5000 + "\n[1]\n"
                   '{"Action": "fail", "Package": "example.com/x", "Test": "TestY"}\n')
    parsed = gotest.parse_stream(log)
    failed, text = parsed.failed, parsed.text
    assert [(f.package, f.test) for f in failed] == [("example.com/x", "TestY")]
    assert text.startswith("[[[")


@pytest.mark.parametrize("command", [["ksp"], ["python", "-m", "ksp"]])
def test_a_module_in_the_current_folder_is_never_imported(tmp_path: Path,
                                                          command: list[str]) -> None:
    """ksp runs in checkouts of pull requests. A `rich.py` there (rich is imported lazily, by
    the first text table) must not run: `python -m` puts the current folder first on sys.path,
    and ksp's __main__ takes it off before anything is imported."""
    import subprocess
    import sys

    marker = tmp_path / "ran"
    (tmp_path / "rich.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    script = Path(sys.executable).parent / "ksp"
    argv = [str(script)] if command == ["ksp"] else [sys.executable, "-m", "ksp"]
    proc = subprocess.run([*argv, "status", "--date", "2026-01-01"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "minors on 2026-01-01" in proc.stdout  # the table was drawn: rich was imported
    assert not marker.exists()
