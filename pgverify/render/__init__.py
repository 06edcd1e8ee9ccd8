"""Output formats: each module has ``render(report, *, color, width) -> str``.

Renderers are looked up by name in :data:`RENDERERS` (no ``if format == …``
chain); adding a format means adding a module and one entry here.  A renderer's
module is imported when it is first looked up: a run writes one or two formats,
and the others (the HTML one reads formulas with the .pgv parser) need not load.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, MutableMapping

Renderer = Callable[..., str]

# format name → its module in this package (each module's ``render``)
_MODULES = {"text": "text", "json": "json", "github": "github", "junit": "junit", "sarif": "sarif",
            "markdown": "markdown", "html": "html"}


class _Renderers(MutableMapping[str, Renderer]):
    """The format names, in order, each with its module's ``render`` (imported on first look-up); an entry set
    here (a test's stand-in, a plug-in's format) is kept as given."""

    def __init__(self) -> None:
        self._names = list(_MODULES)
        self._set: dict[str, Renderer] = {}

    def __getitem__(self, name: str) -> Renderer:
        if name not in self._set:
            if name not in _MODULES or name not in self._names:
                raise KeyError(name)
            self._set[name] = importlib.import_module(f"{__name__}.{_MODULES[name]}").render
        return self._set[name]

    def __setitem__(self, name: str, renderer: Renderer) -> None:
        if name not in self._names:
            self._names.append(name)
        self._set[name] = renderer

    def __delitem__(self, name: str) -> None:
        if name not in self._names:
            raise KeyError(name)
        self._names.remove(name)
        self._set.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._names))

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return f"RENDERERS({', '.join(self._names)})"


RENDERERS: MutableMapping[str, Renderer] = _Renderers()
