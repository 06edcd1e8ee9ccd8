"""The shortcuts taken for speed compute exactly what the general code computes.

* ``jets.add`` / ``jets.mul`` of two jets of one parameter with plain float coefficients skip the
  general alignment; the result must be the same coefficients, bit for bit, as the general algorithm
  (each coefficient of a product summed from 0.0, lowest term first).
* The compiled evaluator settles names (T, N, γ, trajectories τ_i), sums and two-argument
  probabilities at compile time; on steps written to reach those paths (a bound T, a sample index too
  large for a float) it must agree with the tree walk in values, draws and budget (``test_compiled``).
* The kernel translates a long sum in one ``sp.Add`` and a repeated call once per scope: the sides
  must come out as sympy builds them term by term, and long products must still be proved.
* The kernel's undefined functions keep their hash (sympy computes it at every use) and are made once per
  process (sympy takes equal functions for the same one): the same value,
  and the same equality, as the function ``sp.Function`` makes, either way round.
"""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from pgverify import model as m
from pgverify.checker import Options, check_step
from pgverify.falsify import jets
from pgverify.kernel.translate import Translator
from pgverify.semantics import build_context
from pgverify.syntax import parse_source
from tests.test_compiled import _same_both_ways, _steps

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
coefficients = st.lists(finite, min_size=2, max_size=5)


def _reference_mul(ca: list[float], cb: list[float]) -> list[float]:
    """The general Cauchy product of ``jets.mul``, written out."""
    out = []
    for k in range(min(len(ca), len(cb))):
        acc = 0.0
        for j in range(k + 1):
            acc = acc + ca[j] * cb[k - j]
        out.append(acc)
    return out


@settings(max_examples=200, deadline=None)
@given(coefficients, coefficients)
def test_product_of_two_jets_is_the_cauchy_product(ca: list[float], cb: list[float]) -> None:
    product = jets.mul(jets.Jet(0, list(ca)), jets.Jet(0, list(cb)))
    assert isinstance(product, jets.Jet) and product.var == 0
    assert [x.hex() for x in product.c] == [x.hex() for x in _reference_mul(ca, cb)]


@settings(max_examples=200, deadline=None)
@given(coefficients, coefficients)
def test_sum_of_two_jets_adds_coefficients(ca: list[float], cb: list[float]) -> None:
    total = jets.add(jets.Jet(0, list(ca)), jets.Jet(0, list(cb)))
    assert isinstance(total, jets.Jet)
    assert [x.hex() for x in total.c] == [(x + y).hex() for x, y in zip(ca, cb)]


def test_jets_of_different_parameters_or_nested_jets_take_the_general_path() -> None:
    inner = jets.Jet(1, [2.0, 1.0])
    a = jets.Jet(0, [inner, 1.0])
    b = jets.Jet(0, [3.0, 0.5])
    product = jets.mul(a, b)
    # d/dθ0 of (θ1-jet + ε0)(3 + 0.5 ε0) = 0.5 · inner + 3: a jet in θ1 as the coefficient
    assert jets.coefficients(product) == jets.coefficients(jets.Jet(0, [jets.mul(inner, 3.0),
                                                                        jets.add(jets.mul(inner, 0.5), 3.0)]))
    mixed = jets.mul(jets.Jet(0, [1.0, 2.0]), jets.Jet(1, [3.0, 4.0]))
    assert mixed.var == 0 and jets.coefficients(mixed) == [3.0, 4.0, 6.0, 8.0]


CASES = """
use rl
fun f(x)
derivation "names the closures settle: a bound T, the discount, the sample count"
    sum_{T=1}^{2} T + γ N
  = 3 + γ N
  = 3 + N γ + 0
derivation "a trajectory sample whose index a float cannot hold exactly"
    R(τ_{9007199254740993}) + R(τ_2)
  = R(τ_2) + R(τ_{9007199254740993})
derivation "a trajectory's own state and action, in a sum over trajectories"
    sum_τ Pr_θ(τ) r(s_0, a_0)
  = E_{τ ~ π_θ}[ r(s_0, a_0) ]
"""


def test_the_settled_paths_evaluate_as_the_tree_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    _same_both_ways(_steps(parse_source(CASES, "fast.pgv")), monkeypatch, n_models=6)


def _sides(text: str):
    source = parse_source(text, "kernel.pgv")
    d = source.derivations[0]
    ctx = build_context(source.declarations, d.declarations, {})
    return d.steps[0], ctx


def _signed_terms(e, sign: int = 1) -> list:
    """The terms of a sum, recursively (the tree of ``a + b - (c + d)`` read as written)."""
    if isinstance(e, m.Add):
        return _signed_terms(e.left, sign) + _signed_terms(e.right, sign)
    if isinstance(e, m.Sub):
        return _signed_terms(e.left, sign) + [(-sign, e.right)]
    return [(sign, e)]


