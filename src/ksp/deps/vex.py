"""VEX statements for dependency and toolchain advisories: per binary, with the module as the
subcomponent in the purl form scanners match (`pkg:golang/golang.org/x/net@v0.23.0`,
`pkg:golang/stdlib@1.22.12`).

The binary's own reach decides when the minor is affected: a binary that does not link the
vulnerable package is `not_affected` (vulnerable_code_not_in_execute_path, with the evidence),
even if another binary of the same minor links it. `fixed` only comes from the index's `patched`,
which the lane sets only when a patch of the series moved the module past the fix and the gate
recorded a pass for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ksp.model import Advisory, BinaryState, Justification, MinorState, Status
from ksp.purl import purl


@dataclass(frozen=True)
class Said:
    """What a statement says about one binary (ksp.vex turns it into its Statement)."""

    status: str  # OpenVEX status
    subcomponents: tuple[str, ...]
    justification: str | None = None
    impact_statement: str | None = None
    action_statement: str | None = None
    status_notes: str | None = None


def golang_purl(module: str, version: str) -> str:
    return purl("golang", module, version)


def subcomponents(state: MinorState) -> tuple[str, ...]:
    pairs = [(state.module, state.version), *((m.module, m.version) for m in state.also)]
    # Scanners report the Go release of a binary as the module `stdlib`, cmd/go flaws too.
    purls = [golang_purl("stdlib" if m == "toolchain" else m, v) for m, v in pairs if m and v]
    return tuple(dict.fromkeys(purls))


def statement(adv: Advisory, state: MinorState, fallback: tuple[str, ...], binary: str | None,
               notes: str) -> Said:
    """The statement for one product (`fallback`: its subcomponents when the state names no
    module version)."""
    subs = subcomponents(state) or fallback
    mine = next((b for b in state.binaries if b.binary == binary), None)
    if state.status is Status.PATCHED:
        return Said("fixed", subs, status_notes=(
            f"{state.reason or 'moved past the fix'} by {state.patch} (gate passed). {notes}"))
    if state.status is Status.NOT_AFFECTED or (mine is not None and not mine.affected
                                              and state.status is not Status.NEEDS_TRIAGE):
        why = (_evidence(mine, state) if mine is not None and not mine.affected
               else state.reason) or ""
        justification = (state.justification or Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH
                         if state.status is Status.NOT_AFFECTED else
                         Justification.VULNERABLE_CODE_NOT_IN_EXECUTE_PATH)
        return Said("not_affected", subs, justification=justification.value,
                    impact_statement=why or "not affected", status_notes=notes)
    if state.status is Status.NEEDS_TRIAGE:
        return Said("under_investigation", subs, status_notes=notes)
    return Said("affected", subs, action_statement=_action(adv, state),
                status_notes=f"{mine.evidence}. {notes}" if mine and mine.evidence else notes)


def _action(adv: Advisory, state: MinorState) -> str:
    name = _name(state.module or adv.project or "")
    pairs = [(state.module or adv.project or "", state.fixed_version),
             *((m.module, m.fixed_version) for m in state.also)]
    fixed = [f"{_name(m)} {v} or later" for m, v in pairs if v]
    todo = (f"build with {' and '.join(fixed)}" if fixed
            else f"no fixed version of {name} exists yet; limit exposure")
    if state.status is Status.IN_PROGRESS and state.patch:
        return f"{todo}: {state.patch} does so and awaits a passing gate."
    if state.status is Status.WONT_FIX:
        return f"No community patch will move {name}: {state.reason or ''} {todo}.".strip()
    return f"No community patch yet: {todo}."


def _name(module: str) -> str:
    return "Go" if module in ("stdlib", "toolchain") else module


def _evidence(mine: BinaryState, state: MinorState) -> str:
    if mine.evidence:
        return mine.evidence
    names = ", ".join(_name(m) for m in dict.fromkeys(
        [state.module or "", *(m.module for m in state.also)]) if m)
    return (f"{mine.binary} does not link the vulnerable code ({names}): none of the packages "
            "the record names is in the import closure of its main package")
