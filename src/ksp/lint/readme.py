"""The consumer guide must carry the KEP's five disclaimers."""

from __future__ import annotations

from collections.abc import Iterator

from ksp._files import read_text
from ksp.errors import KspError
from ksp.lint.context import LintContext
from ksp.lint.findings import Finding, from_error
from ksp.repo.scaffold import DISCLAIMERS

README = "README.md"


def _plain(markdown: str) -> str:
    """Lower-case words without Markdown quoting or emphasis, so phrases match across lines."""
    lines = (line.lstrip().lstrip(">") for line in markdown.splitlines())
    words = " ".join(lines).replace("*", " ").replace("_", " ").lower().split()
    return " ".join(words)


def check_disclaimers(ctx: LintContext) -> Iterator[Finding]:
    path = ctx.root / README
    if not path.exists():
        yield Finding.error("KSP005", README, "README.md is missing",
                            hint="it is the consumer guide and carries the disclaimers; "
                                 "`ksp init` writes one")
        return
    try:
        text = _plain(read_text(path, what="README"))
    except KspError as exc:
        yield from_error("KSP005", exc, ctx.root, README)
        return
    for topic, phrase in DISCLAIMERS.items():
        if phrase not in text:
            yield Finding.error("KSP004", README, f"the {topic} disclaimer is missing "
                                f"(expected the words '{phrase}')",
                                hint="copy the Disclaimers section of the README `ksp init` "
                                     "writes")
