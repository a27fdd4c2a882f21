"""`ksp.advisories.records` on its own: version parsing and order, OSV range evaluation, the
timestamps of feeds (pure functions: the fast runner of the mutation pass)."""

from __future__ import annotations

import datetime as dt
import operator

import pytest

from ksp import versions
from ksp.advisories.records import Event, Range, parse_timestamp
from ksp.model import Minor
from ksp.versions import ANY, ZERO, Version


def v(text: str) -> Version:
    version = Version.parse(text)
    assert version is not None, text
    return version


@pytest.mark.parametrize(("text", "parsed"), [
    ("1.30.2", Version(1, 30, 2)),
    ("v1.30.2", Version(1, 30, 2)),
    ("V0.30.2", Version(0, 30, 2)),
    (" 1.30.2\n", Version(1, 30, 2)),
    ("1.30", Version(1, 30, 0)),
    ("2", Version(2, 0, 0)),
    ("1.6.x", Version(1, 6, ANY)),
    ("1.x", Version(1, ANY, 0)),
    ("1.30.0-rc.1", Version(1, 30, 0, "rc.1")),
    ("1.30.0-alpha.0+build.7", Version(1, 30, 0, "alpha.0")),
    ("123456.1.1", Version(123456, 1, 1)),
])
def test_versions_parse(text: str, parsed: Version) -> None:
    assert Version.parse(text) == parsed


@pytest.mark.parametrize("text", [
    "", "v", "1.30.2.1", "one", "1.30.2-", "1.30.2+", "1234567.0.0", "1.30.y", "x.1.1",
    "1.30.0-" + "a" * 65, "1.30.2 extra",
])
def test_what_is_not_a_version(text: str) -> None:
    assert Version.parse(text) is None


def test_versions_order_by_numbers_and_a_prerelease_comes_first() -> None:
    ordered = ["0.9.9", "1.29.15", "1.30.0-alpha.1", "1.30.0-rc.1", "1.30.0", "1.30.1",
               "1.30.x", "1.31.0"]
    versions = [v(text) for text in ordered]
    assert sorted(versions, key=str) != versions  # the order is not the text's
    assert sorted(reversed(versions)) == versions
    a, b = Version(1, 30, 1), Version(1, 30, 2)
    assert a < b and a <= b and b > a and b >= a and not b < a and a <= a and not a < a
    assert Version(1, 30, 0, "rc.1") < Version(1, 30, 0) and not Version(1, 30, 0) < Version(
        1, 30, 0, "rc.1")
    assert Version(2, 0, 0) > Version(1, 99, 99) and Version(1, 31, 0) > Version(1, 30, 99)


def test_a_version_is_not_ordered_against_other_things() -> None:
    with pytest.raises(TypeError):
        operator.lt(Version(1, 30, 0), "1.31.0")


def test_the_last_of_a_minor_is_above_its_every_patch_and_below_the_next() -> None:
    last = Version.last_of(Minor(1, 30))
    assert last == Version(1, 30, ANY) and str(last) == "1.30.x"
    assert Version(1, 30, 999999) < last < Version(1, 31, 0)
    assert last.minor_line == Minor(1, 30) and Version(0, 30, 2).minor_line == Minor(0, 30)


def test_versions_print_as_semver() -> None:
    assert str(Version(1, 30, 2)) == "1.30.2"
    assert str(Version(1, 30, 0, "rc.1")) == "1.30.0-rc.1"
    assert str(ZERO) == "0.0.0"


def semver(*events: tuple[str, str]) -> Range:
    return Range("SEMVER", tuple(Event(kind, v(text)) for kind, text in events))


def affected(r: Range, text: str) -> bool:
    return r.affects(v(text))


def test_a_fixed_range_affects_from_introduced_up_to_the_fix() -> None:
    r = semver(("introduced", "1.29.0"), ("fixed", "1.29.7"))
    assert [affected(r, v) for v in ("1.28.9", "1.29.0", "1.29.6", "1.29.7", "1.30.0")] == [
        False, True, True, False, False]
    assert r.describe() == "introduced 1.29.0, fixed 1.29.7"


def test_last_affected_includes_that_version() -> None:
    r = semver(("introduced", "0"), ("last_affected", "1.29.7"))
    assert [affected(r, v) for v in ("0.0.1", "1.29.7", "1.29.8")] == [True, True, False]


def test_events_out_of_order_are_sorted_and_ranges_reopen() -> None:
    r = semver(("fixed", "1.30.3"), ("introduced", "1.30.0"), ("fixed", "1.29.9"),
               ("introduced", "1.29.0"))
    assert [affected(r, v) for v in ("1.28.0", "1.29.1", "1.29.9", "1.30.0", "1.30.2",
                                     "1.30.3")] == [False, True, False, True, True, False]


def test_a_limit_or_no_introduced_event_affects_nothing() -> None:
    assert not affected(semver(("fixed", "1.30.3")), "1.30.1")
    assert not affected(semver(("limit", "1.30.3")), "1.30.1")
    assert not affected(Range("SEMVER", ()), "1.30.1")


@pytest.mark.parametrize(("value", "day"), [
    ("2024-04-16T19:55:00Z", dt.date(2024, 4, 16)),
    ("2024-04-16T23:55:00-05:00", dt.date(2024, 4, 16)),  # the day as the source wrote it
    ("2024-04-16", dt.date(2024, 4, 16)),
    ("yesterday", None),
    ("2024-13-01T00:00:00Z", None),
    (1713297300, None),
    (None, None),
])
def test_timestamps_give_their_day(value: object, day: dt.date | None) -> None:
    assert parse_timestamp(value) == day


def test_pre_releases_order_by_the_semver_spec() -> None:
    """rc.10 comes after rc.9 (numeric identifiers compare as numbers), and every pre-release
    of a version comes before the version itself."""
    v = Version.parse
    assert v("1.30.0-rc.9") < v("1.30.0-rc.10") < v("1.30.0")  # type: ignore[operator]
    assert v("1.30.0-alpha.1") < v("1.30.0-alpha.beta") < v("1.30.0-beta")  # type: ignore[operator]


@pytest.mark.parametrize(("text", "want"), [
    ("go1.22.12", (1, 22, 12)), ("1.22", (1, 22, None)), ("go1.23rc1", (1, 23, None)),
    ("go", None), ("1", None)])
def test_go_release_names_as_numbers(text: str, want: tuple[int, int, int | None] | None) -> None:
    assert versions.go_release_parts(text) == want


@pytest.mark.parametrize(("text", "want"), [
    ("git version 2.39.5", (2, 39, 5)), ("git version 2.45.1.windows.1", (2, 45, 1)),
    ("git version 2.40.0-rc1", (2, 40, 0)), ("", (0,))])
def test_gits_version_line_as_numbers(text: str, want: tuple[int, ...]) -> None:
    assert versions.git_version_of(text) == want


def test_module_versions_order_by_semver_pseudo_versions_first() -> None:
    order = ["v0.0.0-20240101000000-abcdef123456", "v0.1.0-rc.9", "v0.1.0-rc.10", "v0.1.0",
             "go1.22.10"]
    parsed = [versions.semver_of(v) for v in order]
    assert all(p is not None for p in parsed)
    assert parsed == sorted(parsed)  # type: ignore[type-var]
    assert versions.semver_of("banana") is None
