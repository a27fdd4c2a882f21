"""The rule of docs/architecture.md ("Start-up"): an import inside a function is there for
start-up time, and says what it saves in a `# lazy: N ms` comment (bench/lazy_imports.py
measures the figure); anything else goes to the top of its module."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "ksp"


def test_every_import_inside_a_function_names_what_it_saves() -> None:
    missing = []
    for path in sorted(SRC.rglob("*.py")):
        source = path.read_text()
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for sub in ast.walk(node):
                if isinstance(sub, ast.Import | ast.ImportFrom):
                    here = lines[sub.lineno - 1]
                    above = lines[sub.lineno - 2].strip()
                    if "# lazy" not in here and not above.startswith("# lazy"):
                        missing.append(f"{path.relative_to(SRC.parent)}:{sub.lineno}")
    assert not missing, "imports inside functions without a `# lazy: N ms` reason: " + \
        ", ".join(missing)
