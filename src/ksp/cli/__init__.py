"""The command line: one module per command, each `register(subparsers)` and `run(args) -> int`."""
