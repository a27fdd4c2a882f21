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
    ``_hotspot`` template in every factory, so the helpers work on both
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
        """A diff of ``files`` against ``branch``'s tip, committing nothing.

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
        out = git_bytes(self.path, "symbolic-ref", "-q", "HEAD", env=self.env)
        return out.decode().strip() or None


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
        path=path, module=module, minors=tuple(minors),
        home=home or path.with_name(path.name + ".home"),
        branch_template=branch_template, tag_template=tag_template,
        binaries=("cmd/demo-cli", "cmd/demo-server"), vendor=vendor,
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
            mark = stream.commit(branch, files, f"Release {version}", start=None if patch else up.main)
            stream.tag(version, mark, f"Kubernetes-style release {version}")
        stream.commit(up.main, main_step(stream, up, i + 1), f"main: step {i + 1}")


# --- patch kinds -------------------------------------------------------------


def good_patch(up: Upstream, minor: str) -> str:
    """The model security fix: rejects ``system:anonymous`` in ``Admit`` and tests it.

    Touches the hotspot and its test; applies cleanly (no offset) on the tip of
    ``minor``'s branch, builds, and passes ``go test``.
    """
    branch = up.branch(minor)
    return up.make_patch(branch, _fixed(up.read(branch, up.hotspot), up.read(branch, up.hotspot_test), up))


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
    base = {up.hotspot: _rename_admin(up.read(branch, up.hotspot))}
    fixed = _add_anonymous_check(str(base[up.hotspot]))
    return up.make_patch(branch, {up.hotspot: fixed}, base_files=base)


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
    text = _replace_once(up.read(branch, up.hotspot), "readOnly(r.Verb)\n", "readOnly(r.Verb, r.Resource)\n")
    return up.make_patch(branch, {up.hotspot: text})


def patch_that_breaks_test(up: Upstream, minor: str) -> str:
    """Applies and builds, but drops ``watch`` from the read-only verbs.

    The hotspot's ``TestAdmit`` ("user watches") then fails.
    """
    branch = up.branch(minor)
    text = _replace_once(up.read(branch, up.hotspot), 'case "get", "list", "watch":', 'case "get", "list":')
    return up.make_patch(branch, {up.hotspot: text})
