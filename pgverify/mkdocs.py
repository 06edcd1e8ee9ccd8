"""MkDocs: ``plugins: [pgverify]`` checks the math of every Markdown page while the site is built.

Each page is checked as ``pgverify check`` checks its file (the page's source
as written, front matter included, so the lines are the file's); each fault is
a warning naming the page and line, so ``mkdocs build --strict`` fails on a
refuted step::

    WARNING -  pgverify: notes/logs.md:12: refuted: The log of a product was written as … [pgverify]

``mkdocs.yml``::

    plugins:
      - search
      - pgverify:
          fail_on: unknown        # or refuted: unknown steps give no warning
          macros: [macros.tex]    # LaTeX macro files, besides [tool.pgverify]'s (relative to mkdocs.yml)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.plugins import BasePlugin, get_plugin_logger

from .buffer import check_buffer, faults, settings_for

log = get_plugin_logger("pgverify")


class PgverifyConfig(base.Config):
    """The plugin's options in mkdocs.yml."""

    fail_on = c.Choice(("", "unknown", "refuted"), default="")
    macros = c.ListOfItems(c.Type(str), default=[])


class PgverifyPlugin(BasePlugin[PgverifyConfig]):
    """Checks each page's derivations and warns at their page and line."""

    def on_page_markdown(self, markdown: str, page: Any, config: Any, files: Any) -> str:
        """Check the page's source file (unchanged: the Markdown goes on to MkDocs as it came)."""
        source = page.file.abs_src_path
        if not source or Path(source).suffix.lower() not in (".md", ".markdown", ".mdx"):
            return markdown
        try:
            text = Path(source).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            log.warning(f"{page.file.src_uri}: cannot read it: {err}")
            return markdown
        macros = []
        root = Path(config.config_file_path or ".").parent
        for name in self.config.macros:
            try:
                macros.append((root / name).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as err:
                log.warning(f"macros file {name}: cannot read it: {err}")
        chosen = settings_for(Path(source), "\n".join(macros))
        if chosen.problem:
            log.warning(chosen.problem)
        report = check_buffer(text, source, chosen.options, chosen.read_options,
                              fail_on=self.config.fail_on or chosen.fail_on)
        for fault in faults(report):
            where = f"{page.file.src_uri}:{fault.line}"
            if fault.kind == "note":
                log.info(f"{where}: {fault.message}")
            else:
                log.warning(f"{where}: {fault.message}")
        return markdown
