"""`ksp.git.diff` on its own: the paths, modes and hunks it reads from a git diff, and exact or
offset hunk application on bytes (pure functions: the fast runner of the mutation pass)."""

from __future__ import annotations

import pytest

from ksp.errors import FormatError
from ksp.git.diff import FileDiff, parse, unsafe_path
from ksp.git.hunks import HunkResult, apply_hunks, split_lines

BASE = b"".join(b"line %d\n" % n for n in range(1, 11))


def one(diff: bytes) -> FileDiff:
    [found] = parse(diff)
    return found


def test_a_modified_file_has_both_paths_its_mode_blob_and_hunk() -> None:
    f = one(b"diff --git a/pkg/x.go b/pkg/x.go\n"
            b"index 1111111..2222222 100644\n"
            b"--- a/pkg/x.go\n+++ b/pkg/x.go\n"
            b"@@ -2,3 +2,3 @@ func X() {\n line 2\n-line 3\n+LINE 3\n line 4\n")
    assert (f.old_path, f.new_path, f.path) == ("pkg/x.go", "pkg/x.go", "pkg/x.go")
    assert (f.old_mode, f.new_mode, f.old_blob, f.binary) == ("100644", "100644", "1111111", False)
    [hunk] = f.hunks
    assert (hunk.old_start, hunk.old_len, hunk.new_start, hunk.new_len) == (2, 3, 2, 3)
    assert hunk.old == [b"line 2\n", b"line 3\n", b"line 4\n"]
    assert hunk.new == [b"line 2\n", b"LINE 3\n", b"line 4\n"]


def test_new_and_deleted_files_lose_the_other_side() -> None:
    new, gone = parse(b"diff --git a/n.txt b/n.txt\nnew file mode 100755\n"
                      b"index 0000000..3333333\n--- /dev/null\n+++ b/n.txt\n@@ -0,0 +1 @@\n+hi\n"
                      b"diff --git a/d.txt b/d.txt\ndeleted file mode 100644\n"
                      b"index 4444444..0000000\n--- a/d.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n")
    assert (new.old_path, new.new_path, new.new_mode, new.old_mode) == (None, "n.txt", "100755",
                                                                        None)
    assert (new.hunks[0].old_start, new.hunks[0].old_len, new.hunks[0].new_len) == (0, 0, 1)
    assert (gone.old_path, gone.new_path, gone.path) == ("d.txt", None, "d.txt")
    assert (gone.old_mode, gone.new_mode, gone.old_blob) == ("100644", None, "4444444")
    assert gone.hunks[0].old == [b"bye\n"] and gone.hunks[0].new == []


def test_mode_change_rename_and_copy() -> None:
    mode, moved, copied = parse(
        b"diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n"
        b"diff --git a/old/a.go b/new/a.go\nsimilarity index 90%\n"
        b"rename from old/a.go\nrename to new/a.go\n"
        b"diff --git a/x.go b/y.go\ncopy from x.go\ncopy to y.go\n")
    assert (mode.old_mode, mode.new_mode, mode.hunks) == ("100644", "100755", [])
    assert (moved.old_path, moved.new_path) == ("old/a.go", "new/a.go")
    assert (copied.old_path, copied.new_path) == ("x.go", "y.go")


def test_c_quoted_paths_are_unescaped_to_their_bytes() -> None:
    f = one(b'diff --git "a/t\\303\\251st\\tname.go" "b/t\\303\\251st\\tname.go"\n'
            b"index 1111111..2222222 100644\n")
    assert f.old_path == f.new_path == "t\u00e9st\tname.go"
    quote = one(b'diff --git "a/say \\"hi\\"\\\\.txt" "b/say \\"hi\\"\\\\.txt"\n')
    assert quote.new_path == 'say "hi"\\.txt'
    escapes = one(b'diff --git "a/\\a\\b\\f\\n\\r\\v" "b/\\a\\b\\f\\n\\r\\v"\n')
    assert escapes.old_path == "\a\b\f\n\r\v"
    renamed = one(b'diff --git a/x "b/caf\\303\\251"\nrename from x\nrename to "caf\\303\\251"\n')
    assert (renamed.old_path, renamed.new_path) == ("x", "caf\u00e9")


def test_a_path_that_is_not_utf8_keeps_its_bytes() -> None:
    f = one(b'diff --git "a/\\377.bin" "b/\\377.bin"\nBinary files a/x and b/x differ\n')
    assert f.path.encode("utf-8", "surrogateescape") == b"\xff.bin"
    assert f.binary
    assert one(b"diff --git a/l.bin b/l.bin\nGIT binary patch\nliteral 0\n").binary


