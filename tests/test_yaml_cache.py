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
