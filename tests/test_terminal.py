"""Control and bidi characters that come from input are shown escaped, never sent raw."""

from __future__ import annotations

import pytest

from ksp.cli import _common
from ksp.report._term import printable


@pytest.mark.parametrize(("raw", "shown"), [
    ("pkg/\x1b[2Jx.go", "pkg/\\x1b[2Jx.go"),
    ("a\x1b]0;title\x07b", "a\\x1b]0;title\\x07b"),
    ("x\u202egol", "x\\u202egol"),
    ("\x9b31m", "\\u009b31m"),
    ("del\x7f", "del\\u007f"),
    ("tab\tand\nnewline stay", "tab\tand\nnewline stay"),
    ("ü and 日本 stay", "ü and 日本 stay"),
])
def test_printable(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def test_emit_and_log_escape(capsys: pytest.CaptureFixture[str]) -> None:
    _common.emit("file \x1b[31mred\x1b[0m")
    _common.log("warning about \x1b]0;pwned\x07")
    _common.emit("\x1b[1mstyled by us\x1b[0m", styled=True)
    out, err = capsys.readouterr()
    assert out == "file \\x1b[31mred\\x1b[0m\n\x1b[1mstyled by us\x1b[0m\n"
    assert err == "warning about \\x1b]0;pwned\\x07\n"


def test_escaped_json_parses_to_the_same_strings(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    data = {"path": "pkg/\x1b[2J\x9b\u202e\x7fx.go"}
    _common.emit_json(data)
    out = capsys.readouterr().out
    assert not any(c in out for c in "\x1b\x9b\u202e\x7f")
    assert json.loads(out) == data
