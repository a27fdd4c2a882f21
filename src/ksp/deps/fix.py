"""The fix for a `needed` dependency or toolchain advisory on one minor.

A module: the smallest fixed version above the one in use (from the record), and the upstream
commit on a newer release branch that first moved the module to it or past it, found in the
history of go.mod and vendor/modules.txt (`git log -G`, commits not in the minor's base), to be
backported with `ksp backport --commit`. The Go standard library or command: the Go patch release
that fixes it, proposed as an `INFRA-go-<version>` toolchain bump that the gate checks with
`ksp gate --go <version>`, with the Go release policy for the minor's Go and the new one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import semver

from ksp import gomod
from ksp.deps import gopolicy
from ksp.deps.match import vulnerable
from ksp.deps.vulndb import GoRecord
from ksp.errors import KspError
from ksp.git._run import git
from ksp.git.shadow import Shadow
from ksp.model import Advisory, Minor, MinorState
from ksp.repo.config import Config
from ksp.versions import semver_of


@dataclass(frozen=True)
class Fix:
    advisory: str
    minor: str
    module: str
    version: str | None  # in use
    fixed: str | None  # smallest fixed version above it
    branch: str | None = None  # the newer release branch where the bump was found
    commit: str | None = None
    subject: str | None = None
    bumped_to: str | None = None
    command: str | None = None  # what to run next
    infra: str | None = None  # INFRA-go-<version> for a toolchain bump
    policy: str | None = None  # the Go release policy for the Go in use (and the fixed one)
    note: str | None = None


def toolchain_fix(adv: Advisory, minor: Minor, state: MinorState, today: dt.date) -> Fix:
    fixed = state.fixed_version
    now = gopolicy.support(state.version or "", today)
    policy = now.describe() if now else None
    if not fixed:
        return Fix(adv.id, str(minor), state.module or "stdlib", state.version, None,
                   policy=policy, note="no Go release fixes it yet")
    new = gopolicy.support(fixed, today)
    if new and now and new.line != now.line:
        policy = f"{policy}; the fix needs {new.describe()}"
    return Fix(adv.id, str(minor), state.module or "stdlib", state.version, fixed,
               infra=f"INFRA-go-{fixed}", policy=policy,
               command=f"ksp gate --minor {minor} --go {fixed}")


class Finder:
    """Searches the newer release branches of the upstream clone (read only), with a cache."""

    def __init__(self, shadow: Shadow, config: Config, minors: list[Minor],
                 records: dict[str, list[GoRecord]] | None = None) -> None:
        self.shadow, self.config, self.minors = shadow, config, sorted(minors)
        self.records = records  # with them, a candidate must be outside every affected range
        self._cache: dict[tuple[str, str, str], list[tuple[str, str, str]]] = {}

    def _fixed(self, advisory: str, module: str, want: semver.Version, version: str) -> bool:
        got = semver_of(version)
        if got is None or got < want:
            return False
        if self.records is None or advisory not in self.records:
            return True
        ranges = [a.ranges for r in self.records[advisory] for a in r.affected
                  if a.module == module]
        return not any(vulnerable(rs, got)[0] for rs in ranges)

    def dependency_fix(self, adv: Advisory, minor: Minor, state: MinorState, base: str) -> Fix:
        module, fixed = state.module or adv.project or "", state.fixed_version
        out = Fix(adv.id, str(minor), module, state.version, fixed)
        want = semver_of(fixed) if fixed else None
        if want is None:
            return _with(out, note="no fixed version yet: upgrade is not possible")
        for newer in (m for m in self.minors if m > minor):
            branch = self.config.branch_for(newer)
            for sha, subject, version in self._bumps(branch, base, module):
                if self._fixed(adv.id, module, want, version):
                    return _with(out, branch=branch, commit=sha, subject=subject,
                                 bumped_to=version, command=(
                                     f"ksp backport {adv.id} --commit {sha[:12]} --to {minor}"))
        unchecked = "" if self.records else (" (later versions not checked against the "
                                             "record's ranges: pass --go-vulndb)")
        return _with(out, note=f"no newer release branch moved {module} to {fixed} or a later "
                              f"fixed version{unchecked}: bump it by hand (go get "
                              f"{module}@{fixed}, go mod vendor)")

    def _bumps(self, branch: str, base: str, module: str) -> list[tuple[str, str, str]]:
        key = (branch, base, module)
        if key not in self._cache:
            self._cache[key] = self._search(branch, base, module)
        return self._cache[key]

    def _search(self, branch: str, base: str, module: str) -> list[tuple[str, str, str]]:
        try:
            tip = self.shadow.resolve(branch)
        except KspError:  # a missing branch is just not a source
            return []
        regex = module.replace(".", "[.]") + " v"  # a basic regex, as git log -G reads it
        log = git(self.shadow.upstream, "log", "--reverse", "--format=%H%x09%s", "-G", regex,
                  f"{base}..{tip}", "--", "go.mod", "vendor/modules.txt", check=False).stdout
        out = []
        for line in log.splitlines():
            sha, _, subject = line.partition("\t")
            version = self._version_at(sha, module)
            if version:
                out.append((sha, subject, version))
        return out

    def _version_at(self, sha: str, module: str) -> str | None:
        listed = git(self.shadow.upstream, "show", f"{sha}:vendor/modules.txt", check=False)
        if listed.returncode == 0:
            found = gomod.parse_modules_txt(listed.stdout).get(module)
            if found and not found.replacement:
                return found.version
        mod = git(self.shadow.upstream, "show", f"{sha}:go.mod", check=False)
        if mod.returncode != 0:
            return None
        reqs = {r.path: r.version for r in gomod.parse_go_mod(mod.stdout).requires}
        return reqs.get(module)


def _with(fix: Fix, **changes: object) -> Fix:
    return replace(fix, **changes)  # type: ignore[arg-type]