def test_a_header_path_with_a_tab_suffix_or_cr_is_trimmed() -> None:
    f = one(b"diff --git a/a.txt b/a.txt\n--- a/a.txt\t2026-01-01\n+++ b/a.txt\r\n"
            b"@@ -1 +1 @@\n-a\n+b\n")
    assert (f.old_path, f.new_path) == ("a.txt", "a.txt")


def test_hunk_lengths_default_to_one_and_no_newline_marks_trim_the_last_line() -> None:
    f = one(b"diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -3 +3 @@\n"
            b"-old\n\\ No newline at end of file\n+new\n\\ No newline at end of file\n")
    [hunk] = f.hunks
    assert (hunk.old_start, hunk.old_len, hunk.new_start, hunk.new_len) == (3, 1, 3, 1)
    assert (hunk.old, hunk.new) == ([b"old"], [b"new"])


def test_a_context_line_without_newline_trims_both_sides() -> None:
    f = one(b"diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1,2 +1,2 @@\n-x\n+y\n end\n"
            b"\\ No newline at end of file\n")
    [hunk] = f.hunks
    assert hunk.old == [b"x\n", b"end"] and hunk.new == [b"y\n", b"end"]


def test_an_empty_context_line_is_context_and_a_hunk_stops_at_its_counts() -> None:
    f = one(b"diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1,3 +1,2 @@\n one\n\n-gone\n"
            b"@@ -9 +8 @@\n-p\n+q\n")
    first, second = f.hunks
    assert first.old == [b"one\n", b"\n", b"gone\n"] and first.new == [b"one\n", b"\n"]
    assert (second.old_start, second.new_start, second.old, second.new) == (9, 8, [b"p\n"],
                                                                            [b"q\n"])


def test_a_bad_hunk_header_is_a_format_error_with_the_line() -> None:
    with pytest.raises(FormatError) as bad:
        parse(b"diff --git a/a b/a\n--- a/a\n+++ b/a\n@@@ -1 +1 @@@\n-x\n+y\n")
    assert bad.value.message == "bad hunk header '@@@ -1 +1 @@@' (line 4 of the diff)"


def test_lines_before_the_first_file_are_ignored() -> None:
    assert parse(b"From abc\nSubject: x\n\n@@ -1 +1 @@\n") == []


def test_split_lines_keeps_newlines_and_a_last_partial_line() -> None:
    assert split_lines(b"a\nb\nc") == [b"a\n", b"b\n", b"c"]
    assert split_lines(b"a\n") == [b"a\n"]
    assert split_lines(b"") == []


def hunks(diff: bytes) -> FileDiff:
    return one(b"diff --git a/f b/f\n--- a/f\n+++ b/f\n" + diff)


def test_exact_application_where_the_header_says() -> None:
    f = hunks(b"@@ -3,2 +3,2 @@\n line 3\n-line 4\n+four\n@@ -9 +9,2 @@\n line 9\n+nine\n")
    out, results = apply_hunks(BASE, f.hunks)
    assert results == [HunkResult(1, 0), HunkResult(2, 0)]
    assert out == BASE.replace(b"line 4\n", b"four\n").replace(b"line 9\n", b"line 9\nnine\n")
    back, results = apply_hunks(out or b"", f.hunks, reverse=True)
    assert back == BASE and results == [HunkResult(1, 0), HunkResult(2, 0)]


def test_a_moved_hunk_fails_exactly_and_applies_at_its_offset_otherwise() -> None:
    f = hunks(b"@@ -5,2 +5,2 @@\n line 3\n-line 4\n+four\n")  # the lines are 2 earlier
    out, results = apply_hunks(BASE, f.hunks)
    assert out is None and results == [HunkResult(1, None)]
    out, results = apply_hunks(BASE, f.hunks, exact=False)
    assert results == [HunkResult(1, -2)] and out == BASE.replace(b"line 4\n", b"four\n")
    later = hunks(b"@@ -1,2 +1,2 @@\n line 7\n-line 8\n+eight\n")
    out, results = apply_hunks(BASE, later.hunks, exact=False)
    assert results == [HunkResult(1, 6)] and out == BASE.replace(b"line 8\n", b"eight\n")


def test_a_hunk_whose_lines_are_nowhere_fails_and_the_others_still_report() -> None:
    f = hunks(b"@@ -1 +1 @@\n-absent\n+x\n@@ -10 +10 @@\n-line 10\n+ten\n")
    out, results = apply_hunks(BASE, f.hunks, exact=False)
    assert out is None and results == [HunkResult(1, None), HunkResult(2, 0)]


