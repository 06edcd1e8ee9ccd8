"""How notes are read (kept apart so that choosing a reader imports nothing heavy)."""

from __future__ import annotations

from ..model.records import finish, record


@record(slots=False)
class ReadOptions:
    """How to read notes: ``all_math`` (the default) reads every display block, marked or not (notes
    mode); ``False`` reads the marked ones only; ``macros`` is LaTeX text with ``\\newcommand``/``\\def``
    definitions (a ``--macros`` file, or a site's macro table turned into them); ``rl`` turns on the rl
    vocabulary in notes that declare none."""

    all_math: bool = True
    macros: str = ""
    rl: bool = True


finish(__name__)   # the methods of this module's records, made at once (see model/records.py)
