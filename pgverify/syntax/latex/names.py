"""Names as the .pgv parser builds them: ``\\pi_\\theta`` is ``π_θ``, ``\\hat{A}`` is ``Â``."""

from __future__ import annotations

import re
import sys
import unicodedata
from fractions import Fraction

from lark import Token, v_args

from ... import model as m
from ..arithmetic import TOO_LARGE, ArithmeticBuilder, canonical_word, too_many_digits
from .located import LatexError, Locate

# the values of short numerals, shared by every ``Num`` that writes them (a 2 or a 1/2 appears on most rows
# of a note): one Fraction per value, not one per occurrence.  Short ones only, so the table stays small.
_NUMERALS: dict[str, Fraction] = {}


def numeral(digits: str) -> Fraction:
    """The value of a numeral as written (``"2"``, ``"0.5"``); a Fraction is immutable, so sharing it is safe."""
    value = _NUMERALS.get(digits)
    if value is None:
        value = Fraction(digits)
        if len(digits) <= 3:
            _NUMERALS[sys.intern(digits)] = value
    return value

# --------------------------------------------------------------------------- names

GREEK_LETTERS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "varpi": "π", "rho": "ρ", "varrho": "ρ", "sigma": "σ", "varsigma": "σ", "tau": "τ",
    "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ",
    "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ",
    "Psi": "Ψ", "Omega": "Ω", "ell": "ℓ",
}
_ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303", "widetilde": "\u0303", "bar": "\u0304",
            "overline": "\u0304", "check": "\u030c", "vec": "\u20d7", "dot": "\u0307", "ddot": "\u0308"}

# Names that are scalars in RL notes: `\gamma (r + V)` is a product, not a call of γ.
SCALARS = frozenset({"γ", "λ", "α", "β", "ε", "η", "θ", "τ", "κ", "ν", "ξ", "ζ", "t", "i", "j", "k", "n", "T", "N"})


def name_text(text: str) -> str:
    """A LaTeX spelling of a letter or a parameter (``\\theta``, ``θ``, ``x``) → its canonical letter."""
    text = text.strip().strip("{}").strip()
    if text.startswith("\\"):
        return GREEK_LETTERS.get(text[1:], text[1:])
    return canonical_word(text)




class NameBuilder(ArithmeticBuilder):
    """Names of one row's lark tree: letters, Greek, words, accents, sub- and superscripts."""

    def __init__(self, locate: Locate):
        super().__init__()
        self.locate = locate

    def _s(self, meta) -> m.Span:
        if getattr(meta, "empty", False) or not hasattr(meta, "start_pos"):
            return m.NOWHERE
        return self.locate(meta.start_pos, meta.end_pos)

    def _t(self, tok: Token) -> m.Span:
        return self.locate(tok.start_pos or 0, tok.end_pos or 0)


    # ---- names
    @v_args(meta=True)
    def letter(self, meta, c):
        return canonical_word(str(c[0])), self._t(c[0])

    @v_args(meta=True)
    def greek(self, meta, c):
        return GREEK_LETTERS[str(c[0]).lstrip("\\")], self._t(c[0])

    @v_args(meta=True)
    def word(self, meta, c):
        return str(c[0]).lstrip("\\"), self._t(c[0])

    @v_args(meta=True)
    def textname(self, meta, c):
        inner = re.search(r"\{\s*(\w+)\s*\}", str(c[0]))
        assert inner is not None
        return canonical_word(inner.group(1)), self._t(c[0])

    @v_args(meta=True)
    def styled(self, meta, c):
        return c[-1][0], self._s(meta)

    @v_args(meta=True)
    def accent(self, meta, c):
        mark = _ACCENTS[str(c[0]).lstrip("\\")]
        base = c[-1][0]
        return unicodedata.normalize("NFC", base[0] + mark) + base[1:], self._s(meta)

    def subscript(self, c):
        return ("sub", c[0])

    def superscript(self, c):
        return ("sup", c[0])

    def prime(self, c):
        text = str(c[0])
        return ("prime", text.count("'") + text.count("prime"))

    def sample(self, c):
        tok = c[0]
        inner = re.search(r"\(\s*([^()]*?)\s*\)", str(tok))
        assert inner is not None
        return ("sample", self._atom(inner.group(1), self._t(tok)))

    def _atom(self, text: str, span: m.Span) -> m.Expr:
        if text.isdigit():
            if too_many_digits(text):
                raise LatexError(0, 0, TOO_LARGE)
            return m.Num(Fraction(int(text)), span=span)
        return m.Name(name_text(text), span=span)

    def sarg(self, c):
        return tuple(c)

    def subword(self, c):
        return (m.Name(canonical_word(str(c[0]).strip("{} \t\n")), span=self._t(c[0])),)

    def single_letter(self, c):
        return (m.Name(sys.intern(canonical_word(str(c[0]))), span=self._t(c[0])),)

    def single_greek(self, c):
        return (m.Name(GREEK_LETTERS[str(c[0]).lstrip("\\")], span=self._t(c[0])),)

    def single_number(self, c):
        if too_many_digits(str(c[0])):
            raise LatexError(0, 0, TOO_LARGE)
        return (m.Num(numeral(str(c[0])), span=self._t(c[0])),)

    @v_args(meta=True)
    def name(self, meta, c):
        (base, _span), *scripts = c
        span = self._s(meta)
        subs: tuple[m.Expr, ...] = ()
        primes = 0
        sample = None
        power = None
        for kind, value in scripts:
            if kind == "sub":
                subs += value
            elif kind == "prime":
                primes += value
            elif kind == "sample":
                sample = value
            elif power is None:
                if len(value) != 1:
                    raise LatexError(meta.start_pos, meta.end_pos, "a superscript holds one expression")
                power = value[0]
            else:
                raise LatexError(meta.start_pos, meta.end_pos, "a double superscript: write x^{a b}")
        # one string per distinct name in the process (a lark token's text is a fresh copy each time)
        name = m.Name(sys.intern(str(base)), subs, primes, sample, span=span)
        if power is None:
            return name
        if base == "e" and not subs and not primes and sample is None:
            return m.Func("exp", power, span=span)
        return m.Pow(name, power, span=span)
