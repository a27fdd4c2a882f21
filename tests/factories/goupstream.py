"""A small but real Go upstream with release branches, tags and patch kinds.

``make_go_upstream`` builds, in well under a second, a repository shaped like
the projects ksp serves: a ``main`` branch that keeps moving, release branches
cut from it at successive points (so older minors lack newer changes), and
``v{minor}.0``/``v{minor}.1`` tags.  The Go code builds and tests offline, and
its import graph lets tests tell binaries apart: ``demo-cli`` imports only
``pkg/util``; ``demo-server`` imports ``pkg/auth``, which imports ``pkg/util``.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .gitenv import (
    DATE_STEP,
    EMPTY_TREE,
    FastImport,
    FileValue,
    GitCommandError,
    build_tree,
    git,
    git_bytes,
    git_env,
    plain_diff,
    scratch_objects,
    with_date,
)

#: ``.go-version`` of the i-th minor: each minor was released with a newer Go.
GO_VERSIONS = ("1.22.12", "1.23.12", "1.24.13", "1.25.7", "1.26.3", "1.27.3")


@dataclass(frozen=True)
class Upstream:
    """A factory-built upstream repository and the facts tests need about it.

    ``hotspot`` is the file the patch-kind helpers edit; it follows the
    ``hotspot_source`` template in every factory, so the helpers work on both
    the demo and the Kubernetes-like upstream.
    """

    path: Path
    module: str
    minors: tuple[str, ...]
    home: Path
    branch_template: str = "release-{minor}"
    tag_template: str = "v{minor}.{patch}"
    main: str = "main"
    binaries: tuple[str, ...] = ()
    hotspot: str = "pkg/auth/auth.go"
    hotspot_test: str = "pkg/auth/auth_test.go"
    vendor: bool = False

    @property
    def env(self) -> dict[str, str]:
        """The pinned git environment this upstream was built with."""
        return git_env(self.home)

    def branch(self, minor: str) -> str:
        return self.branch_template.format(minor=minor)

    def tag(self, minor: str, patch: int = 0) -> str:
        return self.tag_template.format(minor=minor, patch=patch)

    def git(self, *args: str, input: str | bytes | None = None) -> str:
        return git(self.path, *args, env=self.env, input=input)

    def rev(self, ref: str) -> str:
        """The commit sha ``ref`` points at (tags are peeled)."""
        return self.git("rev-parse", "--verify", "-q", f"{ref}^{{commit}}").strip()

    def read(self, ref: str, path: str) -> str:
        return self.git("show", f"{ref}:{path}")

    def go_version(self, minor: str) -> str:
        return self.read(self.branch(minor), ".go-version").strip()

    def commit(self, branch: str, files: Mapping[str, FileValue], message: str) -> str:
        """Commit ``files`` (None deletes) on ``branch`` and return the new sha.

        Plumbing only: HEAD and the user's index are not consulted.  When the
        branch is the one checked out, the worktree is fast-forwarded with it so
        that ``git status`` stays clean.  The date is the parent's plus one
        step, so the sha depends only on the history, not on test order.
        """
        parent = self.rev(branch)
        when = int(self.git("log", "-1", "--format=%ct", parent).strip()) + DATE_STEP
        env = with_date(self.env, when)
        tree = build_tree(self.path, env, parent, files)
        sha = git(self.path, "commit-tree", tree, "-p", parent, "-m", message, env=env).strip()
        self.git("update-ref", f"refs/heads/{branch}", sha, parent)
        if self._checked_out() == f"refs/heads/{branch}":
            self.git("read-tree", "-m", "-u", parent, sha)
        return sha

    def diff(self, sha: str) -> str:
        """The plain ``git diff --full-index`` of one commit: a ``.patch`` body."""
        parents = self.git("rev-list", "--parents", "-n", "1", sha).split()
        return plain_diff(self.path, self.env, parents[1] if len(parents) > 1 else EMPTY_TREE, sha)

    def make_patch(
        self,
        branch: str,
        files: Mapping[str, FileValue],
        *,
        base_files: Mapping[str, FileValue] | None = None,
    ) -> str:
        """A diff of ``files`` against ``branch``'s tip (any ref works), committing nothing.

        ``base_files`` replaces files of the pre-image first: the patch then
        describes a tree the branch does not have (drift, bad context).  Objects
        go to a scratch store so the upstream does not learn the fake blobs.
        """
        with scratch_objects(self.path, self.env) as env:
            old = build_tree(self.path, env, branch, base_files or {})
            new = build_tree(self.path, env, old, files)
            return plain_diff(self.path, env, old, new)

    def export(self, ref: str, dest: Path) -> Path:
        """Write ``ref``'s tree to ``dest`` (symlinks kept) without touching the repo."""
        data = git_bytes(self.path, "archive", "--format=tar", ref, env=self.env)
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            tar.extractall(dest, filter="data")
        return dest

    def _checked_out(self) -> str | None:
        """The branch ref HEAD points at, or None when HEAD is detached."""
        try:
            return self.git("symbolic-ref", "-q", "HEAD").strip()
        except GitCommandError:
            return None


