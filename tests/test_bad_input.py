"""Bad input: each case gets exit 1, a one-line error on stderr naming the file (and the line
where known), and leaves every byte of the patches repo as it was, for lint and for the commands
that write (new, lifecycle import)."""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from _samples import DAY, DIFF, VECTOR
from ksp.cli.main import main

PATCH = "v1.33/0001_CVE-2025-5187.patch"
NEW_FLAGS = [
    "--title", "t", "--cvss-vector", VECTOR, "--original-patch",
    "https://github.com/kubernetes/kubernetes/pull/1", "--cve-issue",
    "https://github.com/kubernetes/kubernetes/issues/2", "--components", "kube-apiserver",
    "--fixer", "@fixer", "--reviewer", "@src", "--testing", "Validated on 2026-11-20",
    "--date", DAY,
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A patches repo with one valid patch that passes lint (built once, copied per case)."""
    tmp = tmp_path_factory.mktemp("template")
    root = tmp / "patches"
    assert main(["init", str(root)]) == 0
    (root / "OWNERS").write_text("approvers: [src]\n")  # the reviewer must be an approver
    (tmp / "fix.diff").write_text(DIFF)
    assert main(["new", "CVE-2025-5187", "--minor", "1.33", "--diff", str(tmp / "fix.diff"),
                 "--repo", str(root), *NEW_FLAGS]) == 0
    assert main(["lint", "--repo", str(root), "--date", DAY]) == 0
    return root


@pytest.fixture
def repo(template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = tmp_path / "patches"
    shutil.copytree(template, root, symlinks=True)
    capsys.readouterr()
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): (str(p.readlink()).encode() if p.is_symlink()
                                             else p.read_bytes())
            for p in sorted(root.rglob("*")) if p.is_file() or p.is_symlink()}


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new, 1))


def lint(root: Path, tmp: Path) -> list[str]:
    return ["lint", "--repo", str(root), "--date", DAY]


def new_from(name: str, content: str | bytes, flag: str = "--diff") -> Callable[[Path, Path],
                                                                               list[str]]:
    def argv(root: Path, tmp: Path) -> list[str]:
        source = tmp / name
        if isinstance(content, bytes):
            source.write_bytes(content)
        else:
            source.write_text(content)
        return ["new", "CVE-2025-9999", "--minor", "1.32", flag, str(source), "--repo",
                str(root), *NEW_FLAGS]
    return argv


def huge(name: str, command: str) -> Callable[[Path, Path], list[str]]:
    """A 50 MB (sparse) input file for `new` or `lifecycle import`."""
    def argv(root: Path, tmp: Path) -> list[str]:
        with (tmp / name).open("wb") as fh:
            fh.truncate(50 * 1024 * 1024)
        if command == "new":
            return ["new", "CVE-2025-9999", "--minor", "1.32", "--diff", str(tmp / name),
                    "--repo", str(root), *NEW_FLAGS]
        return ["lifecycle", "import", str(tmp / name), "--repo", str(root)]
    return argv


def import_file(name: str, content: str) -> Callable[[Path, Path], list[str]]:
    def argv(root: Path, tmp: Path) -> list[str]:
        (tmp / name).write_text(content)
        return ["lifecycle", "import", str(tmp / name), "--repo", str(root)]
    return argv


@dataclass(frozen=True)
class Case:
    name: str
    setup: Callable[[Path], object]  # breaks the repo (before the snapshot)
    argv: Callable[[Path, Path], list[str]]
    where: str  # what stderr must name: file, or file:line


def _index(text: str) -> Callable[[Path], object]:
    return lambda root: (root / "index.yaml").write_text(text)


def _config(old: str, new: str) -> Callable[[Path], object]:
    return lambda root: edit(root, "ksp.yaml", old, new)


def _patch(old: str, new: str, rel: str = PATCH) -> Callable[[Path], object]:
    """Edit a file; for a patch, keep index.yaml's sha256 in step so only `new` is wrong."""
    def setup(root: Path) -> None:
        before = hashlib.sha256((root / PATCH).read_bytes()).hexdigest()
        edit(root, rel, old, new)
        after = hashlib.sha256((root / PATCH).read_bytes()).hexdigest()
        if rel == PATCH:
            edit(root, "index.yaml", before, after)
    return setup


def _write(rel: str, data: str | bytes) -> Callable[[Path], object]:
    def setup(root: Path) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            (root / rel).write_bytes(data)
        else:
            (root / rel).write_text(data)
    return setup


def _nothing(root: Path) -> None:
    return None


def _bomb() -> str:
    lines = ['a: &a ["x", "x"]'] + [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, "
                                       f"*{chr(97 + i)}]" for i in range(8)]
    return "\n".join(lines) + "\n"


def _big(root: Path) -> None:
    with (root / "v1.33" / "0002_CVE-2025-1111.patch").open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)


