"""Every import inside a function in src/ksp: does it defer anything, and how much?

An import inside a function is there for start-up time only (docs/architecture.md): it must
name, in a `# lazy: N ms` comment, what importing it at the top of its module would add to every
start-up that loads that module without needing it. This measures exactly that, one import
statement at a time: a fresh interpreter imports the enclosing module, notes what is loaded,
then runs that statement's imports and times them (best of N interpreters; one interpreter per
statement, since a module another statement already imported would look free). An import whose
modules are already loaded at that point defers nothing and belongs at the top.

Prints one line per function-level import (file:line, target, `loaded` or the cost in ms, the
comment it carries), then `function-level imports: N, deferring nothing: K, lazy: M`.
    Usage: python bench/lazy_imports.py [runs]          (tests/test_lazy_imports.py checks the
    comments statically in CI; this script measures the numbers they quote)
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "ksp"

PROBE = r"""
import importlib, json, sys, time
module, wanted = sys.argv[1], json.loads(sys.argv[2])
importlib.import_module(module)
loaded = set(sys.modules)
found, start = [], time.perf_counter()
for name in wanted:
    try:
        importlib.import_module(name)
        found.append(name)
    except ImportError:
        pass  # a name inside a module, not a module
cost = (time.perf_counter() - start) * 1000
print(json.dumps([all(name in loaded for name in found), cost]))
"""


def function_imports(path: Path) -> list[tuple[int, list[str], str]]:
    """(line, modules it may import, the comment on it or on the line above) per import."""
    source = path.read_text()
    lines = source.splitlines()
    module = ".".join(path.relative_to(SRC.parent).with_suffix("").parts).removesuffix(
        ".__init__")
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.ImportFrom):
                base = sub.module or ""
                if sub.level:
                    package = module.rsplit(".", sub.level)[0]
                    base = f"{package}.{base}" if base else package
                names = [base, *(f"{base}.{a.name}" for a in sub.names)]
            elif isinstance(sub, ast.Import):
                names = [a.name for a in sub.names]
            else:
                continue
            line = lines[sub.lineno - 1]
            above = lines[sub.lineno - 2].strip() if sub.lineno > 1 else ""
            comment = line.split("#", 1)[1].strip() if "#" in line else (
                above.lstrip("# ") if above.startswith("# lazy") else "")
            found.append((sub.lineno, names, comment))
    return found


def measure(module: str, names: list[str], runs: int) -> tuple[bool, float]:
    """(already loaded?, best cost in ms) of one import statement inside `module`."""
    results = []
    for _ in range(runs):
        proc = subprocess.run([sys.executable, "-c", PROBE, module, json.dumps(names)],
                              capture_output=True, text=True, check=True)
        results.append(json.loads(proc.stdout))
    return bool(results[0][0]), min(float(cost) for _, cost in results)


def main(argv: list[str]) -> int:
    runs = int(argv[0]) if argv else 3
    total = nothing = lazy = 0
    for path in sorted(SRC.rglob("*.py")):
        imports = function_imports(path)
        if not imports:
            continue
        module = ".".join(path.relative_to(SRC.parent).with_suffix("").parts).removesuffix(
            ".__init__")
        for line, names, comment in imports:
            loaded, cost = measure(module, names, runs)
            total += 1
            if loaded:
                nothing += 1
                shown = "loaded"
            else:
                lazy += 1
                shown = f"{cost:.1f} ms"
            print(f"{path.relative_to(SRC.parent)}:{line}: {names[0]}: {shown}"
                  f"{f'  ({comment})' if comment else ''}")
    print(f"function-level imports: {total}, deferring nothing: {nothing}, lazy: {lazy}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