def test_hunks_apply_in_order_never_before_the_previous_one() -> None:
    twice = b"a\nb\na\nb\n"
    f = hunks(b"@@ -1 +1 @@\n-a\n+A\n@@ -1 +1 @@\n-a\n+A\n")  # both say line 1
    out, results = apply_hunks(twice, f.hunks, exact=False)
    assert out == b"A\nb\nA\nb\n" and results == [HunkResult(1, 0), HunkResult(2, 2)]


def test_a_pure_insertion_goes_after_its_start_line() -> None:
    f = hunks(b"@@ -2,0 +3 @@\n+inserted\n")
    out, _ = apply_hunks(BASE, f.hunks)
    assert out is not None and out.split(b"\n")[:4] == [b"line 1", b"line 2", b"inserted",
                                                        b"line 3"]


# Shapes the mutation pass showed untested (docs/mutation.md).

def test_renames_and_copies_between_names_of_different_lengths_with_spaces() -> None:
    moved, copied = parse(
        b"diff --git a/old dir/a b.go b/new/a b c.go\nsimilarity index 90%\n"
        b"rename from old dir/a b.go\nrename to new/a b c.go\n"
        b"diff --git a/x.go b/vendor/y.go\ncopy from  lead.go\ncopy to  vendor/y z.go\n")
    assert (moved.old_path, moved.new_path) == ("old dir/a b.go", "new/a b c.go")
    assert (copied.old_path, copied.new_path) == (" lead.go", " vendor/y z.go")


def test_header_paths_keep_trailing_spaces_and_letters() -> None:
    assert one(b"diff --git a/x  b/x \n").new_path == "x "
    assert one(b"diff --git a/LICENSE.X b/LICENSE.X\n").old_path == "LICENSE.X"


def test_a_header_without_prefixes_keeps_the_whole_name() -> None:
    f = one(b"diff --git go.mod go.mod\n--- go.mod\n+++ go.mod\n@@ -1 +1 @@\n-a\n+b\n")
    assert (f.old_path, f.new_path) == ("go.mod", "go.mod")


def test_a_quoted_name_ending_in_a_quote() -> None:
    f = one(b'diff --git "a/q\\"" "b/q\\""\n')
    assert (f.old_path, f.new_path) == ('q"', 'q"')


def test_deleting_and_adding_several_lines() -> None:
    f = one(b"diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1,2 +0,0 @@\n-a\n-b\n"
            b"@@ -5,0 +4,2 @@\n+c\n+d\n")
    gone, added = f.hunks
    assert (gone.old, gone.new, added.old, added.new) == ([b"a\n", b"b\n"], [], [],
                                                          [b"c\n", b"d\n"])


def test_a_short_hunk_ends_where_the_next_file_starts_or_the_input_ends() -> None:
    first, second = parse(b"diff --git a/a b/a\n@@ -1,3 +1,3 @@\n-x\n+y\n"
                          b"diff --git a/b b/b\n@@ -1 +1 @@\n-p\n+q")  # no final newline
    assert (first.hunks[0].old, first.hunks[0].new) == ([b"x\n"], [b"y\n"])
    assert (second.hunks[0].old, second.hunks[0].new) == ([b"p\n"], [b"q\n"])
    cut = b"diff --git a/a b/a\n@@ -1,5 +1,5 @@\n x\n"
    [truncated] = parse(cut)
    assert truncated.hunks[0].old == [b"x\n"]
    with pytest.raises(FormatError) as short:
        parse(cut, strict=True)
    assert "hunk at line 2 is cut short or its line counts are wrong" in short.value.message


def test_a_bad_hunk_header_names_60_bytes_of_it_and_the_expected_form() -> None:
    header = b"@@ -1 +1 " + b"x" * 80
    with pytest.raises(FormatError) as bad:
        parse(b"diff --git a/a b/a\n" + header + b"\n")
    assert bad.value.message == f"bad hunk header {header[:60].decode()!r} (line 2 of the diff)"
    assert bad.value.hint == ("a hunk header reads @@ -START,COUNT +START,COUNT @@; the patch may "
                              "be cut short: regenerate it with git diff")


def test_a_hunk_one_line_away_is_found_in_both_directions() -> None:
    for header, offset in ((b"@@ -4,2 +4,2 @@", -1), (b"@@ -2,2 +2,2 @@", 1)):
        f = hunks(header + b"\n line 3\n-line 4\n+four\n")
        out, results = apply_hunks(BASE, f.hunks, exact=False)
        assert results == [HunkResult(1, offset)] and out == BASE.replace(b"line 4\n", b"four\n")


