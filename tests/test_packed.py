"""Packed derivations (pgverify/model/packed.py): a derivation unpacks to what was packed, field by field and
span by span, with the same sharing; a file's Derivations behave as the tuple they stand for; a check over
packed derivations holds no step of them (its jobs name steps by place)."""

from __future__ import annotations

import dataclasses
import pickle
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgverify import model as m
from pgverify.checker import Options, check_source
from pgverify.model import packed
from pgverify.model.packed import Derivations, DerivationsBuilder, PackError, pack, unpack
from pgverify.readers import ReadOptions, read_text

ROOT = Path(__file__).resolve().parent.parent
SUFFIXES = (".pgv", ".md", ".tex", ".rst", ".ipynb")


def _files() -> list[Path]:
    found = [p for folder in ("proofs", "tests/cases", "tests/notes", "examples") if (ROOT / folder).is_dir()
             for p in sorted((ROOT / folder).rglob("*")) if p.suffix in SUFFIXES and p.is_file()]
    assert len(found) > 50
    return found


def same(a, b, where: str = "derivation") -> None:
    """``a`` and ``b`` alike in every field (spans and other fields that ``==`` leaves out included)."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} vs {type(b).__name__}"
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            if f.name != "_key":   # a name's cached key: computed when asked for
                same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, tuple):
        assert len(a) == len(b), where
        for k, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{k}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _shared_pairs(d: m.Derivation) -> list[tuple[int, int]]:
    """Where a step's left side is the very node of the step before's right side."""
    return [(k, k - 1) for k in range(1, len(d.steps)) if d.steps[k].previous is not None
            and d.steps[k].previous is d.steps[k - 1].expr]


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_derivation_of_the_repositorys_files_unpacks_to_what_was_packed(path: Path) -> None:
    source, _ = read_text(path.read_text(encoding="utf-8"), str(path), ReadOptions())
    for d in source.derivations:
        data = pack(d)                        # never PackError: no reader makes a value without a code
        again = unpack(data)
        same(d, again)
        assert again == d and hash(again) == hash(d)
        assert _shared_pairs(again) == _shared_pairs(d)


@pytest.fixture
def pack_all(monkeypatch):
    """Every derivation a reader reads packed (a file's first ``UNPACKED`` are otherwise kept as they are)."""
    monkeypatch.setattr(packed, "UNPACKED", 0)


def test_a_small_file_is_kept_as_it_is_and_a_large_one_packed_after_its_first_derivations() -> None:
    small = "".join(f'derivation "d{k}"\n    x\n  = x   by algebra\n\n' for k in range(3))
    large = "".join(f'derivation "d{k}"\n    x\n  = x   by algebra\n\n' for k in range(packed.UNPACKED + 3))
    kept = read_text(small, "small.pgv", ReadOptions())[0].derivations
    assert isinstance(kept, Derivations) and not any(type(x) is bytes for x in kept._items)
    items = read_text(large, "large.pgv", ReadOptions())[0].derivations._items
    assert [type(x) is bytes for x in items] == [False] * packed.UNPACKED + [True] * 3


def test_derivations_under_one_preamble_keep_the_very_same_declarations(pack_all) -> None:
    note = ("<!-- pgverify: param x -->\n\n$$\n(x + 1)^2 = x^2 + 2x + 1\n$$\n\nThen\n\n"
            "$$\n(x - 1)^2 = x^2 - 2x + 1\n$$\n"
            "\n<!-- pgverify: param y -->\n\n$$\n(y + 1)^2 = y^2 + 2y + 1\n$$\n\n$$\n(y - 1)^2 = y^2 - 2y + 1\n$$\n")
    source, _ = read_text(note, "notes.md", ReadOptions())
    ds = list(source.derivations)
    assert isinstance(source.derivations, Derivations) and len(ds) == 4
    assert all(type(x) is bytes for x in source.derivations._items)
    assert ds[2].declarations is ds[3].declarations and ds[2].declarations   # the one tuple, as read
    assert source.derivations[2].declarations is source.derivations[3].declarations


def _names() -> st.SearchStrategy[str]:
    return st.text(max_size=40) | st.sampled_from(["x", "π_θ", "s", "a_t", "", "ρ0"])


_SPANS = st.builds(m.Span, st.integers(-5, 10**7), st.integers(-5, 10**6), st.integers(-5, 10**7),
                   st.integers(-5, 10**6)) | st.just(m.NOWHERE) | st.builds(m.Span, st.integers(0, 300),
                                                                           st.integers(0, 255), st.integers(0, 300),
                                                                           st.integers(0, 255))
_NUMBERS = st.builds(Fraction, st.integers(-10**30, 10**30), st.integers(1, 10**20))


def _exprs() -> st.SearchStrategy[m.Expr]:
    leaves = st.builds(lambda v, s: m.Num(v, span=s), _NUMBERS, _SPANS) | \
        st.builds(lambda b, s: m.Name(b, span=s), _names(), _SPANS) | \
        st.builds(lambda s: m.Placeholder(span=s), _SPANS)

    def grow(inner: st.SearchStrategy[m.Expr]) -> st.SearchStrategy[m.Expr]:
        name = st.builds(lambda b, sub, p, d, s: m.Name(b, tuple(sub), p, None, d, span=s), _names(),
                         st.lists(inner, max_size=2), st.integers(0, 3), st.none() | _names(), _SPANS)
        return st.one_of(
            st.builds(lambda a, b, s: m.Add(a, b, span=s), inner, inner, _SPANS),
            st.builds(lambda a, b, s: m.Pow(a, b, span=s), inner, inner, _SPANS),
            st.builds(lambda a, s: m.Neg(a, span=s), inner, _SPANS),
            st.builds(lambda f, a, g, s: m.Call(f, tuple(a), tuple(g), span=s), name, st.lists(inner, max_size=3),
                      st.lists(inner, max_size=2), _SPANS),
            st.builds(lambda k, i, b, lo, up, integral, s: m.BigOp(k, i, b, lo, up, None, integral, span=s),
                      st.sampled_from(["sum", "prod"]), name, inner, st.none() | inner, st.none() | inner,
                      st.booleans(), _SPANS),
            name)
    return st.recursive(leaves, grow, max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(st.lists(_exprs(), min_size=1, max_size=4), _SPANS, _names(), st.none() | _names())
def test_any_derivation_unpacks_to_what_was_packed(exprs, span, title, lemma) -> None:
    steps = tuple(m.Step(a, "=", b, None, span, "as written") for a, b in zip(exprs, exprs[1:]))
    d = m.Derivation(title, span, (), None, steps, lemma, tuple((e, e) for e in exprs[:1]))
    again = unpack(pack(d))
    same(d, again)
    assert _shared_pairs(again) == _shared_pairs(d)
    assert again.chains[0][0] is again.chains[0][1]   # one node met twice is one node again


def test_a_deep_tree_packs_and_unpacks_without_recursion() -> None:
    e: m.Expr = m.Name("x")
    for k in range(sys.getrecursionlimit() * 3):
        e = m.Neg(e, span=m.Span(k, 1, k, 2))
    d = m.Derivation("deep", m.Span(1, 1, 1, 2), (), None, (m.Step(e, "=", e, None, m.Span(1, 1, 1, 2)),))
    again = unpack(pack(d))
    assert again.steps[0].previous is again.steps[0].expr
    node, depth = again.steps[0].expr, 0
    while isinstance(node, m.Neg):
        node, depth = node.operand, depth + 1
    assert depth == sys.getrecursionlimit() * 3 and node == m.Name("x")


def test_a_value_without_a_code_is_refused_and_its_derivation_kept_as_it_is() -> None:
    half = m.Num(1.5)   # type: ignore[arg-type]   (a float: no code for it)
    odd = m.Derivation("odd", m.Span(1, 1, 1, 2), (), None, (m.Step(half, "=", half, None, m.Span(1, 1, 1, 2)),))
    with pytest.raises(PackError):
        pack(odd)
    plain = m.Derivation("plain", m.Span(2, 1, 2, 2), (), None, ())
    ds = Derivations([odd, plain], unpacked=0)
    assert ds[0] is odd and ds[1] == plain and list(ds) == [odd, plain]


def _some() -> list[m.Derivation]:
    seed = ROOT / "proofs" / "seed" / "seed_policy_gradient.pgv"
    source, _ = read_text(seed.read_text(), "seed.pgv", ReadOptions())
    found = list(source.derivations)
    assert len(found) >= 2
    return found


def test_derivations_behave_as_the_tuple_they_stand_for() -> None:
    plain = tuple(_some())
    ds = Derivations(plain, unpacked=0)
    assert len(ds) == len(plain) and bool(ds) and not Derivations()
    assert tuple(ds) == plain and ds == plain and plain == ds and ds == list(plain) and hash(ds) == hash(plain)
    assert [ds[k] for k in range(-len(plain), len(plain))] == [*plain, *plain]
    assert ds[1:] == plain[1:] and isinstance(ds[1:], tuple) and ds[::-1] == plain[::-1]
    with pytest.raises(IndexError):
        ds[len(plain)]
    assert ds != plain[:-1] and ds != "text" and Derivations() == ()
    again = pickle.loads(pickle.dumps(ds))
    assert isinstance(again, Derivations) and again == plain
    for a, b in zip(again, plain):
        same(a, b)
    assert ds[0] is ds[0]   # the one asked for last is kept (a derivation's steps are asked for in turn)
    assert m.SourceFile("f.pgv", (), ds, ()) == m.SourceFile("f.pgv", (), plain, ())


def test_the_builder_packs_all_but_the_last_which_a_reader_may_still_replace() -> None:
    first, second = _some()[:2]
    builder = DerivationsBuilder(unpacked=0)
    assert not builder and len(builder) == 0
    builder.append(first)
    assert builder[-1] is first and len(builder) == 1
    builder[-1] = second
    builder.append(first)
    assert builder[-1] is first and builder[0] == second and list(builder) == [second, first]
    with pytest.raises(IndexError):
        builder[0] = first
    builder.append(second)
    assert [builder[k] for k in range(-3, 3)] == [second, first, second] * 2   # negative places as a list's
    with pytest.raises(IndexError):
        builder[-4]
    builder[-1] = first
    assert builder.build() == (second, first, first)


def test_a_check_over_packed_derivations_gives_the_results_of_one_over_the_tuple() -> None:
    path = ROOT / "proofs" / "seed" / "seed_policy_gradient.pgv"
    source, _ = read_text(path.read_text(), str(path), ReadOptions())
    unpacked = dataclasses.replace(source, derivations=tuple(source.derivations))
    packed_all = dataclasses.replace(source, derivations=Derivations(source.derivations, unpacked=0))
    options = Options(in_process=True)
    assert check_source(packed_all, options) == check_source(unpacked, options)


def test_a_checks_jobs_name_their_steps_by_place_and_hold_none_of_them(monkeypatch, pack_all) -> None:
    from pgverify import checker

    note = "".join(f"\n$$\n(x + {k})^2 = x^2 + {2 * k} x + {k * k}\n$$\n" for k in range(1, 6))
    source, _ = read_text("<!-- pgverify: param x -->\n" + note, "notes.md", ReadOptions())
    seen: list = []

    def run(jobs, options):
        for job in jobs:   # what each job closes over: its place and its context, never a step or derivation
            held = [c.cell_contents for c in (job.__closure__ or ())] + list(job.__defaults__ or ())
            seen.append(held)
            assert not any(isinstance(x, (m.Step, m.Derivation)) for x in held)
        return [checker.run_inline(job) for job in jobs]

    monkeypatch.setattr(checker, "_run", run)
    result = check_source(source, Options())   # (the workers' path: in this process a job runs as it is made)
    assert len(seen) == 5 and [s.verdict for d in result.derivations for s in d.steps] == ["proved"] * 5


def test_the_lookalike_names_of_a_packed_derivation_are_found(pack_all) -> None:
    from pgverify import lookalikes

    blocks = "".join(f"\n$$\n(x + {k})^2 = x^2 + {2 * k} x + {k * k}\n$$\n" for k in range(1, 4))
    note = "<!-- pgverify: param x -->\n" + blocks + "\n$$\n(x + х)^2 = (х + x)^2\n$$\n"   # a Cyrillic х
    source, _ = read_text(note, "notes.md", ReadOptions())
    assert all(type(x) is bytes for x in source.derivations._items)
    found = [n.message for n in lookalikes.notes(source)]
    assert any("U+0445" in n and "U+0078" in n for n in found), found


def test_a_fence_in_a_notebook_cell_is_placed_in_the_file_when_its_derivations_are_packed(pack_all) -> None:
    import json

    cells = [{"cell_type": "markdown", "id": "one", "metadata": {}, "source": ["# Notes\n", "\n", "Some prose.\n"]},
             {"cell_type": "markdown", "id": "two", "metadata": {}, "source": [
                 "A derivation:\n", "\n", "```pgverify\n", "param x\n", "derivation \"d\"\n", "    (x + 1)^2\n",
                 "  = x^2 + 2 x + 1   by algebra\n", "```\n"]}]
    notebook = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    source, _ = read_text(notebook, "notes.ipynb", ReadOptions())
    (d,) = source.derivations
    where = source.locate(d.steps[0].span.line, d.steps[0].span.column)
    assert (where.cell, where.line) == (2, 7)   # the step's line in the second cell, as the notebook shows it


NOTES = sorted(p for folder in ("tests/notes", "tests/cases", "proofs", "examples") if (ROOT / folder).is_dir()
               for p in (ROOT / folder).rglob("*") if p.suffix in (".md", ".tex", ".rst", ".ipynb")
               and p.name != "README.md") + sorted((ROOT / "proofs" / "seed").glob("*.pgv"))


@pytest.mark.parametrize("path", NOTES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_file_read_with_every_derivation_packed_checks_as_with_none(path: Path, monkeypatch) -> None:
    """The whole way from reading (the vocabulary's one walk) through the look-alike notes to the check."""
    from pgverify import lookalikes

    text = path.read_text(encoding="utf-8")
    monkeypatch.setattr(packed, "UNPACKED", 10 ** 9)
    plain, plain_skips = read_text(text, str(path), ReadOptions())
    monkeypatch.setattr(packed, "UNPACKED", 0)
    packed_all, skips = read_text(text, str(path), ReadOptions())
    assert all(type(x) is bytes for x in packed_all.derivations._items)
    assert not any(type(x) is bytes for x in plain.derivations._items)
    assert packed_all == plain and skips == plain_skips
    for a, b in zip(packed_all.derivations, plain.derivations):
        same(a, b)
    assert lookalikes.notes(packed_all) == lookalikes.notes(plain)
    options = Options(in_process=True)
    assert check_source(packed_all, options) == check_source(plain, options)
