"""Settings from ``[tool.pgverify]`` in pyproject.toml or from pgverify.toml.

The nearest of these files at or above the working directory is used (a
``pgverify.toml`` wins over a ``pyproject.toml`` in the same folder); command
line options override it.  Keys::

    paths = ["notes/", "proofs/"]      # what `pgverify check` checks when given no paths
    exclude = ["notes/drafts/*"]       # glob patterns (relative to the config's folder) left out
    format = "text"                    # text | json | github | junit | sarif | markdown
    macros = "notes/macros.tex"        # LaTeX macro definitions (a file, or a list of files)
    all_math = false                   # check every multi-line chain, marked or not
    fail_on = "unknown"                # "refuted": only refuted steps fail the run
    seed = 0
    time_limit = 5.0                   # seconds per step
    strict = false
    select = ["refuted"]               # only faults matching these names count (rules, mistakes, fault kinds)
    ignore = ["mismatch", "drop-baseline-gradient"]   # faults matching these do not count
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """A configuration file that cannot be used; the message says why and where."""


@dataclass(frozen=True)
class Config:
    root: Path = Path(".")
    source: Path | None = None
    paths: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    format: str | None = None
    macros: tuple[str, ...] = ()
    all_math: bool | None = None
    fail_on: str | None = None
    seed: int | None = None
    time_limit: float | None = None
    strict: bool | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


_TYPES: dict[str, type | tuple[type, ...]] = {
    "paths": list, "exclude": list, "format": str, "macros": (str, list), "all_math": bool, "fail_on": str,
    "seed": int, "time_limit": (int, float), "strict": bool, "select": list, "ignore": list,
}


def find(start: Path) -> Path | None:
    """The nearest pgverify.toml, or pyproject.toml with a [tool.pgverify] table, at or above ``start``."""
    for folder in [start, *start.parents]:
        own = folder / "pgverify.toml"
        if own.is_file():
            return own
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                text = pyproject.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            try:
                if "pgverify" in tomllib.loads(text).get("tool", {}):
                    return pyproject
            except tomllib.TOMLDecodeError:
                if "[tool.pgverify" in text:
                    return pyproject  # ours, but broken: load() says why rather than ignoring it
                continue
    return None


def load(path: Path | None) -> Config:
    """Read a configuration file (None: no configuration)."""
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read: {err}") from None
    table = data.get("tool", {}).get("pgverify", {}) if path.name == "pyproject.toml" else data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.pgverify] must be a table")
    for key, value in table.items():
        expected = _TYPES.get(key)
        if expected is None:
            raise ConfigError(f"{path}: unknown setting '{key}' (known: {', '.join(sorted(_TYPES))})")
        if not isinstance(value, expected) or isinstance(value, bool) and expected in ((int, float), int):
            raise ConfigError(f"{path}: '{key}' has the wrong type ({type(value).__name__})")
    for key in ("select", "ignore"):
        if not all(isinstance(name, str) for name in table.get(key, ())):
            raise ConfigError(f"{path}: '{key}' must be a list of names (strings)")
    if table.get("fail_on", "unknown") not in ("refuted", "unknown"):
        raise ConfigError(f"{path}: 'fail_on' must be \"refuted\" or \"unknown\", not {table['fail_on']!r}")
    if "time_limit" in table and not table["time_limit"] >= 0.1:
        raise ConfigError(f"{path}: 'time_limit' must be at least 0.1 seconds, not {table['time_limit']!r}")
    formats = ("text", "json", "github", "junit", "sarif", "markdown")
    if table.get("format", "text") not in formats:
        raise ConfigError(f"{path}: 'format' must be one of {', '.join(formats)}, not {table['format']!r}")
    macros = table.get("macros", ())
    return Config(
        root=path.parent, source=path,
        paths=tuple(str(p) for p in table.get("paths", ())),
        exclude=tuple(str(p) for p in table.get("exclude", ())),
        format=table.get("format"),
        macros=(macros,) if isinstance(macros, str) else tuple(str(m) for m in macros),
        all_math=table.get("all_math"), fail_on=table.get("fail_on"), seed=table.get("seed"),
        time_limit=float(table["time_limit"]) if "time_limit" in table else None, strict=table.get("strict"),
        select=tuple(table.get("select", ())), ignore=tuple(table.get("ignore", ())),
    )
