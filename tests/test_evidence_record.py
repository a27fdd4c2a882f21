"""The gate's evidence record (repo/evidence_record.py): one writer, one reader, typed on both
sides; a record that is not one this ksp wrote is refused in one line naming the file."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ksp.errors import FormatError
from ksp.model import Minor
from ksp.repo import evidence_record as rec


def _record() -> rec.EvidenceRecord:
    return rec.EvidenceRecord(
        ksp="0.9.0", date=dt.datetime(2026, 12, 2, 3, 4, 5, tzinfo=dt.UTC),
        minor=Minor.parse("1.30"), result="pass",
        upstream=rec.Upstream("https://example.invalid/up", "release-1.30", "a" * 40, "b" * 40),
        patches=(rec.PatchEntry("v1.30/0001_CVE-2099-0001.patch", "c" * 64, "d" * 64, True,
                                "applied", "3-way", "e" * 40,
                                (rec.FailedHunk("pkg/a.go", 2, 17),)),
                 rec.PatchEntry("v1.30/0002_CVE-2099-0002.patch", "f" * 64, "0" * 64, False,
                                "skipped")),
        steps=(rec.StepEntry("build", "pass", "go build ./...", 0, 1.25, "/l/build.log",
                             "go1.22.12"),
               rec.StepEntry("test", "pass", "go test ./pkg", 0, 3.5, "/l/test.log", "go1.22.12",
                             "", (rec.Failure("example.com/x", "TestY", "flaky", "retried"),))),
        go=("go1.22.12",), go_setup="vendored", warnings=("the tree wants go1.22.0",),
        error=None, worktree=None, reuse_key="9" * 64)


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(data))
    return path


def _json() -> dict[str, object]:
    data = json.loads(rec.dumps(_record()))
    assert isinstance(data, dict)
    return data


def test_a_written_record_reads_back_equal(tmp_path: Path) -> None:
    path = tmp_path / "evidence.json"
    path.write_bytes(rec.dumps(_record()))
    assert rec.read(path) == _record()
    assert rec.dumps(rec.read(path)) == path.read_bytes()  # the bytes a Testing: line hashes


def test_the_json_keeps_every_field_of_the_contract() -> None:
    data = _json()
    assert list(data) == ["schema", "ksp", "date", "minor", "result", "upstream", "patches",
                          "steps", "go", "go_setup", "warnings", "error", "worktree", "reuse_key"]
    assert data["schema"] == "ksp-evidence/v1" and data["date"] == "2026-12-02T03:04:05+00:00"
    patch = data["patches"][0]  # type: ignore[index]
    assert list(patch) == ["file", "sha256", "diff_sha256", "new", "result", "detail", "commit",
                           "failed_hunks"]
    assert patch["failed_hunks"] == [{"path": "pkg/a.go", "hunk": 2, "line": 17}]
    step = data["steps"][1]  # type: ignore[index]
    assert list(step) == ["name", "result", "command", "exit_code", "duration", "log",
                          "toolchain", "detail", "failures"]
    assert step["failures"] == [{"package": "example.com/x", "test": "TestY", "kind": "flaky",
                                 "detail": "retried"}]


def test_a_record_of_the_first_v1_shape_still_reads(tmp_path: Path) -> None:
    """Fields added to v1 later (go_setup, warnings, reuse_key, commit, failed_hunks, a failure's
    detail) read as their defaults when an older record lacks them."""
    data = _json()
    for key in ("go_setup", "warnings", "reuse_key"):
        del data[key]
    for patch in data["patches"]:  # type: ignore[attr-defined]
        del patch["commit"], patch["failed_hunks"]
    for step in data["steps"]:  # type: ignore[attr-defined]
        for failure in step["failures"]:
            del failure["detail"]
    record = rec.read(_write(tmp_path, data))
    assert (record.go_setup, record.warnings, record.reuse_key) == ("", (), None)
    assert record.patches[0].commit is None and record.patches[0].failed_hunks == ()
    assert record.steps[1].failures[0].detail == ""


def _set(path: str, value: object) -> Callable[[dict[str, object]], None]:
    """Set (or with value DELETE, remove) the field at a dotted path such as `steps.1.log`."""
    def change(data: dict[str, object]) -> None:
        *parents, last = path.split(".")
        node: object = data
        for key in parents:
            node = node[int(key) if isinstance(node, list) else key]  # type: ignore[index]
        if value is DELETE:
            del node[int(last) if isinstance(node, list) else last]  # type: ignore[attr-defined]
        else:
            node[int(last) if isinstance(node, list) else last] = value  # type: ignore[index]
    return change


DELETE = object()
CORRUPT = {  # what is wrong -> (the change, what the message names)
    "new-not-bool": (_set("patches.0.new", "yes"), "'patches[0].new' must be true or false"),
    "duration-text": (_set("steps.0.duration", "1s"), "'steps[0].duration' must be a number"),
    "exit-code-float": (_set("steps.1.exit_code", 1.5), "'steps[1].exit_code' must be an int"),
    "exit-code-bool": (_set("steps.1.exit_code", True), "'steps[1].exit_code' must be an int"),
    "hunk-line-text": (_set("patches.0.failed_hunks.0.line", "17"),
                       "'patches[0].failed_hunks[0].line' must be an integer"),
    "failure-not-object": (_set("steps.1.failures.0", 3), "'steps[1].failures[0]' must be an"),
    "upstream-list": (_set("upstream", []), "'upstream' must be an object"),
    "base-number": (_set("upstream.base", 7), "'upstream.base' must be a string or null"),
    "go-not-strings": (_set("go", [1]), "'go' must be a list of strings"),
    "warnings-text": (_set("warnings", "none"), "'warnings' must be a list"),
    "bad-minor": (_set("minor", "one-thirty"), "not a minor version: 'one-thirty'"),
    "bad-date": (_set("date", "yesterday"), "Invalid isoformat string"),
    "bad-result": (_set("result", "PASS"), "'result' must be \"pass\" or \"fail\""),
    "no-base-ref": (_set("upstream.base_ref", DELETE), "'upstream.base_ref' is missing"),
    "no-steps": (_set("steps", DELETE), "'steps' is missing"),
    "no-diff-sha": (_set("patches.1.diff_sha256", DELETE), "'patches[1].diff_sha256' is missing"),
    "other-schema": (_set("schema", "ksp-evidence/v2"), "schema 'ksp-evidence/v2'; this ksp "
                     "reads ksp-evidence/v1"),
    "no-schema": (_set("schema", DELETE), "'schema' is missing"),
    "huge-exit-code": (_set("steps.0.exit_code", 10**40), "'steps[0].exit_code' must be an int"),
    "huge-duration": (_set("steps.0.duration", 10.0**300), "'steps[0].duration' must be a num"),
    "negative-duration": (_set("steps.0.duration", -1), "'steps[0].duration' must be a number"),
}


@pytest.mark.parametrize("name", CORRUPT)
def test_a_corrupt_record_is_one_line_naming_the_file_and_the_field(tmp_path: Path,
                                                                    name: str) -> None:
    change, expected = CORRUPT[name]
    data = _json()
    change(data)
    path = _write(tmp_path, data)
    with pytest.raises(FormatError) as caught:
        rec.read(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: not a ksp evidence record: ")
    assert expected in message and "\n" not in message


RAW = {  # bytes that are no record at all -> what the message says
    "not-json": (b"{", "not JSON (Expecting property name"),
    "empty": (b"", "not JSON (Expecting value"),
    "list": (b"[1, 2]", "not a JSON object"),
    "null": (b"null", "not a JSON object"),
    "string": (b'"pass"', "not a JSON object"),
    "digits": (b'{"x": ' + b"9" * 5000 + b"}", "not JSON (Exceeds the limit"),
    "infinity": (rec.dumps(_record()).replace(b'"duration": 1.25', b'"duration": 1e999'),
                 "'steps[0].duration' must be a number"),
    "deep": (b"[" * 100_000 + b"]" * 100_000, "not JSON (maximum recursion depth"),
    "not-utf8": (b'{"schema": "\xff"}', "evidence record is not valid UTF-8"),
}


@pytest.mark.parametrize("name", RAW)
def test_bytes_that_are_no_record_are_one_line(tmp_path: Path, name: str) -> None:
    body, expected = RAW[name]
    path = tmp_path / "evidence.json"
    path.write_bytes(body)
    with pytest.raises(FormatError) as caught:
        rec.read(path)
    assert str(caught.value).startswith(f"{path}") and expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_file_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    from ksp._files import MAX_FILE_BYTES

    path = tmp_path / "evidence.json"
    path.write_bytes(rec.dumps(_record()) + b" " * MAX_FILE_BYTES)  # valid JSON, but huge
    with pytest.raises(FormatError) as caught:
        rec.read(path)
    assert "over the limit" in str(caught.value) and str(path) in str(caught.value)


def test_the_testing_line_names_the_record_and_reads_back() -> None:
    from ksp.repo import testing_line

    digest = hashlib.sha256(rec.dumps(_record())).hexdigest()
    line = testing_line.render("a" * 40, "release-1.30", ["go1.22.12"], dt.date(2026, 11, 22),
                               digest)
    assert line == (f"ksp gate pass on aaaaaaaaaaaa (release-1.30), go1.22.12, 2026-11-22, "
                    f"evidence sha256:{digest}")
    assert testing_line.claim(line) == testing_line.Claim("a" * 12, digest)
    assert testing_line.claims_pass(line)
    assert testing_line.claim("ksp gate pass on aaaaaaaaaaaa (release-1.30)") is None
    assert testing_line.claim("pending: run `ksp gate --record`") is None
    assert not testing_line.claims_pass("pending: run `ksp gate --record`")
