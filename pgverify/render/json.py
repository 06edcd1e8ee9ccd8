"""``--format json``: the report's records, with sorted keys and stable float formatting."""

from __future__ import annotations

import json

from ..report import Report


def render(report: Report, *, color: bool = False, width: int = 100) -> str:
    del color, width  # JSON is the same everywhere
    return json.dumps(report.to_records(), ensure_ascii=False, indent=2, sort_keys=False) + "\n"
