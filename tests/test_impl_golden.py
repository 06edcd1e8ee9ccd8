"""Golden test: every function under proofs/impl/ gets the verdict (and mistake) its `# expect:` comment names."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pgverify.impl import check_path
from pgverify.impl.catalogue import IMPL_MISTAKES

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "proofs" / "impl").glob("*.py"))
EXPECT = re.compile(r"^\s*#\s*expect:\s*(?P<verdict>\w+)(?P<rest>.*)$")


def expectations(path: Path) -> dict[str, dict[str, str]]:
    """function name -> {"verdict": …, "mistake": …, "scale": …}, from the comment lines above each def."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    out = {}
    for node in ast.parse(source).body:
        if not isinstance(node, ast.FunctionDef):
            continue
        k = node.lineno - 2
        while k >= 0 and lines[k].strip().startswith("#"):
            m = EXPECT.match(lines[k])
            if m:
                fields = {"verdict": m.group("verdict")}
                fields.update(dict(part.split("=", 1) for part in m.group("rest").split()))
                out[node.name] = fields
            k -= 1
    return out


def _id(path: Path) -> str:
    return path.name


@pytest.mark.parametrize("path", FILES, ids=_id)
def test_every_function_gets_its_expected_verdict(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path} has no `# expect:` comments"
    results = {r.function: r for r in check_path(path, sorted(expected))}
    wrong = []
    for name, want in expected.items():
        r = results[name]
        got = {"verdict": r.verdict}
        if "mistake" in want:
            got["mistake"] = r.mistake["name"] if r.mistake else "none"
        if "scale" in want:
            got["scale"] = r.scale or "none"
        if got != want or (r.mistake and "mistake" not in want):
            wrong.append(f"{name}: expected {want}, got {got} ({r.message}; mistake {r.mistake})")
    assert wrong == []


def test_every_named_mistake_has_a_flawed_example() -> None:
    named = {f.get("mistake") for path in FILES for f in expectations(path).values()}
    assert {m.name for m in IMPL_MISTAKES} <= named


def test_the_corpus_has_numpy_and_torch_versions_of_each_correct_loss() -> None:
    good = {path.name: set(expectations(path)) for path in FILES if path.name.startswith("good_")}
    assert {"good_numpy.py", "good_torch.py"} <= set(good)
    for kind in ("reward_to_go", "gae"):
        assert all(any(kind in name for name in names) for names in good.values()), kind