def test_the_search_reaches_the_first_and_the_last_lines() -> None:
    first = hunks(b"@@ -10 +10 @@\n-line 1\n+one\n")  # says line 10, is line 1
    out, results = apply_hunks(BASE, first.hunks, exact=False)
    assert results == [HunkResult(1, -9)] and out == BASE.replace(b"line 1\n", b"one\n", 1)
    last = hunks(b"@@ -1,2 +1,2 @@\n line 9\n-line 10\n+ten\n")  # says line 1, is line 9
    out, results = apply_hunks(BASE, last.hunks, exact=False)
    assert results == [HunkResult(1, 8)] and out == BASE.replace(b"line 10\n", b"ten\n")


def test_reverse_application_starts_where_the_new_side_says() -> None:
    f = hunks(b"@@ -2,0 +3,2 @@\n+x\n+y\n")  # two lines inserted after line 2
    out, _ = apply_hunks(BASE, f.hunks)
    assert out is not None
    back, results = apply_hunks(out, f.hunks, reverse=True)
    assert back == BASE and results == [HunkResult(1, 0)]


# The one diff model's fields (issue 12 B), for the mutation pass after it landed.

def test_renames_and_copies_say_which_with_their_similarity_and_both_blobs() -> None:
    moved, copied, edited = parse(
        b"diff --git a/a.go b/b.go\nsimilarity index 97%\nrename from a.go\nrename to b.go\n"
        b"index 1111111..2222222 100644\n"
        b"diff --git a/c.go b/d.go\nsimilarity index 100%\ncopy from c.go\ncopy to d.go\n"
        b"diff --git a/e.go b/e.go\ndissimilarity index 1234%\nindex 3333333..4444444\n")
    assert (moved.rename, moved.copy, moved.similarity) == (True, False, 97)
    assert (moved.old_blob, moved.new_blob, moved.old_mode, moved.new_mode) == (
        "1111111", "2222222", "100644", "100644")
    assert (copied.rename, copied.copy, copied.similarity) == (False, True, 100)
    assert edited.similarity is None  # more than three digits is not a percentage
    assert (edited.old_blob, edited.new_blob, edited.old_mode) == ("3333333", "4444444", None)
    assert moved.paths == ["a.go", "b.go"] and edited.paths == ["e.go"]
    assert moved.names == ["a.go", "b.go"]


def test_names_lines_fill_a_missing_side_and_strict_mode_checks_them() -> None:
    [f] = parse(b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")
    assert (f.added, f.removed, f.line) == (1, 1, 1)
    bad = b"diff --git a/x b/x\n--- a/y\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
    assert parse(bad)[0].names == ["x", "y"]
    with pytest.raises(FormatError) as wrong:
        parse(bad, strict=True)
    assert wrong.value.message == ("'---' names 'y', the 'diff --git' line 'x' "
                                   "(line 2 of the diff)")
    with pytest.raises(FormatError) as first:
        parse(b"--- a/x\n+++ b/x\n", strict=True)
    assert first.value.message == "expected a 'diff --git' line (line 1 of the diff)"


def test_modes_say_links_and_changes() -> None:
    link, sub, exe, plain = parse(
        b"diff --git a/l b/l\nnew file mode 120000\n"
        b"diff --git a/m b/m\nindex 1..2 160000\n"
        b"diff --git a/run b/run\nold mode 100644\nnew mode 100755\n"
        b"diff --git a/n b/n\nnew file mode 100644\n")
    assert (link.symlink, link.gitlink, link.mode_change) == (True, False, False)
    assert (sub.gitlink, sub.symlink, sub.mode_change) == (True, False, False)
    assert (exe.mode_change, plain.mode_change) == (True, False)


@pytest.mark.parametrize(("path", "why"), [
    ("pkg/x.go", None), ("a/.gitignore", None), ("x.git/y", None), (".github/ci.yml", None),
    ("/etc/passwd", "is absolute"),
    ("pkg/../../x", "leaves the tree ('..')"), ("..\\x", "leaves the tree ('..')"),
    (".git/config", "is inside .git"), ("a/.GIT/hooks", "is inside .git"),
    ("a/.git. /x", "is inside .git"), ("sub/.git", "is inside .git"),
    ("a//b", "is not a plain path (empty or '.' part)"),
    ("./a", "is not a plain path (empty or '.' part)"),
])
def test_unsafe_paths_say_why(path: str, why: str | None) -> None:
    assert unsafe_path(path) == why


def test_a_crlf_header_line_gives_both_names() -> None:
    f = one(b"diff --git a/LICENSE.X b/LICENSE.X\r\n")
    assert (f.old_path, f.new_path) == ("LICENSE.X", "LICENSE.X")
