"""What both front ends (.pgv and LaTeX) share: Greek spellings and the arithmetic tree builder."""

from __future__ import annotations

from lark import Transformer, v_args

from .. import model as m

GREEK = {
    "theta": "θ", "phi": "φ", "pi": "π", "tau": "τ", "rho": "ρ", "mu": "μ", "sigma": "σ",
    "beta": "β", "gamma": "γ", "lambda": "λ", "alpha": "α", "epsilon": "ε", "delta": "δ",
    "eta": "η", "psi": "ψ", "omega": "ω", "ϑ": "θ", "ϕ": "φ", "ϵ": "ε",
}


def canonical_word(word: str) -> str:
    """Map an ASCII Greek spelling to its letter (``theta`` → ``θ``)."""
    return GREEK.get(word, word)



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

