"""Who may sign: OWNERS, OWNERS_ALIASES, ALLOWED_SIGNERS and ksp.yaml's `review:` rules, from the
work tree or a base commit.

In `--since BASE` mode a pull request is untrusted input: these files are read from the commit
it forked from, so a PR that adds its author to OWNERS, its key to ALLOWED_SIGNERS or lowers the
number of approvers in ksp.yaml does not change how its own signatures are checked.
`_read_base` stands in for the shared
`ksp.repo.trusted.read_trusted` until that lands (same signature, same result).
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from ksp._files import read_text
from ksp._yaml import load_yaml
from ksp.errors import FormatError
from ksp.git._run import git
from ksp.repo import config as config_mod
from ksp.repo.config import Review
from ksp.repo.trusted import read_trusted
from ksp.review import owners as owners_mod
from ksp.review.owners import OWNERS, OWNERS_ALIASES, Owners

ALLOWED_SIGNERS = "ALLOWED_SIGNERS"
_KEY_TYPE = re.compile(r"^(ssh-|ecdsa-|sk-)")
_TIME = re.compile(r"^(\d{8})(\d{4}(\d{2})?)?Z?$")


@dataclass(frozen=True)
class AllowedSigner:
    principals: tuple[str, ...]
    valid_before: dt.datetime | None
    line: int


@dataclass(frozen=True)
class Trust:
    owners: Owners
    allowed_signers: bytes  # given as is to `ssh-keygen -Y verify -f`
    signers: tuple[AllowedSigner, ...]
    source: str  # "the work tree", "base 1a2b3c4d5e6f" or a --allowed-signers path
    review: Review = field(default_factory=Review)  # ksp.yaml review:, read where OWNERS is

    def expiry(self, who: str) -> dt.datetime | None:
        """The latest `valid-before` of `who`'s keys; None when one of them has none."""
        dates = [s.valid_before for s in self.signers if who in s.principals]
        if not dates or any(d is None for d in dates):
            return None
        return max(d for d in dates if d is not None)

    def has_key(self, who: str) -> bool:
        return any(who in s.principals for s in self.signers)


def load(root: Path, base: str | None = None, allowed_signers: Path | None = None) -> Trust:
    """The trust files of the patches repo at `root`: from commit `base` when given (a missing
    file there counts as empty), else from the work tree. `allowed_signers` overrides the repo's
    ALLOWED_SIGNERS (a consumer's pinned copy)."""
    def read(rel: str) -> str | None:
        if base is not None:
            data = _read_base(root, rel, base)
            return None if data is None else data.decode("utf-8", "replace")
        path = root / rel
        return read_text(path, what=rel) if path.is_file() else None

    owners = owners_mod.parse(read(OWNERS), read(OWNERS_ALIASES), root)
    if base is None:
        review = config_mod.load(root / "ksp.yaml").review
    else:
        text = read("ksp.yaml")
        review = config_mod.parse(load_yaml(root / "ksp.yaml", text=text),
                                  root / "ksp.yaml").review if text else Review()
    if allowed_signers is not None:
        text, where, source = read_text(allowed_signers, what="allowed signers"), \
            allowed_signers, str(allowed_signers)
    else:
        text, where = read(ALLOWED_SIGNERS) or "", root / ALLOWED_SIGNERS
        source = f"base {base[:12]}" if base else "the work tree"
    return Trust(owners, text.encode(), parse_allowed_signers(text, where), source, review)


def parse_allowed_signers(text: str, path: Path) -> tuple[AllowedSigner, ...]:
    """OpenSSH's allowed_signers: `principals [options] keytype key [comment]` per line."""
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            fields = shlex.split(line, posix=True)
        except ValueError:
            raise FormatError("unbalanced quotes", path=path, line=number) from None
        if len(fields) < 3:
            raise FormatError("expected 'principals [options] keytype key'", path=path,
                              line=number)
        options = "" if _KEY_TYPE.match(fields[1]) else fields[1]
        if not _KEY_TYPE.match(fields[2 if options else 1]):
            raise FormatError(f"unknown key type {fields[2 if options else 1]!r}", path=path,
                              line=number, hint="e.g. ssh-ed25519 AAAA…")
        principals = tuple(owners_mod.handle(p) for p in fields[0].split(",") if p.strip())
        out.append(AllowedSigner(principals, _valid_before(options, path, number), number))
    return tuple(out)


def _valid_before(options: str, path: Path, line: int) -> dt.datetime | None:
    for option in options.split(","):
        name, _, value = option.partition("=")
        if name.strip().lower() != "valid-before":
            continue
        match = _TIME.match(value.strip().strip('"'))
        if not match:
            raise FormatError(f"valid-before {value!r} is not YYYYMMDD[HHMM[SS]]", path=path,
                              line=line)
        digits = (match[1] + (match[2] or "0000") + ("" if match[3] else "00"))[:14]
        return dt.datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    return None


def merge_base(root: Path, ref: str) -> str:
    """Where HEAD forked from `ref` (the base a pull request is measured against)."""
    proc = git(root, "merge-base", ref, "HEAD", check=False)
    return proc.stdout.strip() or git(root, "rev-parse", "--verify", f"{ref}^{{commit}}"
                                      ).stdout.strip()


def _read_base(root: Path, relpath: str, base: str) -> bytes | None:
    """`relpath` as committed in `base`; None when absent there (one reader of trusted files,
    with its size limit: `ksp.repo.trusted`)."""

    return read_trusted(root, relpath, base)
