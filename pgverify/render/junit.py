"""``--format junit``: JUnit XML, one test case per derivation; a failure lists its faulty steps.

Each syntax error is one test case with one ``<error>``.  A derivation whose
chain a syntax error broke is ``<skipped>`` (it could not be checked), unless
it has faults of its own: the error is not reported a second time as a
failure.  ``time`` attributes are the seconds the steps took to check: they
are the one part of this output that varies between runs (the JSON report
carries no times and stays byte-identical).
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from ..report import UNREADABLE, Report
from ..results import CHECKED, PROVED, DerivationResult, FileResult
from .common import blocked_by_syntax_error, blocked_derivation, plural, printable


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _elapsed(d: DerivationResult) -> float:
    return sum(s.elapsed for s in d.steps)


def render(report: Report, *, color: bool = False, width: int = 100) -> str:
    del color, width
    report = printable(report)   # control characters of user text are shown escaped
    root = ET.Element("testsuites", name="pgverify")
    total = failures = errors = skipped = 0
    all_time = 0.0
    for f in report.files:
        suite = ET.SubElement(root, "testsuite", name=f.path)
        cases = fails = errs = skips = 0
        for e in f.errors:
            where = f.locate(e.span.line).in_file()
            case = ET.SubElement(suite, "testcase", classname=f.path, name=f"syntax error ({where})",
                                 time=_seconds(0.0))
            error = ET.SubElement(case, "error", message=e.message, type="syntax")
            error.text = f"{f.locate(e.span.line, e.span.column)}: {e.message}"
            cases += 1
            errs += 1
        for d in f.derivations:
            outcome = _derivation(report, f, d, suite)
            cases += 1
            fails += outcome == "failure"
            skips += outcome == "skipped"
        if f.unreadable():   # notes whose math could not be read: never a silent pass (a failure under --strict)
            case = ET.SubElement(suite, "testcase", classname=f.path, name="notes read", time=_seconds(0.0))
            if report.strict:
                ET.SubElement(case, "failure", message=UNREADABLE, type="unreadable")
                fails += 1
            else:
                ET.SubElement(case, "skipped", message=UNREADABLE)
                skips += 1
            cases += 1
        suite_time = sum(_elapsed(d) for d in f.derivations)
        suite.set("tests", str(cases))
        suite.set("failures", str(fails))
        suite.set("errors", str(errs))
        suite.set("skipped", str(skips))
        suite.set("time", _seconds(suite_time))
        total, failures, errors, skipped = total + cases, failures + fails, errors + errs, skipped + skips
        all_time += suite_time
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    root.set("skipped", str(skipped))
    root.set("time", _seconds(all_time))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _derivation(report: Report, f: FileResult, d: DerivationResult, suite: ET.Element) -> str:
    """Add the derivation's test case; return ``failure``, ``skipped`` or ``passed``."""
    case = ET.SubElement(suite, "testcase", classname=f.path, name=f"{d.title} ({f.locate(d.line).in_file()})",
                         time=_seconds(_elapsed(d)))
    faulty = [s for s in d.steps if report.is_fault(s) and not blocked_by_syntax_error(f, s)]
    broken = blocked_derivation(f, d)
    goal_failed = d.goal == "not-reached" and not broken
    if faulty or goal_failed:
        lines = [f"{f.locate(s.line).in_file()}: {s.verdict}: {s.text} — {s.message}" for s in faulty]
        if goal_failed:
            lines.append(f"goal not reached: {d.goal_message}")
        first = faulty[0] if faulty else None
        message = f"{f.locate(first.line).in_file()}: {first.verdict}" if first else "goal not reached"
        failure = ET.SubElement(case, "failure", message=message, type="pgverify")
        failure.text = "\n".join(lines)
        return "failure"
    if broken:
        first = min(s.line for s in d.steps if blocked_by_syntax_error(f, s))
        where = f.locate(first).in_file()
        ET.SubElement(case, "skipped", message=f"not checked from {where}: a line of the chain could not"
                                               " be read (see the syntax error)")
        return "skipped"
    valid = sum(1 for s in d.steps if s.verdict in (PROVED, CHECKED))
    ET.SubElement(case, "system-out").text = f"{plural(valid, 'step')} valid"
    return "passed"
