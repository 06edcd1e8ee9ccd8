"""A file of many derivations costs what its derivations cost: nothing done per derivation grows with the file.

Timings are in bench/run.py (*growth*); these tests check the work itself: each lemma is written into the
cache keys once (not once per later derivation), and the keys still tell apart every scope of lemmas.
"""

from __future__ import annotations

from pgverify import checker
from pgverify.checkcache import canonical
from pgverify.semantics import Context
from pgverify.syntax import parse_source


def _lemmas(goals: list[str]) -> str:
    parts = ["param x, y\n"]
    for i, goal in enumerate(goals):
        parts.append(f"\nlemma l{i}: {goal}\n    {goal.split(' = ')[0]}\n  = {goal.split(' = ')[1]}   by algebra\n")
    return "".join(parts)


def _keys(text: str) -> list[str]:
    source = parse_source(text, "lemmas.pgv")
    assert not source.errors
    return checker._prepare(source, keyed=True)[3]


def test_each_lemma_is_written_into_the_keys_once(monkeypatch) -> None:
    written: list[object] = []
    lemma_counts: list[int] = []
    real_canonical, real_context_key = checker.canonical, checker.context_key

    def counting_canonical(value: object) -> str:
        written.append(value)
        return real_canonical(value)

    def counting_context_key(ctx: Context) -> str:
        lemma_counts.append(len(ctx.lemmas))
        return real_context_key(ctx)

    monkeypatch.setattr(checker, "canonical", counting_canonical)
    monkeypatch.setattr(checker, "context_key", counting_context_key)
    n = 40
    source = parse_source(_lemmas([f"(x + {i}) y = x y + {i} y" for i in range(n)]), "lemmas.pgv")
    _, _, contexts, keys = checker._prepare(source, keyed=True)
    assert len(written) == n                         # one per lemma, not one per earlier lemma and derivation
    assert lemma_counts == [0] * n                   # the declarations are keyed without the lemmas
    assert [len(ctx.lemmas) for ctx in contexts] == list(range(n))   # each derivation still sees those before
    assert len(set(keys)) == n


def test_the_keys_follow_the_lemmas_before_each_derivation() -> None:
    first = _keys(_lemmas(["(x + 1) y = x y + y", "(x + 2) y = x y + 2 y", "(x + 3) y = x y + 3 y"]))
    again = _keys(_lemmas(["(x + 1) y = x y + y", "(x + 2) y = x y + 2 y", "(x + 3) y = x y + 3 y"]))
    changed = _keys(_lemmas(["(x + 1) y = x y + y", "(x + 5) y = x y + 5 y", "(x + 3) y = x y + 3 y"]))
    assert first == again
    assert changed[:2] == first[:2]      # the lemmas before them are the same
    assert changed[2] != first[2]        # the second lemma, in scope of the third derivation, changed


def test_the_keys_tell_the_declarations_apart() -> None:
    text = _lemmas(["(x + 1) y = x y + y"])
    assert _keys(text) != _keys(text.replace("param x, y", "param x, y, z"))
    assert canonical(parse_source(text, "a.pgv").derivations[0].goal) == \
        canonical(parse_source("\n\n" + text, "b.pgv").derivations[0].goal)   # positions play no part
