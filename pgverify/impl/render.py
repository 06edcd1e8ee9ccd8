"""Reports of implementation checks: text (like ``check``'s) and JSON (schema 1)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .catalogue import BY_NAME
from .run import ImplResult

SCHEMA = 1
_MARK = {"unbiased": "✓", "scaled": "✓", "biased": "✗", "ascent": "✗", "unknown": "?", "error": "!"}


def exit_status(results: Sequence[ImplResult]) -> int:
    """0 when every function is unbiased or scaled, 2 when an input could not be checked, 1 otherwise."""
    if any(r.verdict == "error" for r in results):
        return 2
    return 0 if all(r.fine for r in results) else 1


def render_json(results: Sequence[ImplResult]) -> str:
    """``{"schema": 1, "implementations": [...]}``, keys in a fixed order."""
    doc = {"schema": SCHEMA, "implementations": [r.as_json() for r in results]}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _vector(xs: list[float]) -> str:
    return "(" + ", ".join(f"{x:.6g}" for x in xs) + ")"


def render_text(results: Sequence[ImplResult]) -> str:
    """One block per function: the verdict, the mistake with its line and hint, the counterexample."""
    lines: list[str] = []
    last_path = None
    for r in results:
        if r.path != last_path:
            lines.append(r.path)
            last_path = r.path
        if r.verdict == "error":
            where = f"{r.path}:{r.line}:{r.col}" if r.line else r.path
            lines.append(f"  ! error    {r.function}: {where}: {r.message}")
            continue
        head = r.verdict + (f" ({r.scale})" if r.scale and r.verdict in ("scaled", "ascent") and r.scale != "1" else "")
        lines.append(f"  {_MARK[r.verdict]} {head:<9} {r.function}  (line {r.line})")
        lines.append(f"      {r.message}")
        if r.mistake is not None:
            entry = BY_NAME[r.mistake["name"]]
            label = "mistake" if entry.fault else "note"
            lines.append(f"      {label}: {entry.title} [{entry.name}]  (line {r.mistake['line']})")
            lines.append(f"      hint: {r.mistake['hint']}")
        if r.counterexample is not None:
            c = r.counterexample
            model = "  ".join(f"{k}={v}" for k, v in c["model"].items())
            lines.append("      counterexample:")
            lines.append(f"        model: {model}")
            lines.append(f"        -∇_θ J = {_vector(c['expected'])}   E[∇_θ L] = {_vector(c['got'])}"
                         f"   (components {', '.join(c['gradient of'])})")
            if "∂²L/∂θ1∂φ" in c:
                lines.append(f"        ∂²L/∂θ1∂φ = {c['∂²L/∂θ1∂φ']:.6g} on a batch (0 for a right loss)")
    counts: dict[str, int] = {}
    for r in results:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
    summary = ", ".join(f"{n} {v}" for v, n in sorted(counts.items(), key=lambda kv: list(_MARK).index(kv[0])))
    lines.append(f"{len(results)} function{'s' if len(results) != 1 else ''}: {summary}")
    return "\n".join(lines) + "\n"
