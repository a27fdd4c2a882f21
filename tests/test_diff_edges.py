"""`ksp.git.diff` and `ksp.git.hunks` on the rarer shapes git writes (names with spaces, CRLF
patches, renames into folders named like a prefix, format-patch signatures, hunks past the end of
a shorter file) and on hand-written or hostile patches (quotes, tabs, empty names, bytes that are
not ASCII). The cases the mutation pass of issue 15 found untested (docs/mutation.md); pure and
fast, like tests/test_diff_parse.py."""

from __future__ import annotations

import pytest

from ksp.errors import FormatError
from ksp.git.diff import DiffError, FileDiff, parse, unquote, unsafe_path
from ksp.git.hunks import HunkResult, apply_hunks

BASE = b"".join(b"line %d\n" % n for n in range(1, 11))


def one(diff: bytes, *, strict: bool = False) -> FileDiff:
    [found] = parse(diff, strict=strict)
    return found


# Shapes git writes.

def test_a_name_with_a_space_ends_in_a_tab_on_its_name_lines_quoted_or_not() -> None:
    # `git diff` of files named "sp ace" and "é x", byte for byte
    plain = one(b"diff --git a/sp ace b/sp ace\nindex 7898192..422c2b7 100644\n"
                b"--- a/sp ace\t\n+++ b/sp ace\t\n@@ -1 +1,2 @@\n a\n+b\n", strict=True)
    assert (plain.old_path, plain.new_path, plain.names) == ("sp ace", "sp ace", ["sp ace"])
    quoted = one(b'diff --git "a/\\303\\251 x" "b/\\303\\251 x"\nindex 587be6b..975fbec 100644\n'
                 b'--- "a/\\303\\251 x"\t\n+++ "b/\\303\\251 x"\t\n@@ -1 +1 @@\n-x\n+y\n',
                 strict=True)
    assert (quoted.old_path, quoted.new_path, quoted.names) == ("\u00e9 x", "\u00e9 x",
                                                                ["\u00e9 x"])


def test_git_apply_reads_a_name_line_up_to_its_first_tab() -> None:
    f = one(b"diff --git a/x b/x\n--- a/x\t2026-01-01 10:00\tUTC\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n",
            strict=True)
    assert f.names == ["x"]


def test_renames_into_and_out_of_a_folder_named_like_a_prefix() -> None:
    # "sp ace" -> "plan b/x" and "plan b/x" -> "y": the header splits at the first " b/"
    into, out = parse(b"diff --git a/sp ace b/plan b/x\nsimilarity index 100%\n"
                      b"rename from sp ace\nrename to plan b/x\n"
                      b"diff --git a/plan b/x b/y\nsimilarity index 100%\n"
                      b"rename from plan b/x\nrename to y\n")
    assert (into.old_path, into.new_path, into.names) == ("sp ace", "plan b/x",
                                                          ["sp ace", "plan b/x"])
    assert (out.old_path, out.new_path, out.rename) == ("plan b/x", "y", True)


def test_a_rename_without_prefixes_takes_its_names_from_the_rename_lines() -> None:
    f = one(b"diff --git old.go new.go\nsimilarity index 100%\n"  # git diff -M --no-prefix
            b"rename from old.go\nrename to new.go\n")
    assert (f.old_path, f.new_path, f.rename, f.similarity) == ("old.go", "new.go", True, 100)


def test_a_crlf_patch_reads_like_the_same_patch_with_lf() -> None:
    mode, moved = parse(b"diff --git a/plan b/x b/plan b/x\r\nold mode 100644\r\n"
                        b"new mode 100755\r\n"
                        b"diff --git a/a.X b/b.X \r\nsimilarity index 90%\r\n"
                        b"rename from a.X\r\nrename to b.X \r\n")
    assert (mode.old_path, mode.new_path) == ("plan b/x", "plan b/x")
    assert (mode.old_mode, mode.new_mode, mode.mode_change) == ("100644", "100755", True)
    assert (moved.old_path, moved.new_path, moved.similarity) == ("a.X", "b.X ", 90)


