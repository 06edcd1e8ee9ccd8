"""Site macros where the site keeps them, read without running anything.

A ``--macros`` file (or the ``macros`` setting) may be LaTeX (``\\newcommand``, ``\\def``,
``\\DeclareMathOperator`` anywhere in it) or the configuration of the site that renders
the notes; :func:`macro_text` turns any of them into LaTeX definitions:

* Sphinx ``conf.py``, parsed with :mod:`ast` (never imported or executed):
  ``mathjax3_config = {"tex": {"macros": {...}}}``, the MathJax 2 ``mathjax_config``
  (``{"TeX": {"Macros": {...}}}``), ``katex_macros``, ``imgmath_latex_preamble`` and
  ``latex_elements["preamble"]``; names bound to literals earlier in the file are followed;
* Jupyter Book ``_config.yml`` (``sphinx: config: mathjax3_config: …``), MkDocs ``mkdocs.yml``
  and Quarto ``_quarto.yml``: every ``macros`` table in the YAML, every preamble string, and
  the files they name (``extra_javascript``, ``include-in-header``) beside the YAML file;
* a KaTeX/MathJax macro script (``.js``) or a JSON table: ``macros: {"\\\\RR": "\\\\mathbb{R}"}``.

A table maps a name (with or without its backslash) to a body, or to ``[body, nargs]``,
or ``[body, nargs, default]`` (MathJax's form).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

_CONF_NAMES = ("mathjax3_config", "mathjax_config", "katex_macros", "imgmath_latex_preamble", "latex_elements",
               "katex_options", "pngmath_latex_preamble")
_PREAMBLE_KEYS = ("preamble", "imgmath_latex_preamble", "latex_preamble", "pngmath_latex_preamble")
_MAX_FILE = 2_000_000      # a site's macro file is small; anything bigger is not one


def macro_text(path: str | Path, text: str) -> str:
    """LaTeX macro definitions from a macro file of any kind (see the module docstring)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".py":
        return from_conf_py(text)
    if suffix in (".yml", ".yaml"):
        return from_yaml(text, Path(path).parent)
    if suffix == ".json":
        try:
            return _definitions(_tables(json.loads(text)))
        except ValueError:
            return ""
    if suffix in (".js", ".mjs"):
        return from_script(text)
    return text


# --------------------------------------------------------------------------- tables → LaTeX


def table_text(table: dict[str, Any]) -> str:
    """A macro table (``[tool.pgverify] macros = {E = "\\mathbb{E}", underE = ["…", 2]}``) as LaTeX."""
    return _definitions([table])


def _definitions(tables: list[dict[str, Any]], preambles: list[str] = ()) -> str:
    out = list(preambles)
    for table in tables:
        for name, value in table.items():
            if not isinstance(name, str) or not re.fullmatch(r"\\?[A-Za-z]+", name.strip()):
                continue
            body, nargs, default = _entry(value)
            if body is None:
                continue
            name = name.strip().lstrip("\\")
            args = f"[{nargs}]" if nargs else ""
            if nargs and default is not None:
                args += f"[{default}]"
            out.append(f"\\newcommand{{\\{name}}}{args}{{{body}}}")
    return "\n".join(out)


def _entry(value: Any) -> tuple[str | None, int, str | None]:
    if isinstance(value, str):
        return value, _highest_argument(value), None
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], str):
        nargs = value[1] if len(value) > 1 and isinstance(value[1], int) and 0 <= value[1] <= 9 else 0
        default = value[2] if len(value) > 2 and isinstance(value[2], str) else None
        return value[0], nargs, default
    return None, 0, None


def _highest_argument(body: str) -> int:
    """KaTeX infers a macro's arity from the ``#n`` in its body."""
    return max((int(n) for n in re.findall(r"#(\d)", body)), default=0)


_MAX_NODES = 100_000


