"""A patch's `Testing:` line after a passing gate: written by `ksp gate --record`, checked by
`ksp lint` against the evidence record it names, read by the dependency lane.

    Testing: ksp gate pass on 1a2b3c4d5e6f (release-1.30), go1.22.12, 2026-11-22,
             evidence sha256:<sha256 of the evidence record>

(one line in the file). The record is `repo/evidence_record.py`'s; the line names it by the
sha256 of its bytes, which `--record` keeps as `<sha256>.json` next to `evidence.json`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import NamedTuple

PASS = "ksp gate pass"
_CLAIM = rf"{PASS} on (?P<base>[0-9a-f]{{12}}) .*evidence sha256:(?P<sha>[0-9a-f]{{64}})"


class Claim(NamedTuple):  # a NamedTuple: the gate loads this module at every start (issue 16)
    """What a `Testing:` line says: the base commit gated (12 hex digits) and the record."""

    base: str
    record_sha256: str


def render(base: str, base_ref: str, toolchains: Iterable[str], day: dt.date,
           record_sha256: str) -> str:
    parts = [f"{PASS} on {base[:12]} ({base_ref})", *toolchains, day.isoformat(),
             f"evidence sha256:{record_sha256}"]
    return ", ".join(parts)


def claim(testing: str) -> Claim | None:
    """The claim of a `Testing:` value; None when it names no evidence record."""
    match = re.search(_CLAIM, testing)  # compiled once, by re's own cache
    return Claim(match["base"], match["sha"]) if match else None


def claims_pass(testing: str) -> bool:
    """The value starts as a gate pass writes it (the dependency lane's quick check)."""
    return testing.startswith(PASS)
