"""Small real-git upstreams with release branches, one per backport class (for ksp backport)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

_ENV_KEYS = ("PATH", "TMPDIR")


class RequestOptions(TypedDict, total=False):
    """The `ksp.backport.run.Request` fields a test may set beyond the fix and the targets."""

    range: str | None
    merge: str | None
    from_branch: str | None
    prerequisites: bool
    merge_base_option: bool | None


def _env(home: Path) -> dict[str, str]:
    env = {k: os.environ[k] for k in _ENV_KEYS if k in os.environ}
    env.update(HOME=str(home), GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
               GIT_AUTHOR_NAME="Up Stream", GIT_AUTHOR_EMAIL="up@example.invalid",
               GIT_COMMITTER_NAME="Up Stream", GIT_COMMITTER_EMAIL="up@example.invalid",
               LC_ALL="C")
    return env


def lines(n: int, prefix: str = "line") -> list[str]:
    return [f"\t{prefix} {i}" for i in range(1, n + 1)]


def go_file(body: list[str], package: str = "auth") -> str:
    return f"package {package}\n\nfunc Check() {{\n" + "\n".join(body) + "\n}\n"


@dataclass
class Upstream:
    path: Path
    tick: int = 0
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, path: Path) -> Upstream:
        path.mkdir(parents=True)
        up = cls(path, env=_env(path.parent / f"{path.name}.home"))
        up.git("init", "-q", "-b", "main")
        up.git("config", "user.name", "Up Stream")
        up.git("config", "user.email", "up@example.invalid")
        return up

    def git(self, *args: str, input: str | None = None, check: bool = True) -> str:
        self.tick += 1
        env = dict(self.env, GIT_AUTHOR_DATE=f"@{1735689600 + self.tick * 60} +0000",
                   GIT_COMMITTER_DATE=f"@{1735689600 + self.tick * 60} +0000")
        proc = subprocess.run(["git", "-C", str(self.path), *args], input=input, env=env,
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0 and check:
            raise RuntimeError(f"git {' '.join(args)}: {proc.stderr}")
        return proc.stdout.strip()

    def checkout(self, branch: str, start: str | None = None) -> None:
        if not self.git("rev-parse", "--verify", "-q", "HEAD", check=False):
            return  # an unborn main
        if start is not None:
            self.git("checkout", "-q", "-b", branch, start)
        else:
            self.git("checkout", "-q", branch)

    def commit(self, files: dict[str, str | None], message: str, branch: str = "main",
               *, renames: dict[str, str] | None = None) -> str:
        self.checkout(branch)
        for old, new in (renames or {}).items():
            (self.path / new).parent.mkdir(parents=True, exist_ok=True)
            self.git("mv", old, new)
        for rel, text in files.items():
            target = self.path / rel
            if text is None:
                target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.rev("HEAD")

    def rev(self, ref: str) -> str:
        return self.git("rev-parse", ref)

    def read(self, ref: str, path: str) -> str:
        return self.git("show", f"{ref}:{path}") + "\n"

    def snapshot(self) -> dict[str, str]:
        """Everything a backport must not change in the user's clone."""
        return {
            "refs": self.git("for-each-ref", "--format=%(objectname) %(refname)"),
            "head": self.git("symbolic-ref", "-q", "HEAD") + " " + self.rev("HEAD"),
            "index": (self.path / ".git" / "index").read_bytes().hex(),
            "status": self.git("status", "--porcelain=v1", "--untracked-files=all"),
            "worktrees": self.git("worktree", "list", "--porcelain"),
            "stash": self.git("stash", "list"),
        }


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


A_GO = go_file(lines(30))


def base_upstream(path: Path, branches: tuple[str, ...] = ("1.32",)) -> Upstream:
    """main with pkg/auth/check.go (30 body lines) and release branches cut at the start."""
    up = Upstream.create(path)
    up.commit({"pkg/auth/check.go": A_GO, "pkg/util/util.go": go_file(lines(20, "u"), "util"),
               "README.md": "upstream\n"}, "Initial import")
    for minor in branches:
        up.git("branch", f"release-{minor}", "main")
    return up


