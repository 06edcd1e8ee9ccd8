"""The layout stays mappable: no import cycle, no oversized class or module, renderers read results.

These read pgverify's own source with ``ast`` (nothing is imported or run), so they
fail as soon as a change breaks the picture in README.md's layout section.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pgverify"
MAX_CLASS_LINES = 250
# "about 600": a little slack, so that a docstring or two does not fail the build
MAX_MODULE_LINES = 650


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path, top_level_only: bool = True) -> set[str]:
    """The pgverify modules ``name`` imports (``from pkg import sub`` counts as importing ``pkg.sub``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out: set[str] = set()
    # imports under `if TYPE_CHECKING:` are for annotations only: they never run, so they make no cycle
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
                   for stmt in block.body for n in ast.walk(stmt)}
    for node in (tree.body if top_level_only else ast.walk(tree)):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            target = ".".join(base + ([node.module] if node.module else []))
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES]
            out.update(subs)
            if len(subs) < len(node.names) and target in MODULES:
                out.add(target)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in MODULES)
    out.discard(name)
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


@pytest.mark.parametrize("top_level_only", [True, False], ids=["module-level", "with-lazy-imports"])
def test_no_import_cycle(top_level_only: bool) -> None:
    graph = {name: _imports(name, path, top_level_only) for name, path in MODULES.items()}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_class_is_oversized() -> None:
    big = []
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.end_lineno - node.lineno + 1 > MAX_CLASS_LINES:
                big.append(f"{name}.{node.name}")
    assert big == []


def test_no_module_is_oversized() -> None:
    big = [name for name, path in MODULES.items()
           if path.read_text(encoding="utf-8").count("\n") > MAX_MODULE_LINES]
    assert big == []


def test_renderers_and_report_read_results_not_the_checker() -> None:
    readers = [n for n in MODULES if n.startswith("pgverify.render") or n == "pgverify.report"]
    assert readers
    for name in readers:
        assert "pgverify.checker" not in _imports(name, MODULES[name], top_level_only=False), name


def test_version_is_a_leaf() -> None:
    assert _imports("pgverify._version", MODULES["pgverify._version"], top_level_only=False) == set()


def test_the_import_contracts_hold() -> None:
    """The layers of pyproject.toml's [tool.importlinter], checked by import-linter itself."""
    import shutil
    import subprocess
    import sys

    root = PACKAGE.parent
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert exe is not None, "import-linter is part of the test extra"
    done = subprocess.run([exe, "--config", str(root / "pyproject.toml"), "--no-cache"], cwd=root,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout
