"""Benchmarks time ksp as an installed package runs: with its bytecode compiled.

pip compiles every module when it installs ksp. An editable install compiles a module at its
first import, unless PYTHONDONTWRITEBYTECODE is set (as on the development machine): then every
start compiles the modules changed since the last compile, and a start-up figure measures the
compiler. Each benchmark calls compile_ksp() first, which writes what pip would have written.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import ksp


def compile_ksp() -> None:
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(ksp.__file__).parent)],
                   check=True, stdout=subprocess.DEVNULL)
