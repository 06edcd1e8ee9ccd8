"""The grammars of both front ends, read from ``pgverify/grammars/`` (a link to the top-level ``grammars/``)."""

from __future__ import annotations

from pathlib import Path

_FOLDER = Path(__file__).parent.parent / "grammars"


def load(name: str) -> str:
    """The text of ``grammars/<name>.lark``."""
    return (_FOLDER / f"{name}.lark").read_text(encoding="utf-8")
