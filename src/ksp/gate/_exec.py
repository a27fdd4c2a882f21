"""Running build commands: templates, a scrubbed environment, timeouts, one log per step.

Commands come from ksp.yaml templates split with shlex (never a shell). `{targets}` and
`{packages}` standing alone become one argument per item; inside a word (`WHAT="{targets}"`)
they become the space-separated list. The environment is built from scratch: a token in the
user's environment never reaches a build. Each command runs in its own process group, which
is killed whole on a timeout or an interrupt.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ksp.errors import KspError
from ksp.repo import templates

if TYPE_CHECKING:
    from ksp.gate.toolchains import Toolchain

# Always set last: the tree's `toolchain` line must not trigger a download, builds stay offline.
_FORCED = {"GOTOOLCHAIN": "local", "GOPROXY": "off", "GOSUMDB": "off"}


def go_cache() -> str:
    """Go's own rule (GOCACHE, else the user cache folder): the cache stays warm across runs."""
    if os.environ.get("GOCACHE"):
        return os.environ["GOCACHE"]
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "go-build")


def environment(toolchain: Toolchain, tree: Path, extra: Mapping[str, str],
                layout: Mapping[str, str] | None = None, proxy: str = "off") -> dict[str, str]:
    """PATH, HOME, TMPDIR, LANG and Go's own settings; then the tree's layout (GOPATH, GOFLAGS);
    then ksp.yaml `env`; then the forced (GOPROXY is `proxy`: off unless --goproxy)."""
    home = os.environ.get("HOME", str(Path.home()))
    env = {
        "PATH": os.pathsep.join([str(toolchain.goroot / "bin"), os.environ.get("PATH", "")]),
        "HOME": home,
        "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
        "LANG": "C",
        "LC_ALL": "C",
        "GOROOT": str(toolchain.goroot),
        "GOCACHE": go_cache(),
        "GOPATH": os.environ.get("GOPATH", str(Path(home) / "go")),
        "GOFLAGS": "",
        "GOWORK": "" if (tree / "go.work").is_file() else "off",
    }
    if os.environ.get("GOMODCACHE"):
        env["GOMODCACHE"] = os.environ["GOMODCACHE"]
    env.update(layout or {})
    flags = merge_goflags(env.get("GOFLAGS", ""), extra.get("GOFLAGS", ""))
    env.update(extra)
    env["GOFLAGS"] = flags
    env.update(_FORCED)
    env["GOPROXY"] = proxy
    return env


def merge_goflags(*values: str) -> str:
    """GOFLAGS from the tree's layout and from ksp.yaml, with one `-tags=` holding every tag
    (Go keeps only the last `-tags` of GOFLAGS)."""
    flags: list[str] = []
    tags: list[str] = []
    for flag in " ".join(values).split():
        if flag.startswith(("-tags=", "--tags=")):
            tags += [t for t in flag.split("=", 1)[1].replace(" ", ",").split(",") if t]
        elif flag not in flags:
            flags.append(flag)
    if tags:
        flags.append("-tags=" + ",".join(dict.fromkeys(tags)))
    return " ".join(flags)


def expand(template: str, values: Mapping[str, Sequence[str]]) -> list[str]:
    try:
        words = shlex.split(template)
    except ValueError as exc:
        raise KspError(f"ksp.yaml: command {template!r} cannot be split: {exc}") from None
    argv: list[str] = []
    for word in words:
        whole = next((k for k in values if word == "{" + k + "}"), None)
        if whole is not None:
            argv.extend(values[whole])
            continue
        argv.append(templates.render(word, {k: " ".join(v) for k, v in values.items()}))
    return argv


def is_go(argv: Sequence[str], sub: str) -> bool:
    return len(argv) > 1 and Path(argv[0]).name == "go" and argv[1] == sub


def with_go_flags(argv: list[str], env: Mapping[str, str], *, vendor: bool,
                  extra: Sequence[str] = (), defaults: Sequence[str] = ()) -> list[str]:
    """`go <sub>` gets `extra`, and each of `defaults` (`-name=value`) unless the template or
    GOFLAGS set that flag already; -mod=vendor is one of them where the tree vendors."""
    vendoring = ["-mod=vendor"] if vendor and env.get("GO111MODULE") != "off" else []
    goflags = env.get("GOFLAGS", "")
    flags = [*extra, *[f for f in [*defaults, *vendoring]
                       if not _chosen(f.split("=", 1)[0], argv, goflags)]]
    return [argv[0], argv[1], *[f for f in flags if f not in argv], *argv[2:]]


def _chosen(name: str, argv: Sequence[str], goflags: str) -> bool:
    return any(a.startswith(name) for a in argv) or f"{name}=" in goflags


@dataclass(frozen=True)
class Ran:
    argv: tuple[str, ...]
    exit_code: int
    duration: float
    timed_out: bool = False

    @property
    def command(self) -> str:
        return shlex.join(self.argv)


def run(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float,
        log: Path, stdout: Path | None = None) -> Ran:
    """Run `argv`, appending its output to `log` (stdout to `stdout` if given)."""
    if STOPPED.is_set():  # the gate was interrupted: no new step (e.g. a re-run on the base)
        raise KeyboardInterrupt
    started = time.monotonic()
    with log.open("ab") as err:
        err.write(f"$ {shlex.join(argv)}\n".encode())
        err.flush()
        out = stdout.open("wb") if stdout else None
        try:
            proc = subprocess.Popen(list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                                    stdout=out or err, stderr=err, start_new_session=True)
            with _LOCK:  # kill_all sets STOPPED, then kills what is live under this lock:
                _LIVE.add(proc)  # a step started meanwhile is either seen by it or sees STOPPED
                stopped = STOPPED.is_set()
            if stopped:
                _kill_group(proc)
                with _LOCK:
                    _LIVE.discard(proc)
                raise KeyboardInterrupt
        except OSError as exc:
            err.write(f"cannot run {argv[0]}: {exc}\n".encode())
            return Ran(tuple(argv), 127, time.monotonic() - started)
        finally:
            if out:
                out.close()
        timed_out = _wait(proc, timeout)
        ran = Ran(tuple(argv), proc.returncode, time.monotonic() - started, timed_out)
        if timed_out:
            err.write(f"ksp: killed after {timeout:g} s (step timeout)\n".encode())
        err.write(f"[exit {ran.exit_code}, {ran.duration:.1f} s]\n".encode())
    return ran


def _wait(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    try:
        proc.wait(timeout=timeout)
        return False
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        return True
    except BaseException:  # KeyboardInterrupt, SystemExit: leave no build running behind us
        _kill_group(proc)
        raise
    finally:
        with _LOCK:
            _LIVE.discard(proc)


# Steps run in their own sessions (so a timeout kills the whole build), which also keeps a
# terminal's Ctrl-C from reaching them: the gate kills what is live when it is interrupted.
_LIVE: set[subprocess.Popen[bytes]] = set()
_LOCK = threading.Lock()
STOPPED = threading.Event()  # set by kill_all: workers start no further command


def kill_all() -> None:
    """Kill every step still running (called when the gate is interrupted)."""
    STOPPED.set()
    with _LOCK:
        live = list(_LIVE)
    for proc in live:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
