"""Read go.mod, vendor/modules.txt and .go-version as text: no Go toolchain, no network.

Only what the inventory needs: the module path, the `go` and `toolchain` lines, `require` and
`replace` directives; `vendor/modules.txt`'s `# module version [=> replacement version]` lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_COMMENT = re.compile(r"//.*$")


@dataclass(frozen=True)
class Requirement:
    path: str
    version: str
    indirect: bool = False


@dataclass(frozen=True)
class GoMod:
    module: str | None
    go: str | None  # the `go` line, e.g. 1.22 or 1.22.5
    toolchain: str | None  # the `toolchain` line without its `go` prefix
    requires: tuple[Requirement, ...] = ()
    replaces: dict[str, Requirement] | None = None  # old path -> new path@version ("" if a folder)


def parse_go_mod(text: str) -> GoMod:
    module = go = toolchain = None
    requires: list[Requirement] = []
    replaces: dict[str, Requirement] = {}
    block: str | None = None
    for raw in text.splitlines():
        indirect = "// indirect" in raw
        line = _COMMENT.sub("", raw).strip()
        if not line:
            continue
        if block:
            if line == ")":
                block = None
            else:
                _directive(block, line, indirect, requires, replaces)
            continue
        verb, _, rest = line.partition(" ")
        rest = rest.strip()
        if rest == "(":
            block = verb
        elif verb == "module":
            module = rest.strip('"')
        elif verb == "go":
            go = rest
        elif verb == "toolchain":
            toolchain = rest.removeprefix("go")
        else:
            _directive(verb, rest, indirect, requires, replaces)
    return GoMod(module, go, toolchain, tuple(requires), replaces)


def _directive(verb: str, rest: str, indirect: bool, requires: list[Requirement],
               replaces: dict[str, Requirement]) -> None:
    words = rest.replace('"', "").split()
    if verb == "require" and len(words) >= 2:
        requires.append(Requirement(words[0], words[1], indirect))
    elif verb == "replace" and "=>" in words:
        at = words.index("=>")
        new = words[at + 1:]
        if new:
            replaces[words[0]] = Requirement(new[0], new[1] if len(new) > 1 else "")


@dataclass(frozen=True)
class Vendored:
    version: str  # the version go.mod requires
    replacement: str | None = None  # `path version` of a replacing module, or a local folder


def parse_modules_txt(text: str) -> dict[str, Vendored]:
    """module path -> its vendored version, and what replaces it (the code that is built)."""
    out: dict[str, Vendored] = {}
    for line in text.splitlines():
        if not line.startswith("# "):
            continue
        words = line[2:].split()
        at = words.index("=>") if "=>" in words else len(words)
        version = words[1] if at >= 2 else ""
        replacement = " ".join(words[at + 1:]) or None
        if version:
            out[words[0]] = Vendored(version, replacement)
    return out
