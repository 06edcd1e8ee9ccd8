"""The kernel and the catalogue keep to their place in the flow (syntax → model → semantics → rules/kernel → checker)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pgverify"


def _top_level_imports(path: Path, lazy_too: bool = False) -> set[str]:
    """The modules a file imports when it is loaded (with ``lazy_too``, inside functions too), as absolute names."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = parts[:-1]
    out: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in (ast.walk(tree) if lazy_too else tree.body):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            module = ".".join(x for x in (base, node.module or "") if x)
            out.update(f"{module}.{a.name}" for a in node.names)   # a name may be a submodule
    return out


def _allowed(name: str, prefixes: tuple[str, ...]) -> bool:
    root = name.split(".")[0]
    return root in sys.stdlib_module_names or any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("path", sorted((PACKAGE / "kernel").glob("*.py")), ids=lambda p: p.name)
def test_the_kernel_imports_only_the_model_semantics_and_the_catalogue_records(path: Path) -> None:
    allowed = ("sympy", "pgverify.kernel", "pgverify.model", "pgverify.semantics", "pgverify.rules.base")
    bad = sorted(n for n in _top_level_imports(path) if not _allowed(n, allowed))
    assert not bad, f"{path.name} imports {bad} (the catalogue itself is read lazily, inside functions)"


@pytest.mark.parametrize("path", sorted((PACKAGE / "rules").glob("*.py")), ids=lambda p: p.name)
def test_the_catalogue_loads_without_sympy_or_the_kernel(path: Path) -> None:
    allowed = ("pgverify.rules", "pgverify.model", "pgverify.semantics")
    bad = sorted(n for n in _top_level_imports(path) if not _allowed(n, allowed))
    assert not bad, f"{path.name} imports {bad} (rewrites reach sympy and the kernel through LazyModule)"
    kernel = sorted(n for n in _top_level_imports(path, lazy_too=True) if n.startswith("pgverify.kernel"))
    assert not kernel, f"{path.name} imports {kernel}: the kernel reads the catalogue, never the reverse"


@pytest.mark.parametrize("name", ["diagnose.py", "conditions.py", "checker.py"])
def test_the_checker_side_loads_the_kernel_only_on_demand(name: str) -> None:
    bad = sorted(n for n in _top_level_imports(PACKAGE / name) if n.startswith(("pgverify.kernel", "sympy")))
    assert not bad, f"{name} imports {bad} at load time (sympy is the slow part of start-up)"
