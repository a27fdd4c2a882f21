"""ksp schema: print the JSON Schema of index.yaml."""

from __future__ import annotations

import argparse

from ksp.cli import _common


def register(sub: _common.Subcommands) -> None:
    parser = _common.add_command(sub, "schema", "print a JSON Schema (of index.yaml)",
                                 "ksp schema index > index.schema.json")
    parser.add_argument("what", choices=("index",), help="which file's schema")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ksp.repo.schema import index_schema  # lazy: 12.9 ms of start-up

    _common.emit_json(index_schema())
    return 0
