"""A file of many derivations costs what its derivations cost: nothing done per derivation grows with the file.

Timings are in bench/run.py (*growth*); these tests check the work itself: each lemma is written into the
cache keys once (not once per later derivation), and the keys still tell apart every scope of lemmas; the
derivations under the same declarations share one context (built once, not once per derivation).
"""

from __future__ import annotations

from pgverify import checker
from pgverify.readers import read_text
from pgverify.readers.options import ReadOptions
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


def test_derivations_under_the_same_declarations_share_one_context(monkeypatch) -> None:
    built: list[object] = []
    real_build = checker.build_context

    def counting_build(*args, **kwargs):
        built.append(args)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(checker, "build_context", counting_build)
    blocks = "".join(f"\n<!-- pgverify -->\n$$\n(x + {i})^2 = x^2 + {2 * i} x + {i * i}\n$$\n" for i in range(30))
    source, _ = read_text("<!-- pgverify: param x -->\n" + blocks, "notes.md", ReadOptions())
    assert len(source.derivations) == 30
    _, errors, contexts, keys = checker._prepare(source, keyed=True)
    assert len(built) == 1 and len({id(c) for c in contexts}) == 1 and len(set(keys)) == 1
    assert not errors
    result = checker.check_source(source, checker.Options(in_process=True))
    assert [s.verdict for d in result.derivations for s in d.steps] == ["proved"] * 30


def test_a_lemma_or_declarations_of_its_own_give_a_derivation_its_own_context() -> None:
    text = ("param x, y\n"
            "\nderivation \"a\"\n    x y\n  = y x   by algebra\n"
            "\nlemma l: (x + 1) y = x y + y\n    (x + 1) y\n  = x y + y   by algebra\n"
            "\nderivation \"b\"\n    x y\n  = y x   by algebra\n"
            "\nderivation \"c\"\n    x y\n  = y x   by algebra\n"
            "\nderivation \"d\"\n  param z\n    x z\n  = z x   by algebra\n"
            "\nderivation \"e\"\n  param z\n    x z\n  = z x   by algebra\n")
    source = parse_source(text, "scopes.pgv")
    assert not source.errors, source.errors
    _, _, contexts, keys = checker._prepare(source, keyed=True)
    a, lemma, b, c, d, e = contexts
    assert lemma is a                        # the lemma's own derivation sees no lemma yet
    assert b is not a and "l" in b.lemmas and "l" not in a.lemmas
    assert c is b                            # nothing changed between b and c
    assert d is not c and e is not d         # each states declarations of its own (own spans, own errors)
    assert "z" in d.params and "z" not in c.params
    assert keys[4] == keys[5] != keys[3]     # equal declarations still give equal keys


def test_a_malformed_declaration_of_each_derivation_is_reported_at_its_own_line() -> None:
    text = ("param x\n"
            "\nderivation \"a\"\n  use nothing\n    x\n  = x   by algebra\n"
            "\nderivation \"b\"\n  use nothing\n    x\n  = x   by algebra\n")
    source = parse_source(text, "errors.pgv")
    _, errors, _, _ = checker._prepare(source, keyed=False)
    assert [e.span.line for e in errors] == [4, 9]


def test_a_contexts_memo_is_emptied_after_a_bounded_number_of_steps() -> None:
    from pgverify import semantics

    ctx = Context()
    for k in range(semantics.MEMO_STEPS):
        ctx.count_step()
        ctx.memo[k + 1] = ("an entry of step", k)
    assert len(ctx.memo) == semantics.MEMO_STEPS + 1   # its entries and the count
    ctx.count_step()                                   # the next step starts from an empty memo
    assert [key for key in ctx.memo if key >= 0] == []


def test_a_memo_emptied_at_every_step_gives_the_same_results(monkeypatch) -> None:
    """What a context's memo keeps saves time only: emptied before each step (as in a worker that checked
    MEMO_STEPS steps before them), the results of files that reuse values across steps and models are the same."""
    from pathlib import Path

    from pgverify import semantics

    root = Path(__file__).resolve().parent.parent / "proofs" / "good"
    sources = [read_text(p.read_text(), str(p), ReadOptions())[0]
               for p in (root / "monte_carlo_estimator.pgv", root / "reward_to_go.pgv", root / "baselines.pgv")]
    options = checker.Options(in_process=True)
    kept = checker.check_sources(sources, options)
    monkeypatch.setattr(semantics, "MEMO_STEPS", 1)
    assert checker.check_sources(sources, options) == kept