@pytest.mark.parametrize("n", [3, 130, 300])
def test_a_long_sum_translates_as_sympy_adds_its_terms(n: int) -> None:
    terms = " + ".join(f"f(x_{i})" for i in range(n)) + " - (f(y) + f(z)) + (f(w) - f(v)) + f(x_1)"
    step, ctx = _sides(f"fun f(x)\nclaim {terms} = 0\n")
    tr = Translator(ctx)
    got = tr.side(step.previous)
    expected = sp.Integer(0)
    for sign, term in _signed_terms(step.previous):   # one term at a time, as sympy adds them
        expected = expected + sign * tr.side(term)
    assert got == expected
    assert got.count(sp.Add) == 1 and len(got.args) == n + 4   # one flat sum; f(x_1) twice is 2 f(x_1)


def test_one_call_is_translated_once_per_scope_and_bound_variables_are_kept_apart() -> None:
    step, ctx = _sides("use rl\nclaim π_θ(a | s) + sum_{a} π_θ(a | s) = π_θ(a | s) + 1\n")
    tr = Translator(ctx)
    left, right = tr.side(step.previous), tr.side(step.expr)
    (summed,) = [t for t in left.args if isinstance(t, sp.Sum)]
    (free,) = [t for t in left.args if not isinstance(t, sp.Sum)]
    index = summed.limits[0][0]
    assert index in summed.function.free_symbols and index not in free.free_symbols
    assert free in right.args                 # the same call on the other side, in the same scope
    assert summed.function != free            # the summed call reads the bound a, not the free one


@pytest.mark.parametrize("n", [150, 300])
def test_a_long_product_is_still_proved(n: int) -> None:
    product = " ".join(f"π_θ(a_{i} | s_{i})" for i in range(n))
    logs = " + ".join(f"∇_θ log π_θ(a_{i} | s_{i})" for i in range(n))
    step, ctx = _sides(f"use rl\nclaim ∇_θ log({product}) = {logs}\n")
    assert check_step(step, ctx, Options(time_limit=30.0)).verdict == "proved"
    # one factor dropped on the right: not proved (and refuted)
    wrong = " + ".join(f"∇_θ log π_θ(a_{i} | s_{i})" for i in range(n - 1))
    step, ctx = _sides(f"use rl\nclaim ∇_θ log({product}) = {wrong}\n")
    assert check_step(step, ctx, Options(time_limit=30.0)).verdict != "proved"


@pytest.mark.parametrize("assumptions", [{}, {"real": True}, {"positive": True}])
def test_a_kernel_function_is_sympys_function_with_its_hash_kept(assumptions) -> None:
    from pgverify.kernel.translate import _Function

    ours, theirs = _Function("π_θ", **assumptions), sp.Function("π_θ", **assumptions)
    x, y = sp.symbols("x y")
    assert ours == theirs and theirs == ours and not ours != theirs and hash(ours) == hash(theirs)
    assert ours(x, y) == theirs(x, y) and hash(ours(x, y)) == hash(theirs(x, y))
    assert len({ours: 1, theirs: 2}) == 1
    for other in (_Function("π_β", **assumptions), sp.Function("π_β", **assumptions),
                  sp.Function("π_θ", integer=True)):
        assert ours != other and other != ours
    assert ours(x).is_real == theirs(x).is_real and ours(x).is_positive == theirs(x).is_positive
    assert sp.diff(ours(x) ** 2, x) == sp.diff(theirs(x) ** 2, x)


def test_the_translator_makes_kernel_functions() -> None:
    from pgverify.kernel.translate import _Function

    source = parse_source("use rl\nclaim ∇_θ log π_θ(a_0 | s_0) = ∇_θ log π_θ(a_0 | s_0)\n", "f.pgv")
    ctx = build_context(source.declarations, source.derivations[0].declarations, {})
    side = Translator(ctx).side(source.derivations[0].steps[0].expr)
    functions = {type(a) for a in sp.preorder_traversal(side) if isinstance(a, sp.core.function.AppliedUndef)}
    assert functions and all(isinstance(f, _Function) for f in functions)


def test_each_kernel_function_is_made_once_per_process() -> None:
    source = parse_source("use rl\nclaim ∇_θ log π_θ(a_0 | s_0) = ∇_θ log π_θ(a_0 | s_0)\n", "f.pgv")
    ctx = build_context(source.declarations, source.derivations[0].declarations, {})
    first, second = Translator(ctx), Translator(build_context(source.declarations, (), {}))
    assert first.function("R", real=True) is second.function("R", real=True)
    assert first.function("R", real=True) is not first.function("R", positive=True)
    e = source.derivations[0].steps[0].expr
    assert first.side(e) == second.side(e)   # the same sympy expression from two translators
