"""The parse cache: same data on a hit and a miss, keyed by content, never a stale answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from ksp._yaml import load_yaml
from ksp.errors import FormatError


def cached_files(home: Path) -> list[Path]:
    return sorted((home / ".cache" / "ksp" / "parsed").glob("*.json"))


def test_hit_and_miss_give_the_same_json_types(tmp_path: Path, isolated_env: Path) -> None:
    path = tmp_path / "ksp.yaml"
    path.write_text("when: 2026-11-22\nlist: [a, 1]\n")
    first = load_yaml(path, cache=True)
    assert len(cached_files(isolated_env)) == 1
    second = load_yaml(path, cache=True)
    assert first == second == {"when": "2026-11-22", "list": ["a", 1]}


def test_changed_content_is_parsed_again(tmp_path: Path, isolated_env: Path) -> None:
    path = tmp_path / "ksp.yaml"
    path.write_text("value: 1\n")
    assert load_yaml(path, cache=True) == {"value": 1}
    path.write_text("value: 2\n")
    assert load_yaml(path, cache=True) == {"value": 2}
    assert len(cached_files(isolated_env)) == 2


def test_bad_yaml_is_not_cached_and_still_fails(tmp_path: Path, isolated_env: Path) -> None:
    path = tmp_path / "ksp.yaml"
    path.write_text("a: 1\na: 2\n")
    for _ in range(2):
        with pytest.raises(FormatError) as info:
            load_yaml(path, cache=True)
        assert "duplicate key" in info.value.message
    assert cached_files(isolated_env) == []


def test_line_index_reads_what_only_yaml_1_2_accepts() -> None:
    """libyaml (YAML 1.1) refuses `[https://…]` in a flow sequence; the pure composer takes it,
    so a finding on such an index still names its line."""
    from ksp._yaml import line_index, node_line

    text = "advisories:\n  CVE-1:\n    fixes: [https://example.com/pull/2]\n    minors:\n" \
           "      '1.32': {status: needed}\n"
    assert node_line(line_index(text), ["advisories", "CVE-1", "minors", "1.32"]) == 5


def test_block_line_agrees_with_the_composer_on_block_style_yaml() -> None:
    """The fast indentation scan names the same lines as composing the document, for keys in
    block mappings (quoted or not, after comments), and the parent's line inside a flow map."""
    from ksp._yaml import block_line, line_index, node_line

    text = ("# index\nschema: ksp/v1\nadvisories:\n  CVE-1:\n    title: 'a: b'\n    minors:\n"
            "      # a comment\n      '1.32': {status: needed}\n      \"1.33\": {status: patched}\n"
            "  CVE-2:\n    minors:\n      '1.32': {status: needed}\n")
    for path in (["schema"], ["advisories", "CVE-1", "minors", "1.32"],
                 ["advisories", "CVE-1", "minors", "1.33"],
                 ["advisories", "CVE-2", "minors", "1.32"],
                 ["advisories", "CVE-2", "minors", "1.32", "status"], ["advisories", "CVE-3"]):
        assert block_line(text, path) == node_line(line_index(text), path), path
    assert block_line(text, ["advisories", "CVE-2", "minors", "1.32"]) == 12
