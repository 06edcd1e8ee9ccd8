"""``--format sarif``: SARIF 2.1.0, one result per faulty step, the rule cited (or the verdict) as ``ruleId``.

A catalogue rule's descriptor carries its documentation twice: ``help`` (the
text of its page, so the log explains itself offline) and ``helpUri``, the
page ``docs/rules/NAME.md`` that ``python -m pgverify.docs`` generates.  SARIF
requires ``helpUri`` to be an *absolute* URI (§3.49.12; it is a plain string,
not an ``artifactLocation``, so a relative path resolved through
``originalUriBaseIds`` is not allowed there), and pgverify has no published
site, so the base is configurable: the ``docs_base`` argument, else the
environment variable ``PGVERIFY_DOCS_URL`` (say
``https://github.com/ORG/pgverify/blob/main/docs/rules/``), else the
``file:`` URI of ``docs/rules/`` in the checkout pgverify runs from.  An
installed wheel has no docs folder: then there is no ``helpUri``, only
``help``.  A diagnosed mistake is a taxon of the ``pgverify-mistakes``
taxonomy, with its own page as ``helpUri``.

A notes file whose display math could not be read at all is one ``nothing-read`` result at its first
line (a warning; an error under ``--strict``), as in the other formats.

One syntax error is one result: the unreadable step it leaves in a chain, the
step after it and the goal it breaks are its consequences, not results.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from .._version import __version__
from ..report import UNREADABLE, Report
from ..results import REFUTED, UNKNOWN, FileResult
from .common import blocked_by_syntax_error, blocked_derivation, printable

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
DOCS_URL_ENV = "PGVERIFY_DOCS_URL"
TAXONOMY = "pgverify-mistakes"
_CHECKOUT_DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules"


def resolve_docs_base(configured: str | None = None) -> str | None:
    """The absolute URI that the pages ``NAME.md`` are found under (ending in ``/``), or None.

    A configured value that is not an absolute URI (no scheme) is not used: it would make the log invalid.
    """
    for base in (configured, os.environ.get(DOCS_URL_ENV)):
        if base and urlsplit(base).scheme:
            return base if base.endswith("/") else base + "/"
    if (_CHECKOUT_DOCS / "README.md").is_file():
        return _CHECKOUT_DOCS.as_uri() + "/"
    return None


def help_uri(base: str | None, name: str) -> dict[str, str]:
    """``{"helpUri": …}`` for the page of ``name``, or nothing without a base."""
    return {"helpUri": f"{base}{quote(name)}.md"} if base else {}


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


def _result_at(f: FileResult, rule_id: str, level: str, text: str, line: int, column: int,
               properties: dict[str, Any] | None = None) -> dict[str, Any]:
    """A result at a line of ``f``.

    In a notebook the region is a line of the ``.ipynb`` file itself, since a
    SARIF region counts lines of the artifact's text (§3.30) and that is what
    GitHub code scanning and editors show for the file; there is no column
    (the JSON text escapes the cell's characters).  The cell, and the line and
    column within it, are in the result's property bag and its message.
    """
    where = f.locate(line, column)
    if where.cell is None:
        return _result(rule_id, level, text, f.path, line, column, properties)
    cell = {"cell": where.cell, "cellLine": where.line, "cellColumn": max(where.column, 0)}
    return _result(rule_id, level, f"{where.in_file()}: {text}", f.path, where.file_line, 0,
                   {**(properties or {}), **cell})


def render(report: Report, *, color: bool = False, width: int = 100, docs_base: str | None = None) -> str:
    """The SARIF log; ``docs_base`` is the absolute URI of the rule pages (see the module's documentation)."""
    del color, width
    report = printable(report)   # control characters of user text are shown escaped
    from ..rules import RULES

    base = resolve_docs_base(docs_base)
    described = {r.name: r for r in RULES}
    results: list[dict[str, Any]] = []
    used: set[str] = set()
    mistakes: list[str] = []
    for f in report.files:
        for e in f.errors:
            results.append(_result_at(f, "syntax-error", "error", e.message, e.span.line, e.span.column))
            used.add("syntax-error")
        if f.unreadable():
            # notes whose math could not be read never pass silently: a result (code scanning shows results,
            # not notifications), at the file's first line, an error under --strict as the exit code is
            results.append(_result_at(f, "nothing-read", "error" if report.strict else "warning", UNREADABLE, 1, 0,
                                      {"unreadable": True}))
            used.add("nothing-read")
        for d in f.derivations:
            for s in d.steps:
                if s.verdict not in (REFUTED, UNKNOWN) or blocked_by_syntax_error(f, s):
                    continue  # valid, or a consequence of a syntax error reported once above
                catalogued = [r for r in s.rules if r in described]  # a lemma's name is not a rule id
                rule_id = catalogued[0] if catalogued else f"step-{s.verdict}"
                level = "error" if s.verdict == REFUTED or report.fail_on == "unknown" else "warning"
                text = f"{s.verdict}: {s.message}"
                if s.diagnosis:
                    text = f"{s.diagnosis['title']}. {s.diagnosis['hint']} ({s.message})"
                props = {"verdict": s.verdict}
                if s.diagnosis:
                    props["diagnosis"] = s.diagnosis["name"]
                result = _result_at(f, rule_id, level, text, s.line, s.column, props)
                if s.diagnosis:
                    if s.diagnosis["name"] not in mistakes:
                        mistakes.append(s.diagnosis["name"])
                    result["taxa"] = [{"id": s.diagnosis["name"], "toolComponent": {"name": TAXONOMY, "index": 0}}]
                results.append(result)
                used.add(rule_id)
            if d.goal == "not-reached" and not blocked_derivation(f, d):
                results.append(_result_at(f, "goal-not-reached", "error", f"{d.title}: {d.goal_message}", d.line, 0))
                used.add("goal-not-reached")
    rules = []
    for rule_id in sorted(used):
        entry: dict[str, Any] = {"id": rule_id}
        if rule_id in described:
            entry["shortDescription"] = {"text": described[rule_id].statement}
            entry["fullDescription"] = {"text": described[rule_id].purpose}
            entry.update(help_uri(base, rule_id))
            entry["help"] = _rule_help(described[rule_id])
        else:
            entry["shortDescription"] = {"text": rule_id.replace("-", " ")}
        rules.append(entry)
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "pgverify", "version": __version__,
                            "informationUri": "https://pypi.org/project/pgverify/", "rules": rules}},
        "results": results,
    }
    if mistakes:
        run["tool"]["driver"]["supportedTaxonomies"] = [{"name": TAXONOMY, "index": 0}]
        run["taxonomies"] = [{"name": TAXONOMY, "shortDescription": {"text": "named mistakes in policy-gradient derivations"},
                              "taxa": [_taxon(base, name) for name in sorted(mistakes)]}]
    document = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _rule_help(rule: Any) -> dict[str, str]:
    from ..docs import rule_page

    conditions = "; ".join(rule.conditions) or "none"
    text = f"{rule.name}: {rule.statement}\nSide conditions: {conditions}\n{rule.purpose}"
    return {"text": text, "markdown": rule_page(rule, links=False)}


def _taxon(base: str | None, name: str) -> dict[str, Any]:
    from ..docs import mistake_page
    from ..rules import misconception

    entry = misconception(name)
    return {"id": name, "shortDescription": {"text": entry.title}, "fullDescription": {"text": entry.hint},
            **help_uri(base, name), "help": {"text": f"{entry.title}. {entry.hint}",
                                             "markdown": mistake_page(entry, links=False)}}
