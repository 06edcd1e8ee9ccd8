"""Sphinx (and Jupyter Book, which builds with Sphinx): ``extensions = ["pgverify.sphinx"]``.

Each page's math is checked while Sphinx reads the page, exactly as
``pgverify check`` reads that file (``.rst``, MyST ``.md``, ``.ipynb``); each
fault is a Sphinx warning at the page's file and line, so ``sphinx-build -W``
fails on a refuted step::

    notes/chapter.rst:42: WARNING: refuted: The log of a product was written as a product of logs [...] [pgverify.refuted]

The site's own MathJax macros (``mathjax3_config = {"tex": {"macros": …}}``)
are read as LaTeX macro definitions, besides the ``macros`` of the project's
``[tool.pgverify]`` settings.  Options in ``conf.py``:

* ``pgverify_fail_on = "unknown"`` — ``"refuted"``: unknown steps give no warning;
* ``pgverify_mark = True`` — in the HTML, a note after each faulty display
  block naming the mistake and its hint (``False``: warnings only).

A warning can be silenced like any Sphinx warning (``suppress_warnings =
["pgverify.unknown"]``) or at its place with a ``pgverify: ignore`` comment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

from ._version import __version__
from .buffer import Fault, check_buffer, faults, settings_for

logger = logging.getLogger(__name__)


def mathjax_macros(config: Any) -> str:
    """MathJax 3's ``tex.macros`` (or MathJax 2's ``TeX.Macros``) as ``\\newcommand`` lines.

    A macro is ``"name": "body"`` or ``"name": ["body", arguments]`` (MathJax's two forms); anything else is
    left out, since the site's MathJax would not read it either."""
    out = []
    for table in (_dig(getattr(config, "mathjax3_config", None), "tex", "macros"),
                  _dig(getattr(config, "mathjax_config", None), "TeX", "Macros")):
        for name, value in (table or {}).items():
            if not isinstance(name, str) or not name.isalpha():
                continue
            if isinstance(value, str):
                out.append(f"\\newcommand{{\\{name}}}{{{value}}}")
            elif isinstance(value, (list, tuple)) and value and isinstance(value[0], str):
                count = value[1] if len(value) > 1 and isinstance(value[1], int) else 0
                out.append(f"\\newcommand{{\\{name}}}[{count}]{{{value[0]}}}" if count else
                           f"\\newcommand{{\\{name}}}{{{value[0]}}}")
    return "\n".join(out)


def _dig(table: Any, *keys: str) -> dict | None:
    for key in keys:
        if not isinstance(table, dict):
            return None
        table = table.get(key)
    return table if isinstance(table, dict) else None


def _source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    path = Path(app.env.doc2path(docname))
    chosen = settings_for(path, mathjax_macros(app.config))
    if chosen.problem:
        logger.warning(f"pgverify: {chosen.problem}", type="pgverify", subtype="config")
    fail_on = app.config.pgverify_fail_on or chosen.fail_on
    report = check_buffer(source[0], str(path), chosen.options, chosen.read_options, fail_on=fail_on)
    found = faults(report)
    for fault in found:
        if fault.kind == "note":
            logger.info(f"{path}:{fault.line}: pgverify: {fault.message}")
            continue
        logger.warning(fault.message, location=(docname, fault.line), type="pgverify", subtype=fault.kind)
    store = _faults(app.env)
    store[docname] = [(f.line, f.kind, f.message) for f in found if f.kind != "note"]


def _faults(env: Any) -> dict[str, list[tuple[int, str, str]]]:
    if not hasattr(env, "pgverify_faults"):
        env.pgverify_faults = {}
    return env.pgverify_faults


def _purge(app: Sphinx, env: Any, docname: str) -> None:
    _faults(env).pop(docname, None)


def _merge(app: Sphinx, env: Any, docnames: set[str], other: Any) -> None:
    _faults(env).update({d: v for d, v in _faults(other).items() if d in docnames})


def _mark(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """A note after the display block that holds each fault (the nearest block at or before its line)."""
    if not app.config.pgverify_mark or app.builder.format != "html":
        return
    blocks = [n for n in doctree.findall(nodes.math_block) if n.line is not None]
    for line, kind, message in _faults(app.env).get(docname, []):
        before = [b for b in blocks if b.line <= line + 1]
        if not before:
            continue
        block = max(before, key=lambda b: b.line)
        note = nodes.admonition(classes=["pgverify-fault", "warning"])
        note += nodes.title(text=f"pgverify: {kind} (line {line})")
        note += nodes.paragraph(text=message)
        block.parent.insert(block.parent.index(block) + 1, note)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the extension with Sphinx."""
    app.add_config_value("pgverify_fail_on", "", "env", [str])
    app.add_config_value("pgverify_mark", True, "html", [bool])
    app.connect("source-read", _source_read)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("doctree-resolved", _mark)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True,
            "env_version": 1}


__all__ = ["Fault", "mathjax_macros", "setup"]