SYMLINK_DIFF = """\
diff --git a/pkg/auth/link b/pkg/auth/link
new file mode 120000
index 0000000..2222222
--- /dev/null
+++ b/pkg/auth/link
@@ -0,0 +1 @@
+/etc/shadow
\\ No newline at end of file
"""


def _expired_minor(root: Path) -> None:
    (root / "v1.31").mkdir()
    (root / PATCH).rename(root / "v1.31" / "0001_CVE-2025-5187.patch")
    edit(root, "index.yaml", "v1.33/", "v1.31/")
    edit(root, "index.yaml", "'1.33'", "'1.31'")


def _known_failure(root: Path) -> None:
    edit(root, "ksp.yaml", "known_failures: {}",
         "known_failures:\n  '1.33':\n    - {test: pkg/x.TestY, reason: flaky, "
         "expires: 2026-01-01}\n#")


GOOD_HEADER_END = "# SRC Reviewer: @src\n#\n"
INDEX_OK_START = "schema: ksp/v1\nadvisories:\n"

CASES = [
    # index.yaml
    Case("index-malformed-yaml", _index("schema: ksp/v1\nadvisories: {\n  x: [1,\n"), lint,
         "index.yaml:"),
    Case("index-duplicate-key", _index("schema: ksp/v1\nschema: ksp/v1\nadvisories: {}\n"), lint,
         "index.yaml:2"),
    Case("index-yaml-bomb", _index(_bomb()), lint, "index.yaml:2"),
    Case("index-deep-nesting", _index("schema: ksp/v1\nadvisories: " + "[" * 40 + "]" * 40 + "\n"),
         lint, "index.yaml:2"),
    Case("index-unknown-status", _patch("status: in-progress", "status: fixed", "index.yaml"),
         lint, "index.yaml:"),
    Case("index-not-affected-without-justification",
         _patch("status: in-progress", "status: not-affected", "index.yaml"), lint, "index.yaml:"),
    Case("index-wrong-type", _patch("title: t", "title: [1, 2]", "index.yaml"), lint,
         "index.yaml:"),
    Case("index-wrong-schema-version", _patch("schema: ksp/v1", "schema: ksp/v9", "index.yaml"),
         lint, "index.yaml"),
    Case("index-empty", _index(""), lint, "index.yaml:1"),
    Case("index-not-utf8", _write("index.yaml", b"schema: ksp/v1\nadvisories: {}\n# \xff\n"), lint,
         "index.yaml:3"),
    Case("index-bad-advisory-id", _patch("CVE-2025-5187:", "CVE-25:", "index.yaml"), lint,
         "index.yaml"),
    Case("index-missing-file-reference", _patch("0001_CVE-2025-5187.patch",
                                                "0009_CVE-2025-5187.patch", "index.yaml"),
         lint, "index.yaml:"),
    # ksp.yaml
    Case("config-wrong-type", _config("max_files: 200", "max_files: many"), lint, "ksp.yaml"),
    Case("config-wrong-schema", _config("schema: ksp/v1", "schema: ksp/v2"), lint, "ksp.yaml"),
    Case("config-unknown-key", _config("schema: ksp/v1", "schema: ksp/v1\nbranches: x"), lint,
         "ksp.yaml"),
    Case("config-malformed-yaml", _config("policy:", "policy: [\n"), lint, "ksp.yaml:"),
    Case("config-expired-known-failure", _known_failure, lint, "ksp.yaml:"),
    # patch headers
    Case("header-missing-key", _patch("# CVE issue: https://github.com/kubernetes/kubernetes/"
                                      "issues/2\n", ""), lint, PATCH + ":"),
    Case("header-repeated-key", _patch("# CVE Fixer: @fixer\n",
                                       "# CVE Fixer: @fixer\n# CVE Fixer: @other\n"), lint,
         PATCH + ":"),
    Case("header-none", _write("v1.33/0002_CVE-2025-1111.patch", DIFF), lint,
         "v1.33/0002_CVE-2025-1111.patch:1"),
    Case("header-id-mismatch", _patch("Security patch for CVE-2025-5187",
                                      "Security patch for CVE-2025-0001"), lint, PATCH + ":1"),
    Case("header-crlf", lambda root: (root / PATCH).write_bytes(
        (root / PATCH).read_bytes().replace(b"\n", b"\r\n", 2)), lint, PATCH + ":1"),
    Case("header-bad-backport", _patch("# Affected components:",
                                       "# Backport: cherry-picked\n# Affected components:"),
         lint, PATCH + ":"),
    Case("header-severity-vs-vector", _patch("MEDIUM (CVSS 6.7)", "CRITICAL (CVSS 9.8)"), lint,
         PATCH + ":"),
    # the header must be UTF-8 (the diff is upstream content, kept byte for byte)
    Case("patch-header-not-utf8", lambda root: (root / PATCH).write_bytes(
        (root / PATCH).read_bytes().replace(b"# CVE Fixer: @fixer", b"# CVE Fixer: @fix\xffer")),
         lint, PATCH + ":"),
    # diffs and policy
    Case("diff-cut-short", _patch("+// deny guests\n func Check() {}\n", "+// deny guests\n"),
         lint, PATCH),
    Case("diff-parent-path", _patch("pkg/auth/check.go", "../x"), lint, PATCH + ":"),
    Case("diff-inside-dot-git", _patch("pkg/auth/check.go", ".git/hooks/post-checkout"), lint,
         PATCH + ":"),
    Case("diff-absolute-path", _patch(DIFF, DIFF.replace("/pkg/auth/check.go", "//etc/passwd")),
         lint, PATCH + ":"),
    Case("diff-symlink", _patch(DIFF, SYMLINK_DIFF), lint, PATCH + ":"),
    Case("diff-binary", _patch("index 1111111..2222222 100644\n--- a/pkg/auth/check.go\n+++ "
                               "b/pkg/auth/check.go\n@@ -1,3 +1,4 @@\n package auth\n \n+// deny"
                               " guests\n func Check() {}\n",
                               "index 1111111..2222222 100644\nGIT binary patch\nliteral 3\n"
                               "Kcmb<mr~&{1<pA>l\n\nliteral 3\nKcmb<ms0083<N)#j\n\n"), lint,
         PATCH + ":"),
    Case("diff-mode-change", _patch("index 1111111..2222222 100644",
                                    "old mode 100644\nnew mode 100755\nindex 1111111..2222222"),
         lint, PATCH + ":"),
    Case("diff-forbidden-path", _patch("pkg/auth/check.go", "hack/verify.sh"), lint,
         PATCH + ":"),
    Case("patch-50-mb", _big, lint, "v1.33/0002_CVE-2025-1111.patch"),
    Case("sha256-mismatch", lambda root: edit(root, PATCH, "+// deny guests", "+// deny all"),
         lint, PATCH),
    # layout and windows
    Case("folder-v1.x", lambda root: (root / "v1.x").mkdir(), lint, "v1.x"),
    Case("folder-without-v", lambda root: (root / "1.30").mkdir(), lint, "1.30"),
    Case("bad-file-name", _write("v1.33/fix.patch", DIFF), lint, "v1.33/fix.patch"),
    Case("expired-minor", _expired_minor, lint, "v1.31/0001_CVE-2025-5187.patch"),
    Case("readme-without-disclaimers", _write("README.md", "# patches\n"), lint, "README.md"),
    # ksp new
    Case("new-diff-cut-short", _nothing, new_from("cut.diff", DIFF.rsplit("\n", 3)[0] + "\n"),
         "cut.diff"),
    Case("new-diff-not-utf8", _nothing, new_from("bad.diff", DIFF.encode().replace(
        b"deny", b"d\xffny")), "bad.diff:8"),
    Case("new-diff-crlf", _nothing, new_from("crlf.diff", DIFF.replace("\n", "\r\n")),
         "crlf.diff:1"),
    Case("new-diff-parent-path", _nothing, new_from("up.diff", DIFF.replace("pkg/auth", "../x")),
         "up.diff"),
    Case("new-diff-50-mb", _nothing, huge("huge.diff", "new"), "huge.diff"),
    Case("new-diff-empty", _nothing, new_from("empty.diff", ""), "empty.diff"),
    Case("new-diff-not-a-diff", _nothing, new_from("prose.diff", "please apply\n"),
         "prose.diff:1"),
    Case("new-mail-without-diff", _nothing, new_from(
        "m.patch", "From 1111111111111111111111111111111111111111 Mon Sep 17 00:00:00 2001\n"
        "From: A <a@b>\nSubject: [PATCH] x\n\nno diff here\n", "--mail"), "m.patch"),
    Case("new-with-broken-index", _index("schema: ksp/v1\nadvisories: [\n"),
         new_from("fix.diff", DIFF), "index.yaml:"),
    Case("new-with-duplicate-key-index", _index(INDEX_OK_START + "schema: x\n"),
         new_from("fix.diff", DIFF), "index.yaml:3"),
    # ksp lifecycle import
    Case("import-malformed-yaml", _nothing, import_file("eol.yaml", "branches: [\n"), "eol.yaml"),
    Case("import-unrecognised", _nothing, import_file("x.yaml", "products: []\n"), "x.yaml"),
    Case("import-unquoted-minor", _nothing, import_file(
        "eol.yaml", "branches:\n- release: 1.30\n  endOfLifeDate: '2025-07-15'\n"), "eol.yaml"),
    Case("import-bad-date", _nothing, import_file(
        "eol.yaml", "branches:\n- release: '1.30'\n  endOfLifeDate: someday\n"), "eol.yaml"),
    Case("import-alias", _nothing, import_file("eol.yaml", _bomb()), "eol.yaml:2"),
    Case("import-50-mb", _nothing, huge("huge.yaml", "import"), "huge.yaml"),
    Case("import-missing-file", _nothing, lambda root, tmp: [
        "lifecycle", "import", str(tmp / "nope.yaml"), "--repo", str(root)], "nope.yaml"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input(case: Case, repo: Path, tmp_path: Path,
                   capsys: pytest.CaptureFixture[str]) -> None:
    case.setup(repo)
    before = snapshot(repo)
    rc = main(case.argv(repo, tmp_path))
    err = capsys.readouterr().err
    assert rc == 1, err
    messages = [line for line in err.splitlines()
                if line.startswith(("ksp: error:", "ksp lint:"))]
    assert len(messages) == 1, err
    assert case.where in messages[0], err
    if case.where.endswith(":"):  # a line number follows the file
        assert re.search(re.escape(case.where) + r"\d+", messages[0]), err
    assert snapshot(repo) == before
