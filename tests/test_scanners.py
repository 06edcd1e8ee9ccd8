"""The lexer's scanners try one terminal at a time (``syntax/pgv/parse.py``) and lex exactly as lark's own.

Every file of the repository in the derivation language, hostile text and random text is read with the parser
as pgverify builds it and with a parser whose scanners are lark's own compiled alternations; the files read
(statements, errors and their messages, suppressions) must be equal.  Both ways of a stand-in scanner are
tried: a terminal at a time (before SWITCH uses) and the whole alternation (after).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from lark import Lark

from pgverify.syntax import parse_source
from pgverify.syntax.pgv import parse

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted(p for folder in ("proofs", "tests") for p in (ROOT / folder).rglob("*.pgv"))
PIECES = list("dx/∂()[]{}^_|,;=+-*·⋅× \n\\#\"E𝔼∇∑Σ∏∫0123456789abyin:~<>'≈≤≥∝.") + [
    "by ", "sum_", "prod_", "E_{", "grad_", "log ", "exp ", "d/d", "param ", "claim ", "use rl\n", "  = ", "dist ",
    "fun ", "def ", "derivation \"d\"\n", "goal ", "lemma ", "positive ", "in ", ":= ", "propto ", "|x|", "θ",
    "π_θ(a | s)", "^{(i)}", "# pgverify: ignore[x]\n", "\\\n"]


def _lark_own() -> Lark:
    """The same parser with lark's own scanners (built as parse._parser builds it, without the stand-in)."""
    grammar = parse.grammars.load("pgverify")
    return Lark(grammar, start="line", parser="lalr", lexer="contextual", propagate_positions=True,
                maybe_placeholders=False, cache=True)


def _texts() -> Iterator[tuple[str, str]]:
    for path in FILES:
        yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")
    rng = random.Random(7)
    for k in range(40):
        yield f"random {k}", "".join(rng.choice(PIECES) for _ in range(rng.randrange(1, 400)))
    for unit in ("d ", "d / ", "d x/ d", "(", "x^", "a ", "E_{", "∇_{", "x'", "= )\n", "f(", "| x "):
        yield f"runs of {unit!r}", "claim " + unit * 300


def _read_all(monkeypatch: pytest.MonkeyPatch, parser: Lark) -> list[object]:
    with monkeypatch.context() as patch:
        patch.setattr(parse, "_parser", lambda: parser)
        return [parse_source(text, name) for name, text in _texts()]


@pytest.mark.parametrize("switch", [0, parse.SWITCH, 10 ** 9])   # the alternation at once, as built, never
def test_every_file_is_read_as_with_larks_own_scanners(monkeypatch: pytest.MonkeyPatch, switch: int) -> None:
    monkeypatch.setattr(parse, "SWITCH", switch)
    ours = parse._parser.__wrapped__()   # a fresh parser, its scanners not built yet
    stood_in = [b for b in ours.parser.lexer.lexers.values() if isinstance(b.re, parse._Scanners)]
    assert len(stood_in) == len(ours.parser.lexer.lexers) and isinstance(ours.parser.lexer.root_lexer.re,
                                                                           parse._Scanners)
    expected = _read_all(monkeypatch, _lark_own())
    got = _read_all(monkeypatch, ours)
    assert len(got) == len(expected) > len(FILES) > 40
    for (name, _), a, b in zip(_texts(), got, expected):
        assert a == b, name
    built = [b._scanner for b in ours.parser.lexer.lexers.values() if b._scanner is not None]
    assert built and all(isinstance(s._mres[0], parse._Alternation) for s in built)
    wholes = {mre.whole is not None for s in built for mre in s._mres}
    # (as built, the scanners of the most frequent states switch over, on the files of the repository)
    assert (wholes == {True}) if switch == 0 else (wholes == {False}) if switch > 10 ** 6 else (True in wholes)


def test_a_pattern_that_is_not_an_alternation_of_terminals_is_compiled_as_before() -> None:
    scanners = parse._Scanners({"A": "a+", "B": "b"})
    assert isinstance(scanners.compile("(?P<A>a+)|(?P<B>b)"), parse._Alternation)
    for foreign in ("(?P<A>a+)|(?P<C>c)", "(?P<A>a+)|(?P<B>bb)", "(?P<A>a+)(?P<B>b)", "(?P<A>a+)|", "a|b", ""):
        assert isinstance(scanners.compile(foreign), re.Pattern), foreign
    assert scanners.match("a+", "aaa").group(0) == "aaa" and scanners.error is re.error


def test_an_alternation_matches_its_first_matching_terminal_as_re_does() -> None:
    terminals = {"KEY": r"by\b", "NAME": r"[a-z]+", "NUM": r"\d+(\.\d+)?", "LPAR": r"(?<=[\w])\("}
    scanners = parse._Scanners(terminals)
    pattern = "|".join(f"(?P<{k}>{v})" for k, v in terminals.items())
    ours, theirs = scanners.compile(pattern), re.compile(pattern)
    for text in ("by x", "byx", "12.5", "12.", "f(x)", "(", "", "x", "9a"):
        for pos in range(len(text) + 1):
            a, b = ours.match(text, pos), theirs.match(text, pos)
            assert (a is None) == (b is None), (text, pos)
            if a is not None:
                assert (a.group(0), a.lastgroup) == (b.group(0), b.lastgroup), (text, pos)
        a, b = ours.fullmatch(text), theirs.fullmatch(text)
        assert (a and (a.group(0), a.lastgroup)) == (b and (b.group(0), b.lastgroup)), text