def make_go_upstream(
    path: Path,
    *,
    module: str = "example.com/demo",
    minors: tuple[str, ...] = ("1.30", "1.31", "1.32", "1.33"),
    branch_template: str = "release-{minor}",
    tag_template: str = "v{minor}.{patch}",
    vendor: bool = False,
    home: Path | None = None,
) -> Upstream:
    """Build the demo upstream at ``path`` (its git HOME defaults to ``path.home``).

    ``vendor=True`` adds a third-party module that exists only in ``vendor/``,
    so the tree builds offline only in vendor mode, as Kubernetes does.
    """
    up = Upstream(
        path=path,
        module=module,
        minors=tuple(minors),
        home=home or path.with_name(path.name + ".home"),
        branch_template=branch_template,
        tag_template=tag_template,
        binaries=("cmd/demo-cli", "cmd/demo-server"),
        vendor=vendor,
    )
    stream = FastImport()
    stream.commit(up.main, demo_tree(module, vendor), "Initial import of demo")
    cut_releases(stream, up, DEMO_VERSION_FILE)
    stream.run(path, up.env)
    return up


def cut_releases(stream: FastImport, up: Upstream, version_file: VersionFile) -> None:
    """Cut one release branch per minor from a moving main.

    Each cut is followed by a main commit that adds a helper, documents the
    hotspot (lines above its code: older branches see patches with offsets)
    and bumps ``.go-version``.
    """
    for i, minor in enumerate(up.minors):
        branch = up.branch(minor)
        path, render = version_file
        for patch in (0, 1):
            version = up.tag(minor, patch)
            files: dict[str, FileValue] = {path: render(version)}
            if patch:
                files["CHANGELOG.md"] = f"# {version}\n\n- Fix a panic on empty input.\n"
            mark = stream.commit(
                branch, files, f"Release {version}", start=None if patch else up.main
            )
            stream.tag(version, mark, f"Release {version}")
        stream.commit(up.main, main_step(stream, up, i + 1), f"main: step {i + 1}")


# --- patch kinds -------------------------------------------------------------


def good_patch(up: Upstream, minor: str) -> str:
    """The model security fix: rejects ``system:anonymous`` in ``Admit`` and tests it.

    Touches the hotspot and its test; applies cleanly (no offset) on the tip of
    ``minor``'s branch, builds, and passes ``go test``.
    """
    branch = up.branch(minor)
    return up.make_patch(
        branch, _fixed(up.read(branch, up.hotspot), up.read(branch, up.hotspot_test), up)
    )


def good_patch_stacked(up: Upstream, minor: str) -> str:
    """A second fix whose context includes ``good_patch``'s lines.

    Applies only after ``good_patch``: use it to test series order.
    """
    branch = up.branch(minor)
    first = _fixed(up.read(branch, up.hotspot), up.read(branch, up.hotspot_test), up)
    second = {up.hotspot: _add_deny_guest(str(first[up.hotspot]))}
    return up.make_patch(branch, second, base_files=first)


def patch_that_fails_to_apply(up: Upstream, minor: str) -> str:
    """The fix written against a file that says ``"root"`` where the branch says ``"admin"``.

    A context line does not exist on the branch: ``git apply --check`` fails,
    and its pre-image blob is unknown to the upstream, so ``--3way`` fails too.
    """
    branch = up.branch(minor)
    text = up.read(branch, up.hotspot)
    fixed = _rename_admin(_add_anonymous_check(text))
    return up.make_patch(branch, {up.hotspot: fixed}, base_files={up.hotspot: _rename_admin(text)})


def patch_that_drifts(up: Upstream, minor: str) -> str:
    """The fix made against a hotspot with three licence lines fewer than the branch's.

    Context matches, line numbers do not: ``git apply`` accepts it only by
    moving the hunk (``-v`` says "offset 3 lines"), which the gate reports as drift.
    """
    branch = up.branch(minor)
    base = {up.hotspot: _drop_licence_lines(up.read(branch, up.hotspot), 3)}
    fixed = _add_anonymous_check(str(base[up.hotspot]))
    return up.make_patch(branch, {up.hotspot: fixed}, base_files=base)


