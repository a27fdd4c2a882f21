"""ksp.yaml templates (`branch`, `tag`, the build/test/typecheck commands): named fields only.

A template is parsed with `string.Formatter().parse` and substituted here, field by field, from
plain strings. `str.format` would resolve `{minor.__init__.__globals__[…]}` against the Python
object passed in and could print a secret into CI output; here a field is a bare name from a
short list, without attribute or index access, conversion or format spec, or it is refused.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from ksp.errors import FormatError

BRANCH_FIELDS = frozenset({"minor", "major", "minor_number"})
TAG_FIELDS = frozenset({"minor", "major", "minor_number", "patch"})
COMMAND_FIELDS = {"build": frozenset({"targets"}), "test": frozenset({"packages"}),
                  "typecheck": frozenset({"packages"})}


def fields(template: str) -> list[str]:
    """The field names of `template`; ValueError for a malformed or unsafe one."""
    names = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"malformed template ({exc})") from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier():
            raise ValueError(f"field {{{name}}} is not a plain name (no attributes, indexes or "
                             "positional fields)")
        if spec or conversion:
            raise ValueError(f"field {{{name}}} has a conversion or format spec; write "
                             f"{{{name}}} alone")
        names.append(name)
    return names


def check(template: str, allowed: frozenset[str], key: str) -> None:
    """Refuse a template with a field outside `allowed` (FormatError naming key and fields)."""
    try:
        names = fields(template)
    except ValueError as exc:
        raise _error(f"{key}: {exc}", key, allowed) from None
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise _error(f"{key}: unknown template field {{{unknown[0]}}}", key, allowed)


def render(template: str, values: Mapping[str, str]) -> str:
    """Substitute a checked template; a field without a value is an error, never left in."""
    out = []
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        out.append(literal)
        if name is not None:
            if name not in values:
                raise FormatError(f"template {template!r}: no value for {{{name}}}")
            out.append(values[name])
    return "".join(out)


def _error(message: str, key: str, allowed: frozenset[str]) -> FormatError:
    exc = FormatError(f"ksp.yaml: {message}",
                      hint="allowed fields: " + ", ".join(f"{{{n}}}" for n in sorted(allowed))
                      + "; write a literal brace as {{ or }}")
    exc.key = key
    return exc
