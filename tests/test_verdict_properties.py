"""Property test: random true and false identities, each verdict checked (so a case can fail).

Each case takes a true identity of the catalogue's kinds (linearity of sums and expectations, the
log of a product, normalization, the score's zero mean, algebra), instantiated with random
coefficients; its false twin changes one coefficient, a sign or an exponent.  A true identity must
be valid (proved or checked, never refuted); a false one must be refuted (never proved or checked).
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgverify
from pgverify.checker import Options

HEAD = "use rl\n"
# (left, right) templates of true identities; {a} and {b} are nonzero integer coefficients
TRUE = [
    ("sum_a π_θ(a | s) (({a}) Q(s, a) + {b})", "({a}) sum_a π_θ(a | s) Q(s, a) + {b}"),
    ("E_{{a ~ π_θ(·|s)}}[ ({a}) Q(s, a) + ({b}) r(s, a) ]",
     "({a}) E_{{a ~ π_θ(·|s)}}[ Q(s, a) ] + ({b}) E_{{a ~ π_θ(·|s)}}[ r(s, a) ]"),
    ("log(π_θ(a | s)^({a}) P(s' | s, a))", "{a} log π_θ(a | s) + log P(s' | s, a)"),
    ("E_{{a ~ π_θ(·|s)}}[ ({a}) ∇_θ log π_θ(a | s) ]", "0"),
    ("(({a}) x + {b})^2", "({a})^2 x^2 + 2 ({a}) ({b}) x + ({b})^2"),
    ("∇_θ (({a}) sum_a π_θ(a | s))", "0"),
]
# how a true identity is made false: the right side gets a changed coefficient, sign or exponent
BREAK = [
    lambda r, a, b: r.replace(f"{a}", f"{a + 1}", 1) if f"{a}" in r else f"{r} + 1",
    lambda r, a, b: f"-({r})" if r != "0" else "1",
    lambda r, a, b: f"({r}) + {b}",
]
OPTIONS = Options(in_process=True, time_limit=20.0)


def verdict(left: str, right: str) -> str:
    result = pgverify.check_text(f"{HEAD}derivation\n    {left}\n  = {right}\n", "case.pgv", OPTIONS)
    return result.derivations[0].steps[0].verdict


coefficients = st.integers(min_value=-4, max_value=5).filter(lambda k: k not in (0, 1))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(TRUE))), coefficients, coefficients, st.sampled_from(range(len(BREAK))))
def test_true_identities_hold_and_their_twins_are_refuted(k: int, a: int, b: int, how: int) -> None:
    if a == b:
        b = 3 if a != 3 else 4
    left, right = TRUE[k][0].format(a=a, b=b), TRUE[k][1].format(a=a, b=b)
    assert verdict(left, right) in ("proved", "checked"), (left, right)
    broken = BREAK[how](right, a, b)
    assert verdict(left, broken) == "refuted", (left, broken)