def patch_that_breaks_build(up: Upstream, minor: str) -> str:
    """Applies cleanly but calls ``readOnly`` with two arguments: a Go type error.

    Only binaries that import the hotspot's package fail to build.
    """
    branch = up.branch(minor)
    text = _replace_once(
        up.read(branch, up.hotspot), "readOnly(r.Verb)\n", "readOnly(r.Verb, r.Resource)\n"
    )
    return up.make_patch(branch, {up.hotspot: text})


def patch_that_breaks_test(up: Upstream, minor: str) -> str:
    """Applies and builds, but drops ``watch`` from the read-only verbs.

    The hotspot's ``TestAdmit`` ("user watches") then fails.
    """
    branch = up.branch(minor)
    text = _replace_once(
        up.read(branch, up.hotspot), 'case "get", "list", "watch":', 'case "get", "list":'
    )
    return up.make_patch(branch, {up.hotspot: text})


# --- Go sources ----------------------------------------------------------------
# Plain strings rather than files under tests/data: the factories derive every
# patch kind from them, so the anchors below must stay in one place.

#: (path, render(version)) of the file a release commit stamps its version into.
VersionFile = tuple[str, Callable[[str], str]]

_LICENCE = """/*
Copyright 2025 The {authors} Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/
"""

_HOTSPOT = """
// Package {pkg} decides which requests are admitted.
package {pkg}

import (
	"strings"
{imports})

// Request is one access request.
type Request struct {{
	User     string
	Verb     string
	Resource string
}}

// Admit reports whether the request is allowed.
func Admit(r Request) bool {{
	if {blank} {{
		return false
	}}
	if r.User == "admin" {{
		return true
	}}
	return readOnly(r.Verb)
}}

// readOnly reports whether verb only reads.
func readOnly(verb string) bool {{
	switch strings.ToLower(verb) {{
	case "get", "list", "watch":
		return true
	}}
	return false
}}
"""

_HOTSPOT_TEST = """package {pkg}

import "testing"

func TestAdmit(t *testing.T) {{
	cases := []struct {{
		name string
		r    Request
		want bool
	}}{{
		{{"blank user", Request{{User: " ", Verb: "get"}}, false}},
		{{"admin deletes", Request{{User: "admin", Verb: "delete"}}, true}},
		{{"user gets", Request{{User: "alice", Verb: "get"}}, true}},
		{{"user watches", Request{{User: "alice", Verb: "WATCH"}}, true}},
		{{"user deletes", Request{{User: "alice", Verb: "delete"}}, false}},
	}}
	for _, c := range cases {{
		if got := Admit(c.r); got != c.want {{
			t.Errorf("%s: Admit(%+v) = %v, want %v", c.name, c.r, got, c.want)
		}}
	}}
}}
"""

_ANONYMOUS_TEST = """
func TestAdmitRejectsAnonymous(t *testing.T) {
	if Admit(Request{User: "system:anonymous", Verb: "get"}) {
		t.Error("anonymous request admitted")
	}
}
"""

_ADMIN_LINE = '\tif r.User == "admin" {\n'


def licence(authors: str) -> str:
    return _LICENCE.format(authors=authors)


def hotspot_source(
    pkg: str, *, authors: str, imports: tuple[str, ...], blank: str, extra: str = ""
) -> str:
    """The file every patch kind edits; ``blank`` is the Go test for an empty user."""
    lines = "".join(f"\t{imp}\n" for imp in imports)
    return (
        licence(authors)
        + _HOTSPOT.format(pkg=pkg, imports="\n" + lines if lines else "", blank=blank)
        + extra
    )


def hotspot_test_source(pkg: str, *, authors: str) -> str:
    return licence(authors) + "\n" + _HOTSPOT_TEST.format(pkg=pkg)


def main_step(stream: FastImport, up: Upstream, step: int) -> dict[str, FileValue]:
    """What main gains after the ``step``-th cut: a feature file, a doc line, a newer Go."""
    doc = "// Request is one access request.\n"
    hotspot = _replace_once(
        stream.text(up.main, up.hotspot), doc, f"{doc}// Changed in step {step}.\n"
    )
    feature = (
        f"package features\n\n// Step{step} arrived on main after a release cut.\n"
        f"const Step{step} = {step}\n"
    )
    return {
        up.hotspot: hotspot,
        f"pkg/features/step{step}.go": feature,
        ".go-version": GO_VERSIONS[min(step, len(GO_VERSIONS) - 1)] + "\n",
    }


def _replace_once(text: str, old: str, new: str) -> str:
    """Replace exactly one occurrence, so a changed template fails loudly."""
    if text.count(old) != 1:
        raise ValueError(f"anchor {old!r} occurs {text.count(old)} times")
    return text.replace(old, new)


