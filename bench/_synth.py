"""A synthetic upstream the size of kubernetes/kubernetes, for ksp's benchmarks.

Benchmarks need a tree whose cost is that of the real thing (~30,000 files,
a deep ``pkg/``, ``staging/`` and ``vendor/``) but that builds in seconds and
offline.  One ``git fast-import`` run writes the whole history as a pack; file
contents come from a formula, so the shas are the same on every run.

Besides ``main``, five release branches (``release-1.29`` .. ``release-1.33``)
are cut at successive points; a series of cumulative patches fits the gate's
minor, and :func:`make_fix_commit_on_main` gives the backport benchmark one
upstream fix that is clean on two branches, needs a 3-way merge on two and
conflicts on one.

Self-contained (standard library only) so that benchmarks need not import
the test suite.  Run it as a script to see how long a build takes.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

MINORS = ("1.29", "1.30", "1.31", "1.32", "1.33")
EPOCH = 1735689600  # 2025-01-01T00:00:00Z
IDENT = "KSP Bench <ksp-bench@example.invalid>"
WORDS = (
    "api", "apps", "auth", "batch", "cache", "client", "config", "core", "data", "events",
    "informers", "kubelet", "leader", "meta", "net", "node", "policy", "proxy", "quota", "rbac",
)  # fmt: skip
STAGING = ("api", "apimachinery", "client-go", "apiserver", "kubectl", "component-base")
VENDOR = ("github.com/gogo/protobuf", "github.com/google/cel-go", "go.etcd.io/etcd/client",
          "golang.org/x/net", "google.golang.org/grpc", "github.com/prometheus/common",
          "sigs.k8s.io/structured-merge-diff")  # fmt: skip
#: How the fix from main lands on each release branch (see make_fix_commit_on_main).
FIX_OUTCOME = {"1.33": "clean", "1.32": "clean", "1.31": "3way", "1.30": "3way", "1.29": "conflict"}
MAIN_STEP_FILES = 150  # files main changes between two release cuts


def synth_path(i: int) -> str:
    """The path of file ``i``: a root by bucket, then three directory levels."""
    d = i // 12
    sub = f"{WORDS[d % 20]}/{WORDS[(d // 20) % 20]}/{WORDS[(d // 400) % 20]}"
    bucket = i % 100
    if bucket < 55:
        root = "pkg"
    elif bucket < 75:
        root = f"staging/src/k8s.io/{STAGING[d % len(STAGING)]}/pkg"
    elif bucket < 97:
        root = f"vendor/{VENDOR[d % len(VENDOR)]}"
    else:
        root = "cmd" if bucket < 99 else "plugin/pkg/admission"
    return f"{root}/{sub}/file{i:05d}.go"


def synth_source(i: int) -> list[str]:
    """The lines of file ``i``: small, Go-like, unique (so blobs do not deduplicate)."""
    pkg = synth_path(i).rsplit("/", 2)[-2].replace("-", "")
    return [
        "// Code generated for ksp benchmarks. DO NOT EDIT.\n",
        "\n",
        f"package {pkg}\n",
        "\n",
        'import "fmt"\n',
        "\n",
        f"// Value{i} mixes x with this file's constants.\n",
        f"func Value{i}(x int) int {{\n",
        f"\ta := x + {i % 97}\n",
        f"\tb := a * {i % 13 + 2}\n",
        f"\tif b > {i} {{\n",
        f"\t\treturn b - {i}\n",
        "\t}\n",
        "\treturn a + b\n",
        "}\n",
        "\n",
        f"// Describe{i} formats Value{i}.\n",
        f"func Describe{i}(x int) string {{\n",
        f'\treturn fmt.Sprintf("file{i}: %d", Value{i}(x))\n',
        "}\n",
    ]


# Line numbers (0-based) inside synth_source that edits key on.
_A_LINE, _B_LINE, _IF_LINE = 8, 9, 10


@dataclass(frozen=True)
class Fix:
    """An upstream fix commit on main and how it should land per minor."""

    sha: str
    files: tuple[str, ...]
    outcome: Mapping[str, str]


@dataclass(frozen=True)
class Synth:
    """The synthetic upstream: paths, refs, the gate minor's patch series."""

    path: Path
    home: Path
    files: int
    minor: str
    minors: tuple[str, ...]
    patches: list[tuple[str, str]]
    fix_files: tuple[str, ...]
    build_seconds: float
    #: Seconds per phase: generate, fast-import, checkout, series.
    timings: dict[str, float]
    #: Content of every file the series touched, after the whole series.
    _after_series: dict[str, list[str]] = field(repr=False, compare=False)
    _touched_last: tuple[str, ...] = field(repr=False, compare=False)

    @property
    def env(self) -> dict[str, str]:
        return bench_env(self.home)

    def branch(self, minor: str) -> str:
        return f"release-{minor}"

    def tag(self, minor: str, patch: int = 0) -> str:
        return f"v{minor}.{patch}"

    def rev(self, ref: str) -> str:
        return _git(self.path, self.env, "rev-parse", "--verify", f"{ref}^{{commit}}").strip()

    def new_patch(self, number: int | None = None) -> tuple[str, str]:
        """One more patch that applies only on top of the whole series."""
        k = number or len(self.patches) + 1
        files = _pick_files(k, self.files, set(self.fix_files), must=self._touched_last[:1])
        edits = {f: _insert_fix(_content(self._after_series, f), k) for f in files}
        base = self.rev(self.branch(self.minor))
        return _patch_name(k), _diffs(self.path, self.env, base, [self._after_series, edits])[-1]