def _items(data: Any) -> list[tuple[Any, Any]]:
    """Every (key, value) of every table inside nested data, each table once (YAML aliases share tables:
    a "billion laughs" document is walked in its real size), at most ``_MAX_NODES`` of them."""
    out: list[tuple[Any, Any]] = []
    seen: set[int] = set()
    stack = [(data, 0)]
    while stack and len(seen) < _MAX_NODES:
        node, depth = stack.pop()
        if id(node) in seen or depth > 12:
            continue
        if isinstance(node, dict):
            seen.add(id(node))
            for key, value in node.items():
                out.append((key, value))
                stack.append((value, depth + 1))
        elif isinstance(node, list):
            seen.add(id(node))
            stack.extend((value, depth + 1) for value in node)
    return out


def _tables(data: Any) -> list[dict[str, Any]]:
    """Every ``macros``/``Macros`` table inside nested data."""
    return [v for k, v in _items(data) if isinstance(k, str) and k.lower() == "macros" and isinstance(v, dict)]


def _preambles(data: Any) -> list[str]:
    return [v for k, v in _items(data) if isinstance(k, str) and k.lower() in _PREAMBLE_KEYS and isinstance(v, str)]


# --------------------------------------------------------------------------- Sphinx conf.py


def from_conf_py(text: str) -> str:
    """The macros of a Sphinx ``conf.py``, read from its syntax tree (the file is never run)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ""
    env: dict[str, Any] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            value = _literal(stmt.value, env) if stmt.value is not None else None
            for target in targets:
                _bind(target, value, env)
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
            extra = _literal(stmt.value, env)
            old = env.get(stmt.target.id)
            if isinstance(old, str) and isinstance(extra, str):
                env[stmt.target.id] = old + extra
            elif isinstance(old, dict) and isinstance(extra, dict):
                env[stmt.target.id] = {**old, **extra}
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            _update_call(stmt.value, env)
    chosen = {name: env[name] for name in _CONF_NAMES if name in env}
    tables = _tables(chosen)
    if isinstance(chosen.get("katex_macros"), dict):
        tables.append(chosen["katex_macros"])
    if isinstance(chosen.get("katex_options"), str):
        tables.extend(_tables_in_script(chosen["katex_options"]))
    preambles = [v for k, v in chosen.items() if k.endswith("preamble") and isinstance(v, str)]
    preambles += _preambles(chosen.get("latex_elements"))
    return _definitions(tables, preambles)


_MISSING = object()


def _literal(node: ast.AST, env: dict[str, Any], depth: int = 0) -> Any:
    """A literal (strings, numbers, dicts, lists, names bound before, ``+`` of strings), else None."""
    if depth > 40:
        return None
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return env.get(node.id)
    if isinstance(node, ast.Dict):
        out: dict[Any, Any] = {}
        for k, v in zip(node.keys, node.values):
            if k is None:                      # {**other}
                merged = _literal(v, env, depth + 1)
                if isinstance(merged, dict):
                    out.update(merged)
                continue
            key = _literal(k, env, depth + 1)
            if isinstance(key, (str, int)):
                out[key] = _literal(v, env, depth + 1)
        return out
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_literal(e, env, depth + 1) for e in node.elts]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left, env, depth + 1), _literal(node.right, env, depth + 1)
        if isinstance(left, str) and isinstance(right, str):
            return left + right
        if isinstance(left, list) and isinstance(right, list):
            return left + right
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict" and not node.args:
        return {kw.arg: _literal(kw.value, env, depth + 1) for kw in node.keywords if kw.arg}
    return None


def _bind(target: ast.AST, value: Any, env: dict[str, Any]) -> None:
    """``name = …`` and ``name["a"]["b"] = …`` (a key set inside a table bound before)."""
    if isinstance(target, ast.Name):
        env[target.id] = value
        return
    if not isinstance(target, ast.Subscript):
        return
    key = _literal(target.slice, env)
    if not isinstance(key, (str, int)):
        return
    table = _table(target.value, env)
    if table is not None:
        table[key] = value


def _update_call(call: ast.Call, env: dict[str, Any]) -> None:
    """``mathjax3_config["tex"]["macros"].update({...})``."""
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr == "update" and len(call.args) == 1):
        return
    extra = _literal(call.args[0], env)
    if not isinstance(extra, dict):
        return
    table = _table(func.value, env)
    if table is not None:
        table.update(extra)


def _table(target: ast.AST, env: dict[str, Any]) -> dict | None:
    """The table ``name["a"]["b"]`` names (made empty where it is not there yet), or None when the chain
    is not a name with literal keys or passes through something other than a table."""
    keys = []
    while isinstance(target, ast.Subscript):
        key = _literal(target.slice, env)
        if not isinstance(key, (str, int)):
            return None
        keys.append(key)
        target = target.value
    if not isinstance(target, ast.Name):
        return None
    table = env.setdefault(target.id, {})
    for key in reversed(keys):
        if not isinstance(table, dict):
            return None
        table = table.setdefault(key, {})
    return table if isinstance(table, dict) else None


# --------------------------------------------------------------------------- YAML sites and scripts


def from_yaml(text: str, folder: Path) -> str:
    """Macros of a Jupyter Book, MkDocs or Quarto configuration (and of the files it names beside it)."""
    try:
        import yaml
    except ImportError:                         # PyYAML is optional: read the inline tables by hand
        return from_script(text)
    try:
        data = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, RecursionError):
        return ""
    parts = [_definitions(_tables(data), _preambles(data))]
    for name in _named_files(data):
        from .. import inputs

        # MkDocs names its scripts from docs_dir (``docs/`` unless the YAML says otherwise)
        docs = data.get("docs_dir", "docs") if isinstance(data, dict) and isinstance(data.get("docs_dir", "docs"), str) \
            else "docs"
        for target in (folder / name, folder / docs / name):
            try:
                # only files of the site itself, beside its configuration, regular and of bounded size
                parts.append(macro_text(target, inputs.read_text(target, limit=_MAX_FILE, within=folder)))
                break
            except (inputs.InputError, OSError, ValueError):
                continue
    return "\n".join(p for p in parts if p)


def _named_files(data: Any) -> list[str]:
    """``extra_javascript`` (MkDocs) and ``include-in-header`` (Quarto) entries that name a file."""
    found: list[str] = []
    for key, value in _items(data):
        if key in ("extra_javascript", "include-in-header", "include-before-body", "header-includes"):
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, str) and not re.match(r"\w+://", v) and "\n" not in v:
                    found.append(v)
                elif isinstance(v, dict) and isinstance(v.get("file"), str):
                    found.append(v["file"])
    return found[:20]


_ENTRY = re.compile(r"""(?P<q>["'])(?P<name>\\{0,2}[A-Za-z]+)(?P=q)\s*:\s*(?P<body>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\[[^\]]*\])""")


def from_script(text: str) -> str:
    """Macros in a KaTeX/MathJax script or any text holding ``macros: { "\\\\RR": "\\\\mathbb{R}" }``
    (read with a pattern, never run), and any LaTeX definitions it holds."""
    return "\n".join(p for p in (_definitions(_tables_in_script(text)), _latex_in(text)) if p)


def _tables_in_script(text: str) -> list[dict[str, Any]]:
    table: dict[str, Any] = {}
    for block in re.finditer(r"[Mm]acros\s*:\s*\{", text):
        depth, i = 1, block.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        for entry in _ENTRY.finditer(text[block.end():i]):
            name = entry.group("name").replace("\\\\", "\\")
            raw = entry.group("body")
            try:
                value = json.loads(raw if raw[0] in '"[' else '"' + raw[1:-1].replace('"', '\\"') + '"')
            except ValueError:
                continue
            table[name] = value
    return [table] if table else []


def _latex_in(text: str) -> str:
    return "\n".join(found.group(0) for found in re.finditer(r"\\(newcommand|renewcommand|def|DeclareMathOperator)"
                                                             r"[^\n]*", text))
