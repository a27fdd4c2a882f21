"""The gate as JUnit XML for CI dashboards: a testsuite per minor, a testcase per patch of the
series and per step (and toolchain)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ksp.gate.model import GateResult, MinorResult, outcome_of
from ksp.gate.types import StepOutcome

BAD_PATCH = {"failed", "drift"}


def junit(result: GateResult) -> str:
    root = ET.Element("testsuites", name="ksp gate")
    for minor in result.minors:
        root.append(_suite(minor))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _suite(m: MinorResult) -> ET.Element:
    suite = ET.Element("testsuite", name=f"ksp-gate.{m.minor}")
    if m.error:
        case = ET.SubElement(suite, "testcase", classname=f"{m.minor}", name="base")
        ET.SubElement(case, "error", message=m.error)
    drift_ok = m.series is not None and m.series.allow_drift
    for planned, outcome in m.patch_results():
        case = ET.SubElement(suite, "testcase", classname=f"{m.minor}.series", name=planned.file)
        state = outcome_of(outcome)
        detail = outcome.detail if outcome else (m.error or "")
        if state in BAD_PATCH and not (state == "drift" and drift_ok):
            failure = ET.SubElement(case, "failure", message=f"{state}: {detail}", type=state)
            failure.text = "\n".join(f"{h.path}: hunk #{h.hunk} (line {h.line}) does not apply"
                                     for h in (outcome.failed_hunks if outcome else ()))
        elif state == "skipped":
            ET.SubElement(case, "skipped", message=detail)
        elif detail:
            ET.SubElement(case, "system-out").text = f"{state}: {detail}"
    for s in m.steps:
        name = s.name.value + (f" ({s.toolchain})" if s.toolchain else "")
        case = ET.SubElement(suite, "testcase", classname=f"{m.minor}.steps", name=name,
                             time=f"{s.duration:.3f}")
        if s.result is StepOutcome.FAIL:
            failure = ET.SubElement(case, "failure", message=s.detail or f"exit {s.exit_code}",
                                    type=s.name.value)
            failure.text = "\n".join([s.command] + [f"{f.kind.value}: {f.package} {f.test}"
                                                    for f in s.failures])
        elif s.result is StepOutcome.ERROR:
            error = ET.SubElement(case, "error", message=s.detail or "nothing ran",
                                  type=s.name.value)
            error.text = s.command or s.detail
        elif s.result is StepOutcome.SKIPPED:
            ET.SubElement(case, "skipped", message=s.detail)
        if s.log:
            ET.SubElement(case, "system-out").text = f"command: {s.command}\nlog: {s.log}"
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
    suite.set("errors", str(sum(1 for c in cases if c.find("error") is not None)))
    suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    return suite
