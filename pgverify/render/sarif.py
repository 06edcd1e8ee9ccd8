"""``--format sarif``: SARIF 2.1.0, one result per faulty step, the rule cited (or the verdict) as ``ruleId``."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from .._version import __version__
from ..report import Report
from ..results import REFUTED, UNKNOWN

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _region(line: int, column: int) -> dict[str, int]:
    region = {"startLine": max(line, 1)}
    if column > 0:
        region["startColumn"] = column
    return region


def _uri(path: str) -> str:
    """A relative path as a URI reference (SARIF §3.10.3): forward slashes, percent-encoded."""
    return quote(path.replace("\\", "/"), safe="/")


def _result(rule_id: str, level: str, text: str, path: str, line: int, column: int,
            properties: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": rule_id,
        "level": level,
        "message": {"text": text},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(path)},
                                            "region": _region(line, column)}}],
    }
    if properties:
        out["properties"] = properties
    return out


def render(report: Report, *, color: bool = False, width: int = 100) -> str:
    del color, width
    from ..rules import RULES

    described = {r.name: r for r in RULES}
    results: list[dict[str, Any]] = []
    used: set[str] = set()
    for f in report.files:
        for e in f.errors:
            results.append(_result("syntax-error", "error", e.message, f.path, e.span.line, e.span.column))
            used.add("syntax-error")
        for d in f.derivations:
            for s in d.steps:
                if s.verdict not in (REFUTED, UNKNOWN):
                    continue
                catalogued = [r for r in s.rules if r in described]  # a lemma's name is not a rule id
                rule_id = catalogued[0] if catalogued else f"step-{s.verdict}"
                level = "error" if s.verdict == REFUTED or report.fail_on == "unknown" else "warning"
                text = f"{s.verdict}: {s.message}"
                if s.diagnosis:
                    text = f"{s.diagnosis['title']}. {s.diagnosis['hint']} ({s.message})"
                props = {"verdict": s.verdict}
                if s.diagnosis:
                    props["diagnosis"] = s.diagnosis["name"]
                results.append(_result(rule_id, level, text, f.path, s.line, s.column, props))
                used.add(rule_id)
            if d.goal == "not-reached":
                results.append(_result("goal-not-reached", "error", f"{d.title}: {d.goal_message}", f.path, d.line, 0))
                used.add("goal-not-reached")
    rules = []
    for rule_id in sorted(used):
        entry: dict[str, Any] = {"id": rule_id}
        if rule_id in described:
            entry["shortDescription"] = {"text": described[rule_id].statement}
            entry["fullDescription"] = {"text": described[rule_id].purpose}
        else:
            entry["shortDescription"] = {"text": rule_id.replace("-", " ")}
        rules.append(entry)
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "pgverify", "version": __version__,
                                "informationUri": "https://pypi.org/project/pgverify/", "rules": rules}},
            "results": results,
        }],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
