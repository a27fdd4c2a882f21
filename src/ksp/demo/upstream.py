"""The demo's made-up Go upstream: release branches, a security fix, and the fix's history.

The history is shaped so that one fix meets the three backport classes of real trees:

    main:  initial ─ refactor (readOnly helper) ─ rename auth.go → admit.go ─ FIX
                 │                             │                         │
            release-1.31                  release-1.32              release-1.33

- release-1.33 has everything the fix's diff needs: it applies as is (`clean`);
- release-1.32 has the code but under the old file name: only a 3-way merge with rename
  detection takes it (`adjusted`);
- release-1.31 predates the refactor the fix builds on: `conflict`, and the refactor commit
  is the prerequisite that makes it apply.

The fix rejects `system:anonymous`, which could read everything. `demo-server` imports the
fixed package, so the gate builds it and runs its tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ksp.git._run import git

MODULE = "example.com/demo"
MINORS = ("1.31", "1.32", "1.33")
AUTHOR = {
    "GIT_AUTHOR_NAME": "Dee Mo", "GIT_AUTHOR_EMAIL": "dee@example.invalid",
    "GIT_COMMITTER_NAME": "Dee Mo", "GIT_COMMITTER_EMAIL": "dee@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null",
}

_ADMIT_OLD = """\
// Package auth decides whether a request is admitted.
package auth

// Admit reports whether user may perform verb.
func Admit(user, verb string) bool {
	switch verb {
	case "get", "list", "watch":
		return true
	}
	return user == "admin"
}
"""

_ADMIT_REFACTORED = """\
// Package auth decides whether a request is admitted.
package auth

// Admit reports whether user may perform verb.
func Admit(user, verb string) bool {
	if readOnly(verb) {
		return true
	}
	return user == "admin"
}

// readOnly reports whether verb only reads.
func readOnly(verb string) bool {
	switch verb {
	case "get", "list", "watch":
		return true
	}
	return false
}
"""

_ADMIT_FIXED = _ADMIT_REFACTORED.replace(
    "func Admit(user, verb string) bool {\n",
    "func Admit(user, verb string) bool {\n"
    "\tif user == Anonymous {\n\t\treturn false\n\t}\n",
).replace(
    "// Admit reports", "// Anonymous is the user of unauthenticated requests.\n"
    'const Anonymous = "system:anonymous"\n\n// Admit reports',
)

_TEST = """\
package auth

import "testing"

func TestAdmit(t *testing.T) {
	cases := []struct {
		user, verb string
		want       bool
	}{
		{"alice", "get", true},
		{"alice", "watch", true},
		{"alice", "delete", false},
		{"admin", "delete", true},
	}
	for _, c := range cases {
		if got := Admit(c.user, c.verb); got != c.want {
			t.Errorf("Admit(%q, %q) = %v, want %v", c.user, c.verb, got, c.want)
		}
	}
}
"""

_TEST_FIXED = _TEST.replace(
    '\t\t{"admin", "delete", true},\n',
    '\t\t{"admin", "delete", true},\n\t\t{"system:anonymous", "get", false},\n',
)

_MAIN = """\
// Command demo-server answers whether USER may VERB.
package main