def bench_env(home: Path) -> dict[str, str]:
    """An isolated, pinned git environment (same rules as tests/factories/gitenv.py)."""
    home.mkdir(parents=True, exist_ok=True)
    env = {k: os.environ[k] for k in ("PATH", "TMPDIR") if k in os.environ}
    name, email = IDENT.split(" <")
    env.update(
        HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull, LC_ALL="C", TZ="UTC", GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME=name, GIT_COMMITTER_NAME=name,
        GIT_AUTHOR_EMAIL=email.rstrip(">"), GIT_COMMITTER_EMAIL=email.rstrip(">"),
        GIT_AUTHOR_DATE=f"@{EPOCH} +0000", GIT_COMMITTER_DATE=f"@{EPOCH} +0000",
        GIT_CONFIG_COUNT="2", GIT_CONFIG_KEY_0="gc.auto", GIT_CONFIG_VALUE_0="0",
        GIT_CONFIG_KEY_1="commit.gpgSign", GIT_CONFIG_VALUE_1="false",
    )  # fmt: skip
    return env


def _git(repo: Path, env: Mapping[str, str], *args: str, input: bytes | None = None) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), *args],
        input=input,
        env=dict(env),
        capture_output=True,
        check=False,
    )
    if proc.returncode:
        raise RuntimeError(f"git {' '.join(args)}: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode(errors="surrogateescape")


class _Stream:
    """A ``git fast-import`` stream with pinned, strictly increasing dates."""

    def __init__(self, start: int = 0) -> None:
        self.chunks: list[bytes] = []
        self.count = start
        self.tips: dict[str, int] = {}

    def commit(self, ref: str, files: Mapping[str, Iterable[str] | str | None], message: str,
               parent: str | None = None) -> int:  # fmt: skip
        self.count += 1
        when = f"{IDENT} {EPOCH + 60 * self.count} +0000"
        head = f"commit {ref}\nmark :{self.count}\nauthor {when}\ncommitter {when}\n"
        self.chunks.append(head.encode() + _data(message.encode()))
        if parent:
            self.chunks.append(f"from {parent}\n".encode())
        for path, lines in files.items():
            if lines is None:
                self.chunks.append(f"D {path}\n".encode())
            elif isinstance(lines, str) and lines.startswith("->"):
                self.chunks.append(f"M 120000 inline {path}\n".encode() + _data(lines[2:].encode()))
            else:
                self.chunks.append(
                    f"M 100644 inline {path}\n".encode() + _data("".join(lines).encode())
                )
        self.chunks.append(b"\n")
        self.tips[ref] = self.count
        return self.count

    def tag(self, name: str, mark: int) -> None:
        when = f"{IDENT} {EPOCH + 60 * self.count} +0000"
        self.chunks.append(
            f"tag {name}\nfrom :{mark}\ntagger {when}\n".encode()
            + _data(f"Release {name}".encode())
        )

    def run(self, repo: Path, env: Mapping[str, str], *extra: str) -> None:
        _git(
            repo,
            env,
            "fast-import",
            "--quiet",
            "--done",
            *extra,
            input=b"".join([*self.chunks, b"done\n"]),
        )


def _data(raw: bytes) -> bytes:
    return f"data {len(raw)}\n".encode() + raw + b"\n"


def _index(path: str) -> int:
    return int(path.rsplit("file", 1)[1].removesuffix(".go"))


def _pick_files(k: int, total: int, avoid: set[str], must: Iterable[str] = ()) -> list[str]:
    """1-5 files spread over the tree, chosen by a formula of ``k``."""
    chosen = list(must)
    count = 1 + (k * 7) % 5
    step = total // 7 + 1
    i = (k * 7919) % total
    while len(chosen) < count:
        path = synth_path(i)
        if path not in avoid and path not in chosen:
            chosen.append(path)
        i = (i + step + k) % total
    return chosen


def _insert_fix(lines: list[str], k: int) -> list[str]:
    """Insert this patch's line just above ``b :=``: stacked patches share context."""
    at = next(n for n, line in enumerate(lines) if line.startswith("\tb := "))
    return [*lines[:at], f"\ta += {k} // CVE-2025-{k:04d}\n", *lines[at:]]


def _patch_name(k: int) -> str:
    return f"{k:04d}_CVE-2025-{k:04d}.patch"


def _diffs(
    repo: Path, env: Mapping[str, str], base: str, steps: Sequence[Mapping[str, list[str]]]
) -> list[str]:
    """Diffs between successive states (each a set of file contents) on top of ``base``.

    The commits go to a throwaway repository that borrows ``repo``'s objects,
    so the upstream never holds the patched blobs: a patch is not "already in
    the base" by accident, and ``--3way`` cannot cheat.
    """
    with tempfile.TemporaryDirectory(prefix="ksp-synth-") as tmp:
        scratch = Path(tmp)
        _git(scratch, env, "init", "-q", "--bare")
        objects = Path(
            _git(repo, env, "rev-parse", "--path-format=absolute", "--git-common-dir").strip()
        )
        (scratch / "objects" / "info" / "alternates").write_text(f"{objects / 'objects'}\n")
        stream = _Stream(start=10_000)
        marks = [stream.commit("refs/heads/s", step, "step", parent=base if not n else None)
                 for n, step in enumerate(steps)]  # fmt: skip
        stream.run(scratch, env)
        revs = [base, *(f"s~{len(marks) - 1 - n}" for n in range(len(marks)))]
        return [
            _git(scratch, env, "diff", "--full-index", "--no-color", old, new)
            for old, new in itertools.pairwise(revs)
        ]


def _content(state: Mapping[str, list[str]], path: str) -> list[str]:
    """A file's lines in ``state`` (the files a branch changed), else as generated."""
    return state.get(path) or synth_source(_index(path))


def _series(
    total: int, count: int, avoid: set[str], base: Mapping[str, list[str]]
) -> tuple[list[dict[str, list[str]]], dict[str, list[str]], tuple[str, ...]]:
    """The edits of each series patch on top of ``base``; patch k re-touches a file of k-1."""
    state: dict[str, list[str]] = dict(base)
    steps: list[dict[str, list[str]]] = []
    last: tuple[str, ...] = ()
    for k in range(1, count + 1):
        files = _pick_files(k, total, avoid, must=last[:1])
        edits = {f: _insert_fix(_content(state, f), k) for f in files}
        state.update(edits)
        steps.append(edits)
        last = tuple(files)
    return steps, {f: state[f] for s in steps for f in s}, last


def fix_files(total: int) -> tuple[str, str]:
    """The two files the upstream fix touches: one in pkg/, one in staging/."""
    base = (total // 3) - (total // 3) % 100
    return synth_path(base + 10), synth_path(base + 60)


def _main_step(
    step: int, total: int, avoid: set[str], state: dict[str, list[str]]
) -> dict[str, list[str]]:
    """Main's changes after the ``step``-th cut: a line appended to many files."""
    edits: dict[str, list[str]] = {}
    i = (step * 104729) % total
    while len(edits) < min(MAIN_STEP_FILES, total // 10):
        path = synth_path(i)
        if path not in avoid:
            edits[path] = [*_content(state, path), f"// main step {step}\n"]
        i = (i + total // MAIN_STEP_FILES + 1) % total
    return edits


def _diverge(outcome: str, path: str, minor: str) -> list[str]:
    """A release branch's own edit near the fix: 3-way-mergeable or conflicting."""
    lines = synth_source(_index(path))
    if outcome == "3way":  # two lines above the fixed line: context differs, no overlap
        lines[_A_LINE] = lines[_A_LINE].rstrip("\n") + f" // tuned for {minor}\n"
    elif outcome == "conflict":  # the very line the fix changes
        lines[_IF_LINE] = lines[_IF_LINE].replace(" {\n", "+1 {\n")
    return lines


def _version(version: str) -> str:
    return f'package version\n\nvar gitVersion = "{version}"\n'


def _initial_tree(total: int) -> dict[str, list[str] | str]:
    tree: dict[str, list[str] | str] = {synth_path(i): synth_source(i) for i in range(total)}
    tree["go.mod"] = "module k8s.io/kubernetes\n\ngo 1.22.0\n"
    tree[".go-version"] = "1.22.12\n"
    tree["pkg/version/base.go"] = _version("v0.0.0-master")
    for name in STAGING:
        tree[f"vendor/k8s.io/{name}"] = f"->../../staging/src/k8s.io/{name}"
    return tree


def make_synthetic_upstream(
    path: Path, *, files: int = 30000, minor: str = "1.30", series: int = 20, checkout: bool = True
) -> Synth:
    """Build the synthetic upstream at ``path`` (git HOME at ``path.home``).

    ``minor`` (one of 1.29..1.33) is the gate's minor: ``series`` cumulative
    patches fit the tip of its branch.  ``checkout=False`` skips writing the
    worktree, for benchmarks that only read objects.
    """
    if minor not in MINORS:
        raise ValueError(f"minor must be one of {MINORS}")
    clock = _Clock()
    home = path.with_name(path.name + ".home")
    env = bench_env(home)
    avoid = set(fix_files(files))
    stream, states = _history(files, avoid)
    clock.lap("generate")
    path.mkdir(parents=True, exist_ok=True)
    _git(path, env, "init", "-q", "-b", "main")
    stream.run(path, env)
    clock.lap("fast-import")
    if checkout:
        _git(path, env, "reset", "-q", "--hard")
        clock.lap("checkout")
    steps, after, last = _series(files, series, avoid, states[minor])
    base = _git(path, env, "rev-parse", f"release-{minor}").strip()
    texts = _diffs(path, env, base, steps)
    clock.lap("series")
    return Synth(
        path=path, home=home, files=files, minor=minor, minors=MINORS,
        patches=[(_patch_name(k), text) for k, text in enumerate(texts, start=1)],
        fix_files=tuple(sorted(avoid)), build_seconds=clock.total, timings=dict(clock.laps),
        _after_series=after, _touched_last=last,
    )  # fmt: skip


class _Clock:
    """Phase timings, so a slow build says whether git, Python or the disk is to blame."""

    def __init__(self) -> None:
        self.start = self.mark = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name], self.mark = now - self.mark, now

    @property
    def total(self) -> float:
        return time.perf_counter() - self.start


def _history(files: int, avoid: set[str]) -> tuple[_Stream, dict[str, dict[str, list[str]]]]:
    """The whole history as one stream, and each release branch's changed files."""
    stream, main_state = _Stream(), dict[str, list[str]]()
    states: dict[str, dict[str, list[str]]] = {}
    stream.commit("refs/heads/main", _initial_tree(files), "Initial import")
    for step, m in enumerate(MINORS, start=1):
        states[m] = dict(main_state)
        _cut_release(stream, m, states[m], avoid)
        edits = _main_step(step, files, avoid, main_state)
        main_state.update(edits)
        stream.commit("refs/heads/main", edits, f"main: step {step}")
    return stream, states


def _cut_release(stream: _Stream, minor: str, state: dict[str, list[str]], avoid: set[str]) -> None:
    """Branch from main's tip: ``v{minor}.0``, then ``v{minor}.1`` with the branch's own edits."""
    ref, version = f"refs/heads/release-{minor}", "pkg/version/base.go"
    main = f":{stream.tips['refs/heads/main']}"
    mark = stream.commit(
        ref, {version: _version(f"v{minor}.0")}, f"Release v{minor}.0", parent=main
    )
    stream.tag(f"v{minor}.0", mark)
    outcome = FIX_OUTCOME[minor]
    own = {} if outcome == "clean" else {f: _diverge(outcome, f, minor) for f in sorted(avoid)}
    state.update(own)
    files: dict[str, list[str] | str] = {**own, version: _version(f"v{minor}.1")}
    stream.tag(f"v{minor}.1", stream.commit(ref, files, f"Release v{minor}.1"))


def make_fix_commit_on_main(synth: Synth) -> Fix:
    """Commit an upstream fix on main: ``if b > N`` becomes ``if b >= N`` in two files.

    The files exist on all five release branches.  On 1.33 and 1.32 it picks
    cleanly; on 1.31 and 1.30 the branch changed a context line (a plain
    ``git apply`` fails, a 3-way merge succeeds); on 1.29 the branch changed
    the same line (a true conflict).  See ``FIX_OUTCOME``.
    """
    env, repo = synth.env, synth.path
    old = synth.rev("main")
    edits = {}
    for path in synth.fix_files:
        lines = synth_source(_index(path))
        lines[_IF_LINE] = lines[_IF_LINE].replace(" > ", " >= ")
        edits[path] = lines
    stream = _Stream(start=20_000)
    stream.commit("refs/heads/main", edits, "Fix off-by-one in Value (CVE-2025-9999)", parent=old)
    stream.run(repo, env)
    new = synth.rev("main")
    if (
        _git(repo, env, "symbolic-ref", "-q", "HEAD").strip() == "refs/heads/main"
        and (repo / ".git" / "index").exists()
    ):
        _git(repo, env, "read-tree", "-m", "-u", old, new)
    return Fix(sha=new, files=synth.fix_files, outcome=dict(FIX_OUTCOME))


def main(argv: list[str] | None = None) -> int:
    """Build a synthetic upstream in a temporary folder and print the timings."""
    args = argv if argv is not None else sys.argv[1:]
    files = int(args[0]) if args else 30000
    with tempfile.TemporaryDirectory(prefix="ksp-synth-") as tmp:
        synth = make_synthetic_upstream(Path(tmp) / "up", files=files)
        phases = ", ".join(f"{name} {sec:.2f} s" for name, sec in synth.timings.items())
        print(f"built {synth.files} files, 5 release branches, {len(synth.patches)} patches "
              f"in {synth.build_seconds:.2f} s ({phases})")  # fmt: skip
        start = time.perf_counter()
        fix = make_fix_commit_on_main(synth)
        print(f"fix commit {fix.sha[:12]} in {time.perf_counter() - start:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
