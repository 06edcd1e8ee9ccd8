"""What both front ends (.pgv and LaTeX) share: Greek spellings and the arithmetic tree builder."""

from __future__ import annotations

import unicodedata

from lark import Transformer, v_args

from .. import model as m

GREEK = {
    "theta": "θ", "phi": "φ", "pi": "π", "tau": "τ", "rho": "ρ", "mu": "μ", "sigma": "σ",
    "beta": "β", "gamma": "γ", "lambda": "λ", "alpha": "α", "epsilon": "ε", "delta": "δ",
    "eta": "η", "psi": "ψ", "omega": "ω", "ϑ": "θ", "ϕ": "φ", "ϵ": "ε",
}


MAX_DIGITS = 1000   # a number written with more digits is refused (Python's own limit is 4300, and every
                    # value is shown and compared as text somewhere)
TOO_LARGE = f"number too large: more than {MAX_DIGITS} digits"


def too_many_digits(text: str) -> bool:
    """Whether a number (or a name's numeric part) is written with more than MAX_DIGITS digits."""
    return len(text) > MAX_DIGITS and sum(ch.isdigit() for ch in text) > MAX_DIGITS


def canonical_word(word: str) -> str:
    """Map an ASCII Greek spelling to its letter (``theta`` → ``θ``); every name is compared after Unicode NFKC
    (``ϑ`` is ``θ``, fullwidth ``ｘ`` is ``x``: see :mod:`pgverify.lookalikes`, which notes each fold)."""
    if not word.isascii():
        word = unicodedata.normalize("NFKC", word)
    return GREEK.get(word, word)


def differential(parts: list[m.Expr], at: int, index: m.Name | None) -> tuple[int, m.Name] | None:
    """Does the differential of an integral start at factor ``at`` of its body: how many factors, which variable?

    ``dτ`` is notation, not a factor.  Both front ends spell it one of two ways: ``d`` followed by the
    variable (LaTeX's ``d\\tau``, ``\\mathrm{d}x``; a ``.pgv`` ``d τ``), or one name ``dτ``, ``dx`` (how
    ``.pgv`` reads it).  With ``index`` given only its own differential counts; without one, only the
    two-factor spelling names the variable (a lone name such as ``dist`` is not read as ``d ist``).
    """
    first = parts[at]
    if not isinstance(first, m.Name) or first.sub:
        return None
    if first.base == "d" and not first.primes and first.sample is None and at + 1 < len(parts):
        var = parts[at + 1]
        if isinstance(var, m.Name) and (index is None or var.key() == index.key()):
            return 2, var
    if index is not None and first.base.startswith("d") and canonical_word(first.base[1:]) == index.base:
        return 1, index
    return None


class ArithmeticBuilder(Transformer):
    """Tree → model for the arithmetic both front ends share (.pgv and LaTeX); ``_s`` gives a span."""

    def _s(self, meta) -> m.Span:
        raise NotImplementedError

    @v_args(meta=True)
    def add(self, meta, c):
        return m.Add(c[0], c[1], span=self._s(meta))

    @v_args(meta=True)
    def sub(self, meta, c):
        return m.Sub(c[0], c[1], span=self._s(meta))

    @v_args(meta=True)
    def mul(self, meta, c):
        return m.Mul(c[0], c[2], span=self._s(meta))

    @v_args(meta=True)
    def juxt(self, meta, c):
        return m.Mul(c[0], c[1], span=self._s(meta))

    @v_args(meta=True)
    def div(self, meta, c):
        return m.Div(c[0], c[1], span=self._s(meta))

    @v_args(meta=True)
    def neg(self, meta, c):
        return m.Neg(c[-1], span=self._s(meta))

