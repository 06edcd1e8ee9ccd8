"""Output formats: each module has ``render(report, *, color, width) -> str``.

Renderers are looked up by name in :data:`RENDERERS` (no ``if format == …``
chain); adding a format means adding a module and one entry here.
"""

from __future__ import annotations

from collections.abc import Callable


from . import github, html, junit, markdown, sarif
from . import json as json_format
from . import text as text_format

Renderer = Callable[..., str]

RENDERERS: dict[str, Renderer] = {
    "text": text_format.render,
    "json": json_format.render,
    "github": github.render,
    "junit": junit.render,
    "sarif": sarif.render,
    "markdown": markdown.render,
    "html": html.render,
}
