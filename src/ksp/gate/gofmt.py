"""gofmt judged against the base: only the lines the series adds or changes count.

Old branches are often not gofmt-clean under today's Go (every `// +build` file gains a
`//go:build` line since Go 1.17; runc 1.0 has 130 such files of 215), which is a fact of the base,
not of the patch. So gofmt runs on the files the series changes; for a file it would reformat,
the lines it would touch are compared with the lines the series wrote (`git diff -U0
base head`). Only an overlap is the patch's fault; the rest is reported as pre-existing.
"""

from __future__ import annotations

import difflib
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ksp.git import diff as diffmod
from ksp.git._run import git


@dataclass(frozen=True)
class Verdict:
    bad: dict[str, list[int]] = field(default_factory=dict)  # file -> its badly formatted lines
    pre_existing: tuple[str, ...] = ()  # files not gofmt-clean, but not where the series wrote
    broken: tuple[str, ...] = ()  # files gofmt cannot parse

    @property
    def problems(self) -> list[str]:
        out = [f"not gofmt-clean where the series changes it: {f} (line "
               f"{', '.join(map(str, lines[:5]))})" for f, lines in self.bad.items()]
        out += [f"gofmt cannot parse {f}" for f in self.broken]
        return out

    @property
    def note(self) -> str:
        count = len(self.pre_existing)
        return (f"{count} changed file{'' if count == 1 else 's'} already not gofmt-clean on "
                "the base (not the series' lines)") if count else ""


def judge(tree: Path, gofmt: Path, env: Mapping[str, str], files: Sequence[str], *,
          base: str, head: str, timeout: float) -> Verdict:
    listed = subprocess.run([str(gofmt), "-l", *files], cwd=tree, env=dict(env),
                            capture_output=True, text=True, timeout=timeout, check=False)
    dirty = listed.stdout.split()
    if not dirty and listed.returncode == 0:
        return Verdict()
    written = added_lines(tree, base, head, files)
    bad: dict[str, list[int]] = {}
    pre: list[str] = []
    broken: list[str] = []
    for rel in dirty or files:
        touched = _touched(tree, gofmt, env, rel, timeout)
        if touched is None:
            broken.append(rel)
            continue
        overlap = sorted(touched & written.get(rel, set()))
        if overlap:
            bad[rel] = overlap
        elif touched:
            pre.append(rel)
    return Verdict(bad, tuple(pre), tuple(broken))


def added_lines(tree: Path, base: str, head: str, files: Sequence[str]) -> dict[str, set[int]]:
    """Line numbers (in head) of every line the series adds or changes, per file."""
    out = git(tree, "diff", "--no-color", "--no-ext-diff", "--no-renames", "-U0", base, head,
              "--", *files).stdout
    lines: dict[str, set[int]] = {}
    for fd in diffmod.parse(out.encode("utf-8", "surrogateescape")):
        into = lines.setdefault(fd.path, set())
        for hunk in fd.hunks:
            into.update(range(hunk.new_start, hunk.new_start + hunk.new_len))
    return lines


def _touched(tree: Path, gofmt: Path, env: Mapping[str, str], rel: str, timeout: float
             ) -> set[int] | None:
    """Lines of `rel` that gofmt would change (an insertion touches its neighbours)."""
    source = (tree / rel).read_text(errors="replace").splitlines()
    ran = subprocess.run([str(gofmt), str(tree / rel)], env=dict(env), capture_output=True,
                         text=True, timeout=timeout, check=False)
    if ran.returncode != 0:
        return None
    formatted = ran.stdout.splitlines()
    touched: set[int] = set()
    matcher = difflib.SequenceMatcher(None, source, formatted, autojunk=False)
    for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        touched.update(range(i1 + 1, i2 + 1) if i2 > i1 else (i1, i1 + 1))
    return touched