def fix_line(up: Upstream, *, number: int = 15, new: str = "checked", parent_ref: str = "main",
             message: str = "Fix the check (CVE-2099-0001)") -> str:
    text = up.read(parent_ref, "pkg/auth/check.go")
    old = next(ln for ln in text.splitlines() if ln.startswith(f"\tline {number}") or
               ln.endswith(f" {number}"))
    return up.commit({"pkg/auth/check.go": edit(text, old + "\n", old + " " + new + "\n")},
                     message)


@dataclass(frozen=True)
class Scenario:
    up: Upstream
    fix: tuple[str, ...]
    minor: str = "1.32"
    extra: dict[str, str] = field(default_factory=dict)


def scenario_clean(tmp: Path) -> Scenario:
    """The branch added lines above the fix: `git apply` takes it at an offset."""
    up = base_upstream(tmp / "up")
    text = up.read("release-1.32", "pkg/auth/check.go")
    up.commit({"pkg/auth/check.go": edit(text, "func Check() {\n",
                                         "func Check() {\n\t// branch note\n")},
              "Branch note", "release-1.32")
    return Scenario(up, (fix_line(up),))


def scenario_three_way(tmp: Path) -> Scenario:
    """The branch changed a context line next to the fix: only a 3-way merge applies it."""
    up = base_upstream(tmp / "up")
    text = up.read("release-1.32", "pkg/auth/check.go")
    up.commit({"pkg/auth/check.go": edit(text, "\tline 13\n", "\tline 13 // branch\n")},
              "Branch tweak", "release-1.32")
    return Scenario(up, (fix_line(up),))


def scenario_directory_move(tmp: Path) -> Scenario:
    """main moved etcdserver/ to server/etcdserver/; the fix edits a file and adds a test."""
    up = Upstream.create(tmp / "up")
    server = go_file(lines(30, "srv"), "etcdserver")
    up.commit({"etcdserver/server.go": server,
               "etcdserver/api.go": go_file(lines(25, "api"), "etcdserver"),
               "etcdserver/raft.go": go_file(lines(25, "raft"), "etcdserver"),
               "README.md": "etcd\n"}, "Initial import")
    up.git("branch", "release-1.32", "main")
    up.commit({}, "Move etcdserver under server/", renames={
        "etcdserver/server.go": "server/etcdserver/server.go",
        "etcdserver/api.go": "server/etcdserver/api.go",
        "etcdserver/raft.go": "server/etcdserver/raft.go"})
    moved = up.read("main", "server/etcdserver/server.go")
    fix = up.commit({"server/etcdserver/server.go": edit(moved, "\tsrv 15\n", "\tsrv 15 fixed\n"),
                     "server/etcdserver/fix_test.go": "package etcdserver\n\n// test\n"},
                    "Fix the server (CVE-2099-0003)")
    return Scenario(up, (fix,))


def scenario_prerequisite(tmp: Path) -> Scenario:
    """The fix edits a line an earlier upstream commit introduced: that commit resolves it."""
    up = base_upstream(tmp / "up")
    text = up.read("main", "pkg/auth/check.go")
    pre = up.commit({"pkg/auth/check.go": edit(text, "\tline 15\n", "\tline 15 refactored\n")},
                    "Refactor line 15")
    up.commit({"README.md": "upstream, later\n"}, "Unrelated change")
    text = up.read("main", "pkg/auth/check.go")
    fix = up.commit({"pkg/auth/check.go": edit(text, "\tline 15 refactored\n",
                                               "\tline 15 refactored safely\n")},
                    "Fix the refactored check (CVE-2099-0004)")
    return Scenario(up, (fix,), extra={"prerequisite": pre})


def scenario_unresolvable(tmp: Path) -> Scenario:
    """The branch rewrote the very line the fix changes: nothing upstream resolves it."""
    up = base_upstream(tmp / "up")
    text = up.read("release-1.32", "pkg/auth/check.go")
    up.commit({"pkg/auth/check.go": edit(text, "\tline 15\n", "\tline 15 branch-only\n")},
              "Branch rewrite", "release-1.32")
    text = up.read("main", "pkg/auth/check.go")
    up.commit({"pkg/auth/check.go": edit(text, "\tline 14\n", "\tline 14 main\n")}, "Main tweak")
    return Scenario(up, (fix_line(up),))