def test_a_quoted_new_name_after_a_plain_old_one_is_one_name() -> None:
    f = one(b'diff --git a/x "b/caf\\303\\251"\nsimilarity index 100%\n'
            b'rename from x\nrename to "caf\\303\\251"\n')
    assert f.names == ["x", "caf\u00e9"]


def test_a_format_patch_signature_after_the_last_hunk_is_not_part_of_it() -> None:
    f = one(b"diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1,2 +1 @@\n-a\n b\n-- \n2.43.0\n\n",
            strict=True)
    [hunk] = f.hunks
    assert (hunk.old, hunk.new, f.removed, f.added) == ([b"a\n", b"b\n"], [b"b\n"], 1, 0)


def test_a_hunk_placed_past_the_end_of_a_shorter_file_is_found_back_at_its_lines() -> None:
    # the header says line 25 of a 10-line file (an older branch): `git apply` finds the
    # lines at line 2, "offset -23 lines"
    [f] = parse(b"diff --git a/f b/f\n--- a/f\n+++ b/f\n"
                b"@@ -25,3 +25,3 @@\n line 2\n-line 3\n+three\n line 4\n")
    out, results = apply_hunks(BASE, f.hunks, exact=False)
    assert results == [HunkResult(1, -23)] and out == BASE.replace(b"line 3\n", b"three\n")
    out, results = apply_hunks(BASE, f.hunks)
    assert out is None and results == [HunkResult(1, None)]


def test_a_similarity_that_is_not_a_percentage_is_none() -> None:
    assert one(b"diff --git a/a b/b\nsimilarity index 90X\n").similarity is None
    assert one(b"diff --git a/a b/b\nsimilarity index\n").similarity is None


# Hand-written and hostile patches: the same names as git apply, or a one-line error.

def test_a_name_with_a_quote_only_at_its_end_is_not_quoted() -> None:
    assert unquote(b'x"') == b'x"'
    assert one(b'diff --git a/x" b/x"\n').names == ['x"']  # git quotes only from the start


def test_a_quote_inside_plain_names_is_part_of_them() -> None:
    f = one(b'diff --git a/x "y b/x "y\n--- a/x "y\n+++ b/x "y\n@@ -1 +1 @@\n-a\n+b\n',
            strict=True)
    assert (f.old_path, f.new_path) == ('x "y', 'x "y')


def test_empty_names_are_read_as_empty_and_are_unsafe() -> None:
    assert unquote(b'""') == b""
    f = one(b'diff --git "" ""\n')
    assert (f.old_path, f.new_path) == ("", "")
    renamed = one(b"diff --git a/x b/x\nrename from x\nrename to\n")
    assert (renamed.old_path, renamed.new_path) == ("x", "")
    assert unsafe_path("") == "is not a plain path (empty or '.' part)"


def test_a_quoted_name_line_ends_at_its_closing_quote_or_is_refused_whole() -> None:
    # git escapes a tab inside quotes; a raw one is still part of the name for git apply
    f = one(b'diff --git "a/x\\ty" "b/x\\ty"\n--- "a/x\ty"\n+++ "b/x\\ty"\n@@ -1 +1 @@\n-a\n+b\n',
            strict=True)
    assert f.names == ["x\ty"]
    with pytest.raises(FormatError) as cut:
        parse(b'diff --git a/x b/x\n--- "a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n', strict=True)
    assert cut.value.message == ("'---' names '\"a/x', the 'diff --git' line 'x' "
                                 "(line 2 of the diff)")


def test_escapes_git_never_writes_are_read_without_a_crash() -> None:
    assert unquote(b'"x\\"') == b"x\\"  # a lone backslash before the closing quote
    assert unquote(b'"\\q\\303\\251"') == b"q\xc3\xa9"  # an unknown escape keeps its byte


def test_an_unterminated_quoted_name_is_one_line_with_its_number() -> None:
    with pytest.raises(FormatError) as bad:
        parse(b"diff --git a/x b/x\n@@ -1 +1 @@\n-a\n+b\ndiff --git \"a/x b/x\n")
    assert bad.value.message == "unterminated quoted file name (line 5 of the diff)"


def test_a_tab_between_the_two_same_names_separates_them_as_for_git_apply() -> None:
    f = one(b"diff --git a/x\tb/x\nnew file mode 100755\n")  # git apply creates x, 100755
    assert (f.old_path, f.new_path, f.path, f.mode_change) == (None, "x", "x", True)


