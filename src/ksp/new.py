"""`ksp new`: add a patch for an advisory and minor, from a plain diff, a `git format-patch` mail
or upstream commits, with a full header and its index entry.

Everything is read and validated before anything is written; the patch number is chosen, the
policy checked, and the patch and index.yaml written as one operation under the repo lock
(repo/journal.py), so parallel runs get distinct numbers and a crash leaves both or neither.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import itertools
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ksp import headerfields
from ksp._files import read_text
from ksp.errors import FormatError, KspError, UsageError
from ksp.git._run import git, is_repo
from ksp.git.diff import unsafe_path
from ksp.headerfields import HeaderValues, Origin
from ksp.model import ADVISORY_ID_RE, Advisory, AdvisoryId, Minor, MinorState, Status, Window
from ksp.repo import PatchesRepo, index_edit, patchfile, policy
from ksp.repo.patchfile import parse_diff

__all__ = ["NewRequest", "NewResult", "Source", "create", "from_diff", "from_mail",
           "from_upstream", "on_minor"]


@dataclass(frozen=True)
class Source:
    """A validated diff and what is known of where it came from."""

    path: Path  # the file or clone it was read from (named in errors)
    diff: str
    subject: str | None = None
    commits: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class NewRequest:
    advisory: str
    minor: Minor
    header: HeaderValues = field(default_factory=HeaderValues)


@dataclass(frozen=True)
class NewResult:
    path: str  # relative to the repo root
    advisory: str
    minor: str
    number: int
    sha256: str
    created_advisory: bool
    window: Window
    warnings: tuple[str, ...] = ()


def create(repo: PatchesRepo, request: NewRequest, source: Source, today: dt.date) -> NewResult:
    """Write `v<minor>/NNNN_<ID>.patch` and set the minor's state to in-progress."""
    if not ADVISORY_ID_RE.fullmatch(request.advisory):
        raise UsageError(f"{request.advisory!r} is not an advisory id",
                         hint="use a CVE id, a GHSA id or INFRA-<slug>")
    existing = repo.index().advisories().get(AdvisoryId(request.advisory))
    paths = tuple(p for f in parse_diff(source.diff, source.path) for p in f.paths)
    origin = Origin(source.commits, paths, source.subject, source.note)
    header, advisory = headerfields.build(request.advisory, request.header, origin, existing,
                                          repo.config)
    text = header + source.diff
    window = repo.lifecycle().window(request.minor, today)
    result = _write(repo, request, text, advisory)
    return replace(result, created_advisory=existing is None, window=window,
                   warnings=_window_warnings(request.minor, window))


def _write(repo: PatchesRepo, request: NewRequest, text: str, advisory: Advisory) -> NewResult:
    """The number is chosen, and the policy checked against the final name, under the lock."""
    with index_edit.edit(repo.index_path) as doc:
        _check_free(repo, doc, advisory.id, request.minor)
        raw = text.encode("utf-8", "surrogateescape")  # undecodable upstream bytes kept
        number = repo.next_number(request.minor)
        rel = f"{request.minor.folder}/{number:04d}_{request.advisory}.patch"
        files = parse_diff(patchfile.split(raw)[1], rel)
        policy.enforce(files, repo.config.policy, name=rel, size=len(raw))
        doc.stage(repo.root / rel, raw)
        digest = hashlib.sha256(raw).hexdigest()
        doc.upsert(advisory)
        doc.set_state(advisory.id, request.minor,
                      MinorState(Status.IN_PROGRESS, patch=rel, sha256=digest))
    return NewResult(rel, request.advisory, str(request.minor), number, digest, False,
                     Window.UNKNOWN)


def _check_free(repo: PatchesRepo, doc: index_edit.IndexEdit, advisory: str,
                minor: Minor) -> None:
    """Never two patches for one advisory on a minor: neither in the index nor in the folder."""
    state = doc.advisories().get(AdvisoryId(advisory))
    patch = state.minors.get(minor) if state else None
    if patch and patch.patch and (repo.root / patch.patch).exists():
        raise UsageError(f"{advisory} already has a patch for {minor}: {patch.patch}",
                         hint="edit that file instead")
    found = [r.path for r in repo.series(minor) if r.advisory == advisory]
    if found:
        raise UsageError(f"{advisory} already has a patch for {minor}: {found[0]}",
                         hint="edit that file instead")


def _window_warnings(minor: Minor, window: Window) -> tuple[str, ...]:
    if window is Window.EXPIRED:
        return (f"minor {minor} is expired: lint will reject patches for it",)
    if window is Window.UNKNOWN:
        return (f"lifecycle data does not know minor {minor}",)
    return ()


# Sources: each returns a Source whose diff parse_diff accepts, or raises naming the input.

def from_diff(path: Path, limit: int) -> Source:
    return Source(path, _checked(read_text(path, limit=limit, what="diff"), path))


_MAIL_FROM = re.compile(r"^From (?P<sha>[0-9a-f]{40}) ", re.MULTILINE)
_SUBJECT_TAG = re.compile(r"^(\[[^]]*\]\s*)+")


