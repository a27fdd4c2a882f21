"""Shared test setup: every test runs with its own HOME, XDG folders and git identity."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

import _realparts
from factories.gitenv import _user_gocache

# Go's build cache is content-addressed and safe to share: keep the real one (found before HOME
# is pointed elsewhere), or every test that runs `go` under the temporary HOME below would
# rebuild the standard library first.
_GOCACHE = _user_gocache()


GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Test Fixer", "GIT_AUTHOR_EMAIL": "fixer@example.com",
                "GIT_COMMITTER_NAME": "Test Fixer", "GIT_COMMITTER_EMAIL": "fixer@example.com"}


def pytest_configure(config: pytest.Config) -> None:
    """Module- and session-scoped fixtures run before the per-test isolation below: git gets an
    identity and no user or system configuration for the whole run (in every xdist worker), so a
    machine without a global git identity (a fresh CI runner) builds them the same way."""
    home = Path(tempfile.mkdtemp(prefix="ksp-tests-git-"))
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    os.environ.update(GIT_IDENTITY, GIT_CONFIG_NOSYSTEM="1",
                      GIT_CONFIG_GLOBAL=str(home / ".gitconfig"))
    config.add_cleanup(lambda: shutil.rmtree(home, ignore_errors=True))


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    for name in [n for n in os.environ if n.startswith("KSP_")]:  # the developer's shell settings
        monkeypatch.delenv(name)  # (KSP_CACHE_DIR, KSP_UPSTREAM, ...) must not steer a test
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("GOCACHE", _GOCACHE)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    for key, value in {
        **GIT_IDENTITY,
        "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    }.items():
        monkeypatch.setenv(key, value)
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    return home


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under xdist the controller collects nothing: with no `-m` every test is selected, so a
    missing tool fails the run here, before the workers start."""
    config = session.config
    if config.pluginmanager.hasplugin("dsession") and not config.getoption("markexpr"):
        message = _realparts.missing_message(_realparts.missing(_realparts.MARKERS))
        if message:
            raise pytest.UsageError(message)


@pytest.hookimpl(trylast=True)  # after `-m` has deselected what the developer chose to skip
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A selected test that needs a missing real part fails the run: no skip, no xfail."""
    needed = {name for item in items for name in _realparts.MARKERS
              if item.get_closest_marker(name)}
    message = _realparts.missing_message(_realparts.missing(needed))
    if message and not hasattr(config, "workerinput"):
        raise pytest.UsageError(message)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """An xdist worker cannot stop the session: there each such test errors, before its fixtures."""
    needed = [name for name in _realparts.MARKERS if item.get_closest_marker(name)]
    message = _realparts.missing_message(_realparts.missing(needed))
    if message:
        pytest.fail(message, pytrace=False)


@pytest.fixture
def repo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A fresh `ksp init` patches repo (modules that need another shape define their own)."""
    from ksp.cli.main import main

    root = tmp_path / "patches"
    assert main(["init", str(root)]) == 0
    capsys.readouterr()
    return root


@pytest.fixture(scope="module")
def _module_ksp_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ksp-cache")


@pytest.fixture
def shared_ksp_cache(_module_ksp_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """One ksp cache for a whole test module (`pytestmark = pytest.mark.usefixtures(...)`): its
    tests reuse the shadow repository, worktrees and import graphs instead of rebuilding them."""
    monkeypatch.setenv("KSP_CACHE_DIR", str(_module_ksp_cache))
    return _module_ksp_cache