def scenario_multi(tmp: Path) -> Scenario:
    """Three commits: the second builds on the first; the third conflicts on the branch."""
    up = base_upstream(tmp / "up")
    text = up.read("release-1.32", "pkg/auth/check.go")
    up.commit({"pkg/auth/check.go": edit(text, "\tline 25\n", "\tline 25 branch-only\n")},
              "Branch rewrite", "release-1.32")
    util = up.read("main", "pkg/util/util.go")
    first = up.commit({"pkg/util/util.go": edit(util, "\tu 10\n", "\tu 10\n\tguard()\n")},
                      "Add a guard")
    util = up.read("main", "pkg/util/util.go")
    second = up.commit({"pkg/util/util.go": edit(util, "\tguard()\n", "\tguard(strict)\n")},
                       "Make the guard strict")
    third = fix_line(up, number=25, message="Use the guard in the check")
    return Scenario(up, (first, second, third))


GO_MOD = ("module example.com/app\n\ngo 1.22\n\nrequire (\n\tgithub.com/baz/qux {qux}\n"
          "\tgithub.com/foo/bar {bar}\n)\n")
GO_SUM = ("github.com/baz/qux {qux} h1:qux{qux}=\n"
          "github.com/baz/qux {qux}/go.mod h1:quxmod{qux}=\n"
          "github.com/foo/bar {bar} h1:bar{bar}=\n"
          "github.com/foo/bar {bar}/go.mod h1:barmod{bar}=\n")
MODULES = ("# github.com/baz/qux {qux}\n## explicit\ngithub.com/baz/qux\n"
           "# github.com/foo/bar {bar}\n## explicit\ngithub.com/foo/bar\n")


def _deps(qux: str, bar: str) -> dict[str, str | None]:
    return {"go.mod": GO_MOD.format(qux=qux, bar=bar), "go.sum": GO_SUM.format(qux=qux, bar=bar),
            "vendor/modules.txt": MODULES.format(qux=qux, bar=bar),
            "vendor/github.com/foo/bar/bar.go": f"package bar\n\n// version {bar}\n",
            "vendor/github.com/baz/qux/qux.go": f"package qux\n\n// version {qux}\n"}


def scenario_dependency_bump(tmp: Path) -> Scenario:
    """The fix bumps foo/bar v1.0.0 -> v1.0.1; 1.32 is at v1.0.0 but another module moved,
    so every neighbouring line differs; 1.31 is at an older foo/bar."""
    up = Upstream.create(tmp / "up")
    up.commit({"main.go": "package main\n", **_deps("v0.9.0", "v1.0.0")}, "Initial import")
    up.git("branch", "release-1.32", "main")
    up.git("branch", "release-1.31", "main")
    up.commit(_deps("v0.9.0", "v0.8.0"), "Older bar", "release-1.31")
    up.commit(_deps("v0.9.5", "v1.0.0"), "Bump qux")
    fix = up.commit(_deps("v0.9.5", "v1.0.1"), "Bump foo/bar to v1.0.1 (CVE-2099-0007)")
    return Scenario(up, (fix,))


def scenario_newer_branch(tmp: Path) -> Scenario:
    """main refactored the code; the fix's backport on release-1.33 applies to 1.32."""
    up = base_upstream(tmp / "up", branches=("1.32", "1.33"))
    text = up.read("main", "pkg/auth/check.go")
    for n in (13, 14, 15, 16, 17):
        text = edit(text, f"\tline {n}\n", f"\tstep {n}\n")
    up.commit({"pkg/auth/check.go": text}, "Refactor the check")
    text = up.read("main", "pkg/auth/check.go")
    fix = up.commit({"pkg/auth/check.go": edit(text, "\tstep 15\n", "\tstep 15 checked\n")},
                    "Fix the check (CVE-2099-0008)")
    text = up.read("release-1.33", "pkg/auth/check.go")
    up.commit({"pkg/auth/check.go": edit(text, "\tline 15\n", "\tline 15 checked\n")},
              f"Fix the check (CVE-2099-0008)\n\n(cherry picked from commit {fix})",
              "release-1.33")
    up.checkout("main")
    return Scenario(up, (fix,))


SCENARIOS = {
    "clean": scenario_clean,
    "three-way": scenario_three_way,
    "directory-move": scenario_directory_move,
    "prerequisite": scenario_prerequisite,
    "unresolvable": scenario_unresolvable,
    "multi": scenario_multi,
    "dependency-bump": scenario_dependency_bump,
    "newer-branch": scenario_newer_branch,
}
