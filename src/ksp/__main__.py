"""`python -m ksp`: the same entry point as the `ksp` script (a running `ksp daemon`, else here).

`python -m` puts the current folder first on sys.path, and ksp runs in checkouts of pull
requests: a `rich.py` there would be imported by the first command that needs rich. The `ksp`
script has its own folder there instead; here the current folder is taken off before anything
else is imported (as `python -P` would do).
"""

from __future__ import annotations

import os
import sys

try:
    here = os.getcwd()  # noqa: PTH109 — pathlib is not imported yet, and need not be
except OSError:  # the folder is gone: nothing can be imported from it either
    here = ""
if not sys.flags.safe_path and sys.path and sys.path[0] in ("", here):
    del sys.path[0]

from ksp.cli._client import entry  # after the lines above, on purpose

if __name__ == "__main__":
    entry()