import (
	"fmt"
	"os"

	"example.com/demo/pkg/auth"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: demo-server USER VERB")
		os.Exit(2)
	}
	fmt.Println(auth.Admit(os.Args[1], os.Args[2]))
}
"""


@dataclass(frozen=True)
class Upstream:
    """The built upstream and the commits the demo names."""

    path: Path
    fix: str
    refactor: str


def build(path: Path, go_version: str) -> Upstream:
    """Create the upstream at `path`; `.go-version` names the Go the demo runs with."""
    git(path.parent, "init", "-q", "-b", "main", path.name, env=AUTHOR)
    _write(path, {"go.mod": f"module {MODULE}\n\ngo 1.21\n", ".go-version": go_version + "\n",
                  "pkg/auth/auth.go": _ADMIT_OLD, "pkg/auth/auth_test.go": _TEST,
                  "cmd/demo-server/main.go": _MAIN})
    _commit(path, "Initial import")
    _release(path, "1.31")
    _write(path, {"pkg/auth/auth.go": _ADMIT_REFACTORED})
    refactor = _commit(path, "auth: move the read-only verbs into readOnly")
    _release(path, "1.32")
    git(path, "mv", "pkg/auth/auth.go", "pkg/auth/admit.go", env=AUTHOR)
    git(path, "mv", "pkg/auth/auth_test.go", "pkg/auth/admit_test.go", env=AUTHOR)
    _commit(path, "auth: name the file after Admit")
    _release(path, "1.33")
    _write(path, {"pkg/auth/admit.go": _ADMIT_FIXED, "pkg/auth/admit_test.go": _TEST_FIXED})
    fix = _commit(path, "auth: reject system:anonymous in Admit\n\nFixes CVE-2099-0001.")
    return Upstream(path, fix, refactor)


def broken_backport(upstream: Upstream, dest: Path) -> Path:
    """A hand-made 1.31 backport that compiles and breaks a test: it drops "watch" from the
    read-only verbs while adding the anonymous check. The gate must catch it at the test step."""
    fixed_old = _ADMIT_OLD.replace(
        "func Admit(user, verb string) bool {\n",
        'func Admit(user, verb string) bool {\n\tif user == "system:anonymous" {\n'
        "\t\treturn false\n\t}\n",
    ).replace('case "get", "list", "watch":', 'case "get", "list":')
    repo, index = upstream.path, {"GIT_INDEX_FILE": str(dest.with_suffix(".index"))}
    blob = git(repo, "hash-object", "-w", "--stdin", input=fixed_old).stdout.strip()
    git(repo, "read-tree", "release-1.31", env=index)
    git(repo, "update-index", "--cacheinfo", f"100644,{blob},pkg/auth/auth.go", env=index)
    tree = git(repo, "write-tree", env=index).stdout.strip()
    Path(index["GIT_INDEX_FILE"]).unlink()
    dest.write_text(git(repo, "diff", "--full-index", "release-1.31", tree).stdout)
    return dest


def lifecycle_file(dest: Path, today: dt.date) -> Path:
    """An endoflife.date product file whose minors are all in their extended window today."""
    lines = ["---", "title: Demo", "category: server-app", "permalink: /demo", "releases:"]
    for age, minor in enumerate(reversed(MINORS)):
        eol = today - dt.timedelta(days=60 + 120 * age)
        released = eol - dt.timedelta(days=420)
        lines += [f'  - releaseCycle: "{minor}"', f"    releaseDate: {released}",
                  f"    eol: {eol}", f'    latest: "{minor}.1"', ""]
    dest.write_text("\n".join([*lines, "---", "", "> The demo project is made up.", ""]))
    return dest


def _write(path: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def _commit(path: Path, message: str) -> str:
    git(path, "add", "-A", env=AUTHOR)
    git(path, "commit", "-q", "-m", message, env=AUTHOR)
    return git(path, "rev-parse", "HEAD").stdout.strip()


def _release(path: Path, minor: str) -> None:
    """Cut release-<minor> at main's tip with a .0 and a .1 tag."""
    branch = f"release-{minor}"
    git(path, "branch", branch, env=AUTHOR)
    git(path, "tag", f"v{minor}.0", branch, env=AUTHOR)
    git(path, "checkout", "-q", branch, env=AUTHOR)
    _write(path, {"CHANGELOG.md": f"# v{minor}.1\n\n- Fix a panic on empty input.\n"})
    _commit(path, f"Release v{minor}.1")
    git(path, "tag", f"v{minor}.1", env=AUTHOR)
    git(path, "checkout", "-q", "main", env=AUTHOR)
