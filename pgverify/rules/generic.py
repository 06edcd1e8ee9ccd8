"""Generic mistakes: the names a refuted step gets when no catalogued misconception explains it.

``pgverify.mismatch`` finds them by comparing the two sides of the step (one small edit that repairs
it names the slip).  They have no detector of their own and belong to no rule family, so they are not
in ``MISCONCEPTIONS`` (whose entries each have a detector and a flawed example diagnosed as
themselves); ``misconception`` and ``pgverify explain`` know them all the same.
"""

from __future__ import annotations

from .base import Misconception, pgv

_EXAMPLE = pgv(
    """
    use rl
    claim x + y = x - y
    """
)


def _generic(name: str, title: str, hint: str) -> Misconception:
    return Misconception(name=name, title=title, hint=hint, rules=("algebra",), example=_EXAMPLE, rank=10_000)


GENERIC_MISTAKES: tuple[Misconception, ...] = (
    _generic("sign-slip", "A sign was lost or flipped",
             "Compare the signs term by term: one of them changed."),
    _generic("extra-term", "A term appeared that the line before does not justify",
             "Which term of this line has no counterpart in the line before?"),
    _generic("dropped-term", "A term of the line before was dropped",
             "A term went missing: was it really zero, or did it cancel against something?"),
    _generic("extra-factor", "A factor appeared that the line before does not justify",
             "Which factor of this product has no counterpart in the line before?"),
    _generic("missing-factor", "A factor of the line before was dropped",
             "A factor went missing: was it really 1, or constant where that matters?"),
    _generic("wrong-exponent", "A power has the wrong exponent",
             "Check the exponent of each power against the line before."),
    _generic("wrong-bound", "The inequality does not hold",
             "The bound fails in the model shown: is it the right direction, and does it hold for every size"
             " and parameter?"),
    _generic("undefined", "A side has no value",
             "It divides by zero or takes the log of a non-positive number in every model: is the divisor"
             " really nonzero (a gradient of something θ-free is 0)?"),
    _generic("wrong-value", "The two sides differ",
             "The model shown gives the two sides different values; find the first sub-expression where they"
             " part."),
)
