"""Root causes in one line: what a step's log says went wrong, in words a fixer acts on.

Old release branches fail for reasons that are not the patch's: a C header the machine lacks,
modules not in the cache, a Go too new or too old for the tree, no disk. The reports show the
cause next to the step (text, Markdown, JUnit), not only in the log. The first rule that
matches wins; rules are ordered from the most specific to the most general.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ksp.git._run import git, split_z

_HEADER = re.compile(r"fatal error: ([\w./+-]+\.h): No such file or directory")
_MODULE = re.compile(r"([\w.-]+\.[\w./-]+)@(v[\w.+-]+): (?:module lookup disabled|"
                     r"reading .*: no such file|.*not found)")
_NOT_PROVIDED = re.compile(r"(?:cannot find module providing package|no required module "
                           r"provides package|missing go\.sum entry for module providing "
                           r"package) (\S+)")
_REQUIRES = re.compile(r"requires go >= ?(\S+) \(running go (\S+); GOTOOLCHAIN=local\)")
_LINKNAME = re.compile(r"(?:invalid reference to|linkname.*(?:must refer to declared|not "
                       r"allowed)) ?(\S*)")
_TOO_OLD = re.compile(r"note: module requires Go (\S+)|go\.mod (?:file indicates|requires) go "
                      r"(\S+), but maximum|invalid go version '([^']+)'")
_CONSTRAINTS = re.compile(r"build constraints exclude all Go files in (\S+)")
_IMPORT_CHECK = re.compile(r'code in directory (\S+) expects import "([^"]+)"')
_NO_PACKAGE = re.compile(r'cannot find package "([^"]+)"')
_SETUP = re.compile(r"^(?:FAIL|ok)\s+(\S+)\s+\[setup failed\]", re.MULTILINE)
_PANIC = re.compile(r"^panic: (.+)$", re.MULTILINE)
_TAG = re.compile(r"^(?://go:build|// \+build)\s+(.+)$", re.MULTILINE)
_NEGATED = re.compile(r"!([A-Za-z0-9_.]+)")


def cause(log: str, tree: Path | None = None) -> str:
    """The root cause a log shows, in one line, or "" when no rule knows it."""
    for rule in _RULES:
        found = rule(log, tree)
        if found:
            return found
    return ""


def _disk(log: str, tree: Path | None) -> str:
    return "out of disk space (no space left on device)" if "no space left on device" in log \
        else ""


def _header(log: str, tree: Path | None) -> str:
    match = _HEADER.search(log)
    if not match:
        return ""
    header = match.group(1)
    tags = avoiding_tags(tree, header) if tree else []
    if tags:
        shown = ", ".join(tags)
        return (f"missing C header {header}: install its development package, or build "
                f"without it with -tags {shown} (ksp.yaml minors: {{<minor>: {{tags: "
                f"[{shown}]}}}})")
    return f"missing C header {header}: install its development package (cgo)"


def avoiding_tags(tree: Path, header: str) -> list[str]:
    """Negated build tags (`!no_btrfs`) of the Go files that include `header`, or of the tree's
    files that import their package (two levels: containerd's snapshots/btrfs guards the
    vendored github.com/containerd/btrfs that includes <btrfs/ioctl.h>)."""
    files = _grep(tree, f"{header}")
    tags: dict[str, None] = {}
    for _level in range(3):
        for rel in files:
            tags.update(dict.fromkeys(_negated_tags(tree / rel)))
        if tags:
            break
        packages = {_import_path(rel) for rel in files} - {""}
        files = [f for pkg in sorted(packages)[:8] for f in _grep(tree, f'{pkg}"')
                 if "vendor/" not in f]
    return list(tags)


def _grep(tree: Path, text: str) -> list[str]:
    found = git(tree, "grep", "-l", "-z", "-F", text, "--", "*.go", check=False).stdout
    return split_z(found)[:50]


def _negated_tags(path: Path) -> list[str]:
    try:
        head = path.read_text(errors="replace")[:4096]
    except OSError:
        return []
    return [t for line in _TAG.findall(head.split("\npackage ", 1)[0])
            for t in _NEGATED.findall(line)]


def _import_path(rel: str) -> str:
    """The import path of a vendored file's package (other packages: by their folder)."""
    folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
    if "vendor/" in rel:
        return folder.split("vendor/", 1)[1]
    return folder


def _modules(log: str, tree: Path | None) -> str:
    modules = {m.group(1) for m in _MODULE.finditer(log)}
    modules |= {m.group(1) for m in _NOT_PROVIDED.finditer(log)}
    if not modules and "GOPROXY=off" not in log:
        return ""
    count = len(modules) or 1
    return (f"{count} module{'' if count == 1 else 's'} missing from the module cache: run "
            f"`go mod download` in {tree or 'the tree'} or pass --goproxy URL")


def _requires(log: str, tree: Path | None) -> str:
    match = _REQUIRES.search(log)
    if not match:
        return ""
    return (f"GOTOOLCHAIN=local refused: the tree needs go {match.group(1)}, this is go "
            f"{match.group(2)}; pass --go {match.group(1)} (ksp never downloads a toolchain)")


def _linkname(log: str, tree: Path | None) -> str:
    match = _LINKNAME.search(log)
    if not match or "link" not in log:
        return ""
    return (f"toolchain too new for this tree: the linker refuses a go:linkname reference "
            f"{match.group(1)} (Go >= 1.23); gate with the tree's own Go (--go)")


def _too_old(log: str, tree: Path | None) -> str:
    match = _TOO_OLD.search(log)
    if not match:
        return ""
    version = next((g for g in match.groups() if g), "")
    wanted = f" (module requires Go {version})" if version else ""
    return f"toolchain too old for this tree{wanted}: gate with a newer Go (--go)"


def _import_check(log: str, tree: Path | None) -> str:
    match = _IMPORT_CHECK.search(log)
    if not match:
        return ""
    return (f"the tree's import comments want {match.group(2)}: set the minor's import_path in "
            "ksp.yaml `minors:` to match")


def _constraints(log: str, tree: Path | None) -> str:
    match = _CONSTRAINTS.search(log)
    return (f"build constraints exclude every Go file of {match.group(1)} (check the minor's "
            "tags in ksp.yaml)") if match else ""


def _no_package(log: str, tree: Path | None) -> str:
    match = _NO_PACKAGE.search(log)
    return (f"package {match.group(1)} is neither vendored nor in the GOPATH: the code (or a "
            "test) imports what this branch does not have") if match else ""


def _setup(log: str, tree: Path | None) -> str:
    match = _SETUP.search(log)
    if not match:
        return ""
    return f"the tests of {match.group(1)} could not start [setup failed]"


def _panic(log: str, tree: Path | None) -> str:
    match = _PANIC.search(log)
    return f"panic: {match.group(1)[:160]}" if match else ""


_RULES: tuple[Callable[[str, Path | None], str], ...] = (
    _disk, _header, _modules, _requires, _import_check, _linkname, _too_old, _constraints,
    _no_package, _setup, _panic,
)
