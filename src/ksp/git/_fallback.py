"""What the in-process hunk matcher leaves to git, run in the shadow only.

A text hunk that matches nowhere may still merge: `git merge-file` on the patch's pre-image blob,
the current content and the patch applied to its pre-image (what `git apply --3way` does, without
an index). A binary patch cannot be matched line by line: the real `git apply --cached` applies
it to a temporary index that holds only the touched paths, so that no full index is ever written.
"""

from __future__ import annotations

from pathlib import Path

from ksp.git._run import git, split_z
from ksp.git.shadow import ObjectReader, Shadow

Entry = tuple[str, bytes] | None  # (mode, content) or None: absent


def merge_file(ours: bytes, base: bytes, theirs: bytes) -> bytes | None:
    """The 3-way merge of one file's contents; None when the merge conflicts."""
    import tempfile  # lazy: 3.0 ms of start-up (the fallback path only)

    with tempfile.TemporaryDirectory(prefix="ksp-merge-") as tmp:
        names = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(tmp) / name
            path.write_bytes(data)
            names.append(str(path))
        proc = git(tmp, "merge-file", "--quiet", *names, check=False)
        if proc.returncode != 0:
            return None
        return Path(names[0]).read_bytes()


def apply_with_git(shadow: Shadow, reader: ObjectReader, current: dict[str, Entry],
                   diff: bytes, *, reverse: bool = False) -> tuple[dict[str, Entry], bool] | None:
    """`git apply --cached` of `diff` on the touched paths; (changes, used offsets) or None."""
    import tempfile  # lazy: 2.8 ms of start-up

    with tempfile.TemporaryDirectory(prefix="ksp-apply-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        _fill_index(shadow, Path(tmp), current, env)
        args = ["apply", "--cached", "--binary", "--verbose", *(["-R"] if reverse else []), "-"]
        proc = shadow.git(*args, input=diff, env=env, check=False)
        if proc.returncode != 0:
            return None
        listing = shadow.git("ls-files", "-s", "-z", env=env).stdout
    entries = {}
    for item in split_z(listing):
        meta, path = item.split("\t", 1)
        mode, sha, _stage = meta.split()
        entries[path] = (mode, sha)
    changes: dict[str, Entry] = {}
    for path in current:
        if path not in entries:
            changes[path] = None
            continue
        mode, sha = entries[path]
        got = reader.read(sha)
        changes[path] = (mode, got[1] if got else b"")
    return changes, "offset" in proc.stderr


def _fill_index(shadow: Shadow, tmp: Path, current: dict[str, Entry],
                env: dict[str, str]) -> None:
    present = [(path, entry) for path, entry in current.items() if entry is not None]
    if not present:
        return
    files = []
    for number, (_path, (_mode, data)) in enumerate(present):
        blob = tmp / f"blob{number}"
        blob.write_bytes(data)
        files.append(str(blob))
    shas = shadow.git("hash-object", "-w", "--no-filters", "--stdin-paths",
                      input="\n".join(files) + "\n").stdout.split()
    info = "".join(f"{mode} {sha}\t{path}\0"
                   for (path, (mode, _data)), sha in zip(present, shas, strict=True))
    shadow.git("update-index", "-z", "--add", "--index-info", input=info, env=env)
