"""How notes are read (kept apart so that choosing a reader imports nothing heavy)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReadOptions:
    """How to read notes: ``all_math`` checks every multi-row chain without a marker;
    ``macros`` is LaTeX text with ``\\newcommand``/``\\def`` definitions (a ``--macros`` file)."""

    all_math: bool = False
    macros: str = ""