def from_mail(path: Path, limit: int) -> Source:
    """A `git format-patch` mail: the diff after the `---` stat block, up to the `-- ` line."""
    text = read_text(path, limit=limit, what="mail")
    shas = _MAIL_FROM.findall(text)
    if len(shas) > 1:
        raise FormatError(f"mail file holds {len(shas)} patches; ksp new takes one", path=path,
                          hint="squash them, or use --upstream DIR --commit A..B")
    message = email.message_from_string(text, policy=email.policy.default)
    if message.is_multipart():
        raise FormatError("mail is multipart; expected a plain git format-patch mail", path=path)
    body = str(message.get_content()) if message.get_payload() else ""
    lines = body.split("\n")
    start = next((i for i, ln in enumerate(lines) if ln == "---"), 0)
    first = next((i for i in range(start, len(lines)) if lines[i].startswith("diff --git ")), None)
    if first is None:
        raise FormatError("mail has no diff (no 'diff --git' line after '---')", path=path)
    end = len(lines)
    signature = [i for i in range(first, len(lines)) if lines[i] == "-- "]
    if signature and not any(ln.startswith(("diff --git ", "@@ ")) for ln in
                             lines[signature[-1]:]):
        end = signature[-1]
    diff = "\n".join(lines[first:end]).rstrip("\n") + "\n"
    subject = _SUBJECT_TAG.sub("", " ".join(str(message.get("Subject", "")).split())) or None
    author = str(message.get("From", "")).strip()
    note = f"from a format-patch mail by {author}" if author else None
    return Source(path, _checked(diff, path), subject, tuple(shas), note)


_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def from_upstream(clone: Path, specs: list[str]) -> Source:
    """The combined diff of upstream commits (oldest first, one line of history), read-only."""
    if not clone.is_dir() or not is_repo(clone):
        raise UsageError(f"--upstream {clone}: not a git repository")
    commits: list[str] = []
    for spec in specs:
        if ".." in spec:
            out = git(clone, "rev-list", "--reverse", spec, what=f"--commit {spec}").stdout
            commits += out.split()
        else:
            commits.append(git(clone, "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}",
                               what=f"--commit {spec}: not a commit in {clone}").stdout.strip())
    if not commits:
        raise UsageError(f"--commit {' '.join(specs)}: no commits in {clone}")
    for older, newer in itertools.pairwise(commits):
        if git(clone, "merge-base", "--is-ancestor", older, newer, check=False).returncode:
            raise UsageError(f"--commit: {older[:12]} is not an ancestor of {newer[:12]}",
                             hint="give the commits oldest first, on one line of history")
    parent = git(clone, "rev-parse", "--verify", "--quiet", f"{commits[0]}^", check=False)
    base = parent.stdout.strip() if parent.returncode == 0 else _EMPTY_TREE
    # bytes that are not UTF-8 (vendored files, test data) are kept: surrogateescape
    diff = git(clone, "diff", "--full-index", "--binary", "--no-color", "--no-ext-diff",
               "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/", base, commits[-1]).stdout
    subject = git(clone, "log", "-1", "--format=%s", commits[0]).stdout.strip() or None
    return Source(clone, _checked(diff, clone), subject, tuple(commits))


def on_minor(repo: PatchesRepo, source: Source, advisory: str, minor: Minor,
             today: dt.date) -> tuple[Source, str | None, str | None]:
    """The upstream commits rebased onto the minor's base + series, as `backport --write` does:
    (the source with that diff, its Backport class, a warning), or refuse naming
    `ksp backport … --write`.

    When the clone has no base for the minor (no release branch or tag), the upstream diff is
    kept as it is, with a warning: there is nothing to rebase onto (the gate checks it later)."""
    from ksp.backport import run as triage  # lazy: 16.7 ms of start-up
    from ksp.backport.model import Result  # lazy: 2.3 ms of start-up
    from ksp.git import merge  # lazy: 6.9 ms of start-up
    from ksp.git.shadow import Shadow  # lazy: 1.9 ms of start-up

    shadow = Shadow.open(source.path)
    request = triage.Request(advisory, source.commits, to=(minor,), today=today,
                             prerequisites=False)
    (target,) = triage.triage(shadow, repo, repo.config, repo.lifecycle(), req=request,
                              warn=lambda _: None).targets
    command = (f"ksp backport {advisory} --upstream {source.path} "
               + " ".join(f"--commit {c[:12]}" for c in source.commits) + f" --to {minor} --write")
    if target.result is Result.ERROR and target.base is None:
        return source, None, f"{target.error}: the upstream diff is kept as it is, not rebased"
    if target.result is Result.ERROR:
        raise UsageError(f"{minor}: {target.error}", hint="fix the series first")
    if target.result is Result.ALREADY_APPLIED:
        evidence = target.already_applied
        how = f" ({evidence.by}: {evidence.commit or evidence.patch or ''})" if evidence else ""
        raise KspError(f"{advisory}: the fix is already on {minor}{how}: nothing to add",
                         hint=f"see `{command.removesuffix(' --write')}`")
    attempt = target.attempt
    if target.result is Result.CONFLICT or attempt is None or attempt.head is None \
            or target.head is None:
        files = sorted({x.path for c in target.commits for x in c.conflicts})
        raise KspError(f"{advisory}: the upstream commits conflict on {minor}'s base + series"
                         + (f" ({', '.join(files[:4])})" if files else ""),
                         hint=f"`{command}` leaves a worktree with the conflict markers to "
                         "resolve, then `ksp backport --continue`")
    diff = merge.tree_diff(shadow, target.head, attempt.head).decode("utf-8", "surrogateescape")
    cls = "clean" if target.result is Result.CLEAN else "adjusted"
    return replace(source, diff=_checked(diff, source.path)), cls, None


def _checked(diff: str, path: Path) -> str:
    if not diff.strip():
        raise FormatError("the diff is empty", path=path)
    for diff_file in parse_diff(diff, path):
        for name in diff_file.names:
            why = unsafe_path(name)
            if why:
                raise FormatError(f"the diff touches {name}, which {why}", path=path,
                                  line=diff_file.line,
                                  hint="a patch changes files inside the source tree only")
    return diff if diff.endswith("\n") else diff + "\n"
