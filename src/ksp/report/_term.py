"""Text that came from a patch or a pull request, made safe to show on a terminal.

A path in a diff can hold any byte but NUL and `/`: an escape sequence in it could move the
cursor, rewrite earlier lines or set the window title, and a bidi control (U+202E) could make
a line read backwards. Such characters are shown escaped (`\\x1b`, `\\u202e`), never sent raw.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls, and the Unicode format characters that
# reorder or hide text (bidi embeddings, overrides and isolates, zero-width marks).
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def printable(text: str) -> str:
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    """C0 controls as `\\x1b`; DEL, C1 and format characters as `\\u009b`, which is also how JSON
    writes them, so that escaped JSON output still parses to the same strings (json.dumps
    already escapes C0 controls itself)."""
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x20 else f"\\u{code:04x}"