def _add_anonymous_check(text: str) -> str:
    check = '\tif strings.HasPrefix(r.User, "system:anonymous") {\n\t\treturn false\n\t}\n'
    return _replace_once(text, _ADMIN_LINE, check + _ADMIN_LINE)


def _add_deny_guest(text: str) -> str:
    return _replace_once(
        text, _ADMIN_LINE, '\tif r.User == "guest" {\n\t\treturn false\n\t}\n' + _ADMIN_LINE
    )


def _rename_admin(text: str) -> str:
    return _replace_once(text, _ADMIN_LINE, _ADMIN_LINE.replace("admin", "root"))


def _drop_licence_lines(text: str, count: int) -> str:
    lines = text.splitlines(keepends=True)
    start = lines.index("Unless required by applicable law or agreed to in writing, software\n")
    return "".join(lines[:start] + lines[start + count :])


def _fixed(hotspot: str, test: str, up: Upstream) -> dict[str, FileValue]:
    return {up.hotspot: _add_anonymous_check(hotspot), up.hotspot_test: test + _ANONYMOUS_TEST}


def _demo_version(version: str) -> str:
    return (
        f'package util\n\n// Version is stamped by release commits.\nconst Version = "{version}"\n'
    )


DEMO_VERSION_FILE: VersionFile = ("pkg/util/version.go", _demo_version)

_DEMO_SERVER = """package main

import (
	"fmt"
	"os"

	"{module}/pkg/auth"
	"{module}/pkg/util"
)

func main() {{
	if len(os.Args) != 3 {{
		fmt.Fprintln(os.Stderr, "usage: demo-server USER VERB ("+util.Version+")")
		os.Exit(2)
	}}
	fmt.Println(auth.Admit(auth.Request{{User: os.Args[1], Verb: os.Args[2]}}))
}}
"""

_DEMO_CLI = """package main

import (
	"fmt"
	"os"

	"{module}/pkg/util"
)

func main() {{
	fmt.Println("demo-cli", util.Version)
	for _, arg := range os.Args[1:] {{
		fmt.Println(arg, util.IsBlank(arg))
	}}
}}
"""

_UTIL = """// Package util holds helpers shared by both demo binaries.
package util

import "{trim_pkg}"

// IsBlank reports whether s holds only white space.
func IsBlank(s string) bool {{
	return {trim_pkg_name}.TrimSpace(s) == ""
}}
"""

_UTIL_TEST = """package util

import "testing"

func TestIsBlank(t *testing.T) {
	for in, want := range map[string]bool{"": true, " \\t": true, "x": false, " x ": false} {
		if got := IsBlank(in); got != want {
			t.Errorf("IsBlank(%q) = %v, want %v", in, got, want)
		}
	}
}
"""

_TEXTUTIL = """// Package textutil stands in for a third-party module that only vendor/ holds.
package textutil

import "strings"

// TrimSpace trims white space.
func TrimSpace(s string) string { return strings.TrimSpace(s) }
"""


def demo_tree(module: str, vendor: bool) -> dict[str, FileValue]:
    """The first commit of the demo upstream."""
    trim = "example.org/textutil" if vendor else "strings"
    files: dict[str, FileValue] = {
        "README.md": "# demo\n\nA tiny upstream for ksp's tests.\n",
        ".go-version": GO_VERSIONS[0] + "\n",
        "go.mod": f"module {module}\n\ngo 1.22\n"
        + ("\nrequire example.org/textutil v1.2.3\n" if vendor else ""),
        "cmd/demo-server/main.go": _DEMO_SERVER.format(module=module),
        "cmd/demo-cli/main.go": _DEMO_CLI.format(module=module),
        "pkg/auth/auth.go": hotspot_source(
            "auth", authors="Demo", imports=(f'"{module}/pkg/util"',), blank="util.IsBlank(r.User)"
        ),
        "pkg/auth/auth_test.go": hotspot_test_source("auth", authors="Demo"),
        "pkg/util/util.go": _UTIL.format(trim_pkg=trim, trim_pkg_name=trim.rsplit("/", 1)[-1]),
        "pkg/util/util_test.go": _UTIL_TEST,
        "pkg/util/version.go": _demo_version("v0.0.0-main"),
    }
    if vendor:
        files["vendor/modules.txt"] = (
            "# example.org/textutil v1.2.3\n## explicit; go 1.21\nexample.org/textutil\n"
        )
        files["vendor/example.org/textutil/textutil.go"] = _TEXTUTIL
    return files