def test_every_name_of_the_diff_git_line_is_listed() -> None:
    f = one(b"diff --git a/x b/.git/config\nindex 1111111..2222222 100644\n")
    assert f.names == ["x", ".git/config"]
    assert unsafe_path(f.names[1]) == "is inside .git"


def test_a_name_line_fills_only_a_missing_name_of_a_file_that_is_not_new() -> None:
    lone = one(b"diff --git a/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")
    assert (lone.old_path, lone.new_path, lone.names) == ("x", "x", ["x"])
    nameless = one(b"diff --git /dev/null /dev/null\n--- a/x\n+++ b/y\n")
    assert (nameless.old_path, nameless.new_path) == ("x", "y")
    other = one(b"diff --git a/x b/x\n--- a/y\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")
    assert (other.old_path, other.new_path) == ("x", "x")  # the diff --git line wins
    new = one(b"diff --git a/x b/x\nnew file mode 100644\n--- a/x\n+++ b/x\n")
    assert (new.old_path, new.new_path) == (None, "x")  # still a new file


def test_strict_mode_checks_the_new_name_line_too() -> None:
    with pytest.raises(FormatError) as wrong:
        parse(b"diff --git a/x b/x\n--- a/x\n+++ b/y\n@@ -1 +1 @@\n-a\n+b\n", strict=True)
    assert wrong.value.message == ("'+++' names 'y', the 'diff --git' line 'x' "
                                   "(line 3 of the diff)")


def test_bytes_that_are_not_ascii_in_modes_and_blob_ids_are_kept_as_replacements() -> None:
    modes, index, new = parse(b"diff --git a/x b/x\nold mode 10064\xff\nnew mode 10075\xff\n"
                              b"diff --git a/y b/y\nindex 1\xff..2\xff 10064\xff\n"
                              b"diff --git a/z b/z\nnew file mode 10075\xff\n")
    assert (modes.old_mode, modes.new_mode) == ("10064\ufffd", "10075\ufffd")
    assert (index.old_blob, index.new_blob, index.old_mode) == ("1\ufffd", "2\ufffd",
                                                                "10064\ufffd")
    assert (new.old_path, new.new_mode) == (None, "10075\ufffd")


def test_a_bad_hunk_header_that_is_not_utf8_is_one_line_with_its_reason() -> None:
    with pytest.raises(DiffError) as bad:
        parse(b"diff --git a/a b/a\n@@ -\xff +1 @@\n")
    assert (bad.value.reason, bad.value.line) == ("bad hunk header '@@ -\ufffd +1 @@'", 2)


def test_a_no_newline_mark_right_after_a_hunk_header_is_an_empty_hunk() -> None:
    diff = b"diff --git a/a b/a\n@@ -1 +1 @@\n\\ No newline at end of file\n-a\n+b\n"
    [hunk] = one(diff).hunks
    assert (hunk.old, hunk.new) == ([], [])
    with pytest.raises(FormatError) as short:
        parse(diff, strict=True)
    assert short.value.message.startswith("hunk at line 2 is cut short")


@pytest.mark.parametrize(("hunk", "message"), [
    (b"@@ -1 +1 @@\n-a\n-b\n+c\n", "(@@ -1 +1) (line 5 of the diff)"),  # one old line too many
    (b"@@ -1 +1,2 @@\n-a\n+b\n", "(@@ -1 +2) (line 4 of the diff)"),  # one new line missing
    (b"@@ -1,2 +1 @@\n-a\n+b\n", "(@@ -2 +1) (line 4 of the diff)"),  # one old line missing
    (b"@@ -1,3 +1,3 @@\n-x\n+y\ndiff --git a/b b/b\n", "(@@ -3 +3) (line 5 of the diff)"),
])
def test_strict_mode_refuses_a_hunk_one_line_off_and_names_where_it_stopped(
        hunk: bytes, message: str) -> None:
    with pytest.raises(FormatError) as wrong:
        parse(b"diff --git a/a b/a\n" + hunk, strict=True)
    assert wrong.value.message == ("hunk at line 2 is cut short or its line counts are wrong "
                                   + message)
