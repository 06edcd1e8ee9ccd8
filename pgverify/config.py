"""Settings from ``[tool.pgverify]`` in pyproject.toml or from pgverify.toml.

The nearest of these files at or above the working directory is used (a
``pgverify.toml`` wins over a ``pyproject.toml`` in the same folder); command
line options override it.  Keys::

    paths = ["notes/", "proofs/"]      # what `pgverify check` checks when given no paths
    exclude = ["notes/drafts/*"]       # glob patterns (relative to the config's folder) left out
    format = "text"                    # text | json | github | junit | sarif | markdown | html
    macros = "notes/macros.tex"        # LaTeX macro definitions (a file, or a list of files)
    all_math = false                   # check every multi-line chain, marked or not
    fail_on = "unknown"                # "refuted": only refuted steps fail the run
    seed = 0
    time_limit = 5.0                   # seconds per step
    memory_limit = 2048                # MiB of memory (address space) per step worker
    strict = false
    select = ["refuted"]               # only faults matching these names count (rules, mistakes, fault kinds)
    ignore = ["mismatch", "drop-baseline-gradient"]   # faults matching these do not count
    cache_dir = ".pgverify-cache"      # where `check` keeps step results (relative to the config's folder)
    jobs = 2                           # worker processes of `check` (default: the cores)
"""

from __future__ import annotations

from dataclasses import field
from pathlib import Path
from typing import Any

from . import limits
from .records import finish, record


class ConfigError(Exception):
    """A configuration file that cannot be used; the message says why and where."""


@record(slots=False)
class Config:
    """The settings of a configuration file (None or empty: not set there); ``extra``: keys it does not know."""

    root: Path = Path(".")
    source: Path | None = None
    paths: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    format: str | None = None
    macros: tuple[str, ...] = ()
    macro_table: dict[str, Any] = field(default_factory=dict)   # `macros = {E = "\\mathbb{E}"}`: macros by name
    all_math: bool | None = None
    fail_on: str | None = None
    seed: int | None = None
    time_limit: float | None = None
    memory_limit: int | None = None
    strict: bool | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    cache_dir: str | None = None
    jobs: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


_TYPES: dict[str, type | tuple[type, ...]] = {
    "paths": list, "exclude": list, "format": str, "macros": (str, list, dict), "all_math": bool, "fail_on": str,
    "seed": int, "time_limit": (int, float), "memory_limit": int, "strict": bool, "select": list, "ignore": list,
    "cache_dir": str, "jobs": int,
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
            if not _may_name_pgverify(text):
                continue
            # imported here: a pyproject.toml that never names pgverify (most) is not parsed at all
            import tomllib

            try:
                if "pgverify" in tomllib.loads(text).get("tool", {}):
                    return pyproject
            except ValueError:  # TOMLDecodeError, or an integer of more than 4300 digits
                if "[tool.pgverify" in text:
                    return pyproject  # ours, but broken: load() says why rather than ignoring it
                continue
    return None


def _may_name_pgverify(text: str) -> bool:
    """Whether TOML ``text`` can hold a key ``pgverify``: it is written out, or a quoted key may spell it with
    ``\\u``/``\\U`` escapes (TOML's other escapes make no letter)."""
    return "pgverify" in text or "\\u" in text or "\\U" in text


def load(path: Path | None) -> Config:
    """Read a configuration file (None: no configuration)."""
    if path is None:
        return Config()
    # imported here, with a configuration to read (see find)
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:  # TOMLDecodeError, or an integer of more than 4300 digits
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
    try:  # a finite number within bounds: inf, nan, a negative or a huge value is refused here
        if "time_limit" in table:
            table["time_limit"] = limits.check_seconds(table["time_limit"], "'time_limit'")
        if "memory_limit" in table:
            table["memory_limit"] = limits.check_mebibytes(table["memory_limit"], "'memory_limit'")
    except limits.LimitError as err:
        raise ConfigError(f"{path}: {err}") from None
    if "jobs" in table and not 1 <= table["jobs"] <= 1024:
        raise ConfigError(f"{path}: 'jobs' must be a whole number from 1 to 1024, not {table['jobs']!r}")
    if "cache_dir" in table and not table["cache_dir"].strip():
        raise ConfigError(f"{path}: 'cache_dir' must not be empty")
    formats = ("text", "json", "github", "junit", "sarif", "markdown", "html")
    if table.get("format", "text") not in formats:
        raise ConfigError(f"{path}: 'format' must be one of {', '.join(formats)}, not {table['format']!r}")
    macros = table.get("macros", ())
    return Config(
        root=path.parent, source=path,
        paths=tuple(str(p) for p in table.get("paths", ())),
        exclude=tuple(str(p) for p in table.get("exclude", ())),
        format=table.get("format"),
        macros=(macros,) if isinstance(macros, str) else () if isinstance(macros, dict) else tuple(str(m) for m in macros),
        macro_table=dict(macros) if isinstance(macros, dict) else {},
        all_math=table.get("all_math"), fail_on=table.get("fail_on"), seed=table.get("seed"),
        time_limit=float(table["time_limit"]) if "time_limit" in table else None, strict=table.get("strict"),
        memory_limit=table.get("memory_limit"),
        select=tuple(table.get("select", ())), ignore=tuple(table.get("ignore", ())),
        cache_dir=table.get("cache_dir"), jobs=table.get("jobs"),
    )


finish(__name__)   # the methods of this module's records, made at once (see pgverify/records.py)
