"""``--format junit``: JUnit XML, one test case per derivation; a failure lists its faulty steps."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from ..report import Report
from ..results import CHECKED, PROVED


def render(report: Report, *, color: bool = False, width: int = 100) -> str:
    del color, width
    root = ET.Element("testsuites", name="pgverify")
    total = failures = errors = 0
    for f in report.files:
        suite = ET.SubElement(root, "testsuite", name=f.path)
        cases = fails = errs = 0
        if f.errors:
            case = ET.SubElement(suite, "testcase", classname=f.path, name="syntax", time="0")
            text = "\n".join(f"{f.path}:{e.span.line}:{e.span.column}: {e.message}" for e in f.errors)
            error = ET.SubElement(case, "error", message=f"{len(f.errors)} syntax error(s)", type="syntax")
            error.text = text
            cases += 1
            errs += 1
        for d in f.derivations:
            case = ET.SubElement(suite, "testcase", classname=f.path, name=f"{d.title} (line {d.line})", time="0")
            cases += 1
            faulty = [s for s in d.steps if report.is_fault(s)]
            if faulty or d.goal == "not-reached":
                fails += 1
                lines = [f"line {s.line}: {s.verdict}: {s.text} — {s.message}" for s in faulty]
                if d.goal == "not-reached":
                    lines.append(f"goal not reached: {d.goal_message}")
                first = faulty[0] if faulty else None
                message = f"line {first.line}: {first.verdict}" if first else "goal not reached"
                failure = ET.SubElement(case, "failure", message=message, type="pgverify")
                failure.text = "\n".join(lines)
            else:
                valid = sum(1 for s in d.steps if s.verdict in (PROVED, CHECKED))
                ET.SubElement(case, "system-out").text = f"{valid} steps valid"
        suite.set("tests", str(cases))
        suite.set("failures", str(fails))
        suite.set("errors", str(errs))
        suite.set("skipped", "0")
        suite.set("time", "0")
        total, failures, errors = total + cases, failures + fails, errors + errs
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
