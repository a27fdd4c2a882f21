"""Build the upstreams the tour (docs/tour.sh) runs ksp against.

Run with ``PYTHONPATH=tests`` from the project root:

    python docs/tour_fixtures.py demo DIR      # a Go upstream with release-1.30 … release-1.33
    python docs/tour_fixtures.py backport DIR  # a small upstream for `ksp backport`

Each prints ``key=value`` lines (commit ids, file paths) for the shell to read.
"""

from __future__ import annotations

import sys
from pathlib import Path

from _backportkit import base_upstream, edit, fix_line
from factories.goupstream import _fixed, make_go_upstream, patch_that_breaks_test


def demo(path: Path) -> None:
    """The demo upstream, a fix committed on a contributor's branch off release-1.32, and a
    diff that breaks a test on 1.32."""
    up = make_go_upstream(path, minors=("1.30", "1.31", "1.32", "1.33"))
    up.git("branch", "fix-anonymous", up.branch("1.32"))
    base = up.branch("1.32")
    fix = up.commit("fix-anonymous",
                    _fixed(up.read(base, up.hotspot), up.read(base, up.hotspot_test), up),
                    "auth: reject system:anonymous in Admit")
    # A second patch for 1.32, made on top of the fix, that drops "watch" from the read-only
    # verbs: it applies and builds, and TestAdmit fails.
    fixed = up.read(fix, up.hotspot)
    breaking = fixed.replace('case "get", "list", "watch":', 'case "get", "list":', 1)
    broken = path.parent / "breaks-a-test.diff"
    broken.write_text(up.make_patch(fix, {up.hotspot: breaking}))
    # The same change made on the bare release branch: after the fix it applies only at an offset.
    drifting = path.parent / "drifts.diff"
    drifting.write_text(patch_that_breaks_test(up, "1.32"))
    print(f"fix={fix}")


def backport(path: Path) -> None:
    """release-1.33 takes the fix as is (at an offset); release-1.32 rewrote the fixed line."""
    up = base_upstream(path, branches=("1.32", "1.33"))
    text = up.read("release-1.33", "pkg/auth/check.go")
    up.commit({"pkg/auth/check.go": edit(text, "func Check() {\n",
                                         "func Check() {\n\t// branch note\n")},
              "Branch note", "release-1.33")
    text = up.read("release-1.32", "pkg/auth/check.go")
    up.commit({"pkg/auth/check.go": edit(text, "\tline 15\n", "\tline 15 branch-only\n")},
              "Branch rewrite", "release-1.32")
    up.checkout("main")
    print(f"fix={fix_line(up)}")


if __name__ == "__main__":
    {"demo": demo, "backport": backport}[sys.argv[1]](Path(sys.argv[2]).resolve())
